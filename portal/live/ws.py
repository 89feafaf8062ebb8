"""The websocket endpoint ``/ws``: authorisation, subscriptions, resume and backpressure."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time

from quart import Blueprint, abort, g, websocket

from portal.accounts.auth import Principal, load_principal
from portal.db import get_session, release_session
from portal.events import channels
from portal.events.replay import replay_after
from portal.live import protocol
from portal.live.extension import get_live
from portal.live.hub import Hub, LiveEvent, Subscriber
from portal.server.wire import direct_socket
from portal.web.csrf import origin_allowed, request_scheme

log = logging.getLogger(__name__)
blueprint = Blueprint("live", __name__)

MAX_ERRORS = 20
CLOSE_POLICY = 1008
CLOSE_TRY_AGAIN = 1013
# A close frame stuck behind a peer's full buffers would wait forever: abort after this long.
CLOSE_TIMEOUT = 2.0


def internal_channel(channel: str, principal: Principal) -> str:
    """Map a public channel to the hub's, or raise ``ProtocolError`` when not allowed."""
    if channel == channels.JOBS:
        return channels.JOBS
    if channel in channels.ADMIN_CHANNELS:
        if not principal.is_admin:
            raise protocol.ProtocolError("forbidden", f"the {channel} channel is for admins")
        return channel
    if principal.user is None:
        raise protocol.ProtocolError("forbidden", "sign in to subscribe to your own channel")
    return channels.user(principal.user.id)


async def _subscribe(
    hub: Hub, sub: Subscriber, message: protocol.Subscribe, principal: Principal
) -> None:
    channel = internal_channel(message.channel, principal)
    sub.hold(channel)
    hub.subscribe(sub, channel)
    async with _db_lock():
        try:
            replay = await replay_after(get_session(), channel, message.since, LiveEvent)
        finally:
            await release_session()
    events, reload = replay.events, replay.reload
    if not sub.room_for([event.frame for event in events]):
        # The replay would overflow the queue at once (1013), and the client would resume
        # from the same id again, forever: ask it to reload instead.
        events, reload = [], True
    sub.push(protocol.subscribed_frame(message.channel, replay.last_id, reload=reload))
    floor = replay.last_id if reload or message.since is None else message.since
    sub.release(channel, events, floor=floor)


async def _recheck(hub: Hub, sub: Subscriber) -> bool:
    """After an account change: drop channels no longer allowed; False ends the socket."""
    sub.auth_changed = False
    async with _db_lock():
        g.pop("principal", None)
        principal = await load_principal()
        # close, not rollback: a rollback would expire the user just loaded (and cached on
        # g), and reading its role later would be lazy I/O outside the session's greenlet.
        await release_session()
    if principal.user is None:
        return False
    lost = channels.ADMIN_CHANNELS & set(sub.channels) if not principal.is_admin else set()
    for channel in sorted(lost):
        hub.unsubscribe(sub, channel)
    if lost:
        sub.push(protocol.error_frame("forbidden", "you are no longer an admin"))
    return True


async def _send_queued(hub: Hub, sub: Subscriber) -> bool:
    """Send what is queued until nothing is; True when the socket was closed."""
    while sub.ready:
        if sub.overflowed:
            await _close_slow(sub)
            return True
        if sub.auth_changed and not await _recheck(hub, sub):
            await websocket.close(CLOSE_POLICY, "signed out")
            return True
        frames = sub.drain()
        events: list[str] = []
        for frame in frames:
            if isinstance(frame, protocol.EventFrame):
                events.append(frame)
                continue
            if events:
                await _send_events(sub, events)
                events = []
            await _send(sub, frame)
        if events:
            await _send_events(sub, events)
    return False


