"""The per-process hub: routes each event to the websockets subscribed to its channel.

No I/O here. Each subscriber has a bounded queue of ready-made frames; the websocket's own
sender task drains it, so a slow client only ever fills its own queue. Past the bound the
subscriber is marked overflowed and its socket is closed (1013); it resumes with ``since``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from portal.events import channels
from portal.events.message import EventMessage
from portal.live.protocol import KEEPALIVE, PING_FRAME, EventFrame, event_frame, text_frame
from portal.live.sequence import Sequencer

DEFAULT_MAX_PENDING = 1000
# ...and about this many characters of them: a thousand large events would be megabytes.
DEFAULT_MAX_PENDING_BYTES = 1 << 20
# A send blocked this long means the client stopped reading: it is cut off.
STALL_SECONDS = 30.0
# Keepalive: every socket is pinged this often, by the sweep (one loop per process, where
# Hypercorn's websocket_ping_interval would keep a task per socket); with a ping control frame
# over the fast path, else a keepalive message through Quart. A peer that is gone
# leaves the ping unacknowledged, and the kernel drops the connection (TCP_USER_TIMEOUT on
# the listening socket, see portal serve).
PING_SECONDS = 20.0


class FrameWriter(Protocol):
    """A socket's fast path (portal.live.wire.DirectSocket): ready-made frames, no task."""

    def write(self, frame: bytes) -> bool: ...

    def abort(self) -> None: ...


@dataclass(slots=True)
class LiveEvent(EventMessage):
    """An event with its frames, encoded once however many sockets receive it."""

    _frame: EventFrame | None = field(default=None, repr=False, compare=False)
    _wire: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def frame(self) -> EventFrame:
        if self._frame is None:
            self._frame = event_frame(
                channels.browser_name(self.channel), self.id, self.type, self.data, self.at
            )
        return self._frame

    @property
    def wire(self) -> bytes:
        """The event frame as a websocket frame, for sockets with a fast path."""
        if self._wire is None:
            self._wire = text_frame(self.frame)
        return self._wire


