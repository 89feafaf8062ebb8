"""Wires the bus and the outbox publisher into an app's lifecycle.

What arrives from the bus goes to the process's receiver (the live capability's hub, which
puts events in id order, fills gaps from the log and then hands them on) or, in a process
without one, straight to the listeners. Either way each listener hears every event this
process sees, its own commits at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Callable, Iterable
from typing import Any, Protocol

from quart import Quart, current_app

from portal.config import get_settings
from portal.db import get_db
from portal.events.bus import Bus, make_bus
from portal.events.hooks import REACTIONS_KEY, Reactions
from portal.events.message import EventMessage, OutboxMessage
from portal.events.publisher import NOTIFY_KEY, Publisher

log = logging.getLogger(__name__)

Listener = Callable[[EventMessage], None]


class Receiver(Protocol):
    """Takes the events the bus brings, and passes each to ``Events.notify_listeners``."""

    async def start(self, events: Events) -> None:
        """Before the bus connects: what arrives is held until the receiver is ready."""

    def receive(self, event: EventMessage) -> None: ...

    async def stop_listening(self) -> None:
        """Stop taking events (a process that serves no websockets)."""

    async def stop(self) -> None: ...


class Events:
    def __init__(self, app: Quart | None = None) -> None:
        self.bus: Bus | None = None
        self.publisher: Publisher | None = None
        self.receiver: Receiver | None = None
        self.reactions = Reactions()
        self._connecting: asyncio.Task[None] | None = None
        self._listeners: list[Listener] = []
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Quart) -> None:
        app.extensions["portal.events"] = self
        get_db(app).session_info[REACTIONS_KEY] = self.reactions
        app.while_serving(self._lifespan)

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` for every event this process sees: its own commits at once,
        everyone's (again) as they arrive from the bus."""
        self._listeners.append(listener)

    def set_receiver(self, receiver: Receiver) -> None:
        self.receiver = receiver

    @property
    def connected(self) -> bool:
        return self.bus is not None and self.bus.connected

    def _committed(self, messages: list[OutboxMessage]) -> None:
        # The writer's own next request must not see a list from before its change, even
        # before the broker echoes the event back.
        self.notify_listeners(m for m in messages if isinstance(m, EventMessage))
        assert self.publisher is not None
        self.publisher.notify_committed(messages)

    def notify_listeners(self, events: Iterable[EventMessage]) -> None:
        for event in events:
            for listener in self._listeners:
                try:
                    listener(event)
                except Exception:
                    log.exception("event listener failed")

    def _dispatch(self, message: dict[str, Any]) -> None:
        try:
            event = EventMessage.from_wire(message)
        except (KeyError, TypeError, ValueError):
            log.warning("dropping a malformed event: %r", message)
            return
        if self.receiver is None:
            self.notify_listeners((event,))
        else:
            self.receiver.receive(event)

    async def _lifespan(self) -> AsyncGenerator[None, None]:
        await self.start()
        yield
        await self.stop()

    async def start(self) -> None:
        settings = get_settings()
        db = get_db()
        standby = {settings.queue_name("clicks")} if settings.recommender_standby else set()
        self.bus = make_bus(
            settings.amqp_url,
            settings.exchange_name(),
            quorum_queues=settings.amqp_quorum_queues,
            single_active=frozenset(standby),
        )
        self.bus.on_event(self._dispatch)
        assert db.sessionmaker is not None
        self.publisher = Publisher(self.bus, db.sessionmaker, queue_name=settings.queue_name)
        db.session_info[NOTIFY_KEY] = self._committed
        if self.receiver is not None:
            await self.receiver.start(self)
        try:
            await self.bus.start()
        except Exception as error:
            # Serve anyway: events wait in the outbox until the broker is reachable.
            log.warning("message broker unreachable at start-up (%s); retrying", error)
            self._connecting = asyncio.create_task(self._connect_later(self.bus))
        self.publisher.start()

    async def stop_listening(self) -> None:
        """For a process that serves no websockets: neither the bus's copy of every event nor
        reads of the log on their behalf."""
        if self.receiver is not None:
            await self.receiver.stop_listening()
        assert self.bus is not None
        await self.bus.stop_listening()

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
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        if self.receiver is not None:
            await self.receiver.stop()
        if self.publisher is not None:
            await self.publisher.stop()
        db = get_db()
        db.session_info.pop(NOTIFY_KEY, None)
        if self.bus is not None:
            await self.bus.close()


def get_events(app: Quart | None = None) -> Events:
    return (app or current_app).extensions["portal.events"]
