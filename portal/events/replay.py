"""Reading the event log: where it stands, and what came after a position (resume, catch-up)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.db import utcnow
from portal.events.message import EventMessage
from portal.events.models import Event

RESUME_WINDOW = timedelta(hours=24)
RESUME_LIMIT = 10_000

# The reader's own kind of message (the live hub's carries its encoded frames).
M = TypeVar("M", bound=EventMessage)


@dataclass(frozen=True)
class Replay(Generic[M]):
    events: list[M]
    last_id: int
    reload: bool  # the gap is larger than the log keeps: the client should reload


async def last_event_id(session: AsyncSession, channel: str | None = None) -> int:
    """The newest id of ``channel``'s events (of all of them when None); 0 when none."""
    query = select(func.max(Event.id))
    if channel is not None:
        query = query.where(Event.channel == channel)
    return int(await session.scalar(query) or 0)


async def events_after(
    session: AsyncSession,
    position: int,
    limit: int,
    kind: type[M] = EventMessage,  # type: ignore[assignment]
) -> list[M]:
    """Every channel's events after ``position``, oldest first, at most ``limit``."""
    rows = await session.execute(
        select(Event).where(Event.id > position).order_by(Event.id).limit(limit)
    )
    return [kind.from_row(row) for row in rows.scalars()]


async def replay_after(
    session: AsyncSession,
    channel: str,
    since: int | None,
    kind: type[M] = EventMessage,  # type: ignore[assignment]
) -> Replay[M]:
    """The channel's events after ``since``, within the resume window and limit."""
    last_id = await last_event_id(session, channel)
    if since is None or since >= last_id:
        return Replay([], last_id, reload=False)
    rows = (
        (
            await session.execute(
                select(Event)
                .where(Event.channel == channel, Event.id > since)
                .order_by(Event.id)
                .limit(RESUME_LIMIT + 1)
            )
        )
        .scalars()
        .all()
    )
    cutoff = utcnow() - RESUME_WINDOW
    if len(rows) > RESUME_LIMIT or (rows and rows[0].created_at < cutoff):
        return Replay([], last_id, reload=True)
    return Replay([kind.from_row(row) for row in rows], last_id, reload=False)
