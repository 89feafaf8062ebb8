"""Clicks in, recommendations out: the I/O around the pure engine."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.accounts.models import User
from portal.db import begin_write, utcnow
from portal.errors import not_found
from portal.events.log import append_event, user_channel
from portal.events.publisher import work_channel
from portal.i18n import gettext as _
from portal.jobs.models import Job, JobStatus
from portal.recommend.engine import Recommender, RecommenderConfig
from portal.recommend.models import Click, StoredRecommendations

log = logging.getLogger(__name__)

TOP_K = 20
POPULAR_WINDOW = timedelta(days=30)


def _public(query: Any) -> Any:
    return query.where(
        Job.status == JobStatus.PUBLISHED.value,
        or_(Job.expires_at.is_(None), Job.expires_at > utcnow()),
    )


async def record_click(session: AsyncSession, user: User, job_id: int) -> Click:
    """Store the click and queue it for the recommender, in one transaction (the outbox)."""
    job = await session.scalar(_public(select(Job.id).where(Job.id == job_id)))
    if job is None:
        raise not_found(_("No such job."))
    await begin_write(session)
    click = Click(user_id=user.id, job_id=job_id, created_at=utcnow())
    session.add(click)
    await session.flush()
    await append_event(
        session,
        channel=work_channel("clicks"),
        type="click",
        data={
            "click_id": click.id,
            "user_id": user.id,
            "job_id": job_id,
            "at": click.created_at.timestamp(),
        },
    )
    await session.commit()
    return click


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
    """The stored top-K (still-public jobs only), or popular jobs for a cold user."""
    stored = await session.get(StoredRecommendations, user.id)
    items = list(stored.items) if stored is not None else []
    if items:
        ids = [item["job_id"] for item in items]
        jobs = {
            j.id: j
            for j in (await session.execute(_public(select(Job).where(Job.id.in_(ids))))).scalars()
        }
        result = [{**item, "job": jobs[item["job_id"]]} for item in items if item["job_id"] in jobs]
        if result:
            return result[:limit]
    clicked = set(
        (await session.execute(select(Click.job_id).where(Click.user_id == user.id))).scalars()
    )
    return [
        {
            "job_id": job.id,
            "job": job,
            "score": score,
            "source": "popular",
            "reason": _("Popular right now"),
        }
        for job, score in await popular_jobs(session, limit + len(clicked))
        if job.id not in clicked
    ][:limit]


class RecommenderWorker:
    """Applies clicks from the ``clicks`` work queue and stores each user's new top-K.

    The model lives in this process; it is rebuilt from the stored clicks at start-up, so a
    restart (or a crash before an ack, and the redelivery that follows) loses nothing and
    counts nothing twice: the model is a set of (user, job) pairs.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        config: RecommenderConfig | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.config = config or RecommenderConfig(mode="blend")
        self.model = Recommender(self.config)
        self._lock = asyncio.Lock()

    async def rebuild(self) -> int:
        async with self.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(Click.user_id, Click.job_id, Click.created_at).order_by(Click.id)
                )
            ).all()
        users = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        jobs = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
        times = np.fromiter((r[2].timestamp() for r in rows), dtype=np.float64, count=len(rows))
        # Seconds of numpy at a million clicks: off the event loop.
        model = await asyncio.to_thread(Recommender.from_arrays, users, jobs, times, self.config)
        async with self._lock:
            self.model = model
        log.info("recommender rebuilt from %d clicks", len(rows))
        return len(rows)

    async def handle(self, body: dict[str, Any]) -> None:
        user_id, job_id = int(body["user_id"]), int(body["job_id"])
        async with self._lock:
            self.model.apply_click(
                user_id, job_id, float(body["at"]), event_id=int(body["click_id"])
            )
            ranked = self.model.recommend(user_id, k=TOP_K * 2)
        async with self.sessionmaker() as session:
            await self._store(session, user_id, ranked, int(body["click_id"]))

    async def _store(
        self, session: AsyncSession, user_id: int, ranked: list[Any], click_id: int
    ) -> None:
        ids = [r.job for r in ranked] + [r.because for r in ranked if r.because is not None]
        titles = dict(
            (await session.execute(select(Job.id, Job.title).where(Job.id.in_(ids)))).all()
        )
        public = set(
            (await session.execute(_public(select(Job.id).where(Job.id.in_(ids))))).scalars()
        )
        items = [
            {
                "job_id": r.job,
                "title": titles[r.job],
                "url": f"/jobs/{r.job}",
                "score": round(float(r.score), 6),
                "source": r.source,
                "reason": (
                    _("Because you viewed “%(title)s”", title=titles[r.because])
                    if r.because in titles
                    else _("Popular right now")
                ),
            }
            for r in ranked
            if r.job in public
        ][:TOP_K]
        await begin_write(session)
        stored = await session.get(StoredRecommendations, user_id)
        if stored is None:
            stored = StoredRecommendations(user_id=user_id, items=items, last_click_id=click_id)
            session.add(stored)
        else:
            stored.items, stored.last_click_id = items, max(stored.last_click_id, click_id)
        stored.updated_at = utcnow()
        await append_event(
            session,
            channel=user_channel(user_id),
            type="recommendations.updated",
            data={"items": items[:10]},
        )
        await session.commit()
