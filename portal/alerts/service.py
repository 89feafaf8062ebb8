"""Alert and notification services; matching runs once per newly published job."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from quart import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import User, confirmed_email
from portal.alerts.matching import alert_matches, job_facts
from portal.alerts.models import AlertSubscription, Delivery, Notification
from portal.applications.labels import STATUS_LABELS
from portal.db import begin_write, utcnow
from portal.domain_errors import Conflict, Invalid, NotFound
from portal.events import channels
from portal.events.log import append_event
from portal.i18n import force_language
from portal.i18n import gettext as _
from portal.jobs.models import Category, Job, JobStatus
from portal.jobs.search import query_terms
from portal.mail.outbox import OutgoingMessage, queue_messages, site_url

UNSUBSCRIBE_SALT = "portal.alerts.unsubscribe"

MAX_ALERTS_PER_USER = 20


def alert_errors(*, keywords: str, category: str | None) -> dict[str, str]:
    """What is wrong with an alert's fields by the rules of this service, by field."""
    errors: dict[str, str] = {}
    if not query_terms(keywords.strip()):
        errors["keywords"] = _("Give at least one keyword.")
    if category and category not in {c.value for c in Category}:
        errors["category"] = _("Unknown category.")
    return errors


async def create_alert(
    session: AsyncSession,
    user: User,
    *,
    keywords: str,
    category: str | None,
    location: str | None,
    remote: bool | None,
    delivery: Delivery = Delivery.LIVE,
) -> AlertSubscription:
    keywords = keywords.strip()
    errors = alert_errors(keywords=keywords, category=category)
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
        delivery=delivery.value,
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
    matched = [
        alert
        for alert in candidates
        if alert_matches(
            facts,
            keywords=alert.keywords,
            category=alert.category,
            location=alert.location,
            remote=alert.remote,
        )
    ]
    users = sorted({alert.user_id for alert in matched})
    await _mail_instant_matches(session, job, url, matched)
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


def parse_delivery(value: str | None) -> Delivery:
    try:
        return Delivery(value or Delivery.LIVE.value)
    except ValueError:
        return Delivery.LIVE


def _signer(secret: str | bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=UNSUBSCRIBE_SALT)


def unsubscribe_path_for(alert_id: int, user_id: int) -> str:
    """A signed one-click link that stops mail for one alert (``alert_id`` 0: all of them)."""
    token = _signer(current_app.secret_key or "").dumps([alert_id, user_id])
    return f"/alerts/unsubscribe/{token}"


def unsubscribe_path(alert: AlertSubscription) -> str:
    return unsubscribe_path_for(alert.id, alert.user_id)


async def unsubscribe(session: AsyncSession, token: str, secret: str | bytes) -> bool:
    """Stop mailing the alert a signed unsubscribe token names; False for a token that is not."""
    try:
        alert_id, user_id = _signer(secret).loads(token)
        alert_id, user_id = int(alert_id), int(user_id)
    except (BadSignature, TypeError, ValueError):
        return False
    await begin_write(session)
    query = update(AlertSubscription).where(AlertSubscription.user_id == user_id)
    if alert_id:
        query = query.where(AlertSubscription.id == alert_id)
    await session.execute(query.values(delivery=Delivery.LIVE.value))
    await session.commit()
    return True


async def _mail_instant_matches(
    session: AsyncSession, job: Job, url: str, matched: list[AlertSubscription]
) -> None:
    """One mail per user with an instant alert among ``matched``, to a confirmed address only."""
    first: dict[int, AlertSubscription] = {}
    for alert in matched:
        if alert.delivery == Delivery.INSTANT.value:
            first.setdefault(alert.user_id, alert)
    if not first:
        return
    users = (
        await session.execute(select(User).where(User.id.in_(list(first)), confirmed_email()))
    ).scalars()
    base = site_url()
    await queue_messages(
        session,
        [
            OutgoingMessage.email_to(
                user,
                "alert",
                {
                    "keywords": first[user.id].keywords,
                    "title": job.title,
                    "location": job.location or "",
                    "url": url,
                },
                unsubscribe=unsubscribe_path(first[user.id]),
                base_url=base,
            )
            for user in users
        ],
    )


async def notify_application_moved(
    session: AsyncSession, *, user_id: int, application_id: int, title: str, status: str
) -> None:
    """The applicant's inbox hears of their application's new status, and their mailbox."""
    user = await session.get(User, user_id)
    if user is not None and user.email:
        with force_language(user.language):
            status_label = str(STATUS_LABELS.get(status, status))
        await queue_messages(
            session,
            [
                OutgoingMessage.email_to(
                    user, "application", {"title": title, "status": status_label}
                )
            ],
        )
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
