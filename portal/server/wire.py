"""The fast path for event frames: one encoded websocket frame, written to every socket.

Through Quart, each frame a socket is sent passes Quart's ``websocket.send`` (with a yield to
the loop), the ASGI send, Hypercorn's stream, wsproto's framing, the HTTP/1.1 protocol and a
stream writer: about 25 µs of Python per frame and socket, three times the cost of the write
itself, and the bulk of a worker's time when one event goes to hundreds of sockets. A server's
frames are not masked, so an event's frame is the same bytes for every socket: it is encoded
once and written straight to each socket's transport.

Only complete, uncompressed text frames go this way (allowed beside permessage-deflate: a clear
RSV1 bit means "not compressed"). The handshake, control frames, the close handshake and any
backlog still go through Quart and Hypercorn, and the fast path steps aside whenever a socket
is not keeping up, so Hypercorn's flow control (and our bounded queue) still apply.

Finding the transport means walking Hypercorn's objects, which are not public API: the walk
checks every step and gives up (returns None: everything goes through Quart, only slower) under
any other server, HTTP/2, the test client, or a Hypercorn whose internals moved. It is off
altogether (see :func:`portal.server.install`) on releases other than those it was tested with.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

log = logging.getLogger(__name__)

try:
    from hypercorn.asyncio.tcp_server import TCPServer
    from hypercorn.protocol.h11 import H11Protocol
    from hypercorn.protocol.ws_stream import ASGIWebsocketState, WSStream
    from wsproto.connection import ConnectionState

    _CONNECTED: Any = ASGIWebsocketState.CONNECTED
    _OPEN: Any = ConnectionState.OPEN
except ImportError:  # a Hypercorn whose modules moved: no fast path, nothing else changes
    _CONNECTED = _OPEN = None

_warned = False
_enabled = _CONNECTED is not None

# Past this many bytes waiting in a socket's transport (asyncio's own high-water mark), frames
# queue in the hub and go through Hypercorn, which waits for the socket to drain.
WRITE_LIMIT = 64 * 1024


class DirectSocket:
    """Writes ready-made frames to one websocket's transport, while it is open and keeping up."""

    __slots__ = ("_connection", "_stream", "_transport")

    def __init__(self, transport: asyncio.WriteTransport, stream: Any, connection: Any) -> None:
        self._transport = transport
        self._stream = stream  # Hypercorn's WSStream
        self._connection = connection  # its wsproto Connection

    def ready(self) -> bool:
        """Open, and not behind: a frame written now goes out at once."""
        transport, stream = self._transport, self._stream
        return not (
            transport.get_write_buffer_size() > WRITE_LIMIT
            or transport.is_closing()
            # Once either side has begun the close handshake, frames go through wsproto only.
            or stream.closed
            or stream.state is not _CONNECTED
            or self._connection.state is not _OPEN
        )

    def write(self, frame: bytes) -> bool:
        """Write ``frame`` now; False when the socket is closing or behind (queue it instead)."""
        if not self.ready():
            return False
        self._transport.write(frame)
        return True

    def abort(self) -> None:
        """Drop the connection at once: for a peer that stopped reading, no close frame can
        get through its full buffers."""
        self._transport.abort()


def _unwrap_send(send: Any) -> Any:
    """Quart's websocket ``_send`` is ``partial(connection.send_data, asgi_send)``."""
    if isinstance(send, functools.partial) and send.args:
        return send.args[0]
    return None


def set_enabled(enabled: bool) -> None:
    global _enabled
    _enabled = enabled and _CONNECTED is not None


def enabled() -> bool:
    return _enabled


def direct_socket(websocket: Any) -> DirectSocket | None:
    """The fast path for an accepted Quart websocket (or the ``websocket`` proxy), or None
    where it cannot be had."""
    if not _enabled:
        return None
    # The proxy's target: werkzeug's LocalProxy API, which the stubs do not declare.
    target = getattr(websocket, "_get_current_object", None)
    if target is not None:
        websocket = target()
    try:
        stream = getattr(_unwrap_send(websocket._send), "__self__", None)
        if not isinstance(stream, WSStream):
            return None  # not Hypercorn (the test client, another server)
        protocol = getattr(stream.send, "__self__", None)
        if not isinstance(protocol, H11Protocol):  # HTTP/2 frames its data itself
            return None
        server = getattr(protocol.send, "__self__", None)
        if not isinstance(server, TCPServer):
            return None
        direct = DirectSocket(server.writer.transport, stream, stream.connection)
    except AttributeError:
        global _warned
        if not _warned:  # once per process, not once per socket
            _warned = True
            log.warning("websocket fast path unavailable: Hypercorn's internals differ")
        return None
    return direct if direct.ready() else None
