"""EASE: the closed form by hand, per-click freshness, determinism, swaps, λ choice, pruning."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from portal.recommend import Reason, Recommender, RecommenderConfig, ease, service
from portal.recommend.evaluate import clicks_from_arrays, clicks_from_tuples, select_lambda
from portal.recommend.service import RecommenderWorker

DENSE = ease.EaseConfig(dense_jobs=10_000)


def stream(users: int = 300, jobs: int = 60, clicks: int = 3_000, seed: int = 3):
    """Clustered clicks: users of a cluster click its jobs, so the model has structure."""
    rng = np.random.default_rng(seed)
    taste = rng.integers(6, size=users)
    who = rng.integers(users, size=clicks)
    job = (taste[who] * (jobs // 6) + rng.integers(jobs // 6, size=clicks)) % jobs
    noise = rng.random(clicks) < 0.1
    job[noise] = rng.integers(jobs, size=int(noise.sum()))
    return [
        (int(u) + 1, int(j) + 100, float(t)) for t, (u, j) in enumerate(zip(who, job, strict=True))
    ]


def engine_of(rows, config: RecommenderConfig | None = None) -> Recommender:
    u, j, t = (np.array(c) for c in zip(*rows, strict=True))
    return Recommender.from_arrays(u, j, t, config)


def reference(rows, lam: float) -> tuple[list[int], np.ndarray]:
    """Batch EASE in float64 straight from the paper's formula, on a binary X."""
    users = sorted({u for u, _j, _t in rows})
    jobs = list(dict.fromkeys(j for _u, j, _t in rows))
    x = np.zeros((len(users), len(jobs)))
    for u, j, _t in rows:
        x[users.index(u), jobs.index(j)] = 1.0
    p = np.linalg.inv(x.T @ x + lam * np.eye(len(jobs)))
    b = np.eye(len(jobs)) - p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    return jobs, b


def test_weights_match_the_closed_form() -> None:
    rows = stream(clicks=1_500)
    engine = engine_of(rows)
    weights = ease.train(engine, 30.0, DENSE)
    jobs, b = reference(rows, 30.0)
    assert weights.job_ids.tolist() == jobs
    assert weights.dense is not None and weights.dense.dtype == np.float32
    np.testing.assert_allclose(weights.dense, b, atol=1e-5)
    assert not np.diagonal(weights.dense).any()


def test_blocked_inverse_equals_lapack() -> None:
    rng = np.random.default_rng(0)
    x = (rng.random((3_000, 2_500)) < 0.01).astype(np.float32)
    gram = x.T @ x + 5 * np.eye(2_500, dtype=np.float32)
    expected = np.linalg.inv(gram.astype(np.float64))
    got = ease.spd_inverse(gram.copy())
    assert np.abs(got - expected).max() <= 1e-5 * np.abs(expected).max()


@pytest.mark.parametrize("config", [DENSE, ease.EaseConfig(dense_jobs=10, top_k=8)])
def test_per_click_scores_equal_a_full_recomputation(config: ease.EaseConfig) -> None:
    rows = stream()
    weights = ease.train(engine_of(rows[:2_000]), 20.0, config)
    live = ease.EaseRecommender(engine_of(rows[:2_000]), weights, config)
    watched = sorted({u for u, _j, _t in rows[2_000:]})[:40]
    for user in watched:
        live.user_scores(live.engine.user_index(user))  # type: ignore[arg-type]
    for n, (user, job, at) in enumerate(rows[2_000:]):
        live.apply_click(user, job, at, event_id=n)
    # The same clicks, summed from scratch over the final history.
    fresh = ease.EaseRecommender(engine_of(rows), weights, config)
    for user in watched:
        u_live, u_fresh = live.engine.user_index(user), fresh.engine.user_index(user)
        assert u_live is not None and u_fresh is not None
        np.testing.assert_allclose(
            live.user_scores(u_live),  # type: ignore[arg-type]
            fresh.user_scores(u_fresh),  # type: ignore[arg-type]
            atol=1e-5,
        )
        assert [r.job for r in live.recommend(user, 10)] == [
            r.job for r in fresh.recommend(user, 10)
        ]


