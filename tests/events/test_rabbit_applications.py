"""Applications live both ways across the real RabbitMQ broker: two apps on one database and
exchange stand for two workers. The applicant applies on one, the admin (on the other) sees
application.created on the admin channel; the admin's move reaches the applicant's `me`."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

from werkzeug.datastructures import FileStorage

from portal.accounts.models import Role
from portal.config import Settings
from portal.demo import demo_pdf
from tests.events.conftest import AMQP_URL
from tests.events.test_rabbit_events import running
from tests.factories import csrf_token_for, login, make_user

JOB = {"title": "Forklift driver 叉车司机", "content": "Warehouse work.", "status": "published"}


async def subscribe(ws: Any, channel: str) -> None:
    await ws.send(json.dumps({"type": "subscribe", "channel": channel}))
    frame = json.loads(await ws.receive())
    assert frame["type"] == "subscribed", frame


class Events:
    """A socket's events in order, batches unpacked, so none is skipped between reads."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.pending: list[dict[str, Any]] = []

    async def next_of(self, kind: str) -> dict[str, Any]:
        while True:
            while self.pending:
                event = self.pending.pop(0)
                if event["event"] == kind:
                    return event
            frame = json.loads(await asyncio.wait_for(self.ws.receive(), 5))
            frames = frame["messages"] if frame["type"] == "batch" else [frame]
            self.pending += [f for f in frames if f.get("type") == "event"]


async def test_an_application_crosses_the_broker_both_ways(
    settings: Settings, amqp_prefix: str
) -> None:
    settings = settings.model_copy(update={"amqp_url": AMQP_URL, "amqp_prefix": amqp_prefix})
    async with running(settings) as worker_a, running(settings) as worker_b:
        await make_user(worker_a, role=Role.ADMIN, username="boss")
        await make_user(worker_a, username="ann", nickname="Ann 安")
        admin = worker_b.test_client()
        await login(admin, "boss")
        applicant = worker_a.test_client()
        await login(applicant, "ann")
        job = await (await admin.post("/api/v1/jobs", json=JOB)).get_json()
        token = await csrf_token_for(applicant, "/")
        async with admin.websocket("/ws") as admin_ws, applicant.websocket("/ws") as user_ws:
            await subscribe(admin_ws, "applications")
            await subscribe(user_ws, "me")
            admin_events, user_events = Events(admin_ws), Events(user_ws)
            response = await applicant.post(
                f"/api/v1/jobs/{job['id']}/applications",
                form={"cover_letter": "I drive safely.", "csrf_token": token},
                files={
                    "resume": FileStorage(
                        io.BytesIO(demo_pdf("Ann")), "ann.pdf", content_type="application/pdf"
                    )
                },
            )
            assert response.status_code == 201, await response.get_data(as_text=True)
            application = await response.get_json()
            created = await admin_events.next_of("application.created")
            assert created["data"]["id"] == application["id"]
            assert created["data"]["applicant"] == "Ann 安"

            moved = await admin.patch(
                f"/api/v1/applications/{application['id']}",
                json={"status": "interview", "note": "Call on Monday."},
            )
            assert moved.status_code == 200
            updated = await user_events.next_of("application.updated")
            assert updated["data"]["status"] == "interview"
            assert "note" not in updated["data"] and "applicant" not in updated["data"]
            notification = await user_events.next_of("notification")
            assert notification["data"]["kind"] == "application"
            assert (await admin_events.next_of("application.updated"))["data"][
                "status"
            ] == "interview"
