"""The click queue and the recommender consumer across the real RabbitMQ broker.

The web app puts each click on the durable queue ``<prefix>.clicks``; a consumer (a second app
in this process, or ``python -m consumers.recommender`` as a subprocess) applies it, stores the
user's new top list and publishes ``recommendations.updated`` on the user's ``me`` channel.
A consumer killed before its ack leaves the click to be redelivered and counted once; a
restarted one rebuilds from the stored clicks and then drains the backlog.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from quart.typing import TestWebsocketConnectionProtocol as Socket
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.app import create_app
from portal.config import Settings
from portal.db import get_db, utcnow
from portal.events.bus import RabbitBus
from portal.events.channels import user as user_channel
from portal.jobs import service as jobs_service
from portal.jobs.models import Job
from portal.jobs.schemas import JobData
from portal.recommend.engine import Recommender
from portal.recommend.extension import start_worker
from portal.recommend.models import Click, StoredRecommendations
from portal.recommend.service import RecommenderWorker
from tests.events import conftest as events_conftest
from tests.events.conftest import AMQP_URL
from tests.factories import make_user, signed_in_client
from tests.recommend.test_service import events_on, work_channel
from tests.utils import recommend as peek
from tests.utils.broker import QueueWatcher
from tests.utils.consumers import (
    ConsumerProcess,
    Consumers,
    database_write_locked,
    running_consumers,
)
from tests.utils.proxy import TcpProxy

# The broker tests' fixture: a unique exchange/queue prefix, deleted from the broker afterwards.
amqp_prefix = events_conftest.amqp_prefix
TIMEOUT = 10.0
JOB: dict[str, Any] = {
    "title": "Python developer",
    "content": "We build useful things.",
    "category": "engineering",
    "status": "published",
    "apply_email": "jobs@example.com",
}


# --- set-up --------------------------------------------------------------------------------


@pytest.fixture
def broker_settings(settings: Settings, amqp_prefix: str) -> Settings:
    """This test's database, on the real broker under its own exchange/queue prefix."""
    return settings.model_copy(update={"amqp_url": AMQP_URL, "amqp_prefix": amqp_prefix})


@pytest.fixture
async def broker(amqp_prefix: str) -> AsyncIterator[QueueWatcher]:
    """A side connection that looks at the clicks queue the way an operator would."""
    assert AMQP_URL
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        yield QueueWatcher(connection, f"{amqp_prefix}.clicks", TIMEOUT)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Quart]:
    app = create_app(settings)
    async with app.test_app():
        yield app


@asynccontextmanager
async def consumer_app(settings: Settings) -> AsyncIterator[RecommenderWorker]:
    """A second app on the same database and broker, running the consumer as
    ``portal consumer recommender`` does (rebuild, then consume)."""
    async with running(settings) as app:
        async with app.app_context():
            worker = await start_worker(app)
        yield worker


def recommender_consumer(settings: Settings, log_path: Path) -> ConsumerProcess:
    """``python -m consumers.recommender`` with the test's settings in its environment."""
    return ConsumerProcess(
        settings,
        log_path,
        [sys.executable, "-m", "consumers.recommender"],
        name="the recommender consumer",
        timeout=TIMEOUT,
    )


@pytest.fixture
def consumers(tmp_path: Path) -> Iterator[Consumers]:
    """Consumer subprocesses to start; every one still running is killed at the end."""
    with running_consumers(tmp_path, recommender_consumer) as started:
        yield started


# --- data helpers ---------------------------------------------------------------------------


async def make_jobs(app: Quart, actor: User, titles: list[str]) -> list[Job]:
    jobs = []
    async with get_db(app).session_scope() as session:
        for title in titles:
            data = JobData.model_validate({**JOB, "title": title})
            jobs.append(await jobs_service.create_job(session, actor, data))
    return jobs


async def seed_clicks(app: Quart, pairs: list[tuple[int, int]]) -> None:
    """Past clicks, straight into the table (a consumer rebuilds from them at start-up)."""
    now = utcnow()
    async with get_db(app).session_scope() as session:
        session.add_all(
            Click(user_id=user, job_id=job, created_at=now - timedelta(minutes=len(pairs) - n))
            for n, (user, job) in enumerate(pairs)
        )
        await session.commit()


async def click(client: Client, job_id: int) -> int:
    response = await client.post("/api/v1/clicks", json={"job_id": job_id})
    assert response.status_code == 201, await response.get_data(as_text=True)
    return int((await response.get_json())["id"])


async def stored(app: Quart, user_id: int) -> StoredRecommendations | None:
    async with get_db(app).session_scope() as session:
        return await session.get(StoredRecommendations, user_id)


