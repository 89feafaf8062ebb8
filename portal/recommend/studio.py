"""The recommender studio's service: the serving choice, the background tasks, exploring.

The web side only writes what the studio asks for (a persisted choice, a task row) and puts
it on the ``recs`` work queue in the same transaction; the recommender consumer, which holds
the model, does the work (``portal.recommend.studio_worker``) and reports on the ``recs``
channel. Exploring reads the click log and the stored lists, so it needs no model here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from portal.accounts.models import User
from portal.db import begin_write, utcnow
from portal.domain_errors import Invalid
from portal.events import channels
from portal.events.log import append_events, append_work
from portal.events.models import Event
from portal.i18n import gettext as _
from portal.jobs.models import Job
from portal.recommend.models import Click, RecsSetting, RecsTask, StoredRecommendations
from portal.recommend.reasons import item_reason
from portal.recommend.service import ALGORITHMS

# The work queue of the studio's commands (the bus adds the configured prefix).
QUEUE = "recs"
ALGORITHM_KEY = "algorithm"
TASK_KINDS = ("evaluate", "train")
ACTIVE = ("queued", "running")
# The figures the live chart starts from when the page opens.
STATS_HISTORY = 90


async def serving_algorithm(session: AsyncSession, default: str) -> str:
    """The persisted choice, or ``default`` (the setting) when none was made."""
    row = await session.get(RecsSetting, ALGORITHM_KEY)
    return row.value if row is not None and row.value in ALGORITHMS else default


async def choose_algorithm(session: AsyncSession, algorithm: str) -> None:
    """Persist the serving algorithm, tell the consumer (work queue) and every web worker
    (``recs.algorithm`` on ``recs``), all in one transaction."""
    if algorithm not in ALGORITHMS:
        raise Invalid({"algorithm": _("Choose one of the listed algorithms.")})
    await begin_write(session)
    now = utcnow()
    row = await session.get(RecsSetting, ALGORITHM_KEY)
    if row is None:
        session.add(RecsSetting(key=ALGORITHM_KEY, value=algorithm, updated_at=now))
    else:
        row.value, row.updated_at = algorithm, now
    await append_work(session, QUEUE, [{"kind": "algorithm", "algorithm": algorithm}], now)
    await append_events(
        session,
        [(channels.RECS, "recs.algorithm", {"algorithm": algorithm, "at": now.isoformat()})],
        now,
    )
    await session.commit()


def task_public(task: RecsTask) -> dict[str, Any]:
    """A task as the page and the ``recs.task`` event show it."""
    return {
        "id": task.id,
        "kind": task.kind,
        "status": task.status,
        "progress": round(task.progress, 4),
        "step": task.step,
        "error": task.error,
        "clicks": task.clicks,
        "created_at": task.created_at.isoformat(),
        "finished_at": task.finished_at.isoformat() if task.finished_at else None,
    }


async def start_task(session: AsyncSession, kind: str, admin: User) -> RecsTask:
    """Queue an evaluation or a training; one of a kind at a time (the one under way is
    returned instead of a second)."""
    if kind not in TASK_KINDS:
        raise Invalid({"kind": _("Choose one of the listed tasks.")})
    await begin_write(session)
    running = await session.scalar(
        select(RecsTask).where(RecsTask.kind == kind, RecsTask.status.in_(ACTIVE)).limit(1)
    )
    if running is not None:
        await session.rollback()
        return running
    now = utcnow()
    task = RecsTask(kind=kind, status="queued", created_by=admin.id, created_at=now, step="")
    session.add(task)
    await session.flush()
    await append_work(session, QUEUE, [{"kind": "task", "task_id": task.id}], now)
    await append_events(session, [(channels.RECS, "recs.task", task_public(task))], now)
    await session.commit()
    return task


async def active_tasks(session: AsyncSession) -> list[RecsTask]:
    rows = await session.scalars(
        select(RecsTask).where(RecsTask.status.in_(ACTIVE)).order_by(RecsTask.id)
    )
    return list(rows)


async def last_task(session: AsyncSession, kind: str) -> RecsTask | None:
    """The newest finished (done or failed) task of ``kind``."""
    return await session.scalar(
        select(RecsTask)
        .where(RecsTask.kind == kind, RecsTask.status.in_(("done", "failed")))
        .order_by(RecsTask.id.desc())
        .limit(1)
    )


async def evaluation_history(session: AsyncSession, limit: int = 100) -> list[dict[str, Any]]:
    """Past evaluations, oldest first: when, on how many clicks, and each protocol's
    algorithms' NDCG@k and precision@k (the chart of quality over time)."""
    rows = (
        await session.scalars(
            select(RecsTask)
            .where(RecsTask.kind == "evaluate", RecsTask.status == "done")
            .order_by(RecsTask.id.desc())
            .limit(limit)
        )
    ).all()
    return [
        {
            "at": row.finished_at.timestamp() if row.finished_at else None,
            "clicks": row.clicks,
            "results": (row.result or {}).get("results", []),
        }
        for row in reversed(rows)
    ]


async def recent_stats(session: AsyncSession, limit: int = STATS_HISTORY) -> list[dict[str, Any]]:
    """The consumer's last ``recs.stats`` figures from the event log, oldest first."""
    rows = (
        await session.execute(
            select(Event.data)
            .where(Event.channel == channels.RECS, Event.type == "recs.stats")
            .order_by(Event.id.desc())
            .limit(limit)
        )
    ).scalars()
    return list(reversed(list(rows)))