class _Sender:
    """Runs a task only while the socket has something queued: an idle socket keeps none.

    Events mostly take the fast path; what is queued (control frames, a backlog) is sent by a
    task started on demand, in the websocket's context (the hub calls from the bus's).
    """

    __slots__ = ("context", "handler", "hub", "sub", "task")

    def __init__(self, hub: Hub, sub: Subscriber) -> None:
        self.hub = hub
        self.sub = sub
        self.handler = asyncio.current_task()
        self.context = contextvars.copy_context()
        self.task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._run(), context=self.context)

    def cut(self) -> None:
        """End the socket: its sender and its handler."""
        if self.task is not None:
            self.task.cancel()
        if self.handler is not None:
            self.handler.cancel()

    async def stop(self) -> None:
        task = self.task
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run(self) -> None:
        try:
            closed = await _send_queued(self.hub, self.sub)
        except Exception:
            log.exception("websocket sender failed")
            closed = True
        finally:
            self.task = None
        if closed and self.handler is not None:
            self.handler.cancel()  # the socket is done: end its receive loop too


async def _close_slow(sub: Subscriber) -> None:
    try:
        await asyncio.wait_for(
            websocket.close(CLOSE_TRY_AGAIN, "too slow: reconnect with since"), CLOSE_TIMEOUT
        )
    except TimeoutError:
        if sub.direct is not None:
            sub.direct.abort()


async def _send(sub: Subscriber, frame: str) -> None:
    # A client that stopped reading blocks the send once TCP buffers are full. The hub's
    # sweep cancels a send blocked past STALL_SECONDS; a timestamp here is far cheaper than a
    # timeout (a task and a timer) around every one of thousands of sends.
    sub.sending_since = time.monotonic()
    try:
        await websocket.send(frame)
    finally:
        sub.sending_since = None


async def _send_events(sub: Subscriber, frames: list[str]) -> None:
    await _send(sub, frames[0] if len(frames) == 1 else protocol.batch_frame(frames))


def _db_lock() -> asyncio.Lock:
    """The socket's two tasks share one database session: one at a time."""
    if "live_db_lock" not in g:
        g.live_db_lock = asyncio.Lock()
    return g.live_db_lock


async def _receive_loop(hub: Hub, sub: Subscriber) -> None:
    errors = 0
    while True:
        frame = await websocket.receive()
        try:
            message = protocol.parse_client_frame(frame)
            if isinstance(message, protocol.Ping):
                sub.push(protocol.PONG)
            elif isinstance(message, protocol.Subscribe):
                # An account change not yet re-checked by the sender: check it before replaying
                # anything to this credential.
                if sub.auth_changed and not await _recheck(hub, sub):
                    await websocket.close(CLOSE_POLICY, "signed out")
                    return
                # Cached on g; an account change clears it so this re-reads the database.
                async with _db_lock():
                    principal = await load_principal()
                await _subscribe(hub, sub, message, principal)
            else:
                with contextlib.suppress(protocol.ProtocolError):
                    async with _db_lock():
                        principal = await load_principal()
                    hub.unsubscribe(sub, internal_channel(message.channel, principal))
                sub.push(protocol.unsubscribed_frame(message.channel))
        except protocol.ProtocolError as error:
            errors += 1
            sub.push(protocol.error_frame(error.code, error.message))
            if errors > MAX_ERRORS:
                await websocket.close(CLOSE_POLICY, "too many bad frames")
                return


@blueprint.websocket("/ws")
async def ws() -> None:
    # The same check as every unsafe HTTP request: scheme, host and port, and Sec-Fetch-Site.
    if not origin_allowed(
        websocket.headers.get("Origin"),
        scheme=request_scheme(websocket),
        host=websocket.host,
        fetch_site=websocket.headers.get("Sec-Fetch-Site"),
    ):
        abort(403)
    principal = await load_principal()
    # Hold neither a connection nor a session for the socket's lifetime.
    await release_session()
    hub = get_live().hub
    sub = Subscriber(user_id=principal.user.id if principal.user else None)
    await websocket.accept()
    sub.direct = direct_socket(websocket)
    sender = _Sender(hub, sub)
    sub.on_ready = sender.wake
    sub.cancel_send = sender.cut  # the hub's stall sweep ends the socket
    hub.connect(sub)
    try:
        await _receive_loop(hub, sub)
    finally:
        hub.disconnect(sub)
        await sender.stop()
