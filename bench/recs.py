"""Recommendations: the engine in process, end to end through RabbitMQ, and implicit beside it.

    .venv/bin/python bench/recs.py --quick     # small sizes, a few minutes at most
    .venv/bin/python bench/recs.py             # the issue's sizes (1M clicks: several minutes)
    .venv/bin/python bench/recs.py --skip-e2e --skip-implicit

Engine (synthetic streams from bench/clickgen.py, the service's config: blend mode):
  rebuild   Recommender.from_arrays over the whole stream: seconds, memory_bytes(), and the
            tracemalloc peak and retained size of a second rebuild
  per click the model is rebuilt from the stream but its last clicks, which are then applied
            one at a time: apply_click p50/p99 (new pairs and repeats apart), and what the
            consumer does after each click, the top-40 re-rank, on a sample of them
  top-10    recommend(user, 10) for sampled users, blend and item modes, p50/p99
implicit (PyPI) CosineRecommender(K=20) on the same data: the same seeded 80/20 split per user
  (portal.recommend.evaluate), its full fit against our per-click refresh, and P@10 / NDCG@10
  side by side on the same sampled test users (full ranking over all items).
End to end: `portal init-db` in a temp data dir, jobs and users (with API tokens) made through
  the portal services, `portal serve --workers 1` (hypercorn.toml) and `portal consumer
  recommender`, both on a unique PORTAL_AMQP_PREFIX. Clicks go to POST /api/v1/clicks over
  keep-alive connections (bearer tokens, many users at once; 120 clicks a minute per user
  is the API's limit, so each user posts at most 100):
  probes    the probe users alone (below): the latency of an otherwise idle pipeline
  ceiling   a constant route (/_bench/bare) through the same middleware, as fast as the same
            load generator takes it: the requests/s no route can beat here (burst is quoted
            against it)
  burst     clicks as fast as the API takes them for up to a minute: API clicks/s, and clicks/s
            applied (until every user's stored list reflects their latest click)
  paced     clicks at a fixed rate (default 40% of the burst's applied rate) for 10-20 s
  drain     the consumer is stopped, a backlog of clicks is posted (and queued), then a new
            consumer starts: its rebuild time, and the clicks/s it applies the backlog at
            (the consumer alone, not limited by the API), with its CPU per click
  In burst and paced, probe users (not part of the load) each post one click at a time and wait for
  ``recommendations.updated`` on their own websocket (Authorization: Bearer): p50/p99.

Prints figures, asserts nothing. The machine is shared (2 cores here: server, consumer, broker
and this load generator all share them); run it more than once before quoting.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
import warnings
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from clickgen import generate
from common import (
    PORTAL,
    ROOT,
    free_port,
    machine_busy,
    percentile,
    pids_named,
    process_tree,
    stop_all,
    wait_for,
)
from common import cpu_seconds as common_cpu_seconds

from portal.recommend import ease, service
from portal.recommend.engine import Mode, Recommender, RecommenderConfig
from portal.recommend.evaluate import (
    Split,
    clicks_from_arrays,
    clicks_from_tuples,
    ranking_metrics,
    select_lambda,
    split_random,
)

SERVICE_CONFIG = RecommenderConfig(mode="blend")  # what RecommenderWorker runs
RERANK_K = 40  # the worker ranks TOP_K * 2 after each click
Clicks = list[tuple[int, int, float]]


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms"


def mib(n: float) -> str:
    return f"{n / 2**20:,.1f} MiB"


def p50_p99(values: Sequence[float], unit: Any = us) -> str:
    if not values:
        return "n/a"
    return f"p50 {unit(percentile(list(values), 50))}  p99 {unit(percentile(list(values), 99))}"


def arrays(rows: Clicks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    users = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    jobs = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    times = np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows))
    return users, jobs, times


# ------------------------------------------------------------------------------------ engine


@dataclass
class EngineFigures:
    apply_new: list[float] = field(default_factory=list)
    apply_repeat: list[float] = field(default_factory=list)
    rerank: list[float] = field(default_factory=list)


def engine_bench(
    label: str, users: int, jobs: int, n_clicks: int, *, suffix: int, sample: int
) -> tuple[Clicks, EngineFigures]:
    print(f"\n== engine: {label}: {users:,} users × {jobs:,} jobs × {n_clicks:,} clicks ==")
    started = time.perf_counter()
    rows = generate(users, jobs, n_clicks, seed=1)
    u, j, t = arrays(rows)
    print(f"stream generated in {time.perf_counter() - started:.1f} s")

    gc.collect()
    started = time.perf_counter()
    model = Recommender.from_arrays(u, j, t, SERVICE_CONFIG)
    rebuild = time.perf_counter() - started
    print(
        f"rebuild     {rebuild:.2f} s for {len(rows):,} clicks "
        f"({model.n_clicks:,} distinct pairs, {model.n_pairs:,} co-clicked job pairs)"
    )
    print(f"memory      memory_bytes() {mib(model.memory_bytes())}")
    del model
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    traced = Recommender.from_arrays(u, j, t, SERVICE_CONFIG)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"            tracemalloc: retained {mib(current - base)}, "
        f"peak during rebuild {mib(peak - base)}"
    )
    del traced
    gc.collect()

    # Per click, against a model that already holds the rest of the stream.
    cut = len(rows) - min(suffix, len(rows) // 2)
    model = Recommender.from_arrays(u[:cut], j[:cut], t[:cut], SERVICE_CONFIG)
    figures = EngineFigures()
    clock = time.perf_counter
    every = max(1, (len(rows) - cut) // 2000)  # ~2,000 re-ranks sampled
    for n in range(cut, len(rows)):
        user, job, at = rows[n]
        before = clock()
        fresh = model.apply_click(user, job, at, event_id=n)
        spent = clock() - before
        (figures.apply_new if fresh else figures.apply_repeat).append(spent)
        if n % every == 0:
            before = clock()
            model.recommend(user, k=RERANK_K)
            figures.rerank.append(clock() - before)
    print(
        f"per click   apply_click, new pair ({len(figures.apply_new):,}): "
        f"{p50_p99(figures.apply_new)}  max {us(max(figures.apply_new))}"
    )
    if figures.apply_repeat:
        print(
            f"            apply_click, repeated pair ({len(figures.apply_repeat):,}): "
            f"{p50_p99(figures.apply_repeat)}"
        )
    print(
        f"            the consumer's re-rank after a click, top-{RERANK_K} blend "
        f"({len(figures.rerank):,}): {p50_p99(figures.rerank)}"
    )

    rng = random.Random(7)
    people = rng.sample(sorted({r[0] for r in rows}), min(sample, users))
    modes: tuple[Mode, ...] = ("blend", "item")
    for mode in modes:
        top10: list[float] = []
        for person in people:
            before = clock()
            model.recommend(person, k=10, mode=mode)
            top10.append(clock() - before)
        print(f"top-10      {mode:5} ({len(people):,} users): {p50_p99(top10)}")
    return rows, figures


# ---------------------------------------------------------------------------------- implicit


def test_users(split: Split, max_users: int, seed: int) -> list[int]:
    users = sorted(split.test)
    if len(users) > max_users:
        rng = np.random.default_rng(seed)
        users = sorted(rng.choice(users, size=max_users, replace=False).tolist())
    return users


def implicit_bench(label: str, rows: Clicks, figures: EngineFigures, max_users: int) -> None:
    print(f"\n== implicit CosineRecommender vs ours: {label} ==")
    try:
        import implicit
        import scipy.sparse as sparse
        from implicit.nearest_neighbours import CosineRecommender
        from implicit.utils import ParameterWarning
    except ImportError as error:
        print(f"skipped: implicit is not installed ({error}); `.venv/bin/pip install implicit`")
        return
    log = clicks_from_tuples(rows)
    split = split_random(log, 0.2, seed=0)
    users = test_users(split, max_users, seed=0)
    train = split.train
    print(
        f"implicit {implicit.__version__}; random 80/20 split per user (seed 0): "
        f"{train.n_clicks:,} training clicks, {len(users):,} of {len(split.test):,} test users"
    )

    table: list[tuple[str, float, float, float, float]] = []
    started = time.perf_counter()
    ours = Recommender.from_arrays(train.users, train.items, train.times, SERVICE_CONFIG)
    our_fit = time.perf_counter() - started
    modes: tuple[Mode, ...] = ("popular", "item", "blend")
    for mode in modes:
        totals = {"precision": 0.0, "ndcg": 0.0}
        started = time.perf_counter()
        for user in users:
            ranked = [r.job for r in ours.recommend(user, 10, mode=mode)]
            for key, value in ranking_metrics(ranked, split.test[user], 10).items():
                if key in totals:
                    totals[key] += value
        table.append(
            (
                f"ours {mode}",
                totals["precision"] / len(users),
                totals["ndcg"] / len(users),
                our_fit,
                time.perf_counter() - started,
            )
        )

    matrix = sparse.csr_matrix(
        (np.ones(train.n_clicks, dtype=np.float32), (train.users, train.items)),
        shape=(log.n_users, log.n_items),
    )
    fits = []
    for _ in range(3):
        model = CosineRecommender(K=20)
        started = time.perf_counter()
        with warnings.catch_warnings():  # it converts its own intermediate COO to CSR
            warnings.simplefilter("ignore", ParameterWarning)
            model.fit(matrix, show_progress=False)
        fits.append(time.perf_counter() - started)
    fit = min(fits)
    started = time.perf_counter()
    ids, _scores = model.recommend(
        np.array(users), matrix[users], N=10, filter_already_liked_items=True
    )
    totals = {"precision": 0.0, "ndcg": 0.0}
    for user, row in zip(users, ids.tolist(), strict=True):
        ranked = [item for item in row if item >= 0]
        for key, value in ranking_metrics(ranked, split.test[user], 10).items():
            if key in totals:
                totals[key] += value
    table.append(
        (
            "implicit cosine K=20",
            totals["precision"] / len(users),
            totals["ndcg"] / len(users),
            fit,
            time.perf_counter() - started,
        )
    )
    print(f"{'algorithm':22} {'P@10':>7} {'NDCG@10':>8} {'fit s':>8} {'rank s':>8}")
    for name, precision, ndcg, fit_s, rank_s in table:
        print(f"{name:22} {precision:7.4f} {ndcg:8.4f} {fit_s:8.3f} {rank_s:8.2f}")

    apply50 = percentile(figures.apply_new, 50)
    apply99 = percentile(figures.apply_new, 99)
    refresh50 = apply50 + percentile(figures.rerank, 50)
    refresh99 = apply99 + percentile(figures.rerank, 99)
    print(
        f"implicit full refit {fit:.3f} s (best of 3, {os.cpu_count()} threads) vs one click here:"
    )
    print(
        f"  model update only  p50 {us(apply50)} → {fit / apply50:,.0f}×   "
        f"p99 {us(apply99)} → {fit / apply99:,.0f}×"
    )
    print(
        f"  update + re-rank   p50 {us(refresh50)} → {fit / refresh50:,.0f}×   "
        f"p99 {us(refresh99)} → {fit / refresh99:,.0f}×"
    )


# -------------------------------------------------------------------------------------- EASE


def batch_ease(train: Any, n_items: int, lam: float) -> np.ndarray:
    """EASE straight from the paper in float64 on a dense binary X: the bench's own reference."""
    x = np.zeros((train.n_users, n_items), dtype=np.float64)
    x[train.users, train.items] = 1.0
    gram = x.T @ x
    del x
    gram[np.diag_indices(n_items)] += lam
    p = np.linalg.inv(gram)
    b = -p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    return b


