"""The daily digest of alert matches: a periodic job the mail consumer runs.

Each user's digest for a day is claimed by inserting ``mail_digest_runs (user_id, day)`` in the
same transaction that queues the mail, so however many consumers run the job, one wins the
insert and the mail is queued once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.accounts.models import User, confirmed_email
from portal.alerts.models import AlertSubscription, Delivery, Notification
from portal.alerts.service import unsubscribe_path_for
from portal.db import utcnow
from portal.mail.models import DigestRun
from portal.mail.outbox import OutgoingMessage, queue_message

log = logging.getLogger(__name__)

DIGEST_EVERY_SECONDS = 600.0
MAX_ITEMS = 50


async def _digest_users(session: AsyncSession) -> list[User]:
    wanting = select(AlertSubscription.user_id).where(
        AlertSubscription.delivery == Delivery.DIGEST.value
    )
    rows = await session.execute(select(User).where(User.id.in_(wanting), confirmed_email()))
    return list(rows.scalars())


async def send_digests(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Queue today's digest for every user who wants one and has not had it; returns how many."""
    day = now.date()
    async with sessionmaker() as session:
        users = await _digest_users(session)
    queued = 0
    for user in users:
        async with sessionmaker() as session:
            session.add(DigestRun(user_id=user.id, day=day, created_at=now))
            try:
                await session.flush()
            except IntegrityError:
                await session.rollback()
                continue  # another consumer (or an earlier run) has it
            matches = (
                await session.execute(
                    select(Notification)
                    .where(
                        Notification.user_id == user.id,
                        Notification.kind == "job_alert",
                        Notification.created_at > now - timedelta(days=1),
                    )
                    .order_by(Notification.id.desc())
                    .limit(MAX_ITEMS)
                )
            ).scalars()
            items = [{"title": n.title, "url": n.url} for n in matches]
            if items:
                await queue_message(
                    session,
                    OutgoingMessage.email_to(
                        user,
                        "digest",
                        {"items": items},
                        unsubscribe=unsubscribe_path_for(0, user.id),
                    ),
                )
                queued += 1
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()  # claimed by another consumer meanwhile
                queued -= bool(items)
    return queued


async def run_forever(
    sessionmaker: async_sessionmaker[AsyncSession], every: float = DIGEST_EVERY_SECONDS
) -> None:
    while True:
        try:
            sent = await send_digests(sessionmaker, utcnow())
            if sent:
                log.info("queued %d daily digest(s)", sent)
        except Exception:
            log.exception("the daily digest job failed; next try in %.0f s", every)
        await asyncio.sleep(every)