async def applied(app: Quart, user_id: int, click_id: int) -> StoredRecommendations:
    async with asyncio.timeout(TIMEOUT):
        while True:
            row = await stored(app, user_id)
            if row is not None and row.last_click_id >= click_id:
                return row
            await asyncio.sleep(0.05)


async def all_published(app: Quart, timeout: float = TIMEOUT) -> None:
    """Wait until the outbox is empty (every row confirmed by the broker and marked)."""
    async with asyncio.timeout(timeout):
        while any(e.published_at is None for e in await events_on(app, work_channel("clicks"))):
            await asyncio.sleep(0.05)


async def rebuilt_from_table(app: Quart, worker: RecommenderWorker) -> Recommender:
    async with get_db(app).session_scope() as session:
        rows = (await session.execute(select(Click).order_by(Click.id))).scalars().all()
    return Recommender.rebuild(
        [(r.user_id, r.job_id, r.created_at.timestamp()) for r in rows], worker.config
    )


async def subscribe_me(ws: Socket) -> None:
    await ws.send(json.dumps({"type": "subscribe", "channel": "me"}))
    frame = json.loads(await asyncio.wait_for(ws.receive(), TIMEOUT))
    assert frame["type"] == "subscribed" and frame["channel"] == "me", frame


async def recv_events(
    ws: Socket, name: str, count: int = 1, timeout: float = TIMEOUT
) -> list[dict[str, Any]]:
    """The next ``count`` events called ``name`` (batches unpacked, other frames skipped)."""
    found: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while len(found) < count:
            frame = json.loads(await ws.receive())
            for message in frame["messages"] if frame["type"] == "batch" else [frame]:
                if message["type"] == "event" and message["event"] == name:
                    found.append(message)
    assert len(found) == count, found
    return found


class Site:
    """The web app, an admin, a member with a signed-in client, others and four jobs."""

    app: Quart
    member: User
    client: Client
    others: list[int]
    python: Job
    rust: Job
    go: Job
    chef: Job


@asynccontextmanager
async def site(settings: Settings) -> AsyncIterator[Site]:
    async with running(settings) as app:
        result = Site()
        result.app = app
        # Accounts first: sign-up on SQLite fails if a background write lands mid-way.
        admin = await make_user(app, role=Role.ADMIN)
        result.client, result.member = await signed_in_client(app)
        result.others = [(await make_user(app)).id for _ in range(3)]
        result.python, result.rust, result.go, result.chef = await make_jobs(
            app, admin, ["Python dev", "Rust dev", "Go dev", "Chef"]
        )
        o, py, rust, go, chef = result.others, result.python, result.rust, result.go, result.chef
        await seed_clicks(
            app,
            [
                (o[0], py.id),
                (o[0], rust.id),
                (o[1], py.id),
                (o[1], rust.id),
                (o[1], go.id),
                (o[2], chef.id),
            ],
        )
        await all_published(app)
        yield result


# --- tests ---------------------------------------------------------------------------------


async def test_clicks_go_to_the_durable_queue_as_persistent_messages(
    broker_settings: Settings, broker: QueueWatcher
) -> None:
    async with site(broker_settings) as s:
        click_id = await click(s.client, s.python.id)
        await all_published(s.app)
        [event] = await events_on(s.app, work_channel("clicks"))
        await broker.wait_for(ready=1, consumers=0)

        channel = await broker.connection.channel()
        queue = await channel.declare_queue(broker.queue, durable=True)  # same arguments: ok
        message = await queue.get(no_ack=False, timeout=5)
        assert message is not None
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert message.message_id == str(event.id)
        assert message.content_type == "application/json"
        body = json.loads(message.body)
        assert body == {
            "click_id": click_id,
            "user_id": s.member.id,
            "job_id": s.python.id,
            "at": pytest.approx(event.data["at"]),
            "event_id": event.id,
        }
        await message.nack(requeue=True)
        await channel.close()
        # The queue is durable: declaring it transient is refused by the broker.
        channel = await broker.connection.channel()
        with pytest.raises(aio_pika.exceptions.ChannelPreconditionFailed):
            await channel.declare_queue(broker.queue, durable=False)
        await broker.wait_for(ready=1)


async def test_consumer_applies_clicks_and_the_users_socket_hears(
    broker_settings: Settings, broker: QueueWatcher
) -> None:
    async with site(broker_settings) as s, consumer_app(broker_settings) as worker:
        await broker.wait_for(consumers=1)
        assert worker.model.n_clicks == 6  # rebuilt from the stored clicks
        async with s.client.websocket("/ws") as ws:
            await subscribe_me(ws)
            click_id = await click(s.client, s.python.id)
            [event] = await recv_events(ws, "recommendations.updated")
        items = event["data"]["items"]
        assert [item["job_id"] for item in items][:2] == [s.rust.id, s.go.id]
        assert items[0]["reason"] == "Because you viewed “Python dev”"
        row = await applied(s.app, s.member.id, click_id)
        assert row.items[: len(items)] == items
        assert worker.model.n_clicks == 7
        # The API serves what the consumer stored.
        body = await (await s.client.get("/api/v1/recommendations")).get_json()
        assert [item["job"]["id"] for item in body][:2] == [s.rust.id, s.go.id]
        await broker.wait_for(ready=0, consumers=1)


async def test_consumer_killed_before_ack_leaves_the_click_to_be_counted_once(
    broker_settings: Settings, broker: QueueWatcher, consumers: Consumers
) -> None:
    async with site(broker_settings) as s:
        # A click while no consumer runs: it waits in the queue.
        click_id = await click(s.client, s.python.id)
        await all_published(s.app)
        await broker.wait_for(ready=1, consumers=0)

        # The consumer gets the message, applies it to its model, then blocks storing the new
        # list (the database's write lock is held): delivered, not acknowledged. Kill it there.
        with database_write_locked(broker_settings):
            doomed = consumers.spawn(broker_settings)
            try:
                await broker.wait_for(ready=0, consumers=1)
            except TimeoutError:
                pytest.fail("the consumer never took the message:\n" + doomed.log())
            await asyncio.sleep(0.3)
            assert doomed.process is not None and doomed.process.poll() is None, doomed.log()
            await doomed.kill()
            # The broker puts the unacknowledged click back.
            await broker.wait_for(ready=1, consumers=0)
        assert await stored(s.app, s.member.id) is None
        assert await events_on(s.app, user_channel(s.member.id)) == []

        # A fresh consumer: rebuilt from the clicks table (which has the click), then the
        # redelivered message arrives: the (user, job) pair is in the model once.
        async with consumer_app(broker_settings) as worker:
            row = await applied(s.app, s.member.id, click_id)
            await broker.wait_for(ready=0, consumers=1)
            model = worker.model
            assert model.n_clicks == 7
            assert peek.job_count(model, s.python.id) == 3  # two others and the member
            assert peek.pair_count(model, s.python.id, s.rust.id) == 2  # the member has no Rust
            assert peek.history(model, s.member.id).keys() == {s.python.id}
            assert peek.snapshot(model) == peek.snapshot(await rebuilt_from_table(s.app, worker))
        ids = [item["job_id"] for item in row.items]
        assert ids[:2] == [s.rust.id, s.go.id] and s.python.id not in ids
        [update] = await events_on(s.app, user_channel(s.member.id))
        assert update.type == "recommendations.updated"
        await broker.wait_for(ready=0, consumers=0)


async def test_restart_rebuilds_and_drains_the_backlog(
    broker_settings: Settings, broker: QueueWatcher, consumers: Consumers
) -> None:
    async with site(broker_settings) as s:
        first = consumers.spawn(broker_settings)
        await broker.wait_for(consumers=1)
        async with s.client.websocket("/ws") as ws:
            await subscribe_me(ws)
            # Through the subprocess consumer, the broker and back to this socket.
            await click(s.client, s.python.id)
            [event] = await recv_events(ws, "recommendations.updated")
            assert event["data"]["items"][0]["job_id"] == s.rust.id

            assert await first.stop() == 0, first.log()
            await broker.wait_for(consumers=0)
            # Clicks while no consumer runs wait in the durable queue.
            await click(s.client, s.rust.id)
            last = await click(s.client, s.go.id)
            await all_published(s.app)
            await broker.wait_for(ready=2, consumers=0)
            row = await stored(s.app, s.member.id)
            assert row is not None and row.last_click_id < last

            async with consumer_app(broker_settings) as worker:
                row = await applied(s.app, s.member.id, last)
                await broker.wait_for(ready=0, consumers=1)
                assert peek.history(worker.model, s.member.id).keys() == {
                    s.python.id,
                    s.rust.id,
                    s.go.id,
                }
                assert worker.model.n_clicks == 9
                rebuilt = await rebuilt_from_table(s.app, worker)
                assert peek.snapshot(worker.model) == peek.snapshot(rebuilt)
                # The backlog's updates reach the socket too, in order: one per batch the
                # two clicks were delivered in (one or two), the last reflecting both.
                written = await events_on(s.app, user_channel(s.member.id))
                assert len(written) in (2, 3)
                updates = await recv_events(ws, "recommendations.updated", len(written) - 1)
        ids = [item["job_id"] for item in row.items]
        assert {s.python.id, s.rust.id, s.go.id}.isdisjoint(ids)
        assert [u["id"] for u in updates] == [e.id for e in written[1:]]
        assert updates[-1]["data"]["items"] == row.items[: len(updates[-1]["data"]["items"])]


