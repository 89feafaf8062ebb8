"""After commit, send the transaction's events to the bus; a relay sends what is left.

At-least-once: a row is marked published only after the broker confirmed it, and the relay
retries the unmarked ones oldest first, so a broker outage delays events but loses none.
Duplicates can happen (a crash between confirm and mark); consumers drop ids seen before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import delete, event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.events.bus import Bus, BusUnavailableError
from portal.events.log import PENDING_KEY
from portal.events.message import EventMessage, OutboxMessage, WorkMessage
from portal.events.models import Event, WorkItem

log = logging.getLogger(__name__)

NOTIFY_KEY = "portal.notify_committed"
RELAY_BATCH = 500
# At most this many messages per broker round trip (after commit) and ids per UPDATE.
SEND_BATCH = 500
MARK_BATCH = 1000
# Sent ids wait this long to be marked, so that one UPDATE takes all sent meanwhile: at most a
# few marking transactions a second at any rate (a transaction per event would cost a steady
# trickle as much CPU as the events themselves). Anything marked late is at worst re-sent by
# the relay after RELAY_GRACE, and dropped downstream as a duplicate.
MARK_LINGER = 0.2
# Rows younger than this are left to the after-commit path, so the relay doesn't race it.
RELAY_GRACE = timedelta(seconds=3)
# The log serves websocket resume (24 h) and audits of what was sent; older rows go.
RETENTION = timedelta(days=7)
PRUNE_EVERY_SECONDS = 3600.0


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    notify = session.info.get(NOTIFY_KEY)
    if pending and notify is not None:
        notify(pending)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(PENDING_KEY, None)


def to_message(row: Event | WorkItem) -> OutboxMessage:
    return WorkMessage.from_row(row) if isinstance(row, WorkItem) else EventMessage.from_row(row)


class Publisher:
    def __init__(
        self,
        bus: Bus,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        relay_interval: float = 5.0,
        queue_name: Callable[[str], str] = lambda purpose: purpose,
    ) -> None:
        self.bus = bus
        self.queue_name = queue_name
        self.sessionmaker = sessionmaker
        self.relay_interval = relay_interval
        # Sends while they run: empty once every commit so far was sent.
        self._tasks: set[asyncio.Task[None]] = set()
        # Committed but not yet sent, and sent but not yet marked. Under load both go in
        # batches: one publish round trip per loop turn, one UPDATE for all sent meanwhile.
        self._pending: list[OutboxMessage] = []
        self._collecting = False
        self._unmarked: list[tuple[bool, int]] = []
        self._marker: asyncio.Task[None] | None = None
        self._relay: asyncio.Task[None] | None = None
        self._kick = asyncio.Event()
        self._stopping = False

    def notify_committed(self, messages: list[OutboxMessage]) -> None:
        """Called from the after-commit hook, inside the event loop's thread."""
        self._pending.extend(messages)
        if not self._collecting:
            self._collecting = True
            self._spawn(self._send_pending())

    def _spawn(self, coroutine: Any) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _send(self, messages: Sequence[OutboxMessage]) -> None:
        """Events to the fan-out exchange; work items to their durable work queue."""
        events = [m.to_wire() for m in messages if isinstance(m, EventMessage)]
        if events:
            await self.bus.publish_events(events)
        work: dict[str, list[tuple[dict[str, Any], str]]] = {}
        for message in messages:
            if isinstance(message, WorkMessage):
                queue = self.queue_name(message.queue)
                work.setdefault(queue, []).append((message.body, str(message.id)))
        for queue, batch in work.items():
            await self.bus.send_work_many(queue, batch)

    async def _send_pending(self) -> None:
        """Send what was committed in this turn of the event loop, in one batch.

        Batches do not wait for one another: a batch's confirms (the broker's disk write)
        overlap the next one's sending, so a click never waits for others' confirms.
        """
        await asyncio.sleep(0)  # commits completing in the same turn join the batch
        self._collecting = False
        pending, self._pending = self._pending, []
        for start in range(0, len(pending), SEND_BATCH):
            batch = pending[start : start + SEND_BATCH]
            try:
                await self._send(batch)
            except Exception as error:
                # The rest would most likely fail the same way: it stays unmarked in the
                # outbox, and the relay sends it.
                waiting = len(pending) - start
                if isinstance(error, BusUnavailableError):
                    log.warning(
                        "broker unavailable, %d events wait for the relay: %s", waiting, error
                    )
                else:
                    log.exception("publishing failed, %d events wait for the relay", waiting)
                self._kick.set()
                return
            self._unmarked.extend((isinstance(m, WorkMessage), m.id) for m in batch)
            if self._marker is None:
                # Not one of ``_tasks`` (which tell that what was committed has been sent).
                self._marker = asyncio.get_running_loop().create_task(self._mark_unmarked())

    async def _mark_unmarked(self) -> None:
        """Mark sent rows published, MARK_LINGER after the first, every id sent meanwhile in
        one UPDATE."""
        try:
            while self._unmarked:
                if not self._stopping:
                    await asyncio.sleep(MARK_LINGER)
                ids = self._unmarked[:MARK_BATCH]
                del self._unmarked[:MARK_BATCH]
                try:
                    await self._mark(ids)
                except Exception:
                    # Left unmarked, they are sent again by the relay: duplicates, not losses.
                    log.exception("marking %d events published failed", len(ids))
        finally:
            self._marker = None

    async def _mark(self, sent: list[tuple[bool, int]]) -> None:
        """Mark ``(is_work, id)`` rows published."""
        now = utcnow()
        async with self.sessionmaker() as session:
            for table in (Event, WorkItem):
                ids = [id for work, id in sent if work == (table is WorkItem)]
                if ids:
                    await session.execute(
                        update(table).where(table.id.in_(ids)).values(published_at=now)
                    )
            await session.commit()

    async def relay_once(self) -> int:
        """Publish unpublished rows (events, then work) oldest first; how many were sent."""
        sent = 0
        for table in (Event, WorkItem):
            async with self.sessionmaker() as session:
                # select(table) of either table: mypy sees only their common base.
                rows = cast(
                    Sequence[Event | WorkItem],
                    (
                        await session.execute(
                            select(table)
                            .where(
                                table.published_at.is_(None),
                                table.created_at < utcnow() - RELAY_GRACE,
                            )
                            .order_by(table.id)
                            .limit(RELAY_BATCH)
                        )
                    )
                    .scalars()
                    .all(),
                )
                messages = [to_message(row) for row in rows]
                await session.rollback()
            if messages:
                await self._send(messages)
                await self._mark([(table is WorkItem, m.id) for m in messages])
                sent = max(sent, len(messages))
        return sent

    async def prune_once(self) -> int:
        """Delete published rows older than the retention; returns how many.

        The newest event always stays: SQLite would hand its id out again, and a browser
        resuming after it would then skip the events that reused it.
        """
        cutoff = utcnow() - RETENTION
        async with self.sessionmaker() as session:
            newest = select(func.max(Event.id)).scalar_subquery()
            events = await session.execute(
                delete(Event).where(
                    Event.published_at.is_not(None), Event.created_at < cutoff, Event.id < newest
                )
            )
            work = await session.execute(
                delete(WorkItem).where(
                    WorkItem.published_at.is_not(None), WorkItem.created_at < cutoff
                )
            )
            await session.commit()
        return int(events.rowcount) + int(work.rowcount)  # type: ignore[attr-defined]

    async def _relay_loop(self) -> None:
        delay = self.relay_interval
        loop = asyncio.get_running_loop()
        next_prune = loop.time() + 60.0  # not at start-up: short-lived processes skip it
        while not self._stopping:
            if loop.time() >= next_prune:
                next_prune = loop.time() + PRUNE_EVERY_SECONDS
                try:
                    await self.prune_once()
                except Exception:
                    log.exception("pruning the event log failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), delay)
            self._kick.clear()
            if self._stopping:
                return
            try:
                while await self.relay_once() == RELAY_BATCH:
                    pass
                delay = self.relay_interval
            except BusUnavailableError:
                delay = 1.0
            except Exception:
                log.exception("event relay failed")
                delay = self.relay_interval

    def start(self) -> None:
        self._relay = asyncio.create_task(self._relay_loop())

    async def stop(self) -> None:
        if self._relay is not None:
            # Let a relay pass in progress finish its query rather than cancel it mid-way
            # (a cancelled query can strand a pooled connection past the engine's disposal).
            self._stopping = True
            self._kick.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._relay), 10)
            except TimeoutError:
                self._relay.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._relay
        # Let in-flight after-commit publishes finish; the relay covers any that can't.
        deadline = asyncio.get_running_loop().time() + 5
        while self._tasks and (left := deadline - asyncio.get_running_loop().time()) > 0:
            await asyncio.wait(set(self._tasks), timeout=left)
        # Then the marks of what was sent (no lingering now that _stopping is set).
        if self._marker is not None:
            left = max(0.1, deadline - asyncio.get_running_loop().time())
            await asyncio.wait({self._marker}, timeout=left)
            if self._marker is not None and not self._marker.done():
                # Unmarked rows are only sent again by the next relay: a duplicate, not a loss.
                self._marker.cancel()
