"""The recommender consumer's live figures for the studio (no I/O here).

The worker records each batch it stores; every tick the studio takes a snapshot, which
turns the counts since the last one into rates and the click → stored-list lags into
percentiles, and starts counting afresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Lags kept per tick at most (a backlog's batches could bring thousands): the newest win.
MAX_LAGS = 4096


@dataclass(slots=True)
class LiveCounters:
    """What happened since the last snapshot."""

    started: float
    clicks: int = 0
    lists: int = 0
    batches: int = 0
    lags: list[float] = field(default_factory=list)

    def record_batch(self, clicks: int, lists: int, lags: list[float]) -> None:
        """A stored batch: its clicks, the lists it wrote, each click's seconds from its
        recording to its list's commit."""
        self.clicks += clicks
        self.lists += lists
        self.batches += 1
        self.lags.extend(lags)
        if len(self.lags) > MAX_LAGS:
            del self.lags[:-MAX_LAGS]

    def snapshot(self, now: float) -> dict[str, Any]:
        """Rates per minute and lags in milliseconds since the last snapshot; then reset."""
        seconds = max(now - self.started, 1e-6)
        per_minute = 60.0 / seconds
        lags = np.asarray(self.lags, dtype=np.float64) * 1000.0
        figures = {
            "seconds": round(seconds, 3),
            "clicks": self.clicks,
            "clicks_per_minute": round(self.clicks * per_minute, 2),
            "lists_per_minute": round(self.lists * per_minute, 2),
            "batches": self.batches,
            "lag_ms_p50": round(float(np.percentile(lags, 50)), 2) if lags.size else None,
            "lag_ms_p95": round(float(np.percentile(lags, 95)), 2) if lags.size else None,
            "lag_ms_max": round(float(lags.max()), 2) if lags.size else None,
        }
        self.started = now
        self.clicks = self.lists = self.batches = 0
        self.lags = []
        return figures
