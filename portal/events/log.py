"""Appending to the event log inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from portal.db import utcnow
from portal.events.models import Event

PENDING_KEY = "portal.pending_events"


async def append_event(
    session: AsyncSession, *, channel: str, type: str, data: dict[str, Any]
) -> Event:
    """Add an event row to the open transaction; it commits (or not) with the change.

    The rows are also remembered on the session so that, after commit, the publisher can
    send them without a second query.
    """
    event = Event(channel=channel, type=type, data=data, created_at=utcnow())
    session.add(event)
    await session.flush()
    # A plain snapshot: the after-commit publisher must not touch the ORM object.
    session.info.setdefault(PENDING_KEY, []).append(
        {
            "id": event.id,
            "channel": channel,
            "type": type,
            "data": data,
            "at": event.created_at.isoformat(),
        }
    )
    return event


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"
