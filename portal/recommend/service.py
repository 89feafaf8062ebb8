"""Clicks in, recommendations out: the I/O around the pure engine."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, func, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.accounts.models import User
from portal.cache import RecentIds
from portal.db import begin_write, utcnow
from portal.events import channels
from portal.events.log import append_events, append_work
from portal.jobs.models import Job, JobStatus
from portal.recommend.ease import EaseConfig, EaseRecommender, EaseWeights, dense_gram, fit
from portal.recommend.engine import (
    MODES,
    GramEntries,
    Mode,
    Reason,
    Recommendation,
    Recommender,
    RecommenderConfig,
)
from portal.recommend.evaluate import ClickLog, clicks_from_arrays, select_lambda
from portal.recommend.models import Click, StoredRecommendations
from portal.recommend.reasons import item_reason, reason_fields, reason_text
from portal.recommend.stats import LiveCounters
from portal.recommend.turn import Turn, is_probe

log = logging.getLogger(__name__)

TOP_K = 20
# Click ids whose list this process stored, remembered to drop re-sent copies of them.
STORED_WINDOW = 100_000
# A consumer that handled no batch for this long may have stood by while another consumer
# worked the queue (single active consumer): before its next batch it reads what it missed.
IDLE_SECONDS = 1.0
POPULAR_WINDOW = timedelta(days=30)
# What can serve: the engine's modes, and EASE in front of the engine.
ALGORITHMS: tuple[str, ...] = (*MODES, "ease")
# Users ranked per transaction when every stored list is refreshed (clicks interleave).
REFRESH_CHUNK = 50
Progress = Callable[[int, int], None]


def _public(query: Any) -> Any:
    return query.where(
        Job.status == JobStatus.PUBLISHED.value,
        or_(Job.expires_at.is_(None), Job.expires_at > utcnow()),
    )


async def record_clicks(
    session: AsyncSession, clicks: Sequence[tuple[int, int]], now: datetime | None = None
) -> list[int | None]:
    """Store ``(user_id, job_id)`` clicks and queue each for the recommender, in one
    transaction (the outbox); each click's id, or None where the job is not public.

    Three statements whatever the number of clicks: concurrent requests' clicks share one
    transaction (``portal.recommend.clicks``), so a click costs a fraction of a round trip.
    """
    await begin_write(session)
    now = now or utcnow()
    public = set(
        (
            await session.execute(
                _public(select(Job.id).where(Job.id.in_({job_id for _u, job_id in clicks})))
            )
        ).scalars()
    )
    kept = [n for n, (_user_id, job_id) in enumerate(clicks) if job_id in public]
    ids: dict[int, int] = {}  # index in ``clicks`` → the click's id
    if kept:
        table = cast(Table, Click.__table__)
        result = await session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [{"user_id": clicks[n][0], "job_id": clicks[n][1], "created_at": now} for n in kept],
        )
        ids = dict(zip(kept, result.scalars(), strict=True))
        at = now.timestamp()
        await append_work(
            session,
            "clicks",
            [
                {
                    "click_id": ids[n],
                    "user_id": clicks[n][0],
                    "job_id": clicks[n][1],
                    "at": at,
                }
                for n in kept
            ],
            now,
        )
    await session.commit()
    return [ids.get(n) for n in range(len(clicks))]


async def popular_jobs(session: AsyncSession, limit: int) -> list[tuple[Job, float]]:
    """Public jobs by recent clicks; newest jobs fill the list when clicks are few."""
    since = utcnow() - POPULAR_WINDOW
    counts = (
        select(Click.job_id, func.count().label("n"))
        .where(Click.created_at >= since)
        .group_by(Click.job_id)
        .subquery()
    )
    rows = (
        await session.execute(
            _public(select(Job, counts.c.n).join(counts, counts.c.job_id == Job.id))
            .order_by(counts.c.n.desc(), Job.id.desc())
            .limit(limit)
        )
    ).all()
    top = max((n for _job, n in rows), default=1)
    result = [(job, n / top) for job, n in rows]
    if len(result) < limit:
        seen = {job.id for job, _score in result}
        newest = await session.execute(
            _public(select(Job)).order_by(Job.published_at.desc()).limit(limit + len(seen))
        )
        result += [(job, 0.0) for job in newest.scalars() if job.id not in seen]
    return result[:limit]


async def recommendations_for(
    session: AsyncSession, user: User, limit: int
) -> list[dict[str, Any]]:
    """The stored top-K (still-public jobs only), or popular jobs for a cold user.

    Jobs the user clicked are left out even when the stored list predates the click (the
    worker has not applied it yet): opening a job and coming back must not show it again.
    """
    clicked = set(
        (await session.execute(select(Click.job_id).where(Click.user_id == user.id))).scalars()
    )
    stored = await session.get(StoredRecommendations, user.id)
    items = [i for i in (stored.items if stored is not None else []) if i["job_id"] not in clicked]
    if items:
        ids = [item["job_id"] for item in items]
        jobs = {
            j.id: j
            for j in (await session.execute(_public(select(Job).where(Job.id.in_(ids))))).scalars()
        }
        result = [
            {**item, "job": jobs[item["job_id"]], "reason": item_reason(item)}
            for item in items
            if item["job_id"] in jobs
        ]
        if result:
            return result[:limit]
    return [
        {
            "job_id": job.id,
            "job": job,
            "score": score,
            "source": "popular",
            "reason": reason_text(Reason.POPULAR),
        }
        for job, score in await popular_jobs(session, limit + len(clicked))
        if job.id not in clicked
    ][:limit]


def train_ease(
    entries: GramEntries,
    log: ClickLog,
    lambdas: Sequence[float],
    config: EaseConfig,
    progress: Progress | None = None,
) -> EaseWeights:
    """λ by validation on the clicks, then the weights on the whole Gram matrix (CPU-bound:
    run it in a thread; numpy's BLAS releases the GIL). ``progress(done, total)`` is called
    from that thread after each fit."""
    steps = len(dict.fromkeys(lambdas)) + 1
    choice = select_lambda(
        log,
        lambdas,
        config=config,
        progress=None if progress is None else lambda done, _total: progress(done, steps),
    )
    weights = fit(dense_gram(entries), entries.job_ids, choice.lam, config)
    if progress is not None:
        progress(steps, steps)
    return replace(weights, validation=choice.scores)


class RecommenderWorker:
    """Applies clicks from the ``clicks`` work queue and stores each user's new top-K.

    The model lives in this process; it is rebuilt from the stored clicks at start-up, so a
    restart (or a crash before an ack, and the redelivery that follows) loses nothing and
    counts nothing twice: the model is a set of (user, job) pairs.

    Clicks come in batches (whatever the broker delivered meanwhile): all are applied, each
    user who clicked is ranked once, and every new list and its ``recommendations.updated``
    event are written in one transaction before the batch is acked. A user with several
    clicks in a batch gets one list (and one event) that reflects all of them.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        config: RecommenderConfig | None = None,
        *,
        ease: bool = False,
        lambdas: Sequence[float] = (50.0, 200.0, 500.0, 1000.0),
        ease_config: EaseConfig | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.config = config or RecommenderConfig(mode="blend")
        self.model = Recommender(self.config)
        # With EASE serving: the weights in front of the model (item-CF until the first training).
        self.lambdas = tuple(lambdas)
        self.ease_config = ease_config or EaseConfig()
        self.ease = EaseRecommender(self.model, None, self.ease_config) if ease else None
        # The newest trained weights, kept while another algorithm serves (a switch back to
        # EASE is then instant).
        self.weights: EaseWeights | None = None
        self.mode: Mode = self.config.mode
        self._training: asyncio.Task[EaseWeights | None] | None = None
        # For the studio: what each batch did, and when the model was last built or trained
        # (wall clock); a training's progress is reported from its thread.
        self.counters = LiveCounters(time.monotonic())
        self.rebuilt_at: float | None = None
        self.trained_at: float | None = None
        self.train_progress: Progress | None = None
        # One batch at a time, from applying to commit: a list ranked before a user's newer
        # click is never stored after the newer one.
        self._lock = asyncio.Lock()
        self._stored = RecentIds(STORED_WINDOW)
        # The model holds every click up to this id (the rebuild's newest, then each batch's).
        self._through = 0
        self._last_batch: float | None = None
        self.turn = Turn()

    async def rebuild(self) -> int:
        async with self.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(Click.user_id, Click.job_id, Click.created_at, Click.id).order_by(
                        Click.id
                    )
                )
            ).all()
        users = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        jobs = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
        times = np.fromiter((r[2].timestamp() for r in rows), dtype=np.float64, count=len(rows))
        # Seconds of numpy at a million clicks: off the event loop.
        model = await asyncio.to_thread(Recommender.from_arrays, users, jobs, times, self.config)
        async with self._lock:
            self.model = model
            self._through = int(rows[-1][3]) if rows else 0
            if self.ease is not None:
                # Weights are keyed by job id, so they stay valid over a rebuilt model.
                self.ease = EaseRecommender(model, self.ease.weights, self.ease_config)
        self.rebuilt_at = time.time()
        log.info("recommender rebuilt from %d clicks", len(rows))
        return len(rows)

    @property
    def algorithm(self) -> str:
        """What serves now: ``ease`` or one of the engine's modes."""
        return "ease" if self.ease is not None else self.mode

    def set_algorithm(self, algorithm: str) -> bool:
        """Serve ``algorithm`` from the next ranking on; True when that changed anything.

        EASE starts from the newest weights this process trained (item-CF until there are
        some: a training is started).
        """
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}, not {algorithm!r}")
        if algorithm == self.algorithm:
            return False
        if algorithm == "ease":
            self.ease = EaseRecommender(self.model, self.weights, self.ease_config)
            if self.weights is None:
                self.train()
        else:
            self.ease = None
            self.mode = cast(Mode, algorithm)
        log.info("recommender now serves %s", algorithm)
        return True

    def _rank(self, user_id: int) -> list[Recommendation]:
        if self.ease is not None:
            return self.ease.recommend(user_id, k=TOP_K * 2)
        return self.model.recommend(user_id, k=TOP_K * 2, mode=self.mode)

    async def refresh_all(self) -> int:
        """Rank every user in the model again and store their lists (after a switch of the
        algorithm); returns how many. A chunk at a time under the lock, so clicks go on."""
        users = [int(u) for u in self.model.user_ids.tolist()]
        done = 0
        for start in range(0, len(users), REFRESH_CHUNK):
            async with self._lock:
                chunk = users[start : start + REFRESH_CHUNK]
                ranked = {user_id: self._rank(user_id) for user_id in chunk}
                # The model holds every click up to _through: each list reflects the user's.
                latest = dict.fromkeys(ranked, self._through)
                await self._store_guarded(ranked, latest)
            done += len(chunk)
            await asyncio.sleep(0)
        log.info("refreshed the stored lists of %d users", done)
        return done

    def train(self) -> asyncio.Task[EaseWeights | None]:
        """Train EASE in the background (one training at a time: a running one is returned).

        The model is copied under the lock, fitted in a thread, and the new weights swapped in
        with one assignment; if the training fails the old weights keep serving.
        """
        if self._training is None or self._training.done():
            self._training = asyncio.create_task(self._train())
        return self._training

    async def _train(self) -> EaseWeights | None:
        async with self._lock:
            # A copy of the state (memcpys plus one pass over the histories): clicks go on
            # changing the model while the copy is fitted.
            entries = self.model.gram_entries()
            log_ = clicks_from_arrays(*self.model.click_arrays())
        if entries.job_ids.shape[0] == 0:
            return None
        try:
            weights = await asyncio.to_thread(
                train_ease, entries, log_, self.lambdas, self.ease_config, self.train_progress
            )
        except Exception:
            log.exception("EASE training failed; the previous weights keep serving")
            return None
        self.weights = weights
        self.trained_at = time.time()
        if self.ease is not None:
            self.ease.swap(weights)
        log.info(
            "EASE trained: %d jobs, λ %g, %.1f s", weights.n_jobs, weights.lam, weights.seconds
        )
        return weights

    async def train_every(self, seconds: float) -> None:
        """Train now, then every ``seconds`` (0: only now); runs until cancelled."""
        while True:
            await self.train()
            if not seconds:
                return
            await asyncio.sleep(seconds)

    async def handle(self, body: dict[str, Any]) -> None:
        """One click: a batch of one."""
        await self.handle_batch([body])

    async def handle_batch(self, bodies: list[dict[str, Any]]) -> None:
        """Apply the clicks, then store each affected user's list, all in one transaction."""
        self.turn.delivered(asyncio.get_running_loop().time())
        async with self._lock:
            clicks: dict[int, tuple[int, int, float]] = {}
            for body in bodies:
                if is_probe(body):
                    continue
                try:
                    click_id = int(body["click_id"])
                    click = (int(body["user_id"]), int(body["job_id"]), float(body["at"]))
                except (KeyError, TypeError, ValueError):
                    # Retrying cannot mend it, and a batch that fails is retried whole.
                    log.warning("dropping a malformed click message: %r", body)
                    continue
                # A copy (the outbox relay re-sent it, or the broker redelivered it) of a
                # click whose list is stored already: the model has it, the user has heard.
                if click_id not in self._stored:
                    clicks[click_id] = click
            if not clicks:
                return
            await self._catch_up(clicks.keys())
            latest: dict[int, int] = {}
            model = self.ease or self.model  # EASE passes each click on to the model
            for click_id, (user_id, job_id, at) in sorted(clicks.items()):
                model.apply_click(user_id, job_id, at, event_id=click_id)
                latest[user_id] = click_id
            ranked = {user_id: self._rank(user_id) for user_id in latest}
            await self._store_guarded(ranked, latest)
            for click_id in clicks:
                self._stored.add(click_id)
            self._through = max(self._through, max(clicks))
            self._last_batch = asyncio.get_running_loop().time()
            stored_at = time.time()
            self.counters.record_batch(
                len(clicks), len(ranked), [stored_at - at for _u, _j, at in clicks.values()]
            )

    async def _store_guarded(
        self, ranked: dict[int, list[Recommendation]], latest: dict[int, int]
    ) -> None:
        try:
            async with self.sessionmaker() as session:
                await self._store(session, ranked, latest)
        except IntegrityError:
            # A user deleted since their click: store the others one by one, so that one
            # message cannot hold up the queue (a failed batch is retried whole).
            for user_id, user_ranked in ranked.items():
                try:
                    async with self.sessionmaker() as session:
                        await self._store(
                            session, {user_id: user_ranked}, {user_id: latest[user_id]}
                        )
                except IntegrityError:
                    log.warning("no recommendations stored for user %s (deleted?)", user_id)

    async def _catch_up(self, batch: Collection[int]) -> None:
        """Before a batch that follows a while without any: apply from the database the
        clicks between the model's newest and the batch's newest that the batch lacks.

        A standby that takes over from a consumer that died (or a consumer that lost its turn
        and got it back) gets only what the other left unacked; the clicks the other applied
        and acked meanwhile are in the database. A click applied twice changes nothing (the
        model holds each user and job once), so an overlap is harmless.
        """
        now = asyncio.get_running_loop().time()
        idle = self._last_batch is None or now - self._last_batch > IDLE_SECONDS
        newest = max(batch)
        if not idle or newest <= self._through + 1:
            return
        async with self.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(Click.id, Click.user_id, Click.job_id, Click.created_at)
                    .where(Click.id > self._through, Click.id < newest)
                    .order_by(Click.id)
                )
            ).all()
        missed = [row for row in rows if row[0] not in batch]
        for click_id, user_id, job_id, at in missed:
            self.model.apply_click(user_id, job_id, at.timestamp(), event_id=click_id)
        if missed:
            log.info("caught up %d clicks another consumer applied", len(missed))

    async def _store(
        self,
        session: AsyncSession,
        ranked: dict[int, list[Recommendation]],
        latest: dict[int, int],
    ) -> None:
        """Each user's list (still-public jobs, titled) and its event, in one transaction."""
        ids = {r.job for rs in ranked.values() for r in rs} | {
            r.because for rs in ranked.values() for r in rs if r.because is not None
        }
        await begin_write(session)
        now = utcnow()
        rows = (
            await session.execute(
                select(Job.id, Job.title, Job.slug, Job.status, Job.expires_at).where(
                    Job.id.in_(ids)
                )
            )
        ).all()
        titles = {row.id: row.title for row in rows}
        # The canonical path (as portal.jobs.schemas.job_path): no redirect on the way.
        paths = {
            row.id: f"/jobs/{row.id}-{row.slug}" if row.slug else f"/jobs/{row.id}" for row in rows
        }
        public = {
            row.id
            for row in rows
            if row.status == JobStatus.PUBLISHED.value
            and (row.expires_at is None or row.expires_at > now)
        }
        lists = {
            user_id: [
                {
                    "job_id": r.job,
                    "title": titles[r.job],
                    "url": paths[r.job],
                    "score": round(float(r.score), 6),
                    "source": r.source,
                    # The code is what readers word (portal.recommend.reasons); the words
                    # stay for readers of lists stored before the codes.
                    **(fields := reason_fields(r, titles)),
                    "reason": reason_text(fields["reason_code"], fields["reason_params"]),
                }
                for r in user_ranked
                if r.job in public
            ][:TOP_K]
            for user_id, user_ranked in ranked.items()
        }
        await _upsert_lists(session, lists, latest, now)
        await append_events(
            session,
            [
                (
                    channels.user(user_id),
                    "recommendations.updated",
                    # The newest click the list reflects: a client (or bench/recs.py) can tell
                    # which of its clicks are in.
                    {"items": items[:10], "click_id": latest[user_id]},
                )
                for user_id, items in lists.items()
            ],
            now,
        )
        await session.commit()


async def _upsert_lists(
    session: AsyncSession,
    lists: dict[int, list[dict[str, Any]]],
    latest: dict[int, int],
    now: datetime,
) -> None:
    """Insert or replace each user's stored list, all in one round trip (the batch may hold
    first lists, which two consumers could otherwise both try to insert).

    One single-row statement run for many rows: its text is the same whatever the batch
    size, so it is compiled and prepared (asyncpg) once, not once per size.
    """
    table = StoredRecommendations.__table__
    dialect = session.get_bind().dialect.name
    newest: Any
    if dialect == "postgresql":
        insert: Any = postgresql_insert
        newest = func.greatest
    else:
        insert, newest = sqlite_insert, func.max  # SQLite's two-argument max() is a scalar
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.user_id],
        set_={
            "items": statement.excluded["items"],
            "last_click_id": newest(table.c.last_click_id, statement.excluded.last_click_id),
            "updated_at": statement.excluded.updated_at,
        },
    )
    await session.execute(
        statement,
        [
            {
                "user_id": user_id,
                "items": items,
                "last_click_id": latest[user_id],
                "updated_at": now,
            }
            for user_id, items in lists.items()
        ],
    )
