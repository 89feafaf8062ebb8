"""The studio's side of the recommender consumer: its figures, its commands, its tasks.

It lives beside the ``RecommenderWorker`` (which holds the model) and:
- every ``STATS_SECONDS`` publishes ``recs.stats`` on the ``recs`` channel (clicks per
  minute, lists stored, queue depth, click → stored-list lag, the model's size), and takes
  the persisted serving choice, so every consumer converges on it;
- takes the studio's commands from the ``recs`` work queue: a new serving algorithm (then
  every stored list is ranked again, in the background), or a task to run;
- runs tasks (an evaluation with ``portal.recommend.evaluate``, the code of ``portal recs
  evaluate``; an EASE training) off the event loop, reporting progress as it goes. A task is a
  row (``recs_tasks``): one whose consumer died is taken again once its heartbeat is stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections.abc import Awaitable
from datetime import timedelta
from functools import partial
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.db import utcnow
from portal.events.bus import Bus
from portal.recommend import studio
from portal.recommend.ease import EaseConfig
from portal.recommend.evaluate import ALGORITHMS as EVALUATED
from portal.recommend.evaluate import (
    PROTOCOLS,
    ClickLog,
    Protocol,
    clicks_from_arrays,
    evaluate,
)
from portal.recommend.models import Click
from portal.recommend.service import RecommenderWorker

log = logging.getLogger(__name__)

STATS_SECONDS = 2.0
# Figures are published when something happened, and at least this often when nothing did.
QUIET_SECONDS = 30.0
# A running task whose heartbeat is older than this lost its consumer: another takes it.
STALE_SECONDS = 20.0
# Progress is written at most this often, and the heartbeat at least this often.
REPORT_SECONDS = 0.5
HEARTBEAT_SECONDS = 5.0
# Figures whose change is news even without clicks (a rebuild, a training, a switch).
STATE_KEYS = ("algorithm", "users", "jobs", "clicks_total", "rebuilt_at", "trained_at")
# Users each algorithm is scored on per protocol (a sample past it, as ``--max-users``).
EVALUATION_USERS = 5000


def _evaluate_one(
    log_: ClickLog,
    protocol: Protocol,
    name: str,
    lambdas: tuple[float, ...],
    ease_config: EaseConfig,
) -> dict[str, Any]:
    """One algorithm on one protocol, as ``portal recs evaluate`` scores it (in a thread)."""
    return evaluate(
        log_,
        protocol,
        algorithms=[name],
        max_users=EVALUATION_USERS,
        source="site",
        lambdas=lambdas,
        ease_config=ease_config,
    ).to_dict()


class Studio:
    def __init__(
        self,
        worker: RecommenderWorker,
        sessionmaker: async_sessionmaker[AsyncSession],
        bus: Bus,
        *,
        clicks_queue: str,
        default_algorithm: str,
    ) -> None:
        self.worker = worker
        self.sessionmaker = sessionmaker
        self.bus = bus
        self.clicks_queue = clicks_queue
        self.default_algorithm = default_algorithm
        self.owner = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._ticker: asyncio.Task[None] | None = None
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._refresh: asyncio.Task[int] | None = None
        # An idle start publishes nothing for QUIET_SECONDS (tests and quiet sites write
        # nothing in the background); a click or a change of the model's size does at once.
        self._last_published = time.monotonic()
        self._last_state: tuple[Any, ...] | None = None

    async def start(self) -> None:
        """Serve the persisted choice, take orphaned tasks, and start the ticks."""
        await self.converge()
        await self.sweep()
        self._ticker = asyncio.create_task(self._tick_forever())

    async def stop(self) -> None:
        pending = [t for t in (self._ticker, self._refresh, *self._tasks.values()) if t]
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # ------------------------------------------------------------------------ commands

    async def handle(self, body: dict[str, Any]) -> None:
        """One command from the ``recs`` work queue (acked once taken: the work is a row)."""
        kind = body.get("kind")
        if kind == "algorithm":
            algorithm = body.get("algorithm")
            if isinstance(algorithm, str):
                await self.serve(algorithm)
        elif kind == "task" and isinstance(body.get("task_id"), int):
            self.schedule(body["task_id"])
        else:
            log.warning("dropping a malformed studio command: %r", body)

    async def serve(self, algorithm: str) -> None:
        """Switch to ``algorithm``; when that changed anything, refresh every stored list."""
        try:
            changed = self.worker.set_algorithm(algorithm)
        except ValueError:
            log.warning("ignoring an unknown algorithm %r", algorithm)
            return
        if changed:
            if self._refresh is not None and not self._refresh.done():
                self._refresh.cancel()
            self._refresh = asyncio.create_task(self.worker.refresh_all())

    async def converge(self) -> None:
        """Serve what is persisted (a command may have gone to another consumer)."""
        async with self.sessionmaker() as session:
            chosen = await studio.serving_algorithm(session, self.default_algorithm)
        await self.serve(chosen)

    def schedule(self, task_id: int) -> None:
        if task_id in self._tasks:
            return
        task = asyncio.create_task(self._run(task_id))
        self._tasks[task_id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(task_id, None))

    async def sweep(self) -> None:
        """Take the tasks nobody works on (their consumer died, or their command was lost)."""
        stale = utcnow() - timedelta(seconds=STALE_SECONDS)
        async with self.sessionmaker() as session:
            ids = await studio.orphaned_tasks(session, stale)
        for task_id in ids:
            self.schedule(task_id)

    # --------------------------------------------------------------------------- figures

    async def figures(self) -> dict[str, Any]:
        """This tick's figures: the counters since the last tick and the model's size."""
        worker = self.worker
        model = worker.model
        weights = worker.weights
        figures = worker.counters.snapshot(time.monotonic())
        figures.update(
            at=time.time(),
            algorithm=worker.algorithm,
            queue_depth=await self.bus.queue_depth(self.clicks_queue),
            users=model.n_users,
            jobs=model.n_jobs,
            clicks_total=model.n_clicks,
            pairs=model.n_pairs,
            memory_bytes=model.memory_bytes(),
            ease_jobs=weights.n_jobs if weights else None,
            ease_memory_bytes=weights.memory_bytes() if weights else None,
            ease_lambda=weights.lam if weights else None,
            rebuilt_at=worker.rebuilt_at,
            trained_at=worker.trained_at,
        )
        return figures

    async def tick(self) -> None:
        figures = await self.figures()
        now = time.monotonic()
        state = tuple(figures[key] for key in STATE_KEYS)
        changed = self._last_state is not None and state != self._last_state
        self._last_state = state
        busy = figures["clicks"] or figures["queue_depth"]
        if busy or changed or now - self._last_published >= QUIET_SECONDS:
            async with self.sessionmaker() as session:
                await studio.publish_stats(session, figures)
            self._last_published = now

    async def _tick_forever(self) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(STATS_SECONDS)
            ticks += 1
            try:
                await self.tick()
                await self.converge()
                if ticks % 5 == 0:
                    await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("studio tick failed")

    # ----------------------------------------------------------------------------- tasks

    async def _run(self, task_id: int) -> None:
        stale = utcnow() - timedelta(seconds=STALE_SECONDS)
        async with self.sessionmaker() as session:
            task = await studio.claim_task(session, task_id, self.owner, stale)
        if task is None:
            return  # another consumer has it, or it is finished
        kind = task.kind
        log.info("studio task %d (%s) started", task_id, kind)
        try:
            await self._report(task_id, progress=0.0, step="")  # "running", on every page
            if kind == "evaluate":
                await self._evaluate(task_id)
            elif kind == "train":
                await self._train(task_id)
            else:
                await self._report(task_id, status="failed", progress=0, step="", error="unknown")
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.exception("studio task %d failed", task_id)
            await self._report(task_id, status="failed", progress=0, step="", error=str(error))

    async def _report(self, task_id: int, **values: Any) -> bool:
        async with self.sessionmaker() as session:
            return await studio.report_task(session, task_id, self.owner, **values)

    async def _with_progress(
        self, task_id: int, work: Awaitable[Any], state: dict[str, Any]
    ) -> Any:
        """Await ``work`` while writing ``state`` (progress, step: set from any thread) as it
        changes, and a heartbeat, until it is done."""
        future = asyncio.ensure_future(work)
        sent: tuple[float, str] | None = None
        beat = 0.0
        while not future.done():
            await asyncio.wait({future}, timeout=REPORT_SECONDS)
            if future.done():
                break
            now = time.monotonic()
            current = (float(state["progress"]), str(state["step"]))
            if current != sent or now - beat >= HEARTBEAT_SECONDS:
                if not await self._report(task_id, progress=current[0], step=current[1]):
                    future.cancel()  # taken over by another consumer: let it finish
                    raise asyncio.CancelledError
                sent, beat = current, now
        return future.result()

    async def _evaluate(self, task_id: int) -> None:
        async with self.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(Click.user_id, Click.job_id, Click.created_at).order_by(Click.id)
                )
            ).all()
        if not rows:
            await self._report(task_id, status="failed", progress=0, step="", error="no_clicks")
            return
        users = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        jobs = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
        times = np.fromiter((r[2].timestamp() for r in rows), dtype=np.float64, count=len(rows))
        log_ = clicks_from_arrays(users, jobs, times)
        steps = [(protocol, name) for protocol in PROTOCOLS for name in EVALUATED]
        state: dict[str, Any] = {"progress": 0.0, "step": ""}
        results: dict[str, dict[str, Any]] = {}
        for number, (protocol, name) in enumerate(steps):
            state.update(progress=number / len(steps), step=f"{protocol}:{name}")
            if number and not await self._report(task_id, **state):
                return  # taken over by another consumer
            run = partial(
                _evaluate_one,
                log_,
                protocol,
                name,
                self.worker.lambdas,
                self.worker.ease_config,
            )
            part = await self._with_progress(task_id, asyncio.to_thread(run), state)
            merged = results.setdefault(protocol, part)
            if merged is not part:
                merged["algorithms"].update(part["algorithms"])
                merged["ease"].update(part["ease"])
        await self._report(
            task_id,
            status="done",
            progress=1.0,
            step="",
            clicks=log_.n_clicks,
            result={"results": list(results.values())},
        )

    async def _train(self, task_id: int) -> None:
        state: dict[str, Any] = {"progress": 0.0, "step": "train"}
        loop = asyncio.get_running_loop()

        def progress(done: int, total: int) -> None:  # from the training's thread
            loop.call_soon_threadsafe(state.update, {"progress": done / max(total, 1)})

        self.worker.train_progress = progress
        try:
            weights = await self._with_progress(task_id, self.worker.train(), state)
        finally:
            self.worker.train_progress = None
        if weights is None:
            await self._report(task_id, status="failed", progress=0, step="", error="no_weights")
            return
        await self._report(
            task_id,
            status="done",
            progress=1.0,
            step="",
            clicks=self.worker.model.n_clicks,
            result={
                "lambda": weights.lam,
                "jobs": weights.n_jobs,
                "seconds": round(weights.seconds, 3),
                "pruned": weights.pruned,
                "memory_bytes": weights.memory_bytes(),
                "validation": {str(k): round(v, 6) for k, v in weights.validation.items()},
            },
        )
