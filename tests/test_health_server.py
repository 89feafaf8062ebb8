"""The consumers' probe server (portal.web.health_server) and the role bookkeeping it reports
(portal.recommend.turn): what a supervisor, a load balancer or a stray client gets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from portal.recommend.turn import ACTIVE_WINDOW, Role, Turn
from portal.web.health_server import MAX_HEAD, serve_health

READY: tuple[bool, dict[str, Any]] = (True, {"status": "ok", "role": "active"})


@pytest.fixture
async def port() -> AsyncIterator[int]:
    async def ready() -> tuple[bool, dict[str, Any]]:
        return READY

    server = await serve_health("127.0.0.1", 0, ready)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def exchange(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return answer


def parse(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split(" ")[1]), headers, body


async def test_readyz_and_healthz_answer_json(port: int) -> None:
    status, headers, body = parse(await exchange(port, b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n"))
    assert (status, json.loads(body)) == (200, READY[1])
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == str(len(body))
    assert headers["Cache-Control"] == "no-store"
    status, _, body = parse(await exchange(port, b"GET /healthz?x=1 HTTP/1.0\r\n\r\n"))
    assert (status, json.loads(body)) == (200, {"status": "ok"})


async def test_head_has_no_body(port: int) -> None:
    status, headers, body = parse(await exchange(port, b"HEAD /readyz HTTP/1.1\r\n\r\n"))
    assert (status, body) == (200, b"")
    assert int(headers["Content-Length"]) > 0


@pytest.mark.parametrize(
    ("request_line", "status"),
    [
        (b"GET /admin HTTP/1.1", 404),
        (b"POST /readyz HTTP/1.1", 405),
        (b"GET /readyz", 400),
        (b"GET /readyz SPDY/3", 400),
        (b"\x00\xff garbage", 400),
    ],
)
async def test_anything_else_gets_a_clear_status(
    port: int, request_line: bytes, status: int
) -> None:
    found, headers, body = parse(await exchange(port, request_line + b"\r\n\r\n"))
    assert found == status
    assert "error" in json.loads(body)
    if status == 405:
        assert headers["Allow"] == "GET, HEAD"


async def test_an_oversized_or_cut_request_is_dropped(port: int) -> None:
    huge = b"GET /readyz HTTP/1.1\r\nX: " + b"a" * MAX_HEAD + b"\r\n\r\n"
    assert await exchange(port, huge) == b""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /readyz HT")
    writer.write_eof()
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()


async def test_a_failing_check_is_an_answer_not_a_dropped_connection() -> None:
    async def broken() -> tuple[bool, dict[str, Any]]:
        raise RuntimeError("no database driver")

    server = await serve_health("127.0.0.1", 0, broken)
    try:
        port = server.sockets[0].getsockname()[1]
        status, _, body = parse(await exchange(port, b"GET /readyz HTTP/1.1\r\n\r\n"))
        assert (status, json.loads(body)) == (503, {"status": "unavailable"})
    finally:
        server.close()


def test_roles_follow_deliveries() -> None:
    turn = Turn()
    assert turn.role(0.0, connected=True) is Role.DISCONNECTED  # not subscribed yet
    turn.subscribed = 100.0
    assert turn.role(101.0, connected=True) is Role.STARTING
    assert turn.role(100.0 + ACTIVE_WINDOW + 1, connected=True) is Role.STANDBY
    turn.delivered(110.0)
    assert turn.role(110.0 + ACTIVE_WINDOW, connected=True) is Role.ACTIVE
    assert turn.role(110.0 + ACTIVE_WINDOW, connected=False) is Role.DISCONNECTED
    assert turn.role(110.0 + ACTIVE_WINDOW + 0.1, connected=True) is Role.STANDBY
    assert Turn(subscribed=0.0, solo=True).role(1e6, connected=True) is Role.ACTIVE
