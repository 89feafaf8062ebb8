"""``portal consumer mail`` as its own process, on the real broker, sending to a real SMTP
server: killed with SIGKILL mid-way and started again, every queued message arrives (only one
the dead consumer had in flight can arrive twice, with its one Message-ID, which a receiving
server dedupes); with the SMTP server down for a while, messages wait and arrive when it is up.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aio_pika
import pytest
from quart import Quart
from sqlalchemy import select

from portal.app import create_app
from portal.config import Settings
from portal.db import get_db
from portal.mail.models import DeliveryStatus, MailDelivery
from portal.mail.outbox import queue_messages
from tests.events import conftest as events_conftest
from tests.events.conftest import AMQP_URL
from tests.mail.conftest import SmtpServer, reset_mail
from tests.utils.broker import QueueWatcher
from tests.utils.consumers import ConsumerProcess, Consumers, running_consumers

# A unique exchange/queue prefix, deleted from the broker afterwards.
amqp_prefix = events_conftest.amqp_prefix
TIMEOUT = 25.0
LEASE_SECONDS = 1.5  # what a message the killed consumer held waits before it is taken over


@pytest.fixture
def broker_settings(settings: Settings, amqp_prefix: str, smtp_server: SmtpServer) -> Settings:
    return settings.model_copy(
        update={
            "amqp_url": AMQP_URL,
            "amqp_prefix": amqp_prefix,
            "smtp_url": smtp_server.url,
            "public_url": "http://jobs.example.test",
            "mail_lease_seconds": LEASE_SECONDS,
        }
    )


def mail_consumer(settings: Settings, log_path: Path) -> ConsumerProcess:
    """``portal consumer mail`` with the test's settings in its environment."""
    return ConsumerProcess(
        settings,
        log_path,
        [str(Path(sys.executable).with_name("portal")), "consumer", "mail"],
        name="the mail consumer",
        extra_env={
            "PORTAL_SMTP_URL": settings.smtp_url or "",
            "PORTAL_PUBLIC_URL": settings.public_url or "",
            "PORTAL_MAIL_LEASE_SECONDS": str(settings.mail_lease_seconds),
        },
        timeout=TIMEOUT,
    )


@pytest.fixture
def consumers(tmp_path: Path) -> Iterator[Consumers]:
    with running_consumers(tmp_path, mail_consumer) as started:
        yield started


@pytest.fixture
async def web(broker_settings: Settings) -> AsyncIterator[Quart]:
    """The web app's side: it queues messages, its relay puts them on the broker."""
    app = create_app(broker_settings)
    async with app.test_app():
        yield app


@pytest.fixture
async def mail_queue(amqp_prefix: str) -> AsyncIterator[QueueWatcher]:
    assert AMQP_URL
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        yield QueueWatcher(connection, f"{amqp_prefix}.mail", TIMEOUT)


async def queue(app: Quart, count: int, start: int = 0) -> None:
    async with get_db(app).session_scope() as session:
        await queue_messages(
            session,
            [
                reset_mail(f"user{n}@example.com", f"User {n}", "http://jobs.example.test")
                for n in range(start, start + count)
            ],
        )
        await session.commit()


async def deliveries(app: Quart) -> list[MailDelivery]:
    async with get_db(app).session_scope() as session:
        return list((await session.execute(select(MailDelivery))).scalars())


async def all_sent(app: Quart, count: int, consumer: ConsumerProcess) -> list[MailDelivery]:
    try:
        async with asyncio.timeout(TIMEOUT):
            while True:
                rows = await deliveries(app)
                if len(rows) == count and all(
                    row.status == DeliveryStatus.SENT.value for row in rows
                ):
                    return rows
                await asyncio.sleep(0.1)
    except TimeoutError:
        pytest.fail(f"not all {count} sent: {len(rows)} rows\n{consumer.log()[-4000:]}")


async def test_killed_mid_way_and_restarted_every_message_arrives(
    web: Quart,
    smtp_server: SmtpServer,
    consumers: Consumers,
    broker_settings: Settings,
    mail_queue: QueueWatcher,
) -> None:
    count = 24
    smtp_server.inbox.delay = 0.2  # slow enough to be killed with several in flight
    first = consumers.spawn(broker_settings)
    await mail_queue.wait_for(consumers=1)
    await queue(web, count)
    async with asyncio.timeout(TIMEOUT):
        while sum(r.status == DeliveryStatus.SENT for r in await deliveries(web)) < 6:
            await asyncio.sleep(0.02)
    await first.kill()  # SIGKILL: no acks, no shutdown
    in_flight = {r.event_id for r in await deliveries(web) if r.status != DeliveryStatus.SENT}
    sent_before = {r.event_id for r in await deliveries(web) if r.status == DeliveryStatus.SENT}
    assert sent_before and len(sent_before) < count, "the kill was not mid-way"

    second = consumers.spawn(broker_settings)
    rows = await all_sent(web, count, second)
    await asyncio.sleep(0.5)  # anything sent twice would have arrived by now
    arrived = Counter(str(mail["Message-ID"]) for mail in smtp_server.inbox.messages)
    expected = {f"<mail-{row.event_id}@localhost>" for row in rows}
    assert set(arrived) == expected
    twice = {ident for ident, n in arrived.items() if n > 1}
    assert twice <= {f"<mail-{event_id}@localhost>" for event_id in in_flight}
    assert not twice & {f"<mail-{event_id}@localhost>" for event_id in sent_before}
    assert await second.stop() == 0


async def test_smtp_down_for_a_while_messages_are_retried_and_arrive(
    web: Quart,
    smtp_server: SmtpServer,
    consumers: Consumers,
    broker_settings: Settings,
    mail_queue: QueueWatcher,
) -> None:
    consumer = consumers.spawn(broker_settings)
    await mail_queue.wait_for(consumers=1)
    smtp_server.stop()
    await queue(web, 5)
    async with asyncio.timeout(TIMEOUT):  # each tried once and refused by a closed port
        while len(rows := await deliveries(web)) < 5 or any(r.attempts < 1 for r in rows):
            await asyncio.sleep(0.1)
    assert all(row.status == DeliveryStatus.SENDING.value and row.reason for row in rows)
    assert smtp_server.inbox.messages == []
    smtp_server.start()
    rows = await all_sent(web, 5, consumer)
    assert all(row.attempts >= 2 for row in rows)
    assert len(await smtp_server.inbox.wait_for(5)) == 5
    await asyncio.sleep(0.3)
    assert len(smtp_server.inbox.messages) == 5
    assert await consumer.stop() == 0
