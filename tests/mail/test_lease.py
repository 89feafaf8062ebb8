"""The lease on a delivery row: of two consumers given one message (the relay re-sent it),
one sends it; the other waits, and takes it over only from a holder whose lease ran out."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from quart import Quart

from portal.config import get_settings
from portal.db import get_db, utcnow
from portal.mail.extension import mail_transport, sms_gateway
from portal.mail.models import DeliveryStatus, MailDelivery
from portal.mail.outbox import OutgoingMessage
from portal.mail.worker import MailWorker
from tests.mail.conftest import SmtpServer, reset_mail

pytestmark = pytest.mark.both_databases


def consumer(app: Quart, name: str, *, lease: float = 5.0) -> MailWorker:
    """A worker as another ``portal consumer mail`` process would run it (its own name)."""
    settings = get_settings(app)
    db = get_db(app)
    assert db.sessionmaker is not None
    return MailWorker(
        db.sessionmaker,
        env=app.jinja_env,
        mail=mail_transport(settings),
        sms=sms_gateway(settings),
        sender=settings.mail_from,
        backoff=(0.05,) * 5,
        lease=lease,
        name=name,
    )


def message(event_id: int) -> dict[str, object]:
    body = reset_mail("lea@example.com", "Lea", "http://jobs.example.test").to_data()
    return {**body, "event_id": event_id}


async def test_two_consumers_given_one_message_send_it_once(
    db_backend: str, smtp_app: Quart, smtp_server: SmtpServer
) -> None:
    smtp_server.inbox.delay = 0.5  # both have it in hand while the first is still sending
    first, second = consumer(smtp_app, "a"), consumer(smtp_app, "b")
    body = message(4242)
    await asyncio.wait_for(asyncio.gather(first.handle(body), second.handle(body)), 20)
    await asyncio.sleep(0.3)
    assert len(smtp_server.inbox.messages) == 1
    async with get_db(smtp_app).session_scope() as session:
        row = await session.get(MailDelivery, 4242)
    assert row is not None and row.status == DeliveryStatus.SENT.value
    assert row.attempts == 1 and row.claimed_by in ("a", "b") and row.lease_until is None


async def test_a_send_stalled_past_the_lease_keeps_it(
    db_backend: str, smtp_app: Quart, smtp_server: SmtpServer
) -> None:
    """The server takes 2.5 leases to answer DATA: the sender, alive, renews its lease
    meanwhile, so the other consumer given the message does not take it over and send it again."""
    smtp_server.inbox.delay = 2.5
    first, second = consumer(smtp_app, "a", lease=1.0), consumer(smtp_app, "b", lease=1.0)
    body = message(4343)
    sending = asyncio.create_task(first.handle(body))
    await asyncio.sleep(0.1)  # "a" holds it and is in the middle of DATA
    await asyncio.wait_for(asyncio.gather(sending, second.handle(body)), 20)
    await asyncio.sleep(2.8)  # a second send, had there been one, would have arrived by now
    assert len(smtp_server.inbox.messages) == 1
    async with get_db(smtp_app).session_scope() as session:
        row = await session.get(MailDelivery, 4343)
    assert row is not None and row.status == DeliveryStatus.SENT.value
    assert row.attempts == 1 and row.claimed_by == "a"


async def test_a_sender_whose_lease_was_taken_over_abandons_its_send(
    db_backend: str, smtp_app: Quart, smtp_server: SmtpServer
) -> None:
    """Its lease lost before DATA (another consumer took the message over): the send is cut
    short, nothing reaches the server from it, and the row stays the new holder's."""
    smtp_server.inbox.rcpt_delay = 2.0
    sender = consumer(smtp_app, "a", lease=0.9)
    task = asyncio.create_task(sender.deliver(4444, _outgoing()))
    await asyncio.sleep(0.1)  # "a" holds it, waiting for the server to take the recipient
    async with get_db(smtp_app).session_scope() as session:
        row = await session.get(MailDelivery, 4444)
        assert row is not None and row.claimed_by == "a"
        row.claimed_by = "b"  # what a takeover after "a" stalled past its lease writes
        row.lease_until = utcnow() + timedelta(seconds=30)
        await session.commit()
    outcome = await asyncio.wait_for(task, 5)
    assert outcome.status == DeliveryStatus.SENDING
    await asyncio.sleep(2.3)  # the server would have taken it by now had the send gone on
    assert smtp_server.inbox.messages == []
    async with get_db(smtp_app).session_scope() as session:
        row = await session.get(MailDelivery, 4444)
    assert row is not None and row.claimed_by == "b" and row.status == DeliveryStatus.SENDING


async def _seed_held(app: Quart, event_id: int, holder: str, until_seconds: float) -> None:
    async with get_db(app).session_scope() as session:
        session.add(
            MailDelivery(
                event_id=event_id,
                kind="reset",
                channel="email",
                recipient="lea@example.com",
                status=DeliveryStatus.SENDING.value,
                attempts=1,
                reason="",
                updated_at=utcnow(),
                claimed_by=holder,
                lease_until=utcnow() + timedelta(seconds=until_seconds),
            )
        )
        await session.commit()


async def test_an_expired_lease_is_taken_over_at_once(
    db_backend: str, smtp_app: Quart, smtp_server: SmtpServer
) -> None:
    await _seed_held(smtp_app, 51, "killed-consumer", -1.0)
    outcome = await asyncio.wait_for(consumer(smtp_app, "b").deliver(51, _outgoing()), 10)
    assert outcome.status == DeliveryStatus.SENT and outcome.attempts == 2
    assert len(await smtp_server.inbox.wait_for(1)) == 1


async def test_a_held_lease_is_waited_for_then_taken_over(
    db_backend: str, smtp_app: Quart, smtp_server: SmtpServer
) -> None:
    """A holder killed mid-send: its message is not sent beside it, nor lost."""
    await _seed_held(smtp_app, 52, "killed-consumer", 0.8)
    started = asyncio.get_running_loop().time()
    task = asyncio.create_task(consumer(smtp_app, "b").deliver(52, _outgoing()))
    await asyncio.sleep(0.4)
    assert not task.done() and smtp_server.inbox.messages == []
    outcome = await asyncio.wait_for(task, 10)
    assert outcome.status == DeliveryStatus.SENT
    assert asyncio.get_running_loop().time() - started >= 0.7
    assert len(smtp_server.inbox.messages) == 1


def _outgoing() -> OutgoingMessage:
    return OutgoingMessage.from_data(message(0))