def test_a_click_moves_the_recommendations_at_once() -> None:
    rows = stream()
    model = ease.EaseRecommender(engine_of(rows), ease.train(engine_of(rows), 20.0, DENSE))
    before = model.recommend(10_000, 5)  # a new user: popular jobs only
    assert {r.reason for r in before} == {Reason.POPULAR}
    model.apply_click(10_000, 100, 1e9)
    after = model.recommend(10_000, 5)
    assert after[0].source == "ease" and after[0].reason is Reason.VIEWED_JOB
    assert after[0].because == 100
    assert 100 not in [r.job for r in after]


def test_retrain_on_the_same_data_is_deterministic() -> None:
    rows = stream()
    for config in (DENSE, ease.EaseConfig(dense_jobs=10, top_k=8)):
        first = ease.train(engine_of(rows), 20.0, config)
        second = ease.train(engine_of(rows), 20.0, config)
        for a, b in ((first.dense, second.dense), (first.columns, second.columns)):
            assert (a is None and b is None) or np.array_equal(a, b)
        if first.values is not None:
            assert np.array_equal(first.values, second.values)
    # λ chosen by the evaluation is deterministic too.
    log = clicks_from_tuples(rows)
    a, b = select_lambda(log, (5, 20, 80)), select_lambda(log, (5, 20, 80))
    assert (a.lam, a.scores) == (b.lam, b.scores)


def test_weights_swap_atomically() -> None:
    """Readers see the old weights or the new, never a mix; each ranking uses one object."""
    rows = stream()
    engine = engine_of(rows)
    old, new = ease.train(engine, 5.0, DENSE), ease.train(engine, 500.0, DENSE)
    assert old.dense is not None and not old.dense.flags.writeable  # immutable once built
    model = ease.EaseRecommender(engine, old, DENSE)
    user = rows[0][0]
    expected = {id(w): [r.job for r in ease.EaseRecommender(engine, w).recommend(user, 10)]
                for w in (old, new)}  # fmt: skip
    stop = threading.Event()
    seen: list[list[int]] = []

    def reader() -> None:
        while not stop.is_set():
            seen.append([r.job for r in model.recommend(user, 10)])

    thread = threading.Thread(target=reader)
    thread.start()
    for n in range(200):
        model.swap(new if n % 2 == 0 else old)
    stop.set()
    thread.join()
    assert seen and all(s in expected.values() for s in seen)
    assert model.weights is old  # the last swap
    u = engine.user_index(user)
    assert u is not None
    # Score vectors summed with other weights are never served after a swap.
    rows_of_u = np.array([old.index[j] for j in engine.job_ids[engine.history_indices(u)]])
    np.testing.assert_allclose(model.user_scores(u), old.scores(rows_of_u))  # type: ignore[arg-type]


def test_a_failed_training_keeps_the_old_weights() -> None:
    rows = stream()
    engine = engine_of(rows)
    model = ease.EaseRecommender(engine, ease.train(engine, 20.0, DENSE))
    before = model.weights
    with pytest.raises(np.linalg.LinAlgError):
        # A singular matrix (λ = 0 on an empty Gram) fails mid-training...
        ease.fit(np.zeros((3, 3), np.float32), np.arange(3), 0.0, DENSE)
    assert model.weights is before  # ...and nothing was swapped


def test_lambda_is_chosen_from_the_grid_by_the_evaluation() -> None:
    log = clicks_from_tuples(stream(users=400, clicks=5_000))
    grid = (1.0, 30.0, 3_000.0)
    choice = select_lambda(log, grid, max_users=None)
    assert set(choice.scores) == set(grid)
    assert choice.lam == max(grid, key=lambda lam: choice.scores[lam])
    assert choice.scores[choice.lam] > choice.scores[3_000.0]  # huge λ washes the model out
    assert select_lambda(log, (42.0,)).lam == 42.0  # one value: nothing to evaluate


