"""Reading the event log where the bus falls short.

The bus is the fast path; the event log is the truth. A worker reads the log after its
position when an event arrived above a gap that the bus did not fill within ``GAP_WAIT``
(a lost or late publish), and every few seconds in any case: that catches events the bus lost
with nothing after them to show the gap (a queue not yet bound again after a reconnect), and
while the broker is away it is how events, revocations included, still reach every worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.events.replay import events_after, last_event_id
from portal.live.hub import Hub, LiveEvent

log = logging.getLogger(__name__)

# A gap is given this long to fill from the bus (publishes of concurrent commits race).
GAP_WAIT = 0.1
# How often the log is read anyway: often while the broker is away or just came back,
# seldom while it delivers.
EVERY_OFFLINE = 1.0
EVERY_ONLINE = 3.0
# After the broker comes back, the fast pace lasts this long (queues are bound again by then).
RECONNECT_GRACE = 10.0
READ_LIMIT = 1000


class LogFollower:
    def __init__(
        self,
        hub: Hub,
        sessionmaker: async_sessionmaker[AsyncSession],
        connected: Callable[[], bool],
    ) -> None:
        self.hub = hub
        self.sessionmaker = sessionmaker
        self.connected = connected
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._online_since: float | None = None
        hub.on_gap = self._wake.set

    async def start(self) -> None:
        """Read where the log stands (the hub's position), then follow it."""
        try:
            await asyncio.wait_for(self._read_position(), 5)
        except Exception as error:
            # The hub holds what arrives until the loop has read the position.
            log.warning("event log unreadable at start-up (%s); retrying", error)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _read_position(self) -> None:
        async with self.sessionmaker() as session:
            position = await last_event_id(session)
            await session.rollback()
        self.hub.start_at(position)

    def _interval(self, now: float) -> float:
        if not self.connected():
            self._online_since = None
            return EVERY_OFFLINE
        if self._online_since is None:
            self._online_since = now
        return EVERY_OFFLINE if now - self._online_since < RECONNECT_GRACE else EVERY_ONLINE

    async def _run(self) -> None:
        failures = 0
        while True:
            sequence = self.hub.sequence
            if sequence.gap_since is not None:
                timeout = max(0.0, sequence.gap_since + GAP_WAIT - time.monotonic())
            else:
                timeout = self._interval(time.monotonic())
            if failures:
                timeout = max(timeout, min(30.0, 0.5 * 2**failures))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            self._wake.clear()
            sequence = self.hub.sequence
            if sequence.gap_since is not None and time.monotonic() - sequence.gap_since < GAP_WAIT:
                continue  # woken by a new gap: give the bus its chance first
            try:
                await self.catch_up()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                log.exception("reading the event log failed (attempt %d)", failures)

    async def catch_up(self) -> int:
        """Release every committed event after the hub's position; how many were read.

        What the read returns is committed, and ids are settled in order, so every id up to
        the newest returned is settled: what is missing is a hole, never a latecomer.
        """
        if self.hub.sequence.position is None:
            await self._read_position()
        read = 0
        while True:
            position = self.hub.sequence.position
            assert position is not None
            async with self.sessionmaker() as session:
                events = await events_after(session, position, READ_LIMIT, LiveEvent)
                await session.rollback()
            if not events:
                return read
            read += len(events)
            self.hub.fill(events, events[-1].id)
            if len(events) < READ_LIMIT:
                return read
