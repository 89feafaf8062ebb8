"""The private broker node itself: it serves AMQP, its outages are ones a robust connection
recovers from, and the machine's own broker is left alone."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aio_pika
import pytest

from tests.faults.broker_node import BrokerNode

pytestmark = pytest.mark.slow

RECOVERY_TIMEOUT = 20.0


def machine_broker_pid() -> int:
    """The OS pid of the machine's node, from ``rabbitmqctl status`` (the root wrapper)."""
    result = subprocess.run(
        ["rabbitmqctl", "status", "--formatter", "json"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return int(json.loads(result.stdout)["pid"])


def machine_port_accepts() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def machine_broker() -> int:
    """The machine's broker pid before this module's outages."""
    if not machine_port_accepts():
        pytest.skip("no machine broker on 127.0.0.1:5672 to leave alone")
    return machine_broker_pid()


@dataclass
class Link:
    """A robust connection with one consumed queue, and a signal for its reconnections."""

    connection: aio_pika.abc.AbstractRobustConnection
    channel: aio_pika.abc.AbstractChannel
    queue: aio_pika.abc.AbstractQueue
    received: asyncio.Queue[bytes]
    reconnected: asyncio.Event

    async def round_trip(self) -> None:
        body = uuid.uuid4().bytes
        await self.channel.default_exchange.publish(
            aio_pika.Message(body), routing_key=self.queue.name
        )
        assert await asyncio.wait_for(self.received.get(), 5) == body

    async def recovered(self) -> None:
        """Wait until the connection is back with its channel, queue and consumer restored."""
        await asyncio.wait_for(self.reconnected.wait(), RECOVERY_TIMEOUT)
        self.reconnected.clear()
        await self.round_trip()


@asynccontextmanager
async def link(node: BrokerNode) -> AsyncIterator[Link]:
    connection = await aio_pika.connect_robust(node.url, reconnect_interval=0.2)
    async with connection:
        reconnected = asyncio.Event()
        connection.reconnect_callbacks.add(lambda *_: reconnected.set())
        channel = await connection.channel()
        # Exclusive: deleted with each dropped connection, so recovery must declare it again.
        queue = await channel.declare_queue(f"faults-{uuid.uuid4().hex[:12]}", exclusive=True)
        received: asyncio.Queue[bytes] = asyncio.Queue()

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                received.put_nowait(message.body)

        await queue.consume(on_message)
        yield Link(connection, channel, queue, received, reconnected)


async def test_node_serves_amqp(broker_node: BrokerNode, machine_broker: int):
    assert broker_node.port != 5672
    async with link(broker_node) as amqp:
        await amqp.round_trip()


@pytest.mark.parametrize(
    "outage",
    [
        pytest.param(lambda node: (node.stop_app(), node.start_app()), id="stop_app"),
        pytest.param(lambda node: (node.kill(), node.restart()), id="kill"),
    ],
)
async def test_robust_connection_recovers(
    broker_node: BrokerNode, machine_broker: int, outage: Callable[[BrokerNode], object]
):
    async with link(broker_node) as amqp:
        await amqp.round_trip()
        await asyncio.to_thread(outage, broker_node)
        await amqp.recovered()


def test_machine_broker_untouched(broker_node: BrokerNode, machine_broker: int):
    """Runs last: after every outage above, the machine's node is the same process, serving."""
    assert machine_port_accepts()
    assert machine_broker_pid() == machine_broker
