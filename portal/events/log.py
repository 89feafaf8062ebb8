"""Appending to the event log and the work outbox inside the caller's transaction.

The event log's ids are its order: a browser resumes "after id N", and a worker that sees id N
knows every lower id is settled. For that, ids must be handed out in commit order. Live events
are therefore inserted at the very end of their transaction, just before it commits, and
(on PostgreSQL, whose sequences hand out ids before commit) under a transaction-scoped lock
that the next writer of events waits for. SQLite has a single writer: the write lock, held
from the first write to the commit, already orders them. The lock is held only for the insert
and the commit, never while a service does other work, so it cannot take part in a deadlock.

Work-queue items (``append_work``) are not part of that order and go to their own outbox
table, at once and without the lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, event, insert, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.events.channels import EVENT_TYPES, INTERNAL_EVENT_TYPES
from portal.events.message import EventMessage, OutboxMessage, WorkMessage
from portal.events.models import Event, WorkItem

PENDING_KEY = "portal.pending_events"
# Live events of the open transaction, inserted just before it commits.
UNWRITTEN_KEY = "portal.unwritten_events"
KNOWN_TYPES = EVENT_TYPES | INTERNAL_EVENT_TYPES
# pg_advisory_xact_lock's key for "inserting events": any constant unique to Portal.
EVENT_ORDER_LOCK = 0x706F7274616C  # "portal"


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
    """``append_event`` for many ``(channel, type, data)`` rows, inserted together at the
    commit in the order given (see the module's docstring)."""
    if events:
        unknown = {type for _channel, type, _data in events} - KNOWN_TYPES
        if unknown:
            # Browsers and docs/design.md know the vocabulary: a new type is added there first.
            raise ValueError(f"unknown event type(s): {sorted(unknown)}")
        now = now or utcnow()
        session.info.setdefault(UNWRITTEN_KEY, []).extend((*row, now) for row in events)


async def append_work(
    session: AsyncSession,
    queue: str,
    items: Sequence[dict[str, Any]],
    now: datetime | None = None,
) -> None:
    """Items for the work queue ``queue`` (its purpose; the bus adds the configured prefix),
    inserted now in one statement and sent once the transaction commits."""
    if not items:
        return
    table = cast(Table, WorkItem.__table__)
    result = await session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [{"queue": queue, "data": data, "created_at": now or utcnow()} for data in items],
    )
    _remember_sent_later(
        session,
        [
            WorkMessage(id=id, queue=queue, data=data)
            for id, data in zip(result.scalars(), items, strict=True)
        ],
    )


def _remember_sent_later(
    session: Session | AsyncSession, messages: Sequence[OutboxMessage]
) -> None:
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
            EventMessage(id=id, channel=channel, type=type, data=data, at=at.isoformat())
            for id, (channel, type, data, at) in zip(result.scalars(), unwritten, strict=True)
        ],
    )


@event.listens_for(Session, "after_soft_rollback")
def _forget_unwritten(session: Session, _previous: Any) -> None:
    session.info.pop(UNWRITTEN_KEY, None)