def implicit_rankers(train: Any, n_users: int, n_items: int) -> dict[str, Any]:
    """implicit's cosine, BM25 and ALS on the same training clicks, if it is installed."""
    try:
        import scipy.sparse as sparse
        from implicit.als import AlternatingLeastSquares
        from implicit.nearest_neighbours import BM25Recommender, CosineRecommender
        from implicit.utils import ParameterWarning
    except ImportError as error:
        print(f"implicit skipped: not installed ({error})")
        return {}
    matrix = sparse.csr_matrix(
        (np.ones(train.n_clicks, dtype=np.float32), (train.users, train.items)),
        shape=(n_users, n_items),
    )
    rankers: dict[str, Any] = {}
    with warnings.catch_warnings():  # its own COO→CSR conversions, its BLAS thread advice
        warnings.simplefilter("ignore", ParameterWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        models = {
            "implicit cosine K=20": CosineRecommender(K=20),
            "implicit BM25 K=100": BM25Recommender(K=100),
            "implicit ALS f=64": AlternatingLeastSquares(
                factors=64, regularization=0.05, alpha=10.0, iterations=15, random_state=0
            ),
        }
        for model in models.values():
            model.fit(matrix, show_progress=False)
    for name, model in models.items():

        def rank(user: int, k: int, model: Any = model) -> list[int]:
            ids, _scores = model.recommend(user, matrix[user], N=k)
            return [int(i) for i in ids if i >= 0]

        rankers[name] = rank
    return rankers


def ease_quality(label: str, rows: Clicks, max_users: int, lambdas: Sequence[float]) -> None:
    """One split, one run: blend, EASE as served (λ by validation), pruned, and a batch fit."""
    print(f"\n== EASE vs blend: {label} ==")
    log = clicks_from_tuples(rows)
    split = split_random(log, 0.2, seed=0)
    users = test_users(split, max_users, seed=0)
    train = split.train
    print(f"random 80/20 split per user (seed 0), {len(users):,} test users, λ grid {lambdas}")
    engine = Recommender.from_arrays(train.users, train.items, train.times, SERVICE_CONFIG)
    choice = select_lambda(train, lambdas)
    tried = ", ".join(f"{lam:g}: {v:.4f}" for lam, v in choice.scores.items())
    print(f"λ chosen {choice.lam:g} in {choice.seconds:.1f} s (validation NDCG@10 {tried})")
    dense = ease.train(engine, choice.lam, ease.EaseConfig(dense_jobs=10**9))
    pruned = ease.train(engine, choice.lam, ease.EaseConfig(dense_jobs=1))  # always pruned
    reference = batch_ease(train, log.n_items, choice.lam)
    seen = {u: set() for u in users}
    for u, i in zip(train.users.tolist(), train.items.tolist(), strict=True):
        if u in seen:
            seen[u].add(i)

    def batch_rank(user: int, k: int) -> list[int]:
        scores = reference[list(seen[user])].sum(axis=0)
        scores[list(seen[user])] = -np.inf
        top = np.argsort(-scores, kind="stable")[:k]
        return [int(i) for i in top if scores[i] > 0]

    served = ease.EaseRecommender(engine, dense)
    top = ease.EaseRecommender(engine, pruned)
    rankers: dict[str, Any] = {
        "blend (today)": lambda user, k: [r.job for r in engine.recommend(user, k)],
        f"ease dense λ={choice.lam:g}": lambda user, k: [r.job for r in served.recommend(user, k)],
        f"ease top-{ease.EaseConfig().top_k}": lambda user, k: [
            r.job for r in top.recommend(user, k)
        ],
        "batch EASE (bench, f64)": batch_rank,
        **implicit_rankers(train, log.n_users, log.n_items),
    }
    figures: dict[str, tuple[float, float]] = {}
    for name, rank in rankers.items():
        totals = {"precision": 0.0, "ndcg": 0.0}
        for user in users:
            for key, value in ranking_metrics(rank(user, 10), split.test[user], 10).items():
                if key in totals:
                    totals[key] += value
        figures[name] = (totals["precision"] / len(users), totals["ndcg"] / len(users))
    base_p, base_n = figures["blend (today)"]
    ref_p, ref_n = figures["batch EASE (bench, f64)"]
    print(f"{'algorithm':26} {'P@10':>7} {'NDCG@10':>8} {'vs blend':>17} {'vs batch':>17}")
    for name, (precision, ndcg) in figures.items():
        print(
            f"{name:26} {precision:7.4f} {ndcg:8.4f} "
            f"{precision / base_p - 1:+8.1%} {ndcg / base_n - 1:+8.1%} "
            f"{precision / ref_p - 1:+8.2%} {ndcg / ref_n - 1:+8.2%}"
        )
    best = max(
        (name for name in figures if name.startswith("implicit")),
        key=lambda name: figures[name][1],
        default=None,
    )
    if best is not None:
        print(f"implicit's best here: {best}")
    print(
        f"memory: dense {mib(dense.memory_bytes())}, top-{pruned.columns.shape[1]} "
        f"{mib(pruned.memory_bytes())}"
    )


def ease_cost(
    users: int,
    jobs: int,
    n_clicks: int,
    lam: float,
    samples: int,
    lambdas: Sequence[float] | None = None,
) -> None:
    """Training time and memory at the issue's size, and the per-click score refresh."""
    print(f"\n== EASE cost: {users:,} users × {jobs:,} jobs × {n_clicks:,} clicks, λ {lam:g} ==")
    rows = generate(users, jobs, n_clicks, seed=1)
    u, j, t = arrays(rows)
    del rows
    started = time.perf_counter()
    engine = Recommender.from_arrays(u, j, t, SERVICE_CONFIG)
    print(f"engine rebuild (the Gram matrix it keeps anyway) {time.perf_counter() - started:.1f} s")
    # What the consumer's scheduled training does: λ from the grid by validation, then the fit.
    if lambdas is not None:
        log = clicks_from_arrays(*engine.click_arrays())
        started = time.perf_counter()
        weights = service.train_ease(engine.gram_entries(), log, lambdas, ease.EaseConfig())
        print(
            f"scheduled training, λ grid {list(lambdas)} → {weights.lam:g}: "
            f"{time.perf_counter() - started:.1f} s in all"
        )
        del weights, log
    for number, config in enumerate(
        (ease.EaseConfig(dense_jobs=10**9), ease.EaseConfig(dense_jobs=1))
    ):
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        weights = ease.train(engine, lam, config)
        spent = time.perf_counter() - started
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        kind = "dense" if not weights.pruned else f"top-{config.top_k}"
        print(
            f"train {kind:8} {spent:5.1f} s ({os.cpu_count()} CPUs)  model "
            f"{mib(weights.memory_bytes())}  retained {mib(current - base)}  "
            f"peak during training {mib(peak - base)}"
        )
        model = ease.EaseRecommender(engine, weights, config)
        rng = np.random.default_rng(5 + number)  # other clicks than the last model's
        people = rng.choice(np.unique(u), size=samples, replace=False).tolist()
        job_ids = engine.job_ids.copy()
        refresh: list[float] = []
        rank: list[float] = []
        clock = time.perf_counter
        for n, person in enumerate(people):
            index = engine.user_index(person)
            assert index is not None
            model.user_scores(index)  # the user's vector is live before their click
            job = int(job_ids[rng.integers(job_ids.shape[0])])
            before = clock()
            model.apply_click(person, job, 2e9 + n, event_id=10**9 + number * samples + n)
            refresh.append(clock() - before)
            before = clock()
            model.recommend(person, RERANK_K)
            rank.append(clock() - before)
        print(f"  per click: apply + score refresh {p50_p99(refresh)}")
        print(f"             re-rank top-{RERANK_K} {p50_p99(rank)}")
        del model, weights
        gc.collect()


# ------------------------------------------------------------------------------- end to end


def cpu_seconds(pid: int | str) -> float:
    """CPU seconds of a process and its children, or of every process with this name now."""
    return common_cpu_seconds(process_tree(pid) if isinstance(pid, int) else pids_named(pid))


class Http:
    """One keep-alive HTTP/1.1 connection (httpx/aiohttp are not dependencies here)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, body: dict[str, Any], token: str) -> int:
        return await self.send("POST", path, json.dumps(body).encode(), token)

    async def send(self, method: str, path: str, payload: bytes = b"", token: str = "") -> int:
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n{auth}"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        ).encode()
        for attempt in range(2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            assert self.reader is not None
            try:
                self.writer.write(head + payload)
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionError("closed")
                length, close = 0, False
                while (line := await self.reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                    elif name.lower() == "connection" and "close" in value.lower():
                        close = True
                await self.reader.readexactly(length)
                if close:
                    await self.close()
                return int(status_line.split()[1])
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None


@dataclass
class Person:
    id: int
    token: str
    clicks: list[int] = field(default_factory=list)  # job ids, in order


async def make_site(
    database_url: str, n_jobs: int, n_people: int
) -> tuple[list[int], list[Person]]:
    """Jobs and users with API tokens, through the portal services."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from portal.accounts import service as accounts
    from portal.accounts.models import Role
    from portal.db import make_engine
    from portal.jobs import service as jobs_service
    from portal.jobs.models import Category
    from portal.jobs.schemas import JobData

    categories = list(Category)
    engine = make_engine(database_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            admin = await accounts.register_user(
                session,
                nickname="Bench admin",
                password=secrets.token_urlsafe(16),
                username="benchadmin",
                role=Role.ADMIN,
            )
            job_ids = []
            for n in range(n_jobs):
                data = JobData.model_validate(
                    {
                        "title": f"Bench job {n + 1}",
                        "content": f"Synthetic job number {n + 1}.",
                        "category": categories[n % len(categories)].value,
                        "status": "published",
                        "apply_email": "jobs@example.com",
                    }
                )
                job_ids.append((await jobs_service.create_job(session, admin, data)).id)
            people = []
            for n in range(n_people):
                user = await accounts.register_user(
                    session,
                    nickname=f"Bench {n}",
                    password=secrets.token_urlsafe(16),
                    username=f"bench{n}",
                )
                _token, raw = await accounts.create_token(
                    session, user, name="bench", expires_in_days=None
                )
                people.append(Person(user.id, raw))
    finally:
        await engine.dispose()
    return job_ids, people


def assign_clicks(people: list[Person], job_ids: list[int], clicks: int, seed: int) -> int:
    """A clickgen stream over these people and jobs, at most 100 clicks a person."""
    for person in people:
        person.clicks.clear()
    for user, job, _at in generate(len(people), len(job_ids), clicks, seed=seed):
        person = people[user - 1]
        if len(person.clicks) < 100:
            person.clicks.append(job_ids[job - 1])
    return sum(len(p.clicks) for p in people)


class Probe:
    """A user who clicks one job at a time and times the update on their own websocket."""

    def __init__(self, person: Person, ws_url: str, job_ids: list[int], seed: int) -> None:
        self.person = person
        self.ws_url = ws_url
        self.job_ids = job_ids
        self.rng = random.Random(seed)
        self.latencies: list[float] = []
        self.posts: list[float] = []  # the POST alone (its share of the latency)
        self.timeouts = 0
        self.accepted = 0
        self.updates: asyncio.Queue[tuple[float, list[int]]] = asyncio.Queue()

    async def run(self, port: int, stop: asyncio.Event) -> None:
        import websockets

        http = Http(port)
        headers = {"Authorization": f"Bearer {self.person.token}"}
        async with websockets.connect(self.ws_url, additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "subscribe", "channel": "me"}))
            reader = asyncio.create_task(self._read(ws))
            try:
                while not stop.is_set():
                    await self._one(http)
                    await asyncio.sleep(self.rng.uniform(0.25, 0.75))
            finally:
                reader.cancel()
                await http.close()

    async def _read(self, ws: Any) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            for message in frame["messages"] if frame["type"] == "batch" else [frame]:
                if message.get("event") == "recommendations.updated":
                    items = [item["job_id"] for item in message["data"]["items"]]
                    self.updates.put_nowait((time.perf_counter(), items))

    async def _one(self, http: Http) -> None:
        job = self.rng.choice(self.job_ids)
        while not self.updates.empty():
            self.updates.get_nowait()
        sent = time.perf_counter()
        status = await http.post_json("/api/v1/clicks", {"job_id": job}, self.person.token)
        if status != 201:
            await asyncio.sleep(1)
            return
        self.posts.append(time.perf_counter() - sent)
        self.accepted += 1
        try:
            async with asyncio.timeout(10):
                while True:
                    at, items = await self.updates.get()
                    if job not in items:  # a list ranked after this click leaves the job out
                        self.latencies.append(at - sent)
                        return
        except TimeoutError:
            self.timeouts += 1


