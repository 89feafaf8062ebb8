"""Request bodies that stream with back-pressure, for uploads of any size.

Quart's receiver task appends every chunk the server hands it to the request body at once,
whether or not the handler has read the previous ones: a client faster than the disk would
grow memory without bound. For streamed routes the receiver here waits while more than
:data:`HIGH_WATER` bytes are unread, so Hypercorn stops reading the socket and TCP slows the
client down. Other routes keep Quart's buffered body and its ``MAX_CONTENT_LENGTH``, or the
larger limit a route asked for with :func:`allow_larger_body`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import Any

from quart.asgi import ASGIHTTPConnection
from quart.wrappers import Request
from quart.wrappers.request import Body

OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
HIGH_WATER = 1024 * 1024
SOCKET_READ_BYTES = 1024 * 1024
STREAMED_METHODS = frozenset({"POST", "PATCH"})
STREAMED_PREFIXES = ("/api/v1/uploads",)
# Routes whose (buffered) bodies may pass MAX_CONTENT_LENGTH, up to their own limit:
# (methods, whole-path pattern, bytes). See allow_larger_body.
_LARGER_BODIES: list[tuple[frozenset[str], re.Pattern[str], int]] = []


def allow_larger_body(methods: Iterable[str], path: str, limit: int) -> None:
    """Let requests to ``path`` (a regular expression the whole path must match) carry a
    body, or a form, of up to ``limit`` bytes instead of ``MAX_CONTENT_LENGTH``: a logo, a
    résumé. Registered at import, like the route; the route still checks its own sizes."""
    _LARGER_BODIES.append((frozenset(methods), re.compile(path), limit))


def larger_body_limit(method: str, path: str) -> int | None:
    for methods, pattern, limit in _LARGER_BODIES:
        if method in methods and pattern.fullmatch(path):
            return limit
    return None


class StreamedBody(Body):
    """No size limit of its own (the route checks lengths against the upload's); bounded
    buffering instead."""

    def __init__(self) -> None:
        super().__init__(None, None)
        self._room = asyncio.Event()
        self._room.set()

    def append(self, data: bytes) -> None:
        super().append(data)
        if len(self._data) >= HIGH_WATER:
            self._room.clear()

    async def __anext__(self) -> bytes:
        # Quart's copies the buffer (bytes(self._data)); handing over the bytearray itself and
        # starting a new one saves a copy of every byte of an upload.
        if self._must_raise is not None:
            raise self._must_raise
        if not self._complete.is_set():
            await self._has_data.wait()
        if self._complete.is_set() and len(self._data) == 0:
            raise StopAsyncIteration()
        data, self._data = self._data, bytearray()
        self._has_data.clear()
        self._room.set()
        return data  # type: ignore[return-value]

    async def room(self) -> None:
        await self._room.wait()


class PortalRequest(Request):
    def __init__(self, method: str, scheme: str, path: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(method, scheme, path, *args, **kwargs)
        if (
            method in STREAMED_METHODS
            and path.startswith(STREAMED_PREFIXES)
            and self.mimetype == OFFSET_CONTENT_TYPE
        ):
            # Anything else sent here (a form, JSON) keeps Quart's bounded, buffered body.
            self.body = StreamedBody()
        elif (limit := larger_body_limit(method, path)) is not None:
            # Still buffered and bounded (Content-Length refused early, bytes counted as they
            # arrive), by the route's limit; the form parser follows the same limit.
            self.body = self.body_class(self.content_length, limit)
            self.max_content_length = limit


class BackPressureHTTPConnection(ASGIHTTPConnection):
    async def handle_messages(self, request: Request, receive: Any) -> None:
        body = request.body
        while True:
            message = await receive()
            if message["type"] == "http.request":
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body.set_complete()
                elif isinstance(body, StreamedBody):
                    await body.room()
            elif message["type"] == "http.disconnect":
                return


def read_larger_socket_chunks() -> None:
    """Let Hypercorn read up to 1 MiB per socket read instead of 64 KiB.

    Every chunk read is a trip through h11, Hypercorn, the ASGI queue and Quart (tens of
    microseconds of Python); uploads of gigabytes make that the dominant cost. asyncio's
    stream reader still bounds what it buffers, so memory stays bounded. A module constant of
    Hypercorn's asyncio server (checked at import, so a renamed one changes nothing).
    """
    from hypercorn.asyncio import tcp_server

    if isinstance(getattr(tcp_server, "MAX_RECV", None), int):
        tcp_server.MAX_RECV = max(tcp_server.MAX_RECV, SOCKET_READ_BYTES)
