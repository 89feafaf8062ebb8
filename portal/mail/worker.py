"""The mail worker: takes messages from the ``mail`` work queue, renders and sends them.

Each message is acknowledged only once the server (or the file sink) accepted it, or once it
is parked. Its ``event_id`` (the outbox row) is the dedupe key: a ``mail_deliveries`` row
records what became of it, so a redelivery of a message already sent or parked is dropped.
Failed attempts are counted in that row before the next one, so a consumer killed while
backing off resumes the count after a restart instead of starting over.

The row is also a lease: a consumer takes it (``claimed_by``, ``lease_until``) in a short
transaction with a conditional UPDATE before each send, and holds it through its backoff.
While a send is in flight its holder renews the lease every third of it, so a slow server
(DATA answered after minutes) does not let the lease run out under a live sender. Another
consumer given the same message (the relay re-sent it) waits for the lease to end: by then
the message was sent (and is dropped there) or its holder died (and it is taken over). A
holder that finds its lease taken over meanwhile abandons its send (cancelled before the
server has the whole message, it is not delivered) and leaves the message to the new holder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from jinja2 import Environment
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.db import begin_write, utcnow
from portal.mail.models import DeliveryStatus, MailDelivery
from portal.mail.outbox import OutgoingMessage
from portal.mail.render import TemplateMissingError, render_email, render_text
from portal.mail.transports import MailTransport, PermanentError, SmsGateway, TransientError

log = logging.getLogger(__name__)

# Seconds before the 2nd, 3rd... attempt; after the last, the message is parked. About 14
# minutes in all: a message stays unacknowledged meanwhile, well inside RabbitMQ's 30-minute
# consumer timeout.
DEFAULT_BACKOFF = (2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 120.0, 120.0, 120.0, 120.0, 120.0, 120.0)
# Seconds a consumer holds a message for one attempt (longer than an SMTP or gateway attempt
# may take), and beyond each backoff delay. A consumer killed mid-send delays its message by
# at most this much.
DEFAULT_LEASE = 60.0


class LeaseLostError(Exception):
    """Another consumer took the message over while this one was sending it."""


@dataclass(frozen=True)
class Outcome:
    event_id: int
    status: DeliveryStatus
    attempts: int


class MailWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        env: Environment,
        mail: MailTransport,
        sms: SmsGateway,
        sender: str,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        lease: float = DEFAULT_LEASE,
        sleep: Callable[[float], Any] = asyncio.sleep,
        name: str | None = None,
        pace: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.env = env
        self.mail = mail
        self.sms = sms
        self.sender = sender
        self.backoff = tuple(backoff)
        self.lease = lease
        self.sleep = sleep
        # Awaited before each message is taken on (the embedded default: until requests pause).
        self.pace = pace
        # Unique per worker, so a restarted consumer is not taken for the one it replaced.
        self.name = name or f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
        # Ids being sent here: a duplicate delivery meanwhile is dropped, not sent beside it.
        self._busy: set[int] = set()

    async def handle(self, body: dict[str, Any]) -> None:
        try:
            event_id = int(body["event_id"])
            message = OutgoingMessage.from_data(body)
        except (KeyError, TypeError, ValueError):
            # Acknowledged and dropped: requeueing it would bring it back at once, forever.
            log.error("dropping a mail message that is not one: %r", body)
            return
        if event_id in self._busy:
            return
        self._busy.add(event_id)
        try:
            if self.pace is not None:
                await self.pace()
            await self.deliver(event_id, message)
        finally:
            self._busy.discard(event_id)

    async def _claim(self, event_id: int, message: OutgoingMessage) -> tuple[MailDelivery, bool]:
        """The message's row (recorded if new), and whether this worker now holds its lease."""
        async with self.sessionmaker() as session:
            # Read, then maybe write: on SQLite the write lock is taken up front, or a
            # concurrent writer (a sign-up) makes the upgrade fail with "database is locked".
            await begin_write(session)
            now = utcnow()
            lease_until = now + timedelta(seconds=self.lease)
            if await session.get(MailDelivery, event_id) is None:
                session.add(
                    MailDelivery(
                        event_id=event_id,
                        kind=message.kind[:32],
                        channel=message.channel,
                        recipient=message.to[:254],
                        status=DeliveryStatus.SENDING.value,
                        attempts=0,
                        reason="",
                        updated_at=now,
                        claimed_by=self.name,
                        lease_until=lease_until,
                    )
                )
                try:
                    await session.commit()
                except IntegrityError:
                    # Another consumer recorded it at the same moment: its lease decides.
                    await session.rollback()
                else:
                    row = await session.get(MailDelivery, event_id)
                    assert row is not None
                    return row, True
                await begin_write(session)
            # Conditional, so of two consumers at once one takes it (PostgreSQL re-checks the
            # WHERE on the row the other one just updated; SQLite has one writer at a time).
            taken = await session.execute(
                update(MailDelivery)
                .where(
                    MailDelivery.event_id == event_id,
                    MailDelivery.status == DeliveryStatus.SENDING.value,
                    or_(
                        MailDelivery.claimed_by.is_(None),
                        MailDelivery.claimed_by == self.name,
                        MailDelivery.lease_until.is_(None),
                        MailDelivery.lease_until < now,
                    ),
                )
                .values(claimed_by=self.name, lease_until=lease_until, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            row = await session.get(MailDelivery, event_id, populate_existing=True)
            await session.commit()
            assert row is not None
            return row, getattr(taken, "rowcount", 0) == 1

    async def _update(self, event_id: int, **values: Any) -> None:
        async with self.sessionmaker() as session:
            await session.execute(
                update(MailDelivery)
                .where(MailDelivery.event_id == event_id)
                .values(updated_at=utcnow(), **values)
            )
            await session.commit()

    async def deliver(self, event_id: int, message: OutgoingMessage) -> Outcome:
        while True:
            row, held = await self._claim(event_id, message)
            if row.status != DeliveryStatus.SENDING.value:
                return Outcome(event_id, DeliveryStatus(row.status), row.attempts)  # a redelivery
            if held:
                break
            # Unacknowledged meanwhile: if the holder died, this copy is the one that is sent.
            left = (row.lease_until - utcnow()).total_seconds() if row.lease_until else 0.0
            await self.sleep(min(max(left, 0.0), self.lease) + 0.05)
        attempts = row.attempts
        while True:
            attempts += 1
            try:
                await self._send_held(event_id, message)
            except LeaseLostError:
                # Not ours to record: the new holder sends it (or has) and writes its fate.
                log.warning("mail %s was taken over by another consumer mid-send", event_id)
                return Outcome(event_id, DeliveryStatus.SENDING, attempts)
            except (PermanentError, TemplateMissingError) as error:
                return await self._park(event_id, attempts, f"refused: {error}")
            except TransientError as error:
                if attempts > len(self.backoff):
                    return await self._park(event_id, attempts, f"gave up: {error}")
                delay = self.backoff[attempts - 1]
                # Held through the wait and the next attempt.
                await self._update(
                    event_id,
                    attempts=attempts,
                    reason=str(error)[:2000],
                    lease_until=utcnow() + timedelta(seconds=delay + self.lease),
                )
                log.warning(
                    "mail %s to %s not accepted (%s); attempt %d in %.0f s",
                    event_id,
                    message.to,
                    error,
                    attempts + 1,
                    delay,
                )
                await self.sleep(delay)
                continue
            await self._update(
                event_id,
                status=DeliveryStatus.SENT.value,
                attempts=attempts,
                sent_at=utcnow(),
                lease_until=None,
            )
            return Outcome(event_id, DeliveryStatus.SENT, attempts)

    async def _renew(self, event_id: int) -> bool:
        """Extend this worker's lease; False if the message is no longer this worker's to send.

        Still ours even past ``lease_until`` as long as nobody else claimed it meanwhile.
        """
        async with self.sessionmaker() as session:
            result = await session.execute(
                update(MailDelivery)
                .where(
                    MailDelivery.event_id == event_id,
                    MailDelivery.status == DeliveryStatus.SENDING.value,
                    MailDelivery.claimed_by == self.name,
                )
                .values(lease_until=utcnow() + timedelta(seconds=self.lease))
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        return getattr(result, "rowcount", 0) == 1

    async def _send_held(self, event_id: int, message: OutgoingMessage) -> None:
        """``_send``, the lease renewed every third of it while the send is in flight.

        Raises LeaseLostError, the send cancelled, once another consumer holds the message.
        """
        sending = asyncio.ensure_future(self._send(event_id, message))
        try:
            while True:
                done, _ = await asyncio.wait({sending}, timeout=self.lease / 3)
                if done:
                    return sending.result()
                try:
                    held = await self._renew(event_id)
                except (SQLAlchemyError, OSError) as error:
                    # Kept on: while the database is out of reach, no other consumer can
                    # take the lease over either; the next renewal tells.
                    log.warning("renewing the lease on mail %s failed: %s", event_id, error)
                    continue
                if not held:
                    raise LeaseLostError(event_id)
        finally:
            if not sending.done():
                sending.cancel()
                # Whatever the abandoned send raises as it is cut short no longer matters.
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await sending

    async def _send(self, event_id: int, message: OutgoingMessage) -> None:
        if message.channel == "sms":
            body = await render_text(self.env, message)
            await self.sms.send(message.to, body, message_id=f"sms-{event_id}")
        else:
            mail = await render_email(self.env, message, event_id=event_id, sender=self.sender)
            await self.mail.send(mail)

    async def _park(self, event_id: int, attempts: int, reason: str) -> Outcome:
        log.error("mail %s parked after %d attempt(s): %s", event_id, attempts, reason)
        await self._update(
            event_id,
            status=DeliveryStatus.PARKED.value,
            attempts=attempts,
            reason=reason[:2000],
            lease_until=None,
        )
        return Outcome(event_id, DeliveryStatus.PARKED, attempts)
