"""The websocket protocol of DESIGN.md: parsing client frames, building server frames.

Pure functions, no I/O, so every rule is easy to test.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

from portal.events import channels

MAX_FRAME_BYTES = 4096
CHANNELS = channels.BROWSER_CHANNELS
# Channels only admins may follow (a demotion unsubscribes them at once).
ADMIN_CHANNELS = channels.ADMIN_CHANNELS


@dataclass(frozen=True)
class Subscribe:
    channel: str
    since: int | None = None


@dataclass(frozen=True)
class Unsubscribe:
    channel: str


@dataclass(frozen=True)
class Ping:
    pass


ClientMessage = Subscribe | Unsubscribe | Ping


class ProtocolError(Exception):
    """A frame the server answers with an ``error`` frame (``code`` is the contract's)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_client_frame(frame: str | bytes) -> ClientMessage:
    if isinstance(frame, bytes):
        raise ProtocolError("bad_request", "frames must be JSON text, not binary")
    if len(frame) > MAX_FRAME_BYTES:
        raise ProtocolError("bad_request", f"frame larger than {MAX_FRAME_BYTES} bytes")
    try:
        message = json.loads(frame)
    except (ValueError, RecursionError):  # a 4 KiB frame of "[" nests past the stack
        raise ProtocolError("bad_request", "frame is not valid JSON") from None
    if not isinstance(message, dict):
        raise ProtocolError("bad_request", "frame must be a JSON object")
    kind = message.get("type")
    if kind == "ping":
        return Ping()
    if kind not in ("subscribe", "unsubscribe"):  # a tuple: kind may be unhashable (a list)
        raise ProtocolError("bad_request", "type must be subscribe, unsubscribe or ping")
    channel = message.get("channel")
    if not isinstance(channel, str) or not channel:
        raise ProtocolError("bad_request", "channel must be a non-empty string")
    if channel not in CHANNELS:
        raise ProtocolError("unknown_channel", f"no channel named {channel[:40]!r}")
    if kind == "unsubscribe":
        return Unsubscribe(channel)
    since = message.get("since")
    if since is not None and (
        isinstance(since, bool) or not isinstance(since, int) or since < 0 or since >= 2**63
    ):
        raise ProtocolError("bad_request", "since must be a non-negative integer event id")
    return Subscribe(channel, since)


def error_frame(code: str, message: str) -> str:
    return json.dumps({"type": "error", "code": code, "message": message})


def subscribed_frame(channel: str, last_id: int, *, reload: bool = False) -> str:
    body: dict[str, Any] = {"type": "subscribed", "channel": channel, "last_id": last_id}
    if reload:
        # The client asked to resume from further back than the event log keeps.
        body["reload"] = True
    return json.dumps(body)


def unsubscribed_frame(channel: str) -> str:
    return json.dumps({"type": "unsubscribed", "channel": channel})


PONG = json.dumps({"type": "pong"})
# Sent instead of a ping control frame where a socket has no fast path (Quart cannot send
# control frames): traffic all the same, so a peer that is gone is found. Clients ignore it.
KEEPALIVE = json.dumps({"type": "keepalive"})
# A websocket ping control frame with no payload (RFC 6455 5.5.2), unmasked as a server sends it.
PING_FRAME = bytes((0x89, 0x00))


class EventFrame(str):
    """An event's frame: queued ones are sent together as one batch frame, where every other
    frame goes alone."""

    __slots__ = ()


def event_frame(
    public_channel: str, event_id: int, event_type: str, data: Any, at: str
) -> EventFrame:
    return EventFrame(
        json.dumps(
            {
                "type": "event",
                "channel": public_channel,
                "id": event_id,
                "event": event_type,
                "data": data,
                "at": at,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
    )


def batch_frame(frames: list[str]) -> str:
    """Several pending event frames as one; they are already JSON, so join, don't re-encode."""
    return '{"type":"batch","messages":[' + ",".join(frames) + "]}"


def text_frame(frame: str) -> bytes:
    """``frame`` as one complete, unmasked websocket text frame (RFC 6455 5.2), as a server
    sends it: the same bytes for every socket, so an event is encoded once."""
    payload = frame.encode()
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, size)  # FIN + text opcode; no mask bit
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload
