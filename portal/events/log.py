"""Appending to the event log and the work outbox inside the caller's transaction.

The event log's ids are its order: a browser resumes "after id N", and a worker that sees id N
knows every lower id is settled. For that, ids must be handed out in commit order. Live events
are therefore inserted at the very end of their transaction, just before it commits, and
(on PostgreSQL, whose sequences hand out ids before commit) under a transaction-scoped lock
that the next writer of events waits for. SQLite has a single writer: the write lock, held
from the first write to the commit, already orders them. The lock is held only for the insert
and the commit, never while a service does other work, so it cannot take part in a deadlock.

Work-queue messages (``work:`` channels) are not part of that order and go to their own
outbox table, at once and without the lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, event, insert, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.events.models import Event, WorkItem

PENDING_KEY = "portal.pending_events"
# Live events of the open transaction, inserted just before it commits.
UNWRITTEN_KEY = "portal.unwritten_events"
WORK_PREFIX = "work:"
# pg_advisory_xact_lock's key for "inserting events": any constant unique to Portal.
EVENT_ORDER_LOCK = 0x706F7274616C  # "portal"


def work_channel(purpose: str) -> str:
    """The outbox channel of a work queue (``work:clicks`` goes to queue ``<prefix>.clicks``)."""
    return WORK_PREFIX + purpose


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


async def append_event(
    session: AsyncSession, *, channel: str, type: str, data: dict[str, Any]
) -> None:
    """Add an event to the open transaction: it commits, or not, with the change."""
    await append_events(session, [(channel, type, data)])


async def append_events(
    session: AsyncSession,
    events: Sequence[tuple[str, str, dict[str, Any]]],
    now: datetime | None = None,
) -> None:
    """``append_event`` for many ``(channel, type, data)`` rows.

    Work rows are inserted now, in one statement; live events wait for the commit (see the
    module's docstring), where they are inserted together, in the order given.
    """
    if not events:
        return
    now = now or utcnow()
    work = [(channel, data) for channel, _type, data in events if channel.startswith(WORK_PREFIX)]
    live = [row for row in events if not row[0].startswith(WORK_PREFIX)]
    if live:
        session.info.setdefault(UNWRITTEN_KEY, []).extend((*row, now) for row in live)
    if work:
        table = cast(Table, WorkItem.__table__)
        result = await session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [
                {"queue": channel.removeprefix(WORK_PREFIX), "data": data, "created_at": now}
                for channel, data in work
            ],
        )
        _remember_sent_later(
            session,
            [
                {"id": id, "channel": channel, "type": "work", "data": data, "at": now.isoformat()}
                for id, (channel, data) in zip(result.scalars(), work, strict=True)
            ],
        )


def _remember_sent_later(session: Session | AsyncSession, messages: list[dict[str, Any]]) -> None:
    # Plain snapshots: the after-commit publisher must not touch ORM objects.
    session.info.setdefault(PENDING_KEY, []).extend(messages)


@event.listens_for(Session, "before_commit")
def _write_events(session: Session) -> None:
    unwritten = session.info.pop(UNWRITTEN_KEY, None)
    if not unwritten:
        return
    # Inside the commit's greenlet: the sync session's execute drives the async driver. The
    # change itself is flushed first, so its row locks are taken before, not under, the lock.
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_ORDER_LOCK})
    table = cast(Table, Event.__table__)
    result = session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [
            {"channel": channel, "type": type, "data": data, "created_at": at}
            for channel, type, data, at in unwritten
        ],
    )
    _remember_sent_later(
        session,
        [
            {"id": id, "channel": channel, "type": type, "data": data, "at": at.isoformat()}
            for id, (channel, type, data, at) in zip(result.scalars(), unwritten, strict=True)
        ],
    )


@event.listens_for(Session, "after_soft_rollback")
def _forget_unwritten(session: Session, _previous: Any) -> None:
    session.info.pop(UNWRITTEN_KEY, None)
