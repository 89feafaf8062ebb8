"""The fast path (portal.server.wire) under a real Hypercorn, with the websockets client."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from portal.app import create_app
from portal.cli import _hypercorn_config
from portal.config import Settings
from portal.live.extension import get_live
from portal.live.hub import STALL_SECONDS, Hub, LiveEvent, Subscriber
from portal.live.protocol import PING_FRAME, text_frame

TIMEOUT = 5.0


def parse(data: bytes) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        return done.value
    raise AssertionError("incomplete frame")


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
def test_text_frame_is_one_unmasked_final_text_frame(size: int) -> None:
    payload = "é" * (size // 2) + "x" * (size % 2)
    frame = parse(text_frame(payload))
    assert frame.opcode is Opcode.TEXT and frame.fin and not frame.rsv1
    assert bytes(frame.data).decode() == payload


def test_ping_frame_is_an_empty_ping() -> None:
    frame = parse(PING_FRAME)
    assert frame.opcode is Opcode.PING and frame.fin and frame.data == b""


def test_serve_sets_tcp_user_timeout_on_its_listening_sockets() -> None:
    if not hasattr(socket, "TCP_USER_TIMEOUT"):
        pytest.skip("TCP_USER_TIMEOUT is Linux only")
    config = _hypercorn_config("127.0.0.1:0", 1, None)
    sockets = config.create_sockets()
    try:
        [sock] = sockets.insecure_sockets
        timeout = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT)
        assert timeout == int(STALL_SECONDS * 1000)
    finally:
        for sock in sockets.insecure_sockets:
            sock.close()


# --- under Hypercorn -----------------------------------------------------------------------


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[tuple[Quart, str]]:
    app = create_app(settings)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None
    stop = asyncio.Event()
    # Quart is an ASGI app; Hypercorn's stubs want its own framework protocol type.
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    url = f"ws://127.0.0.1:{port}/ws"
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                break
        except OSError:
            await asyncio.sleep(0.05)
    try:
        yield app, url
    finally:
        stop.set()
        await asyncio.wait_for(server, 15)


async def subscribed(url: str, channel: str = "jobs") -> ClientConnection:
    ws = await connect(url, compression=None)
    await ws.send(json.dumps({"type": "subscribe", "channel": channel}))
    reply = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    assert reply["type"] == "subscribed", reply
    return ws


def members(hub: Hub) -> list[Subscriber]:
    return list(hub._connected)


def event(event_id: int, **data: Any) -> LiveEvent:
    return LiveEvent(event_id, "jobs", "job.created", data, "2026-01-01T00:00:00+00:00")


async def test_events_take_the_fast_path_and_arrive_intact(served: tuple[Quart, str]) -> None:
    app, url = served
    ws = await subscribed(url)
    hub = get_live(app).hub
    [sub] = members(hub)
    assert sub.direct is not None, "the fast path should be found under Hypercorn"
    hub.route(event(10**9, title="Entwickler:in — 开发者", pad="x" * 70_000))
    message = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    assert message["type"] == "event" and message["id"] == 10**9
    assert message["data"]["title"] == "Entwickler:in — 开发者"
    assert not sub.pending  # written straight to the socket, nothing queued
    # Control frames still go through Quart; an event behind one waits its turn.
    sub.push(json.dumps({"type": "pong"}))
    hub.route(event(10**9 + 1))
    replies = [json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)) for _ in range(2)]
    assert [r["type"] for r in replies] == ["pong", "event"]
    hub.ping()  # keepalive: the client answers the ping, the socket stays open
    await ws.send(json.dumps({"type": "ping"}))
    assert json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))["type"] == "pong"
    await ws.close()


async def test_the_sweep_drops_a_stalled_socket(served: tuple[Quart, str]) -> None:
    app, url = served
    ws = await subscribed(url)
    hub = get_live(app).hub
    [sub] = members(hub)
    sub.sending_since = 0.0  # as if a send had been blocked since long ago
    assert hub.sweep_stalled(now=STALL_SECONDS + 1, limit=STALL_SECONDS) == 1
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert ws.close_code in (None, 1006)  # aborted: no close frame
    for _ in range(50):
        if not hub._connected:
            break
        await asyncio.sleep(0.05)
    assert not hub._connected