async def post_all(
    port: int, people: list[Person], concurrency: int, rate: float | None, seconds: float
) -> tuple[int, dict[int, int], float]:
    """Every person's clicks in order (one person at a time per connection), for at most
    ``seconds``; at ``rate`` clicks/s overall when given. Returns (sent, statuses, seconds)."""
    statuses: dict[int, int] = defaultdict(int)
    queue: asyncio.Queue[Person] = asyncio.Queue()
    for person in people:
        queue.put_nowait(person)
    started = time.perf_counter()
    sent = 0

    async def lane() -> None:
        nonlocal sent
        http = Http(port)
        try:
            while not queue.empty():
                person = queue.get_nowait()
                for job in person.clicks:
                    if time.perf_counter() - started > seconds:
                        return
                    if rate is not None:
                        due = started + sent / rate
                        sent += 1
                        if (wait := due - time.perf_counter()) > 0:
                            await asyncio.sleep(wait)
                    else:
                        sent += 1
                    status = await http.post_json("/api/v1/clicks", {"job_id": job}, person.token)
                    statuses[status] += 1
        finally:
            await http.close()

    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return sent, dict(statuses), time.perf_counter() - started


class Database:
    """The bench's own look at the portal's database (SQLite or PostgreSQL)."""

    def __init__(self, url: str) -> None:
        from portal.db import make_engine

        self.url = url
        self.engine = make_engine(url)

    async def touch_tokens(self) -> None:
        """Mark every API token used just now, as in steady use (within SEEN_RESOLUTION).

        A token's first use in five minutes writes its last_used_at inside the request's read
        transaction; on SQLite, under this load, that fails with "database is locked" and the
        request with a 500 (a bug of portal.accounts.service.resolve_token, reported). Warm
        tokens keep that out of the recommender's figures.
        """
        from sqlalchemy import update

        from portal.accounts.models import ApiToken

        async with self.engine.begin() as connection:
            await connection.execute(update(ApiToken).values(last_used_at=datetime.now(UTC)))

    async def updates_written(self) -> int:
        from sqlalchemy import func, select

        from portal.events.models import Event

        async with self.engine.connect() as connection:
            query = select(func.count()).where(Event.type == "recommendations.updated")
            return int((await connection.execute(query)).scalar_one())

    async def store_lags(self, after_event: int) -> list[float]:
        """Seconds from each click's row to the consumer's stored list that reflects it (for
        updates after event id ``after_event``): the queue and consumer's share of latency."""
        from sqlalchemy import select

        from portal.events.models import Event
        from portal.recommend.models import Click

        async with self.engine.connect() as connection:
            updates = (
                await connection.execute(
                    select(Event.data, Event.created_at).where(
                        Event.type == "recommendations.updated", Event.id > after_event
                    )
                )
            ).all()
            ids = {u.data.get("click_id") for u in updates} - {None}
            clicked = dict(
                (
                    await connection.execute(
                        select(Click.id, Click.created_at).where(Click.id.in_(ids))
                    )
                ).all()
            )
        return [
            (u.created_at - clicked[u.data["click_id"]]).total_seconds()
            for u in updates
            if u.data.get("click_id") in clicked
        ]

    async def last_event_id(self) -> int:
        from sqlalchemy import func, select

        from portal.events.models import Event

        async with self.engine.connect() as connection:
            return int((await connection.execute(select(func.max(Event.id)))).scalar() or 0)

    async def pending_users(self) -> int:
        """Users whose stored list does not yet reflect their latest click."""
        from sqlalchemy import func, or_, select

        from portal.recommend.models import Click, StoredRecommendations

        latest = (
            select(Click.user_id, func.max(Click.id).label("last"))
            .group_by(Click.user_id)
            .subquery()
        )
        query = (
            select(func.count())
            .select_from(latest)
            .outerjoin(StoredRecommendations, StoredRecommendations.user_id == latest.c.user_id)
            .where(
                or_(
                    StoredRecommendations.last_click_id.is_(None),
                    StoredRecommendations.last_click_id < latest.c.last,
                )
            )
        )
        async with self.engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def wait_applied(self, within: float) -> float | None:
        """The perf_counter time at which every click was applied (None on timeout)."""
        deadline = time.perf_counter() + within
        while time.perf_counter() < deadline:
            if await self.pending_users() == 0:
                return time.perf_counter()
            await asyncio.sleep(0.1)
        return None

    async def close(self) -> None:
        await self.engine.dispose()


