"""Account changes reach open websockets: a revoked session or a lost role loses channels."""

from __future__ import annotations

import asyncio
import json

import pytest
from quart import Quart
from quart.testing.connections import WebsocketDisconnectError

from portal.accounts.models import Role
from tests.factories import login, signed_in_client


async def _subscribed(ws, channel: str) -> dict:
    await ws.send(json.dumps({"type": "subscribe", "channel": channel}))
    return json.loads(await asyncio.wait_for(ws.receive(), 5))


async def test_signing_out_everywhere_closes_the_other_browsers_socket(app: Quart) -> None:
    browser, _user = await signed_in_client(app, username="ann")
    async with browser.websocket("/ws") as ws:
        assert (await _subscribed(ws, "me"))["type"] == "subscribed"
        # A second browser of ann's signs out everywhere else.
        second = app.test_client()
        await login(second, "ann")
        response = await second.post("/api/v1/me/sessions/revoke-others", json={})
        assert response.status_code == 200
        with pytest.raises(WebsocketDisconnectError) as closed:
            await asyncio.wait_for(ws.receive(), 5)
        assert closed.value.args[0] == 1008


async def test_a_demoted_admin_loses_the_uploads_channel(app: Quart) -> None:
    admin, admin_user = await signed_in_client(app, role=Role.ADMIN, username="boss")
    other_admin, _ = await signed_in_client(app, role=Role.ADMIN, username="chief")
    async with admin.websocket("/ws") as ws:
        assert (await _subscribed(ws, "uploads"))["type"] == "subscribed"
        response = await other_admin.patch(f"/api/v1/users/{admin_user.id}", json={"role": "user"})
        assert response.status_code == 200
        frame = json.loads(await asyncio.wait_for(ws.receive(), 5))
        assert frame == {"type": "error", "code": "forbidden", "message": frame["message"]}
        assert (await _subscribed(ws, "uploads"))["code"] == "forbidden"
