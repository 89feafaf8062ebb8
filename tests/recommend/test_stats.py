"""The consumer's live figures: counts turned into rates and lags into percentiles."""

from __future__ import annotations

from portal.recommend.stats import MAX_LAGS, LiveCounters


def test_a_snapshot_gives_rates_per_minute_and_lag_percentiles_then_resets() -> None:
    counters = LiveCounters(started=100.0)
    counters.record_batch(3, 2, [0.010, 0.020, 0.030])
    counters.record_batch(1, 1, [0.100])
    figures = counters.snapshot(130.0)  # 30 s: counts double per minute
    assert figures["clicks"] == 4 and figures["clicks_per_minute"] == 8.0
    assert figures["lists_per_minute"] == 6.0 and figures["batches"] == 2
    assert figures["lag_ms_p50"] == 25.0 and figures["lag_ms_max"] == 100.0
    assert 30.0 < figures["lag_ms_p95"] <= 100.0
    quiet = counters.snapshot(160.0)
    assert quiet["clicks"] == 0 and quiet["clicks_per_minute"] == 0.0
    assert quiet["lag_ms_p50"] is None and quiet["seconds"] == 30.0


def test_only_the_newest_lags_are_kept() -> None:
    counters = LiveCounters(started=0.0)
    counters.record_batch(MAX_LAGS, 1, [1.0] * MAX_LAGS)
    counters.record_batch(10, 1, [0.0] * 10)
    assert len(counters.lags) == MAX_LAGS and counters.lags[-10:] == [0.0] * 10
