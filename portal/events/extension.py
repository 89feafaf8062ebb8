"""Wires the bus, the outbox publisher and the websocket hub into an app's lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from quart import Quart, current_app

from portal.db import get_db
from portal.events.bus import Bus, make_bus
from portal.events.publisher import NOTIFY_KEY, Publisher
from portal.live.follow import LogFollower
from portal.live.hub import STALL_SECONDS, Hub, LiveEvent

log = logging.getLogger(__name__)


class Events:
    def __init__(self, app: Quart | None = None) -> None:
        self.bus: Bus | None = None
        self.hub = Hub()
        self.publisher: Publisher | None = None
        self.follower: LogFollower | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._local_listeners: list[Callable[[dict[str, Any]], None]] = []
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Quart) -> None:
        app.extensions["portal.events"] = self
        app.while_serving(self._lifespan)

    def add_listener(self, listener: Callable[[dict[str, Any]], None]) -> None:
        """Call ``listener`` for every event this process sees: its own commits at once,
        everyone's (again) as they arrive from the bus."""
        self._local_listeners.append(listener)

    def _committed(self, messages: list[dict[str, Any]]) -> None:
        # The writer's own next request must not see a list from before its change, even
        # before the broker echoes the event back.
        for message in messages:
            self._notify_local(message)
        assert self.publisher is not None
        self.publisher.notify_committed(messages)

    def _notify_local(self, message: dict[str, Any]) -> None:
        for listener in self._local_listeners:
            try:
                listener(message)
            except Exception:
                log.exception("event listener failed")

    def _dispatch(self, message: dict[str, Any]) -> None:
        try:
            event = LiveEvent.from_message(message)
        except (KeyError, TypeError, ValueError):
            log.warning("dropping a malformed event: %r", message)
            return
        # Listeners hear it when the hub releases it: in id order, and also when it was
        # recovered from the log rather than received.
        self.hub.dispatch(event, time.monotonic())

    def _released(self, event: LiveEvent) -> None:
        self._notify_local(event.to_message())

    async def _lifespan(self) -> AsyncIterator[None]:
        await self.start()
        yield
        await self.stop()

    async def start(self) -> None:
        settings = current_app.config["PORTAL_SETTINGS"]
        db = get_db()
        self.hub = Hub(position=None)
        self.hub.on_release = self._released
        self.bus = make_bus(
            settings.amqp_url, settings.exchange_name(), quorum_queues=settings.amqp_quorum_queues
        )
        self.bus.on_event(self._dispatch)
        assert db.sessionmaker is not None
        self.publisher = Publisher(self.bus, db.sessionmaker, queue_name=settings.queue_name)
        db.session_info[NOTIFY_KEY] = self._committed
        bus = self.bus
        self.follower = LogFollower(self.hub, db.sessionmaker, lambda: bus.connected)
        # The position first: whatever the bus brings is held until the worker knows it.
        await self.follower.start()
        try:
            await self.bus.start()
        except Exception as error:
            # Serve anyway: events wait in the outbox until the broker is reachable.
            log.warning("message broker unreachable at start-up (%s); retrying", error)
            self._connecting = asyncio.create_task(self._connect_later(self.bus))
        self.publisher.start()
        self._sweeper = asyncio.create_task(self._sweep_stalled())

    async def stop_listening(self) -> None:
        """For a process that serves no websockets: neither the bus's copy of every event nor
        reads of the log on their behalf."""
        if self.follower is not None:
            await self.follower.stop()
        assert self.bus is not None
        await self.bus.stop_listening()

    async def _sweep_stalled(self) -> None:
        while True:
            await asyncio.sleep(5)
            cut = self.hub.sweep_stalled(time.monotonic(), STALL_SECONDS)
            if cut:
                log.info("cut off %d stalled websocket(s)", cut)

    async def _connect_later(self, bus: Bus) -> None:
        delay = 1.0
        while True:
            await asyncio.sleep(delay)
            try:
                await bus.start()
                log.info("message broker connected")
                return
            except Exception:
                delay = min(delay * 2, 30.0)

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        if self.follower is not None:
            await self.follower.stop()
        if self.publisher is not None:
            await self.publisher.stop()
        db = get_db()
        db.session_info.pop(NOTIFY_KEY, None)
        if self.bus is not None:
            await self.bus.close()


def get_events(app: Quart | None = None) -> Events:
    return (app or current_app).extensions["portal.events"]
