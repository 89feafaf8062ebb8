"""Appending to the event log inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from portal.db import utcnow
from portal.events.models import Event

PENDING_KEY = "portal.pending_events"


async def append_event(
    session: AsyncSession, *, channel: str, type: str, data: dict[str, Any]
) -> int:
    """Add an event row to the open transaction (it commits, or not, with the change); its id.

    The row is also remembered on the session so that, after commit, the publisher can send
    it without a second query.
    """
    return (await append_events(session, [(channel, type, data)]))[0]


async def append_events(
    session: AsyncSession,
    events: Sequence[tuple[str, str, dict[str, Any]]],
    now: datetime | None = None,
) -> list[int]:
    """``append_event`` for many ``(channel, type, data)`` rows in one INSERT; their ids.

    A batch of any size is one statement and one round trip (SQLAlchemy's "insertmanyvalues"
    with RETURNING), and the ids come back in the order given.
    """
    if not events:
        return []
    now = now or utcnow()
    table = cast(Table, Event.__table__)
    result = await session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [
            {"channel": channel, "type": type, "data": data, "created_at": now}
            for channel, type, data in events
        ],
    )
    ids = list(result.scalars())
    # Plain snapshots: the after-commit publisher must not touch ORM objects.
    session.info.setdefault(PENDING_KEY, []).extend(
        {"id": id, "channel": channel, "type": type, "data": data, "at": now.isoformat()}
        for id, (channel, type, data) in zip(ids, events, strict=True)
    )
    return ids


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"
