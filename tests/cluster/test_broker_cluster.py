"""The bus on a real three-node RabbitMQ cluster: the node it is on is killed (kill -9).

Work messages sit in a quorum queue (replicated), so none is lost; the bus moves to another
node and its consumer goes on there. Fan-out events published while the bus had no node are
not the bus's to keep: the outbox and the hub's log reads cover them (tests/faults); here each
event published once the bus is back must arrive.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from portal.events.bus import BusUnavailableError, RabbitBus
from portal.server.amqp import NodeListConnection
from tests.faults.broker_node import BrokerNode

MESSAGES = 200


async def test_a_killed_node_loses_no_work_and_the_bus_moves_on(
    cluster: list[BrokerNode],
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    queue = f"{prefix}.clicks"
    url = ",".join(node.url for node in cluster)
    done: dict[str, int] = {}
    events: list[int] = []

    async def handle(body: dict[str, Any]) -> None:
        done[body["_message_id"]] = body["n"]

    bus = RabbitBus(url, f"{prefix}.events", quorum_queues=True)
    bus.on_event(lambda event: events.append(event["id"]))
    await bus.start()
    try:
        await bus.consume_work(queue, handle)
        listed = await asyncio.to_thread(cluster[0].ctl, "list_queues", "name", "type")
        assert f"{queue}\tquorum" in listed  # replicated, so a node's death loses nothing
        connection = bus._connection
        assert isinstance(connection, NodeListConnection)
        restored = asyncio.Event()
        connection.reconnect_callbacks.add(lambda *_: restored.set())
        victim = cluster[connection.node]

        sent: list[int] = []

        async def send(n: int) -> None:
            # As the outbox relay does: a message the broker did not confirm is sent again.
            while True:
                try:
                    await bus.send_work(queue, {"n": n}, message_id=str(n))
                    sent.append(n)
                    return
                except BusUnavailableError:
                    await asyncio.sleep(0.2)

        for n in range(MESSAGES // 2):
            await send(n)
        await asyncio.to_thread(victim.kill)
        await asyncio.wait_for(restored.wait(), 60)
        assert cluster[connection.node] is not victim
        for n in range(MESSAGES // 2, MESSAGES):
            await send(n)
        async with asyncio.timeout(60):
            while len(set(done.values())) < MESSAGES:
                await asyncio.sleep(0.1)
        assert sorted(set(done.values())) == list(range(MESSAGES))

        await bus.publish_events([{"id": 1}, {"id": 2}])
        async with asyncio.timeout(20):
            while len(events) < 2:
                await asyncio.sleep(0.05)
        assert events == [1, 2]
    finally:
        await bus.close()
        # The queue outlives the test on the cluster's other nodes: remove it.
        survivor = next(node for node in cluster if node.beam_pids())
        await asyncio.to_thread(survivor.ctl, "delete_queue", queue)