@contextlib.asynccontextmanager
async def fresh_database(admin_url: str | None, tmp: Path) -> AsyncIterator[str]:
    """A new SQLite file in ``tmp``, or a new PostgreSQL database beside ``admin_url``'s
    (dropped afterwards); yields its SQLAlchemy URL."""
    if admin_url is None:
        yield f"sqlite+aiosqlite:///{tmp / 'portal.db'}"
        return
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from portal.db import make_engine

    admin = make_url(admin_url).set(drivername="postgresql+asyncpg")
    name = f"portal_bench_{uuid.uuid4().hex[:10]}"

    async def run(statement: str) -> None:
        engine = make_engine(
            admin.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
        )
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    await run(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        await run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def queue_counts(amqp_url: str, queue: str) -> tuple[int, int]:
    """``(messages ready, consumers)`` of the queue (``(0, 0)`` if it does not exist)."""
    import aio_pika

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        try:
            declared = await channel.declare_queue(queue, passive=True)
        except aio_pika.exceptions.ChannelClosed:
            return 0, 0
        result = declared.declaration_result
        return int(result.message_count or 0), int(result.consumer_count or 0)


async def queue_consumers(amqp_url: str, queue: str) -> int:
    return (await queue_counts(amqp_url, queue))[1]


async def queue_depth(amqp_url: str, queue: str) -> int:
    """Messages ready in the queue (0 if it does not exist)."""
    return (await queue_counts(amqp_url, queue))[0]


async def ceiling_phase(
    port: int, concurrency: int, seconds: float, pids: dict[str, int | str]
) -> float:
    """A constant route (``/_bench/bare``, through the same middleware) as fast as the same
    load generator can take it: the most any route gets from this server and machine."""
    cpu_before = cpu_seconds(pids["serve"])
    started = time.perf_counter()
    done = 0

    async def lane() -> None:
        nonlocal done
        http = Http(port)
        try:
            while time.perf_counter() - started < seconds:
                await http.send("GET", "/_bench/bare")
                done += 1
        finally:
            await http.close()

    await asyncio.gather(*(lane() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    cpu = cpu_seconds(pids["serve"]) - cpu_before
    rate = done / wall
    print(
        f"-- ceiling: GET /_bench/bare (a constant route, same middleware and load generator), "
        f"{concurrency} connections: {rate:,.0f} requests/s; serve CPU "
        f"{cpu / max(done, 1) * 1e3:.2f} ms/request"
    )
    return rate


async def drain_phase(
    args: argparse.Namespace,
    env: dict[str, str],
    tmp: Path,
    prefix: str,
    port: int,
    db: Database,
    consumer: subprocess.Popen[bytes],
    load: list[Person],
) -> subprocess.Popen[bytes]:
    """Stop the consumer, queue a backlog through the API, start a new consumer and time how
    fast it works the backlog off; returns the new consumer process."""
    queue = f"{prefix}.clicks"
    await asyncio.to_thread(stop_all, [consumer])
    while True:  # the broker notices the old consumer gone
        if await queue_consumers(args.amqp_url, queue) == 0:
            break
        await asyncio.sleep(0.2)
    await db.touch_tokens()
    _sent, statuses, posting = await post_all(port, load, args.concurrency, None, 120.0)
    accepted = statuses.get(201, 0)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the web's publisher (or relay) may still be sending
        if await queue_depth(args.amqp_url, queue) >= accepted:
            break
        await asyncio.sleep(0.2)
    queued = await queue_depth(args.amqp_url, queue)
    spawned = time.perf_counter()
    fresh = spawn([PORTAL, "consumer", "recommender"], env, cwd=ROOT, log=tmp / "consumer-2.log")
    while await queue_consumers(args.amqp_url, queue) < 1:
        if fresh.poll() is not None:
            raise RuntimeError(f"the second consumer did not start; see {tmp} (--keep)")
        await asyncio.sleep(0.05)
    started = time.perf_counter()
    cpu_before = cpu_seconds(fresh.pid)
    applied_at = await db.wait_applied(within=max(60.0, accepted / 50))
    cpu = cpu_seconds(fresh.pid) - cpu_before
    print(
        f"-- drain: {accepted:,} clicks posted ({accepted / posting:,.0f}/s) while no consumer ran"
    )
    print(
        f"   {queued:,} waiting in {queue}; a new consumer rebuilt and subscribed in "
        f"{started - spawned:.1f} s"
    )
    if applied_at is None:
        print("   the consumer did not catch up within the timeout")
    else:
        wall = applied_at - started
        print(
            f"   backlog applied at {accepted / wall:,.0f} clicks/s ({wall:.1f} s); consumer CPU "
            f"{cpu:.1f} s ({cpu / max(accepted, 1) * 1e3:.2f} ms/click)"
        )
    return fresh


async def delete_broker_objects(amqp_url: str, prefix: str) -> None:
    import aio_pika

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.exchange_delete(f"{prefix}.events")
        channel = await connection.channel()
        await channel.queue_delete(f"{prefix}.clicks")


async def run_phase(
    name: str,
    port: int,
    db: Database,
    load: list[Person],
    probes: list[Probe],
    *,
    concurrency: int,
    rate: float | None,
    seconds: float,
    pids: dict[str, int | str],
) -> float:
    """One load phase with the probes running beside it; returns clicks/s applied."""
    for probe in probes:
        probe.latencies.clear()
        probe.posts.clear()
        probe.timeouts = probe.accepted = 0
    await db.touch_tokens()
    before_updates = await db.updates_written()
    first_event = await db.last_event_id()
    cpu_before = {k: cpu_seconds(v) for k, v in pids.items()}
    cpu_before["machine"] = machine_busy()
    stop = asyncio.Event()
    probe_tasks = [asyncio.create_task(p.run(port, stop)) for p in probes]
    await asyncio.sleep(0.5)
    started = time.perf_counter()
    if load:
        sent, statuses, posting = await post_all(port, load, concurrency, rate, seconds)
    else:  # the probes alone
        await asyncio.sleep(seconds)
        sent, statuses, posting = 0, {}, seconds
    stop.set()
    await asyncio.gather(*probe_tasks, return_exceptions=True)
    accepted = statuses.get(201, 0)
    applied_at = await db.wait_applied(within=max(60.0, 4 * posting))
    cpu = {k: cpu_seconds(v) - cpu_before[k] for k, v in pids.items()}
    cpu["machine"] = machine_busy() - cpu_before["machine"]
    updates = await db.updates_written() - before_updates
    clicks = accepted + sum(p.accepted for p in probes)
    latencies = [x for p in probes for x in p.latencies]
    posts = [x for p in probes for x in p.posts]
    timeouts = sum(p.timeouts for p in probes)
    label = "as fast as it takes" if rate is None else f"paced at {rate:,.0f} clicks/s"
    if not load:
        label = "no other load"
    label += f", for at most {seconds:.0f} s"
    if load:
        print(f"-- {name}: {sent:,} clicks, {concurrency} connections, {label}")
    else:
        print(f"-- {name}: the probe users alone for {seconds:.0f} s")
    if statuses:
        print(f"   statuses {dict(sorted(statuses.items()))}")
    if load:
        print(f"   API accepted {accepted / posting:,.0f} clicks/s ({posting:.1f} s)")
    sustained = 0.0
    if applied_at is None:
        print("   the consumer did not catch up within the timeout")
    else:
        wall = applied_at - started
        sustained = clicks / wall
        print(
            f"   applied {sustained:,.0f} clicks/s sustained ({clicks:,} with the probes' in "
            f"{wall:.1f} s; every user's stored list current {applied_at - started - posting:.1f}"
            " s after the last post)"
        )
    print(
        f"   {updates:,} recommendations.updated written for {clicks:,} clicks "
        f"({updates - clicks:+,}: fewer when a user's clicks share a consumer batch, more "
        "when redeliveries and outbox re-sends are applied again)"
    )
    print(
        f"   click → recommendations.updated on the user's socket ({len(latencies):,} probe "
        f"clicks from {len(probes)} users, {timeouts} timed out): {p50_p99(latencies, ms)}"
    )
    print(f"   of which the POST itself (until its 201): {p50_p99(posts, ms)}")
    lags = await db.store_lags(first_event)
    print(
        f"   click row → the consumer's stored list reflecting it (every user, "
        f"{len(lags):,} lists): {p50_p99(lags, ms)}"
    )
    print(
        "   CPU seconds: "
        + ", ".join(
            f"{k} {v:.1f} ({v / max(clicks, 1) * 1e3:.1f} ms/click)" for k, v in cpu.items()
        )
    )
    return sustained


def spawn(
    command: list[str], env: dict[str, str], *, cwd: Path, log: Path
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


async def e2e_bench(args: argparse.Namespace) -> None:
    print("\n== end to end: API → RabbitMQ → consumer → websocket ==")
    tmp = Path(tempfile.mkdtemp(prefix="portal-recs-bench-"))
    prefix = f"bench-recs-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_ENV="production",
        PORTAL_DATA_DIR=str(tmp),
        PORTAL_SECRET_KEY=uuid.uuid4().hex * 2,
        PORTAL_AMQP_URL=args.amqp_url,
        PORTAL_AMQP_PREFIX=prefix,
        PORTAL_BENCH_ROUTES="true",
    )
    try:
        async with fresh_database(args.postgres, tmp) as url:
            env["PORTAL_DATABASE_URL"] = url
            await e2e_run(args, env, url, tmp, prefix)
    finally:
        with contextlib.suppress(Exception):
            await delete_broker_objects(args.amqp_url, prefix)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


async def e2e_run(
    args: argparse.Namespace, env: dict[str, str], url: str, tmp: Path, prefix: str
) -> None:
    burst_clicks = 4_000 if args.quick else 20_000
    burst_seconds = 30.0 if args.quick else 60.0
    paced_seconds = 10.0 if args.quick else 20.0
    paced_rate = args.rate
    n_jobs = 300 if args.quick else 1_000
    n_probes = 8
    drain_clicks = 3_000 if args.quick else 10_000
    burst_people = math.ceil(burst_clicks / 80)
    paced_people = math.ceil((paced_rate or 1_000) * paced_seconds / 80)
    drain_people = math.ceil(drain_clicks / 80)
    await asyncio.to_thread(
        subprocess.run, [PORTAL, "init-db"], env=env, check=True, capture_output=True
    )
    started = time.perf_counter()
    job_ids, people = await make_site(
        url, n_jobs, burst_people + paced_people + n_probes + drain_people
    )
    backend = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    print(
        f"set-up: {len(job_ids):,} jobs, {len(people):,} users with tokens "
        f"({time.perf_counter() - started:.1f} s); {backend}; logs in {tmp}"
    )
    burst, paced, probe_people, drain = (
        people[:burst_people],
        people[burst_people : burst_people + paced_people],
        people[burst_people + paced_people : burst_people + paced_people + n_probes],
        people[burst_people + paced_people + n_probes :],
    )
    db = Database(url)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        port = free_port()
        serve = spawn(
            [PORTAL, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            env,
            cwd=ROOT,  # hypercorn.toml
            log=tmp / "serve.log",
        )
        processes.append(serve)
        consumer = spawn(
            [PORTAL, "consumer", "recommender"], env, cwd=ROOT, log=tmp / "consumer.log"
        )
        processes.append(consumer)
        await asyncio.to_thread(wait_for, f"http://127.0.0.1:{port}/", 60)
        deadline = time.monotonic() + 60
        while await queue_consumers(args.amqp_url, f"{prefix}.clicks") < 1:
            if time.monotonic() > deadline or consumer.poll() is not None:
                raise RuntimeError(f"the consumer did not start; see {tmp} (--keep)")
            await asyncio.sleep(0.2)
        await asyncio.sleep(6)  # the web's outbox relay sends the jobs' creation events first
        pids: dict[str, int | str] = {
            "serve": serve.pid,
            "consumer": consumer.pid,
            "broker": "beam.smp",
        }
        if not url.startswith("sqlite"):
            pids["postgres"] = "postgres"  # its backends come and go: looked up each time
        ws_url = f"ws://127.0.0.1:{port}/ws"
        probes = [Probe(p, ws_url, job_ids, seed=n) for n, p in enumerate(probe_people)]

        await run_phase(
            "probes",
            port,
            db,
            [],
            probes,
            concurrency=0,
            rate=None,
            seconds=10.0,
            pids=pids,
        )
        ceiling = await ceiling_phase(port, args.concurrency, 10.0, pids)
        assign_clicks(burst, job_ids, burst_clicks, seed=11)
        sustained = await run_phase(
            "burst",
            port,
            db,
            burst,
            probes,
            concurrency=args.concurrency,
            rate=None,
            seconds=burst_seconds,
            pids=pids,
        )
        print(f"   = {sustained / ceiling:.0%} of the constant route's requests/s")
        if paced_rate is None:
            paced_rate = max(20.0, round(sustained * 0.4, -1))
        assign_clicks(paced, job_ids, int(paced_rate * paced_seconds), seed=12)
        await run_phase(
            "paced",
            port,
            db,
            paced,
            probes,
            concurrency=args.concurrency,
            rate=paced_rate,
            seconds=paced_seconds,
            pids=pids,
        )
        if not args.skip_drain:
            assign_clicks(drain, job_ids, drain_clicks, seed=13)
            processes.remove(consumer)
            consumer = await drain_phase(args, env, tmp, prefix, port, db, consumer, drain)
            processes.append(consumer)
        for name, log in (
            ("serve", "serve.log"),
            ("consumer", "consumer.log"),
            ("consumer", "consumer-2.log"),
        ):
            if not (tmp / log).exists():
                continue
            text = (tmp / log).read_text(errors="replace")
            problems = text.count("Traceback") + text.count(" ERROR ")
            if problems:
                print(f"   note: {name} logged {problems} errors/tracebacks ({tmp / log})")
    finally:
        await asyncio.to_thread(stop_all, processes)
        await db.close()


# -------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--skip-engine", action="store_true")
    parser.add_argument("--skip-implicit", action="store_true")
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--skip-ease", action="store_true")
    parser.add_argument("--ease-only", action="store_true", help="only the EASE sections")
    parser.add_argument(
        "--skip-selection",
        action="store_true",
        help="no timing of a whole scheduled training (λ grid + fit) at the cost size",
    )
    parser.add_argument(
        "--lambdas",
        default="50,200,500,1000",
        help="EASE λ grid (comma-separated), chosen from by validation",
    )
    parser.add_argument("--skip-drain", action="store_true", help="no backlog phase")
    parser.add_argument(
        "--amqp-url",
        default=os.environ.get("PORTAL_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
    )
    parser.add_argument("--concurrency", type=int, default=32, help="HTTP connections")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="paced phase, clicks/s (default: 40%% of the burst's)",
    )
    parser.add_argument("--eval-users", type=int, default=5_000, help="test users sampled")
    parser.add_argument("--keep", action="store_true", help="keep the e2e data dir and logs")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=None,
        help="end to end on a fresh PostgreSQL database made beside this one (default: SQLite)",
    )
    args = parser.parse_args(argv)

    sizes = (
        [("small", 2_000, 300, 20_000), ("10k", 10_000, 1_000, 100_000)]
        if args.quick
        else [("10k", 10_000, 1_000, 100_000), ("100k", 100_000, 10_000, 1_000_000)]
    )
    print(f"numpy {np.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if not args.skip_ease:
        lambdas = [float(x) for x in args.lambdas.split(",")]
        quality = (2_000, 300, 20_000) if args.quick else (10_000, 1_000, 100_000)
        ease_quality(
            f"{quality[0]:,} users × {quality[1]:,} jobs × {quality[2]:,} clicks",
            generate(*quality, seed=1),
            args.eval_users,
            lambdas,
        )
        cost = (20_000, 2_000, 200_000) if args.quick else (100_000, 10_000, 1_000_000)
        ease_cost(
            *cost,
            lam=500.0,
            samples=500 if args.quick else 2_000,
            lambdas=None if args.skip_selection else lambdas,
        )
        if args.ease_only:
            return 0
    if not args.skip_engine or not args.skip_implicit:
        for label, users, jobs, n_clicks in sizes:
            rows, figures = engine_bench(
                label,
                users,
                jobs,
                n_clicks,
                suffix=5_000 if args.quick else 20_000,
                sample=1_000 if args.quick else 2_000,
            )
            if not args.skip_implicit:
                implicit_bench(label, rows, figures, args.eval_users)
            del rows
            gc.collect()
    if not args.skip_e2e:
        asyncio.run(e2e_bench(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
