"""The mail worker: takes messages from the ``mail`` work queue, renders and sends them.

Each message is acknowledged only once the server (or the file sink) accepted it, or once it
is parked. Its ``event_id`` (the outbox row) is the dedupe key: a ``mail_deliveries`` row
records what became of it, so a redelivery of a message already sent or parked is dropped.
Failed attempts are counted in that row before the next one, so a consumer killed while
backing off resumes the count after a restart instead of starting over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment
from sqlalchemy import update
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
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.env = env
        self.mail = mail
        self.sms = sms
        self.sender = sender
        self.backoff = tuple(backoff)
        self.sleep = sleep
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
            await self.deliver(event_id, message)
        finally:
            self._busy.discard(event_id)

    async def _record(self, event_id: int, message: OutgoingMessage) -> MailDelivery:
        async with self.sessionmaker() as session:
            # Read, then maybe insert: on SQLite the write lock is taken up front, or a
            # concurrent writer (a sign-up) makes the upgrade fail with "database is locked".
            await begin_write(session)
            row = await session.get(MailDelivery, event_id)
            if row is None:
                row = MailDelivery(
                    event_id=event_id,
                    kind=message.kind[:32],
                    channel=message.channel,
                    recipient=message.to[:254],
                    status=DeliveryStatus.SENDING.value,
                    attempts=0,
                    reason="",
                    updated_at=utcnow(),
                )
                session.add(row)
                await session.commit()
            return row

    async def _update(self, event_id: int, **values: Any) -> None:
        async with self.sessionmaker() as session:
            await session.execute(
                update(MailDelivery)
                .where(MailDelivery.event_id == event_id)
                .values(updated_at=utcnow(), **values)
            )
            await session.commit()

    async def deliver(self, event_id: int, message: OutgoingMessage) -> Outcome:
        row = await self._record(event_id, message)
        if row.status != DeliveryStatus.SENDING.value:
            return Outcome(event_id, DeliveryStatus(row.status), row.attempts)  # a redelivery
        attempts = row.attempts
        while True:
            attempts += 1
            try:
                await self._send(event_id, message)
            except (PermanentError, TemplateMissingError) as error:
                return await self._park(event_id, attempts, f"refused: {error}")
            except TransientError as error:
                if attempts > len(self.backoff):
                    return await self._park(event_id, attempts, f"gave up: {error}")
                await self._update(event_id, attempts=attempts, reason=str(error)[:2000])
                delay = self.backoff[attempts - 1]
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
                event_id, status=DeliveryStatus.SENT.value, attempts=attempts, sent_at=utcnow()
            )
            return Outcome(event_id, DeliveryStatus.SENT, attempts)

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
            event_id, status=DeliveryStatus.PARKED.value, attempts=attempts, reason=reason[:2000]
        )
        return Outcome(event_id, DeliveryStatus.PARKED, attempts)
