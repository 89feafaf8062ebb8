"""The CF engine: counts by hand, cosine, exclusions, cold start, dedupe, rebuild = incremental."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.recommend import Reason, Recommender, RecommenderConfig
from portal.recommend.engine import sample_hash
from portal.recommend.pairs import PairStore as _PairStore
from tests.utils import recommend as peek
from tests.utils.recommend import ModelSnapshot

# Sparse, arbitrary ids: the engine maps them to dense indices itself.
A, B, C, D = 17, -3, 10**12, 4
U1, U2, U3 = 1001, 7, 2**40

# u1 viewed A, B, C; u2 viewed A, B; u3 viewed B, C, D.
CLICKS = [
    (U1, A, 1.0),
    (U1, B, 2.0),
    (U1, C, 3.0),
    (U2, A, 4.0),
    (U2, B, 5.0),
    (U3, B, 6.0),
    (U3, C, 7.0),
    (U3, D, 8.0),
]


def build(clicks=CLICKS, config: RecommenderConfig | None = None) -> Recommender:
    engine = Recommender(config)
    for user, job, at in clicks:
        assert engine.apply_click(user, job, at)
    return engine


def test_cooccurrence_counts_by_hand() -> None:
    engine = build()
    assert peek.pair_count(engine, A, B) == 2  # u1, u2
    assert peek.pair_count(engine, B, A) == 2
    assert peek.pair_count(engine, A, C) == 1  # u1
    assert peek.pair_count(engine, B, C) == 2  # u1, u3
    assert peek.pair_count(engine, B, D) == 1
    assert peek.pair_count(engine, C, D) == 1
    assert peek.pair_count(engine, A, D) == 0
    assert peek.pair_count(engine, A, A) == 0
    assert peek.pair_count(engine, A, 999) == 0
    assert [peek.job_count(engine, j) for j in (A, B, C, D)] == [2, 3, 2, 1]
    assert engine.n_clicks == 8
    assert engine.n_pairs == 5


def test_cosine_values() -> None:
    engine = build()
    assert peek.similarity(engine, A, B) == pytest.approx(2 / math.sqrt(6))
    assert peek.similarity(engine, B, C) == pytest.approx(2 / math.sqrt(6))
    assert peek.similarity(engine, A, C) == pytest.approx(1 / 2)
    assert peek.similarity(engine, C, D) == pytest.approx(1 / math.sqrt(2))
    assert peek.similarity(engine, B, D) == pytest.approx(1 / math.sqrt(3))
    assert peek.similarity(engine, A, D) == 0.0
    assert peek.similarity(engine, A, 999) == 0.0


def test_item_based_scores_and_reason() -> None:
    engine = build()
    recs = engine.recommend(U2, k=5)
    # C: cos(A,C) + cos(B,C) = 0.5 + 0.8165; D: cos(B,D) = 0.5774; normalised by the best.
    assert [r.job for r in recs] == [C, D]
    c_score = 0.5 + 2 / math.sqrt(6)
    assert recs[0].score == pytest.approx(1.0)
    assert recs[1].score == pytest.approx((1 / math.sqrt(3)) / c_score)
    assert all(r.source == "item" for r in recs)
    assert recs[0].because == B  # cos(B,C) > cos(A,C)
    assert recs[1].because == B
    assert recs[0].reason == Reason.VIEWED_JOB


def test_never_recommends_clicked_or_excluded_jobs() -> None:
    engine = build()
    assert [r.job for r in engine.recommend(U2, k=5, exclude={C})] == [D]
    assert engine.recommend(U2, k=5, exclude={C, D}) == []
    assert [r.job for r in engine.recommend(U2, k=5, candidates=[D, A])] == [D]
    assert engine.recommend(U1, k=5, exclude={D}) == []
    for user in (U1, U2, U3):
        clicked = set(peek.history(engine, user))
        assert not clicked & {r.job for r in engine.recommend(user, k=10)}
    assert engine.recommend(U2, k=0) == []
    assert [r.job for r in engine.recommend(U2, k=1)] == [C]


def test_cold_start_gets_popular_jobs() -> None:
    engine = build()
    recs = engine.recommend(12345, k=3)
    # B has 3 clicks; A and C 2 each (tie: the smaller id first); D 1.
    assert [r.job for r in recs] == [B, A, C]
    assert all(r.source == "popular" and r.because is None for r in recs)
    assert recs[0].score == 1.0
    assert recs[1].score == pytest.approx(2 / 3)
    assert [r.job for r in engine.recommend(12345, k=10, exclude={B})] == [A, C, D]
    assert Recommender().recommend(1, k=10) == []


def test_short_lists_are_filled_with_popular_jobs() -> None:
    engine = build([*CLICKS, (U3, 55, 9.0), (99, 55, 10.0), (98, 56, 11.0)])
    recs = engine.recommend(U2, k=10)
    personal = [r for r in recs if r.source != "popular"]
    filled = [r for r in recs if r.source == "popular"]
    assert [r.job for r in personal][:2] == [C, D]
    assert filled and {r.job for r in filled} <= {55, 56}
    assert len({r.job for r in recs}) == len(recs)


def test_duplicates_are_idempotent() -> None:
    engine = build()
    before = peek.snapshot(engine)
    assert not engine.apply_click(U1, A, 100.0)
    assert not engine.apply_click(U3, D, 0.5)
    assert peek.snapshot(engine) == before
    assert peek.history(engine, U1)[A] == 1.0  # the first click's time stays


def test_event_ids_are_deduplicated_within_a_window() -> None:
    engine = Recommender(RecommenderConfig(event_window=2))
    assert engine.apply_click(1, 10, 1.0, event_id=1)
    # A redelivery of event 1 is dropped even if it were to carry another pair.
    assert not engine.apply_click(1, 11, 2.0, event_id=1)
    assert peek.history(engine, 1) == {10: 1.0}
    assert engine.apply_click(1, 11, 2.0, event_id=2)
    assert engine.apply_click(1, 12, 3.0, event_id=3)
    # Event 1 has left the window; the pair check still catches its click.
    assert not engine.apply_click(1, 10, 1.0, event_id=1)
    # The window now holds events 3 and 1: event 2 is forgotten, so a new click under it counts.
    assert not engine.apply_click(2, 10, 4.0, event_id=3)
    assert engine.apply_click(2, 10, 4.0, event_id=2)
    assert engine.n_clicks == 4


def test_user_based_neighbours_and_scores() -> None:
    engine = build()
    assert peek.user_similarity(engine, U1, U2) == pytest.approx(2 / math.sqrt(6))
    assert peek.user_similarity(engine, U1, U3) == pytest.approx(2 / 3)
    assert peek.user_similarity(engine, U2, U3) == pytest.approx(1 / math.sqrt(6))
    assert peek.user_similarity(engine, U2, 404) == 0.0
    recs = engine.recommend(U2, k=5, mode="user")
    # C is held by u1 (0.8165) and u3 (0.4082); D by u3 only.
    assert [r.job for r in recs] == [C, D]
    assert recs[1].score == pytest.approx((1 / math.sqrt(6)) / (3 / math.sqrt(6)))
    assert all(r.source == "user" for r in recs)
    assert recs[0].because == B


def test_user_neighbours_limit() -> None:
    engine = build(config=RecommenderConfig(mode="user", user_neighbours=1))
    # u2's single nearest neighbour is u1, who holds C but not D: D only comes as a filler.
    recs = engine.recommend(U2, k=5)
    assert [(r.job, r.source) for r in recs] == [(C, "user"), (D, "popular")]


def test_blend_mixes_normalised_scores() -> None:
    alpha = 0.3
    engine = build(config=RecommenderConfig(mode="blend", alpha=alpha))
    recs = engine.recommend(U2, k=5)
    item_d = (1 / math.sqrt(3)) / (0.5 + 2 / math.sqrt(6))
    user_d = 1 / 3
    assert [r.job for r in recs] == [C, D]
    assert recs[0].score == pytest.approx(1.0)
    assert recs[1].score == pytest.approx(alpha * item_d + (1 - alpha) * user_d)
    assert recs[1].source == "user"  # 0.7 · 0.333 > 0.3 · 0.439
    item_only = build(config=RecommenderConfig(mode="blend", alpha=1.0)).recommend(U2)
    assert [(r.job, r.source) for r in item_only] == [(C, "item"), (D, "item")]
    assert [r.score for r in item_only] == pytest.approx([r.score for r in build().recommend(U2)])


def test_item_neighbours_prune_votes() -> None:
    engine = build(config=RecommenderConfig(item_neighbours=1))
    # Each job votes only for its most similar job: A → B, B → A (A and C tie at 0.8165; the
    # smaller id wins), C → B, D → C. u2 (A, B) has nothing left to be given but popular jobs.
    assert all(r.source == "popular" for r in engine.recommend(U2, k=5))
    # u3 (B, C, D): only B's vote for A survives.
    recs = engine.recommend(U3, k=5)
    assert [(r.job, r.source, r.because) for r in recs] == [(A, "item", B)]


def test_popularity_can_decay() -> None:
    day = 86_400.0
    engine = build(
        [(1, 10, 0.0), (2, 10, 0.0), (3, 10, 0.0), (4, 20, 10 * day), (5, 20, 10 * day)],
        RecommenderConfig(popularity_half_life=day),
    )
    assert [r.job for r in engine.recommend(99, k=2)] == [20, 10]
    assert peek.popularity(engine, 20) / peek.popularity(engine, 10) == pytest.approx(2 / 3 * 2**10)
    plain = build([(1, 10, 0.0), (2, 10, 0.0), (3, 10, 0.0), (4, 20, 10 * day), (5, 20, 10 * day)])
    assert [r.job for r in plain.recommend(99, k=2)] == [10, 20]


def test_time_decay_weights_recent_co_clicks() -> None:
    h = 100.0
    engine = build([(1, A, 0.0), (1, B, h), (2, A, h), (2, C, h)], RecommenderConfig(half_life=h))
    # X_1A = 1, X_1B = 2, X_2A = 2, X_2C = 2 (weights double every half-life).
    assert peek.pair_count(engine, A, B) == pytest.approx(2)
    assert peek.pair_count(engine, A, C) == pytest.approx(4)
    assert peek.job_count(engine, A) == pytest.approx(5)
    assert peek.similarity(engine, A, B) == pytest.approx(2 / math.sqrt(5 * 4))
    assert peek.similarity(engine, A, C) == pytest.approx(4 / math.sqrt(5 * 4))
    engine.apply_click(4, A, 2 * h)
    assert [r.job for r in engine.recommend(4, k=2)] == [C, B]


def test_decay_clock_moves_without_overflow() -> None:
    config = RecommenderConfig(half_life=1.0, popularity_half_life=1.0)
    clicks = [(u, j, 40.0 * u) for u in range(1, 9) for j in (1, 2, u + 10)]
    engine = build(clicks, config)
    assert math.isfinite(peek.job_count(engine, 1)) and peek.job_count(engine, 1) > 0
    assert peek.similarity(engine, 1, 2) == pytest.approx(1.0)
    assert_same_model(engine, Recommender.rebuild(clicks, config))


def test_max_history_samples_heavy_users() -> None:
    config = RecommenderConfig(max_history=3)
    clicks = [(1, job, float(job)) for job in range(20)] + [(2, 5, 30.0), (2, 6, 31.0)]
    engine = build(clicks, config)
    # Only the 3 jobs of user 1 with the smallest hash of (user, job) enter the model.
    kept = set(sorted(range(20), key=lambda job: (sample_hash(1, job), job))[:3])
    pairs, counts = naive_counts([c for c in clicks if c[0] == 2 or c[1] in kept])
    assert peek.snapshot(engine).pairs == pairs
    assert {job: n for job, n in peek.snapshot(engine).job_counts.items() if n} == counts
    assert len(peek.history(engine, 1)) == 20  # the whole history still excludes
    assert all(r.job not in range(20) for r in engine.recommend(1, k=10))
    assert_same_model(engine, Recommender.rebuild(clicks, config))


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        Recommender().apply_click(1, 1, float("nan"))
    with pytest.raises(ValueError, match="mode"):
        RecommenderConfig(mode="everything")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alpha"):
        RecommenderConfig(alpha=2)
    with pytest.raises(ValueError, match="half_life"):
        RecommenderConfig(half_life=0)
    with pytest.raises(ValueError, match="mode"):
        build().recommend(U1, mode="nope")  # type: ignore[arg-type]


def test_memory_estimate_grows_with_the_model() -> None:
    empty = Recommender().memory_bytes()
    engine = build()
    assert engine.memory_bytes() > empty > 0


def test_hash_table_grows_and_keeps_every_pair() -> None:
    clicks = [(user, job, 0.0) for user in range(3) for job in range(200)]
    engine = build(clicks)
    assert engine.n_pairs == 200 * 199 // 2
    assert peek.pair_count(engine, 0, 199) == 3
    assert peek.pair_count(engine, 123, 7) == 3
    assert peek.snapshot(engine) == peek.snapshot(Recommender.rebuild(clicks))


def test_pair_store_wraps_around_and_finds_every_key() -> None:
    store = _PairStore(np.int64)
    candidates = np.arange(1, 200_000, dtype=np.int64)
    last_slot = store._table.shape[0] - 1
    # Keys whose home is the last slot: one sits there, the others wrap to the start.
    crowd = candidates[store._slots(candidates) == last_slot][:6]
    assert crowd.shape[0] == 6
    pids = store.insert(crowd)
    assert store._table[last_slot] >= 0 and (store._table[:5] >= 0).all()
    assert store.lookup(crowd).tolist() == pids.tolist()
    # Batches with clashing homes, growth and absent keys, against a dict.
    rng = np.random.default_rng(5)
    expected = dict(zip(crowd.tolist(), pids.tolist(), strict=True))
    for _ in range(40):
        keys = np.unique(rng.integers(0, 5_000, size=300).astype(np.int64))
        found = store.lookup(keys)
        assert found.tolist() == [expected.get(k, -1) for k in keys.tolist()]
        new = keys[found < 0]
        expected.update(zip(new.tolist(), store.insert(new).tolist(), strict=True))
    every = np.array(sorted(expected), dtype=np.int64)
    assert store.lookup(every).tolist() == [expected[k] for k in every.tolist()]
    assert store.lookup(np.array([10**9, -5], dtype=np.int64)).tolist() == [-1, -1]


def test_pair_store_probes_one_key_at_a_time_the_same_way() -> None:
    """A click's few keys go through find_or_insert (scalar probing); a rebuild's through the
    batched lookup and insert: each finds what the other placed, wrap-around and growth too."""
    store = _PairStore(np.int64)
    candidates = np.arange(1, 200_000, dtype=np.int64)
    last_slot = store._table.shape[0] - 1
    crowd = candidates[store._slots(candidates) == last_slot][:4].tolist()
    pids, added = store.find_or_insert(crowd)
    assert added == [0, 1, 2, 3] and pids == [0, 1, 2, 3]
    assert store._table[last_slot] >= 0 and (store._table[:3] >= 0).all()
    assert store.lookup(np.array(crowd, dtype=np.int64)).tolist() == pids
    expected = dict(zip(crowd, pids, strict=True))
    rng = np.random.default_rng(7)
    for round in range(60):
        keys = np.unique(rng.integers(0, 5_000, size=200 if round % 5 == 0 else 12))
        if round % 5 == 0:  # a batch, as the rebuild does it
            found = store.lookup(keys)
            new = keys[found < 0]
            expected.update(zip(new.tolist(), store.insert(new).tolist(), strict=True))
        else:
            before = dict(expected)
            pids, added = store.find_or_insert(keys.tolist())
            assert [keys[n] for n in added] == [k for k in keys.tolist() if k not in before]
            expected.update(zip(keys.tolist(), pids, strict=True))
            assert all(
                before[k] == p for k, p in zip(keys.tolist(), pids, strict=True) if k in before
            )
    every = np.array(sorted(expected), dtype=np.int64)
    assert store.lookup(every).tolist() == [expected[k] for k in every.tolist()]
    assert store.size == len(expected) == len(set(expected.values()))


# --------------------------------------------------------------------------------- properties


def assert_same_model(left: Recommender, right: Recommender, exact: bool = True) -> None:
    """Counts equal (exactly, or to 1e-9 relative with decay) and all similarities to 1e-9."""
    a, b = peek.snapshot(left), peek.snapshot(right)
    assert a.histories == b.histories
    if exact:
        assert a.pairs == b.pairs
        assert a.job_counts == b.job_counts
        assert a.popularity == b.popularity
    else:
        assert_close_maps(a, b)
    jobs = sorted(a.job_counts)
    for x, y in combinations(jobs, 2):
        assert abs(peek.similarity(left, x, y) - peek.similarity(right, x, y)) <= 1e-9
    users = sorted(a.histories)
    for x, y in combinations(users, 2):
        assert abs(peek.user_similarity(left, x, y) - peek.user_similarity(right, x, y)) <= 1e-9


def assert_close_maps(a: ModelSnapshot, b: ModelSnapshot) -> None:
    for name in ("pairs", "job_counts", "popularity"):
        mine, theirs = getattr(a, name), getattr(b, name)
        peak = max([abs(v) for v in mine.values()] + [1.0])
        for key in set(mine) | set(theirs):
            assert abs(mine.get(key, 0) - theirs.get(key, 0)) <= 1e-9 * peak, (name, key)


def naive_counts(clicks: list[tuple[int, int, float]]) -> tuple[dict, dict]:
    """Co-occurrence and job counts straight from the definition."""
    seen: dict[int, set[int]] = {}
    for user, job, _ in clicks:
        seen.setdefault(user, set()).add(job)
    pairs: dict[tuple[int, int], int] = {}
    counts: dict[int, int] = {}
    for jobs in seen.values():
        for job in jobs:
            counts[job] = counts.get(job, 0) + 1
        for x, y in combinations(sorted(jobs), 2):
            pairs[(x, y)] = pairs.get((x, y), 0) + 1
    return pairs, counts


USER_IDS = [5, -9, 10**9, 3, 77, 2**33, 0, 41]
JOB_IDS = [100, 7, -1, 2**35, 55, 8, 1000, 3, 12, 99]

new_click = st.tuples(
    st.just("new"),
    st.sampled_from(USER_IDS),
    st.sampled_from(JOB_IDS),
    st.floats(min_value=0, max_value=1000, allow_nan=False),
)
redelivery = st.tuples(st.just("again"), st.integers(min_value=0, max_value=10**6))
streams = st.lists(st.one_of(new_click, new_click, redelivery), max_size=80)

CONFIGS = {
    "plain": RecommenderConfig(),
    "unpruned": RecommenderConfig(item_neighbours=None),
    "capped": RecommenderConfig(max_history=3, seed=11),
    # Half-lives short enough for the clock origin to move several times within the stream.
    "decayed": RecommenderConfig(half_life=2.0, popularity_half_life=1.5),
    # Sampling takes decayed weights back out: exact to rounding relative to the largest weight,
    # so the stream spans a few half-lives (a ratio of 2**10 between weights).
    "capped+decayed": RecommenderConfig(max_history=2, half_life=200.0),
}


def replay(stream: list[tuple], config: RecommenderConfig):
    """Apply a stream with redeliveries; return the engine and the clicks a database keeps."""
    engine = Recommender(config)
    stored: list[tuple[int, int, float]] = []
    for op in stream:
        if op[0] == "new":
            _, user, job, at = op
            event_id = len(stored)
            stored.append((user, job, at))
        elif stored:
            event_id = op[1] % len(stored)
            user, job, at = stored[event_id]
        else:
            continue
        engine.apply_click(user, job, at, event_id=event_id)
    return engine, stored


@pytest.mark.parametrize("name", sorted(CONFIGS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream=streams)
def test_rebuild_equals_incremental(name: str, stream: list[tuple]) -> None:
    config = CONFIGS[name]
    incremental, stored = replay(stream, config)
    rebuilt = Recommender.rebuild(stored, config)
    exact = config.half_life is None and config.popularity_half_life is None
    assert_same_model(incremental, rebuilt, exact=exact)
    assert incremental.n_clicks == rebuilt.n_clicks
    if exact:
        for user in [*USER_IDS, 404]:
            for mode in ("item", "user", "blend"):
                assert incremental.recommend(user, 4, mode=mode) == rebuilt.recommend(
                    user, 4, mode=mode
                )
    else:
        for user in USER_IDS:
            mine = [r.score for r in incremental.recommend(user, 4)]
            theirs = [r.score for r in rebuilt.recommend(user, 4)]
            assert mine == pytest.approx(theirs, abs=1e-9)


@settings(max_examples=80, deadline=None)
@given(stream=streams)
def test_counts_match_the_definition(stream: list[tuple]) -> None:
    engine, stored = replay(stream, RecommenderConfig())
    pairs, counts = naive_counts(stored)
    snapshot = peek.snapshot(engine)
    assert snapshot.pairs == {key: value for key, value in pairs.items()}
    assert snapshot.job_counts == counts
    for (x, y), c in pairs.items():
        assert peek.similarity(engine, x, y) == pytest.approx(c / math.sqrt(counts[x] * counts[y]))


@settings(max_examples=60, deadline=None)
@given(stream=streams, data=st.data())
def test_counts_do_not_depend_on_click_order(stream: list[tuple], data: st.DataObject) -> None:
    for config in (RecommenderConfig(), RecommenderConfig(max_history=2)):
        _, stored = replay(stream, config)
        shuffled = data.draw(st.permutations(stored))
        a = peek.snapshot(build_quietly(stored, config))
        b = peek.snapshot(build_quietly(shuffled, config))
        assert a.pairs == b.pairs
        assert a.job_counts == b.job_counts


def build_quietly(clicks, config: RecommenderConfig) -> Recommender:
    engine = Recommender(config)
    for user, job, at in clicks:
        engine.apply_click(user, job, at)
    return engine
