"""Request bodies that stream with back-pressure, for uploads of any size.

Quart's receiver task appends every chunk the server hands it to the request body at once,
whether or not the handler has read the previous ones: a client faster than the disk would
grow memory without bound. For streamed routes the receiver here waits while more than
:data:`HIGH_WATER` bytes are unread, so Hypercorn stops reading the socket and TCP slows the
client down. Other routes keep Quart's buffered body and its ``MAX_CONTENT_LENGTH``, or the
larger limit a route asked for with :func:`portal.web.body_limits.allow_larger_body`.

:class:`StreamedBody` keeps to the state of Quart's ``Body`` (``_data``, ``_complete``,
``_has_data``, ``_must_raise``); :func:`check_body_internals` makes sure, at start-up, that it
is still there, since without it uploads could not stream at all.
"""

from __future__ import annotations

import asyncio
from typing import Any

from quart.asgi import ASGIHTTPConnection
from quart.wrappers import Request
from quart.wrappers.request import Body

from portal.web.body_limits import larger_body_limit

OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
HIGH_WATER = 1024 * 1024
SOCKET_READ_BYTES = 1024 * 1024
STREAMED_METHODS = frozenset({"POST", "PATCH"})
STREAMED_PREFIXES = ("/api/v1/uploads",)


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


BODY_STATE = ("_data", "_complete", "_has_data", "_must_raise")


def check_body_internals() -> None:
    """Refuse to serve on a Quart whose request body no longer keeps the state StreamedBody
    works on: uploads would break in ways no test of ours has seen."""
    body = Body(None, None)
    missing = [name for name in BODY_STATE if not hasattr(body, name)]
    handler = getattr(ASGIHTTPConnection, "handle_messages", None)
    if missing or handler is None:
        raise RuntimeError(
            "portal.server.bodies needs Quart's request body state "
            f"(missing: {', '.join(missing) or 'ASGIHTTPConnection.handle_messages'}); "
            "install the Quart release pyproject.toml pins"
        )


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
