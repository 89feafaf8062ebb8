"""Alert and notification services; matching runs once per newly published job."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import User
from portal.alerts.matching import alert_matches, job_facts
from portal.alerts.models import AlertSubscription, Notification
from portal.db import begin_write, utcnow
from portal.domain_errors import Conflict, Invalid, NotFound
from portal.events import channels
from portal.events.log import append_event
from portal.i18n import gettext as _
from portal.jobs.models import Category, Job, JobStatus
from portal.jobs.search import query_terms

MAX_ALERTS_PER_USER = 20


async def create_alert(
    session: AsyncSession,
    user: User,
    *,
    keywords: str,
    category: str | None,
    location: str | None,
    remote: bool | None,
) -> AlertSubscription:
    keywords = keywords.strip()
    errors: dict[str, str] = {}
    if not query_terms(keywords):
        errors["keywords"] = _("Give at least one keyword.")
    if category and category not in {c.value for c in Category}:
        errors["category"] = _("Unknown category.")
    if errors:
        raise Invalid(errors)
    await begin_write(session)
    count = await session.scalar(select(func.count()).where(AlertSubscription.user_id == user.id))
    if (count or 0) >= MAX_ALERTS_PER_USER:
        raise Conflict(
            _("You have %(max)s alerts already; delete one first.", max=MAX_ALERTS_PER_USER),
            code="too_many_alerts",
        )
    alert = AlertSubscription(
        user_id=user.id,
        keywords=keywords,
        category=category or None,
        location=(location or "").strip() or None,
        remote=remote or None,
    )
    session.add(alert)
    await session.commit()
    return alert


async def list_alerts(session: AsyncSession, user: User) -> list[AlertSubscription]:
    query = (
        select(AlertSubscription)
        .where(AlertSubscription.user_id == user.id)
        .order_by(AlertSubscription.id.desc())
    )
    return list((await session.execute(query)).scalars())


async def delete_alert(session: AsyncSession, user: User, alert_id: int) -> None:
    await begin_write(session)
    alert = await session.get(AlertSubscription, alert_id)
    if alert is None or alert.user_id != user.id:
        raise NotFound(_("No such alert."))
    await session.delete(alert)
    await session.commit()


async def notify_matching_alerts(session: AsyncSession, job: Job, url: str) -> int:
    """Inside the publishing transaction: one inbox entry and one event per matched user."""
    candidates = (
        await session.execute(
            select(AlertSubscription).where(
                or_(
                    AlertSubscription.category.is_(None), AlertSubscription.category == job.category
                )
            )
        )
    ).scalars()
    facts = job_facts(job.title, job.content, job.location, job.category, job.remote)
    users = sorted(
        {
            alert.user_id
            for alert in candidates
            if alert_matches(
                facts,
                keywords=alert.keywords,
                category=alert.category,
                location=alert.location,
                remote=alert.remote,
            )
        }
    )
    for user_id in users:
        await add_notification(
            session,
            user_id,
            kind="job_alert",
            title=job.title,
            url=url,
            data={"job_id": job.id, "location": job.location},
            shown={"job_id": job.id},
        )
    return len(users)


async def notify_application_moved(
    session: AsyncSession, *, user_id: int, application_id: int, title: str, status: str
) -> None:
    """The applicant's inbox hears of their application's new status."""
    await add_notification(
        session,
        user_id,
        kind="application",
        title=title,
        url="/applications",
        data={"application_id": application_id, "status": status},
        shown={"status": status},
    )


async def add_notification(
    session: AsyncSession,
    user_id: int,
    *,
    kind: str,
    title: str,
    url: str,
    data: dict[str, Any],
    shown: dict[str, Any] | None = None,
) -> Notification:
    """An inbox entry, told to the user's open pages (with ``shown`` in the live event)."""
    note = Notification(
        user_id=user_id, kind=kind, title=title, url=url, data=data, created_at=utcnow()
    )
    session.add(note)
    await session.flush()
    await append_event(
        session,
        channel=channels.user(user_id),
        type="notification",
        data={
            "id": note.id,
            "kind": note.kind,
            "title": note.title,
            "url": url,
            **(shown or {}),
            "unread": await unread_count(session, user_id),
        },
    )
    return note


async def unread_count(session: AsyncSession, user_id: int) -> int:
    value = await session.scalar(
        select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return int(value or 0)


async def list_notifications(
    session: AsyncSession, user: User, *, limit: int, before_id: int | None = None
) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id)
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    rows = await session.execute(query.order_by(Notification.id.desc()).limit(limit))
    return list(rows.scalars())


async def removed_jobs(session: AsyncSession, notes: list[Notification]) -> set[int]:
    """The jobs that job-alert notifications name and nobody can open any more (deleted, or
    taken back to draft): the inbox says so instead of linking to a 404."""
    named = {
        int(note.data["job_id"])
        for note in notes
        if note.kind == "job_alert" and isinstance(note.data.get("job_id"), int)
    }
    if not named:
        return set()
    rows = await session.execute(
        select(Job.id).where(Job.id.in_(named), Job.status != JobStatus.DRAFT.value)
    )
    return named - set(rows.scalars())


async def mark_read(session: AsyncSession, user: User, ids: list[int] | None) -> int:
    """Mark the given notifications (or all) read; returns the unread count left."""
    query = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if ids is not None:
        query = query.where(Notification.id.in_(ids))
    await session.execute(query.values(read_at=utcnow()))
    await session.commit()
    return await unread_count(session, user.id)