class Subscriber:
    """One websocket's side of the hub.

    Slotted and lazy (no queue, no waiter until one is needed): thousands of idle sockets
    each keep one of these.
    """

    __slots__ = (
        "_holding",
        "_ready",
        "_waiter",
        "auth_changed",
        "cancel_send",
        "channels",
        "direct",
        "floors",
        "max_pending",
        "max_pending_bytes",
        "on_ready",
        "overflowed",
        "pending",
        "pending_bytes",
        "sending_since",
        "user_id",
    )

    def __init__(
        self,
        user_id: int | None = None,
        max_pending: int = DEFAULT_MAX_PENDING,
        max_pending_bytes: int = DEFAULT_MAX_PENDING_BYTES,
    ) -> None:
        self.user_id = user_id
        self.max_pending = max_pending
        self.max_pending_bytes = max_pending_bytes
        self.pending: list[str] = []
        self.pending_bytes = 0  # characters, near enough: frames are mostly ASCII
        self.channels: set[str] = set()
        self.overflowed = False
        self.auth_changed = False
        # When the socket's current send began (None when idle): a send blocked too long
        # means a client that stopped reading, and the hub's sweep cuts it off.
        self.sending_since: float | None = None
        self.cancel_send: Callable[[], object] | None = None
        # Called when there is something for the sender (instead of a task waiting in wait()).
        self.on_ready: Callable[[], object] | None = None
        # Where the socket allows it, events are written straight to it, in dispatch.
        self.direct: FrameWriter | None = None
        # Per channel, the id a replay reached: live copies up to it are dropped (the hub
        # releases in id order, so the first one past it ends the check).
        self.floors: dict[str, int] | None = None
        self._holding: dict[str, list[LiveEvent]] | None = None
        self._ready = False  # something for the sender: frames, an overflow, an auth change
        self._waiter: asyncio.Future[None] | None = None

    def offer(self, event: LiveEvent) -> None:
        # Duplicates never get here (the hub releases each id once), and a replay's overlap
        # with live events is settled by release() and the floors.
        if self._holding is not None:
            held = self._holding.get(event.channel)
            if held is not None:
                held.append(event)
                return
        if self.floors is not None and event.channel in self.floors:
            if event.id <= self.floors[event.channel]:
                return
            del self.floors[event.channel]
            if not self.floors:
                self.floors = None
        # Straight to the socket, unless frames are queued or being sent (they go first), the
        # socket is behind (then the queue, and its bound, take over) or its account changed
        # (nothing may pass the sender's re-check).
        if (
            self.direct is not None
            and not self.auth_changed
            and not self.pending
            and self.sending_since is None
            and not self.overflowed
            and self.direct.write(event.wire)
        ):
            return
        self.push(event.frame)

    def push(self, frame: str) -> None:
        if self.overflowed:
            return
        size = self.pending_bytes + len(frame)
        if len(self.pending) >= self.max_pending or size > self.max_pending_bytes:
            self.overflowed = True
            self.pending = []  # the client resumes with since; free the memory now
            self.pending_bytes = 0
        else:
            self.pending.append(frame)
            self.pending_bytes = size
        self._wake()

    def hold(self, channel: str) -> None:
        """Buffer live events of ``channel`` while its history is being replayed."""
        if self._holding is None:
            self._holding = {}
        self._holding[channel] = []

    def release(self, channel: str, replayed: list[LiveEvent], floor: int = 0) -> None:
        """Queue the replay, then what arrived meanwhile, each id once and in order.

        Held events at or below ``floor`` (what the client already has, or did not ask for)
        are dropped.
        """
        holding = self._holding or {}
        held = [event for event in holding.pop(channel, []) if event.id > floor]
        if not holding:
            self._holding = None
        unique = {event.id: event for event in [*replayed, *held]}
        for event_id in sorted(unique):
            self.push(unique[event_id].frame)
        # The replay read the log up to its newest id, and ids are settled in order: a live
        # copy of anything up to there, still on its way through the hub, was replayed.
        reached = max([floor, *(event.id for event in replayed)])
        if self.floors is None:
            self.floors = {}
        self.floors[channel] = reached

    def resume(self) -> None:
        """Ask the client to reconnect and resume with since (close 1013, as on overflow)."""
        self.overflowed = True
        self.pending = []
        self.pending_bytes = 0
        self._wake()

    def mark_auth_changed(self) -> None:
        self.auth_changed = True
        self._wake()

    def room_for(self, frames: list[str]) -> bool:
        """Whether ``frames`` can be queued without passing either bound."""
        return (
            len(self.pending) + len(frames) < self.max_pending
            and self.pending_bytes + sum(map(len, frames)) <= self.max_pending_bytes
        )

    def cut(self) -> None:
        """End the socket's sender and, where it can be had, the connection itself."""
        self.overflowed = True
        self.pending = []
        self.pending_bytes = 0
        if self.cancel_send is not None:
            self.cancel_send()
        if self.direct is not None:
            # The peer stopped reading: even a close frame would never get through.
            self.direct.abort()

    @property
    def ready(self) -> bool:
        """There is something for the sender: frames, an overflow or an auth change."""
        return self._ready

    def _wake(self) -> None:
        self._ready = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if self.on_ready is not None:
            self.on_ready()

    async def wait(self) -> None:
        """Until there is something for the sender (at once if there already is)."""
        while not self._ready:
            # A future only while waiting, not an Event per socket for its whole life.
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def drain(self) -> list[str]:
        """Everything queued (cleared); wait again when it is empty."""
        frames = self.pending
        self.pending = []
        self.pending_bytes = 0
        self._ready = False
        return frames


