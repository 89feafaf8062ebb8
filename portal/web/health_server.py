"""``/healthz`` and ``/readyz`` for a process that serves no web pages (a consumer).

A supervisor or an operator asks a consumer the same two questions as a web worker; a whole
HTTP stack for two constant routes would be most of the consumer's memory, so this answers
them with plain asyncio: one request per connection, GET or HEAD, nothing else.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

# What a probe sends fits in a few hundred bytes; anything slower or bigger is not a probe.
READ_TIMEOUT = 5.0
MAX_HEAD = 8192

Check = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]


async def serve_health(host: str, port: int, ready: Check) -> asyncio.Server:
    """Listen on ``host:port``; ``ready`` answers ``/readyz`` (200 when ready, else 503)."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(READ_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
            status, body = await respond(head, ready)
            writer.write(encode(status, body, head.startswith(b"HEAD ")))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # not a probe: drop it
        except ConnectionError:
            pass
        finally:
            writer.close()

    return await asyncio.start_server(answer, host, port, limit=MAX_HEAD)


async def respond(head: bytes, ready: Check) -> tuple[int, dict[str, Any]]:
    """The status and JSON body for a request's head."""
    parts = head.split(b"\r\n", 1)[0].split(b" ")
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
        return 400, {"error": "bad_request"}
    method, target = parts[0], parts[1].split(b"?", 1)[0]
    if target not in (b"/healthz", b"/readyz"):
        return 404, {"error": "not_found"}
    if method not in (b"GET", b"HEAD"):
        return 405, {"error": "method_not_allowed"}
    if target == b"/healthz":
        return 200, {"status": "ok"}
    try:
        ok, body = await ready()
    except Exception:  # an answer, not a dropped connection: the check itself is broken
        log.exception("readiness check failed")
        return 503, {"status": "unavailable"}
    return (200 if ok else 503), body


REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
           503: "Service Unavailable"}  # fmt: skip


def encode(status: int, body: dict[str, Any], head_only: bool) -> bytes:
    payload = json.dumps(body).encode()
    lines = [
        f"HTTP/1.1 {status} {REASONS[status]}",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
        "Cache-Control: no-store",
        "Connection: close",
    ]
    if status == 405:
        lines.append("Allow: GET, HEAD")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (b"" if head_only else payload)
