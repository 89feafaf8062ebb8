"""Event ids follow commit order, and what the bus never delivered reaches sockets from the log."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from quart import Quart
from sqlalchemy import insert, select

from portal.db import get_db, utcnow
from portal.events.log import append_event
from portal.events.models import Event
from portal.live import follow

pytestmark = pytest.mark.both_databases
TIMEOUT = 10


async def events(ws: Any, count: int, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
    """The next ``count`` events, unpacking batches."""
    got: list[dict[str, Any]] = []
    while len(got) < count:
        frame = json.loads(await asyncio.wait_for(ws.receive(), timeout))
        if frame["type"] == "event":
            got.append(frame)
        elif frame["type"] == "batch":
            got.extend(frame["messages"])
    assert len(got) == count
    return got


async def subscribed(ws: Any) -> None:
    await ws.send(json.dumps({"type": "subscribe", "channel": "jobs"}))
    assert json.loads(await asyncio.wait_for(ws.receive(), TIMEOUT))["type"] == "subscribed"


async def unannounced(app: Quart, n: int) -> None:
    """An event committed whose publish never happened (a worker died right after commit)."""
    async with get_db(app).session_scope() as session:
        await session.execute(
            insert(Event).values(
                channel="jobs", type="job.updated", data={"n": n}, created_at=utcnow()
            )
        )
        await session.commit()


async def test_ids_follow_commit_order_not_insert_order(app: Quart, db_backend: str) -> None:
    # The first transaction adds its event first but commits last: its id must be the higher,
    # or a browser that saw the second (and resumes after it) would never see the first.
    db = get_db(app)
    async with db.session_scope() as first, db.session_scope() as second:
        await append_event(first, channel="jobs", type="job.updated", data={"who": "first"})
        await append_event(second, channel="jobs", type="job.updated", data={"who": "second"})
        await asyncio.wait_for(second.commit(), TIMEOUT)
        await asyncio.wait_for(first.commit(), TIMEOUT)
    async with db.session_scope() as session:
        rows = (await session.execute(select(Event).order_by(Event.id))).scalars().all()
    assert [row.data["who"] for row in rows] == ["second", "first"]


async def test_an_event_the_bus_never_carried_reaches_the_socket(
    app: Quart, db_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(follow, "EVERY_ONLINE", 0.2)
    async with app.test_client().websocket("/ws") as ws:
        await subscribed(ws)
        await unannounced(app, 1)  # nothing after it shows a gap: the periodic read finds it
        # Well before the outbox relay would publish it again (RELAY_GRACE and more).
        [event] = await events(ws, 1, timeout=2)
        assert event["data"] == {"n": 1}


async def test_a_gap_is_filled_from_the_log_and_order_kept(app: Quart, db_backend: str) -> None:
    async with app.test_client().websocket("/ws") as ws:
        await subscribed(ws)
        await unannounced(app, 1)
        async with get_db(app).session_scope() as session:
            await append_event(session, channel="jobs", type="job.updated", data={"n": 2})
            await session.commit()
        # 2 came by the bus at once, above the gap of 1: it waits, 1 is read from the log.
        first, second = await events(ws, 2)
        assert [first["data"]["n"], second["data"]["n"]] == [1, 2]
        assert first["id"] < second["id"]