async def nearest_jobs(session: AsyncSession, job_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """The jobs clicked by the same people as ``job_id``: co-clicks, and their cosine
    similarity (co-clicks over the root of both jobs' click counts), strongest first."""
    other = aliased(Click)
    co = (
        select(other.job_id, func.count().label("co"))
        .select_from(Click)
        .join(other, (other.user_id == Click.user_id) & (other.job_id != Click.job_id))
        .where(Click.job_id == job_id)
        .group_by(other.job_id)
        .subquery()
    )
    counts = (
        select(Click.job_id, func.count().label("n"))
        .where(Click.job_id.in_(select(co.c.job_id)) | (Click.job_id == job_id))
        .group_by(Click.job_id)
        .subquery()
    )
    rows = (
        await session.execute(
            select(Job.id, Job.title, co.c.co, counts.c.n)
            .join(co, co.c.job_id == Job.id)
            .join(counts, counts.c.job_id == Job.id)
        )
    ).all()
    own = int(
        await session.scalar(select(func.count()).select_from(Click).where(Click.job_id == job_id))
        or 0
    )
    result = [
        {
            "job_id": row.id,
            "title": row.title,
            "co_clicks": int(row.co),
            "clicks": int(row.n),
            "score": round(int(row.co) / ((own * int(row.n)) ** 0.5), 4) if own else 0.0,
        }
        for row in rows
    ]
    result.sort(key=lambda item: (-item["score"], -item["co_clicks"], item["job_id"]))
    return result[:limit]


async def find_user(session: AsyncSession, text: str) -> User | None:
    """A user by id (digits) or by user name."""
    text = text.strip()
    if text.isdigit() and len(text) < 10:
        user = await session.get(User, int(text))
        if user is not None:
            return user
    return await session.scalar(select(User).where(User.username == text).limit(1))


async def explain_user(session: AsyncSession, user: User, limit: int = 50) -> dict[str, Any]:
    """A user's newest clicks and their stored list, each item with its reason worded."""
    history = (
        await session.execute(
            select(Click.job_id, Click.created_at, Job.title)
            .join(Job, Job.id == Click.job_id)
            .where(Click.user_id == user.id)
            .order_by(Click.id.desc())
            .limit(limit)
        )
    ).all()
    stored = await session.get(StoredRecommendations, user.id)
    items = [
        {**item, "reason_text": item_reason(item)} for item in (stored.items if stored else [])
    ]
    return {
        "history": [
            {"job_id": row.job_id, "title": row.title, "at": row.created_at} for row in history
        ],
        "recommendations": items,
        "updated_at": stored.updated_at if stored else None,
    }


async def claim_task(
    session: AsyncSession, task_id: int, owner: str, stale_before: datetime
) -> RecsTask | None:
    """Take a queued task, or a running one whose holder stopped beating; None when another
    consumer holds it (or it is finished)."""
    await begin_write(session)
    now = utcnow()
    claimed = await session.execute(
        update(RecsTask)
        .where(
            RecsTask.id == task_id,
            (RecsTask.status == "queued")
            | ((RecsTask.status == "running") & (RecsTask.heartbeat_at < stale_before)),
        )
        .values(
            status="running",
            claimed_by=owner,
            heartbeat_at=now,
            started_at=now,
            progress=0.0,
            attempts=RecsTask.attempts + 1,
        )
    )
    await session.commit()
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    return await session.get(RecsTask, task_id, populate_existing=True)


async def orphaned_tasks(session: AsyncSession, stale_before: datetime) -> list[int]:
    """Tasks nobody works on: queued, or running with a silent holder (it died)."""
    rows = await session.scalars(
        select(RecsTask.id)
        .where(
            (RecsTask.status == "queued")
            | ((RecsTask.status == "running") & (RecsTask.heartbeat_at < stale_before))
        )
        .order_by(RecsTask.id)
    )
    return list(rows)


async def report_task(
    session: AsyncSession,
    task_id: int,
    owner: str,
    *,
    status: str = "running",
    progress: float,
    step: str,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    clicks: int | None = None,
) -> bool:
    """Record a task's progress (its heartbeat) and announce it; False when the task is no
    longer this owner's (taken over after a stall)."""
    await begin_write(session)
    now = utcnow()
    values: dict[str, Any] = {
        "status": status,
        "progress": progress,
        "step": step[:100],
        "heartbeat_at": now,
    }
    if result is not None:
        values["result"] = result
    if error is not None:
        values["error"] = error[:500]
    if clicks is not None:
        values["clicks"] = clicks
    if status in ("done", "failed"):
        values["finished_at"] = now
    changed = await session.execute(
        update(RecsTask)
        .where(RecsTask.id == task_id, RecsTask.claimed_by == owner)
        .values(**values)
    )
    if getattr(changed, "rowcount", 0) != 1:
        await session.rollback()
        return False
    task = await session.get(RecsTask, task_id, populate_existing=True)
    assert task is not None
    await append_events(session, [(channels.RECS, "recs.task", task_public(task))], now)
    await session.commit()
    return True


async def publish_stats(session: AsyncSession, figures: dict[str, Any]) -> None:
    """The consumer's figures of one tick, on ``recs``."""
    await begin_write(session)
    await append_events(session, [(channels.RECS, "recs.stats", figures)])
    await session.commit()