async def test_clicks_wait_in_the_outbox_while_the_broker_is_down(
    broker_settings: Settings, broker: QueueWatcher
) -> None:
    assert AMQP_URL
    parts = urlsplit(AMQP_URL)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5672)
    await proxy.start()
    netloc = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
    via_proxy = urlunsplit(parts._replace(netloc=f"{netloc}:{proxy.port}"))
    try:
        async with site(broker_settings.model_copy(update={"amqp_url": via_proxy})) as s:
            await proxy.cut()
            await asyncio.sleep(0.3)
            click_id = await click(s.client, s.python.id)  # still 201: the outbox has it
            [event] = await events_on(s.app, work_channel("clicks"))
            assert event.published_at is None and event.data["click_id"] == click_id
            await proxy.start()  # back on the same address: the relay sends it
            await all_published(s.app, timeout=25)
            # At least once: the send that was cut off may land as well as the relay's.
            ready, _consumers = await broker.state()
            assert ready >= 1
            async with consumer_app(broker_settings) as worker:
                row = await applied(s.app, s.member.id, click_id)
                await broker.wait_for(ready=0, consumers=1)
                assert worker.model.n_clicks == 7
                assert peek.job_count(worker.model, s.python.id) == 3
        assert s.python.id not in [item["job_id"] for item in row.items]
    finally:
        await proxy.cut()


# --- the bus's batch consumption and its queue declarations --------------------------------


@asynccontextmanager
async def started_bus(amqp_prefix: str) -> AsyncIterator[RabbitBus]:
    """The app's bus on the broker under the test's prefix (not listening), closed after."""
    assert AMQP_URL
    bus = RabbitBus(AMQP_URL, f"{amqp_prefix}.events", listen=False)
    await bus.start()
    try:
        yield bus
    finally:
        await bus.close()


async def test_batches_are_acked_after_the_handler_and_requeued_when_it_fails(
    amqp_prefix: str, broker: QueueWatcher
) -> None:
    async with started_bus(amqp_prefix) as bus:
        await bus.send_work_many(broker.queue, [({"n": n}, f"m{n}") for n in range(5)])
        await broker.wait_for(ready=5)
        calls: list[list[int]] = []
        done = asyncio.Event()

        async def handler(bodies: list[dict[str, Any]]) -> None:
            calls.append([body["n"] for body in bodies])
            assert all(body["_message_id"] == f"m{body['n']}" for body in bodies)
            if len(calls) == 1:
                raise RuntimeError("the database is down")
            if sorted(n for call in calls[1:] for n in call) == list(range(5)):
                done.set()

        await bus.consume_work_batches(broker.queue, handler, prefetch=16, max_batch=16)
        await asyncio.wait_for(done.wait(), TIMEOUT)
        # The failed batch came back whole; the second round acked everything.
        assert sorted(calls[0]) == calls[0] and set(calls[0]) <= set(range(5))
        await broker.wait_for(ready=0)
    # Nothing left unacked: with the consumer gone, no message returns to the queue.
    await broker.wait_for(ready=0, consumers=0)


async def test_a_deleted_work_queue_is_declared_again(
    amqp_prefix: str, broker: QueueWatcher
) -> None:
    """Queues are declared once per connection; a message the broker cannot route (the queue
    was deleted meanwhile) is not lost: the queue is declared again and the message resent."""
    async with started_bus(amqp_prefix) as bus:
        await bus.send_work(broker.queue, {"n": 1}, message_id="1")
        await broker.wait_for(ready=1)
        channel = await broker.connection.channel()
        await channel.queue_delete(broker.queue)
        await bus.send_work(broker.queue, {"n": 2}, message_id="2")
        await broker.wait_for(ready=1)
        channel = await broker.connection.channel()
        queue = await channel.declare_queue(broker.queue, durable=True)
        message = await queue.get(no_ack=True, timeout=5)
        assert message is not None and json.loads(message.body) == {"n": 2}


async def test_a_message_that_is_not_json_is_dropped_not_requeued(
    amqp_prefix: str, broker: QueueWatcher
) -> None:
    async with started_bus(amqp_prefix) as bus:
        await bus.declare_work_queue(broker.queue)
        channel = await broker.connection.channel()
        for body in (b"not json", b'{"n": 1}'):
            await channel.default_exchange.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=broker.queue,
            )
        got: list[dict[str, Any]] = []
        done = asyncio.Event()

        async def handler(bodies: list[dict[str, Any]]) -> None:
            got.extend(bodies)
            done.set()

        await bus.consume_work_batches(broker.queue, handler)
        await asyncio.wait_for(done.wait(), TIMEOUT)
        await broker.wait_for(ready=0)
    await broker.wait_for(ready=0, consumers=0)
    assert [body["n"] for body in got] == [1]
