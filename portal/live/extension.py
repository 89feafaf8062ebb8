"""The live capability in an app: the process's hub, fed by the bus and the event log.

The hub is the events' receiver (``portal.events.extension.Receiver``): it releases events in
id order, fills gaps from the log (``LogFollower``), and only then hands them to the process's
listeners, so a cache hears of a change no sooner than a socket does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from quart import Quart, current_app

from portal.db import get_db
from portal.events.extension import Events, get_events
from portal.events.message import EventMessage
from portal.live.follow import LogFollower
from portal.live.hub import STALL_SECONDS, Hub, LiveEvent

log = logging.getLogger(__name__)


class Live:
    def __init__(self) -> None:
        self.hub = Hub()
        self.follower: LogFollower | None = None
        self._events: Events | None = None
        self._sweeper: asyncio.Task[None] | None = None

    def init_app(self, app: Quart) -> None:
        app.extensions["portal.live"] = self
        get_events(app).set_receiver(self)

    async def start(self, events: Events) -> None:
        self._events = events
        self.hub = Hub(position=None)
        self.hub.on_release = self._released
        sessionmaker = get_db().sessionmaker
        assert sessionmaker is not None
        self.follower = LogFollower(self.hub, sessionmaker, lambda: events.connected)
        # The position first: whatever the bus brings is held until the worker knows it.
        await self.follower.start()
        self._sweeper = asyncio.create_task(self._sweep_stalled())

    def receive(self, event: EventMessage) -> None:
        live = LiveEvent(event.id, event.channel, event.type, event.data, event.at)
        self.hub.dispatch(live, time.monotonic())

    def _released(self, event: LiveEvent) -> None:
        # Listeners hear it in id order, and also when it was recovered from the log.
        assert self._events is not None
        self._events.notify_listeners((event,))

    async def stop_listening(self) -> None:
        if self.follower is not None:
            await self.follower.stop()

    async def _sweep_stalled(self) -> None:
        while True:
            await asyncio.sleep(5)
            cut = self.hub.sweep_stalled(time.monotonic(), STALL_SECONDS)
            if cut:
                log.info("cut off %d stalled websocket(s)", cut)

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self.follower is not None:
            await self.follower.stop()


def init_app(app: Quart) -> Live:
    # The endpoint reaches the hub through get_live: imported once this module is loaded.
    from portal.live import ws

    live = Live()
    live.init_app(app)
    app.register_blueprint(ws.blueprint)
    return live


def get_live(app: Quart | None = None) -> Live:
    return (app or current_app).extensions["portal.live"]
