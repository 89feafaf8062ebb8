"""The websocket: only admins get the ``applications`` channel; they see applications
arrive, and the applicant sees their own application move on ``me`` (without the note)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.applications.helpers import applied


async def subscribe(ws: Any, channel: str, since: int | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "subscribe", "channel": channel}
    if since is not None:
        message["since"] = since
    await ws.send(json.dumps(message))
    return json.loads(await asyncio.wait_for(ws.receive(), 5))


class Events:
    """A socket's events in order, batches unpacked."""

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


async def test_users_and_visitors_are_refused_the_applications_channel(app, client, ann) -> None:
    for visitor in (ann, client):
        async with visitor.websocket("/ws") as ws:
            frame = await subscribe(ws, "applications")
            assert frame["type"] == "error" and frame["code"] == "forbidden", frame
            assert "admins" in frame["message"]
            # The socket stays usable for what they may see.
            assert (await subscribe(ws, "jobs"))["type"] == "subscribed"


async def test_admins_see_applications_arrive_and_applicants_their_moves(
    app, admin_client, ann, job
) -> None:
    async with admin_client.websocket("/ws") as admin_ws, ann.websocket("/ws") as user_ws:
        assert (await subscribe(admin_ws, "applications"))["type"] == "subscribed"
        assert (await subscribe(user_ws, "me"))["type"] == "subscribed"
        admin_events, user_events = Events(admin_ws), Events(user_ws)
        body = await applied(ann, job.id)
        created = await admin_events.next_of("application.created")
        assert created["channel"] == "applications"
        assert created["data"]["id"] == body["id"] and created["data"]["applicant"] == "Ann 安"

        response = await admin_client.patch(
            f"/api/v1/applications/{body['id']}", json={"status": "reviewing", "note": "Secret"}
        )
        assert response.status_code == 200
        updated = await user_events.next_of("application.updated")
        assert updated["channel"] == "me" and updated["data"]["status"] == "reviewing"
        assert "Secret" not in json.dumps(updated) and "applicant" not in updated["data"]
        notification = await user_events.next_of("notification")
        assert notification["data"]["kind"] == "application"
        assert notification["data"]["status"] == "reviewing"
        assert (await admin_events.next_of("application.updated"))["data"]["status"] == (
            "reviewing"
        )


async def test_an_admin_catches_up_from_an_event_id(app, admin_client, ann, job) -> None:
    body = await applied(ann, job.id)
    async with admin_client.websocket("/ws") as ws:
        frame = await subscribe(ws, "applications", since=0)
        assert frame["type"] == "subscribed", frame
        created = await Events(ws).next_of("application.created")
        assert created["data"]["id"] == body["id"]