def test_pruning_keeps_each_rows_largest_weights() -> None:
    weights = np.array(
        [[0.0, 0.5, -0.9, 0.1], [0.2, 0.0, 0.2, -0.2], [1.0, 2.0, 0.0, 3.0], [0, 0, 0, 0]],
        dtype=np.float32,
    )
    columns, values = ease.prune(weights, 2)
    assert columns.tolist() == [[1, 2], [0, 2], [1, 3], [0, 1]]  # ties: the smaller column
    np.testing.assert_allclose(values, [[0.5, -0.9], [0.2, 0.2], [2.0, 3.0], [0, 0]])
    rows = stream()
    pruned = ease.train(engine_of(rows), 20.0, ease.EaseConfig(dense_jobs=10, top_k=8))
    assert pruned.pruned and pruned.columns is not None and pruned.columns.shape == (60, 8)
    dense = ease.train(engine_of(rows), 20.0, DENSE)
    assert pruned.memory_bytes() < dense.memory_bytes()


def test_jobs_newer_than_the_weights_come_from_item_cf() -> None:
    rows = stream()
    engine = engine_of(rows)
    model = ease.EaseRecommender(engine, ease.train(engine, 20.0, DENSE))
    # A new job 999, co-clicked with 100 by three users: only item-CF knows it.
    for n, user in enumerate((1, 2, 3)):
        model.apply_click(user, 100, 1e9 + n)
        model.apply_click(user, 999, 1e9 + n)
    model.apply_click(50_000, 100, 2e9)
    recs = {r.job: r for r in model.recommend(50_000, 60)}
    assert recs[999].source == "item" and recs[999].because == 100


def test_clicks_from_arrays_keeps_ids_as_labels() -> None:
    log = clicks_from_arrays(np.array([7, 3, 7]), np.array([10, 10, 11]), np.array([3.0, 1, 2]))
    assert log.user_labels == ["3", "7"] and log.item_labels == ["10", "11"]
    assert log.times.tolist() == [1.0, 2.0, 3.0]


# --- the consumer's training ----------------------------------------------------------------


def ease_worker(rows, lambdas=(20.0,)) -> RecommenderWorker:
    """A worker with EASE serving over ``rows`` (no database: training never touches it)."""
    worker = RecommenderWorker(None, ease=True, lambdas=lambdas)  # type: ignore[arg-type]
    worker.model = engine_of(rows, worker.config)
    worker.ease = ease.EaseRecommender(worker.model, None, worker.ease_config)
    return worker


async def test_the_worker_trains_in_the_background_and_swaps() -> None:
    rows = stream()
    worker = ease_worker(rows, lambdas=(5.0, 50.0))
    assert worker.ease is not None and worker.ease.weights is None
    user = rows[0][0]
    assert all(r.source != "ease" for r in worker.ease.recommend(user, 5))  # item-CF meanwhile
    task = worker.train()
    assert worker.train() is task  # one training at a time
    weights = await task
    assert weights is not None and worker.ease.weights is weights
    assert weights.lam in (5.0, 50.0) and set(weights.validation) == {5.0, 50.0}
    assert worker.ease.recommend(user, 5)[0].source == "ease"


async def test_a_crash_mid_training_keeps_the_old_weights(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker = ease_worker(stream())
    old = await worker.train()
    assert old is not None

    def crash(*args: object) -> None:
        raise MemoryError("killed mid-inversion")

    monkeypatch.setattr(service, "train_ease", crash)
    assert await worker.train() is None
    assert worker.ease is not None and worker.ease.weights is old


async def test_training_leaves_the_event_loop_free() -> None:
    worker = ease_worker(stream(users=3_000, jobs=1_800, clicks=60_000))
    gaps: list[float] = []
    task = worker.train()
    last = time.perf_counter()
    while not task.done():
        await asyncio.sleep(0.005)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
    assert await task is not None
    # The fit (about a second) ran in a thread: the loop kept ticking all along.
    assert len(gaps) > 10 and max(gaps) < 0.5
