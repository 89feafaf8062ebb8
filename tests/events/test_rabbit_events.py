"""The event path across the real RabbitMQ broker: fan-out to every worker, outage recovery."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from quart import Quart
from sqlalchemy import select

from portal.accounts.models import Role
from portal.app import create_app
from portal.config import Settings
from portal.db import get_db
from portal.events.models import Event
from tests.events.conftest import AMQP_URL
from tests.factories import login, make_user
from tests.utils.proxy import TcpProxy

JOB = {
    "title": "Backend engineer",
    "content": "Python",
    "status": "published",
    "apply_email": "jobs@example.com",
}


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Quart]:
    app = create_app(settings)
    async with app.test_app():
        yield app


async def next_event(ws: Any, timeout: float) -> dict[str, Any]:
    """The next event, unpacking batches (subscribed/pong frames are skipped)."""
    while True:
        frame = json.loads(await asyncio.wait_for(ws.receive(), timeout))
        if frame["type"] == "batch":
            return frame["messages"][0]
        if frame["type"] == "event":
            return frame


async def subscribed(app: Quart, ws: Any) -> None:
    await ws.send(json.dumps({"type": "subscribe", "channel": "jobs"}))
    frame = json.loads(await asyncio.wait_for(ws.receive(), 5))
    assert frame["type"] == "subscribed"


async def test_event_crosses_the_broker_to_a_websocket(settings: Settings, amqp_prefix: str):
    settings = settings.model_copy(update={"amqp_url": AMQP_URL, "amqp_prefix": amqp_prefix})
    async with running(settings) as app:
        await make_user(app, role=Role.ADMIN, username="boss")
        admin = app.test_client()
        await login(admin, "boss")
        async with app.test_client().websocket("/ws") as ws:
            await subscribed(app, ws)
            response = await admin.post("/api/v1/jobs", json=JOB)
            assert response.status_code == 201
            event = await next_event(ws, 5)
        assert event["event"] == "job.created"
        assert event["data"]["title"] == "Backend engineer"
        # Confirmed by the broker, the row is marked published (in a batch, moments later).
        async with asyncio.timeout(5):
            while True:
                async with get_db(app).session_scope() as session:
                    row = await session.get(Event, event["id"])
                assert row is not None
                if row.published_at is not None:
                    break
                await asyncio.sleep(0.05)


async def test_every_worker_gets_every_event(settings: Settings, amqp_prefix: str):
    """Two apps on one database and exchange stand for two Hypercorn workers."""
    settings = settings.model_copy(update={"amqp_url": AMQP_URL, "amqp_prefix": amqp_prefix})
    async with running(settings) as worker_a, running(settings) as worker_b:
        await make_user(worker_a, role=Role.ADMIN, username="boss")
        admin = worker_a.test_client()
        await login(admin, "boss")
        async with (
            worker_b.test_client().websocket("/ws") as ws_b,
            worker_a.test_client().websocket("/ws") as ws_a,
        ):
            await subscribed(worker_b, ws_b)
            await subscribed(worker_a, ws_a)
            assert (await admin.post("/api/v1/jobs", json=JOB)).status_code == 201
            got_b = await next_event(ws_b, 5)
            got_a = await next_event(ws_a, 5)
        assert got_a["id"] == got_b["id"]


async def test_broker_outage_delays_events_but_loses_none(settings: Settings, amqp_prefix: str):
    assert AMQP_URL
    parts = urlsplit(AMQP_URL)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5672)
    await proxy.start()
    netloc = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
    via_proxy = urlunsplit(parts._replace(netloc=f"{netloc}:{proxy.port}"))
    settings = settings.model_copy(update={"amqp_url": via_proxy, "amqp_prefix": amqp_prefix})
    try:
        async with running(settings) as app:
            await make_user(app, role=Role.ADMIN, username="boss")
            admin = app.test_client()
            await login(admin, "boss")
            async with app.test_client().websocket("/ws") as ws:
                await subscribed(app, ws)
                await proxy.cut()
                await asyncio.sleep(0.5)
                ready = await app.test_client().get("/readyz")
                assert ready.status_code == 503
                assert (await ready.get_json())["checks"]["broker"] == "disconnected"
                # The broker is unreachable: the request still succeeds, the event waits.
                response = await admin.post("/api/v1/jobs", json=JOB)
                assert response.status_code == 201
                job_id = (await response.get_json())["id"]
                async with get_db(app).session_scope() as session:
                    rows = (await session.execute(select(Event))).scalars().all()
                    assert [r.published_at for r in rows] == [None]
                # Browsers still get it: each worker reads the event log while the bus is away.
                event = await next_event(ws, 10)
                assert event["event"] == "job.created"
                assert event["data"]["id"] == job_id
                await proxy.start()  # the broker is back on the same address
                for _ in range(300):
                    ready = await app.test_client().get("/readyz")
                    if ready.status_code == 200:
                        break
                    await asyncio.sleep(0.1)
                assert ready.status_code == 200, await ready.get_data(as_text=True)
                # The relay sends the backlog; the socket does not get the event a second time.
                for _ in range(300):
                    async with get_db(app).session_scope() as session:
                        rows = (await session.execute(select(Event))).scalars().all()
                    if rows[0].published_at is not None:
                        break
                    await asyncio.sleep(0.1)
                assert rows[0].published_at is not None
                with pytest.raises(TimeoutError):
                    await next_event(ws, 1)
    finally:
        await proxy.cut()
