"""A revocation made while the broker is away still reaches every worker, in order."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from quart.testing.connections import WebsocketDisconnectError

from portal.config import Settings
from portal.db import get_db
from portal.events.channels import user as user_channel
from portal.events.log import append_event
from tests.events.conftest import AMQP_URL
from tests.events.test_rabbit_events import running
from tests.factories import login, make_user
from tests.utils.proxy import TcpProxy

# The documented bound: a worker reads the event log every second while the broker is away.
BOUND_SECONDS = 3.0


async def test_a_revoked_session_stops_on_every_worker_during_an_outage(
    settings: Settings, amqp_prefix: str
) -> None:
    assert AMQP_URL
    parts = urlsplit(AMQP_URL)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5672)
    await proxy.start()
    netloc = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
    via_proxy = urlunsplit(parts._replace(netloc=f"{netloc}:{proxy.port}"))
    settings = settings.model_copy(update={"amqp_url": via_proxy, "amqp_prefix": amqp_prefix})
    try:
        async with running(settings) as worker_a, running(settings) as worker_b:
            user = await make_user(worker_a, username="pat")
            stolen = worker_a.test_client()  # the session to revoke
            await login(stolen, "pat")
            owner = worker_a.test_client()  # the owner's other session, which revokes it
            await login(owner, "pat")
            on_b = worker_b.test_client()
            on_b.cookie_jar = stolen.cookie_jar  # the same cookie, sent to the other worker
            assert (await on_b.get("/api/v1/me")).status_code == 200  # now remembered on B
            sessions = await (await owner.get("/api/v1/me/sessions")).get_json()
            [victim] = [s["id"] for s in sessions["items"] if not s["current"]]

            async with on_b.websocket("/ws") as ws:
                await ws.send(json.dumps({"type": "subscribe", "channel": "me"}))
                frame = json.loads(await asyncio.wait_for(ws.receive(), 5))
                assert frame["type"] == "subscribed"
                await proxy.cut()
                await asyncio.sleep(0.5)
                response = await owner.delete(f"/api/v1/me/sessions/{victim}")
                assert response.status_code in (200, 204), await response.get_data(as_text=True)
                # Committed after the revocation: must never reach the revoked session.
                async with get_db(worker_a).session_scope() as session:
                    await append_event(
                        session,
                        channel=user_channel(user.id),
                        type="notification",
                        data={"text": "after the revocation"},
                    )
                    await session.commit()
                received: list[dict[str, Any]] = []
                closed = False
                try:
                    async with asyncio.timeout(BOUND_SECONDS):
                        while True:
                            received.append(json.loads(await ws.receive()))
                except WebsocketDisconnectError:
                    closed = True
                except TimeoutError:
                    pass
            assert closed, f"the revoked session's socket stayed open: {received}"
            assert not [f for f in received if f["type"] in ("event", "batch")], received
            assert (await on_b.get("/api/v1/me")).status_code == 401
    finally:
        await proxy.cut()