class Hub:
    """Routes events to sockets, in id order (see ``portal.live.sequence``)."""

    def __init__(self, position: int | None = 0) -> None:
        self._channels: dict[str, set[Subscriber]] = {}
        self._users: dict[int, set[Subscriber]] = {}
        self._connected: set[Subscriber] = set()
        self._pinged_at: float | None = None
        self.sequence: Sequencer[LiveEvent] = Sequencer(position)
        # Called with every event as it is released (the process's other listeners).
        self.on_release: Callable[[LiveEvent], object] | None = None
        # Called when an event arrives above a gap: the log should be read.
        self.on_gap: Callable[[], object] | None = None

    def connect(self, subscriber: Subscriber) -> None:
        self._connected.add(subscriber)
        if subscriber.user_id is not None:
            self._users.setdefault(subscriber.user_id, set()).add(subscriber)

    def disconnect(self, subscriber: Subscriber) -> None:
        self._connected.discard(subscriber)
        for channel in list(subscriber.channels):
            self.unsubscribe(subscriber, channel)
        if subscriber.user_id is not None:
            users = self._users.get(subscriber.user_id)
            if users is not None:
                users.discard(subscriber)
                if not users:
                    del self._users[subscriber.user_id]

    def subscribe(self, subscriber: Subscriber, channel: str) -> None:
        self._channels.setdefault(channel, set()).add(subscriber)
        subscriber.channels.add(channel)

    def unsubscribe(self, subscriber: Subscriber, channel: str) -> None:
        subscriber.channels.discard(channel)
        members = self._channels.get(channel)
        if members is not None:
            members.discard(subscriber)
            if not members:
                del self._channels[channel]

    def sweep_stalled(self, now: float, limit: float) -> int:
        """Cut off sockets whose send has been blocked for ``limit`` seconds; ping every
        connected socket each PING_SECONDS."""
        if self._pinged_at is None:
            self._pinged_at = now
        elif now - self._pinged_at >= PING_SECONDS:
            self._pinged_at = now
            self.ping()
        stalled = {
            s
            for members in self._channels.values()
            for s in members
            if s.sending_since is not None and now - s.sending_since > limit
        }
        for subscriber in stalled:
            subscriber.cut()
        return len(stalled)

    def ping(self) -> None:
        for subscriber in self._connected:
            if subscriber.direct is not None:
                # Skipped for a socket that is behind: it has data in flight already.
                subscriber.direct.write(PING_FRAME)
            elif not subscriber.pending and subscriber.sending_since is None:
                subscriber.push(KEEPALIVE)

    def dispatch(self, event: LiveEvent, now: float = 0.0) -> None:
        """An event from the bus: routed once its turn comes; an id seen before is dropped."""
        had_gap = self.sequence.gap_since is not None
        self._route_all(self.sequence.add(event, now))
        if self.sequence.overflowing:
            self.give_up_order()
        elif not had_gap and self.sequence.gap_since is not None and self.on_gap is not None:
            self.on_gap()

    def fill(self, events: list[LiveEvent], through: int) -> None:
        """Events read from the log, every id up to ``through`` settled (see Sequencer.fill)."""
        self._route_all(self.sequence.fill(events, through))

    def start_at(self, position: int) -> None:
        """Where the log stood when this worker started."""
        self._route_all(self.sequence.start_at(position))

    def give_up_order(self) -> None:
        """The gap cannot be filled: every socket is told to resume from the log itself."""
        self.sequence.skip_all()
        for subscriber in tuple(self._connected):
            subscriber.resume()

    def _route_all(self, events: list[LiveEvent]) -> None:
        for event in events:
            if self.on_release is not None:
                self.on_release(event)
            self.route(event)

    def route(self, event: LiveEvent) -> None:
        """Hand one event to its channel's subscribers now."""
        if event.channel == channels.CONTROL:
            self._control(event)
            return
        for subscriber in tuple(self._channels.get(event.channel, ())):
            subscriber.offer(event)

    def _control(self, event: LiveEvent) -> None:
        if event.type == "auth.changed" and isinstance(event.data, dict):
            for subscriber in tuple(self._users.get(int(event.data.get("user_id", 0)), ())):
                subscriber.mark_auth_changed()
