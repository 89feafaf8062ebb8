"""PORTAL_AMQP_URL with several nodes: the bus connects to whichever answers and moves on.

Two TCP proxies in front of the real broker stand for two nodes of a cluster: cutting one is,
for the client, that node dying (its connections dropped, its port refusing).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from pydantic import ValidationError

from portal.config import Settings, amqp_nodes
from portal.events.bus import RabbitBus
from portal.server.amqp import NodeListConnection
from tests.events.conftest import AMQP_URL
from tests.utils.proxy import TcpProxy


def via(proxy: TcpProxy) -> str:
    assert AMQP_URL
    parts = urlsplit(AMQP_URL)
    netloc = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
    return urlunsplit(parts._replace(netloc=f"{netloc}:{proxy.port}"))


@pytest.fixture
async def nodes() -> AsyncIterator[list[TcpProxy]]:
    assert AMQP_URL
    parts = urlsplit(AMQP_URL)
    proxies = [TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5672) for _ in range(2)]
    for proxy in proxies:
        await proxy.start()
    yield proxies
    for proxy in proxies:
        await proxy.cut()


async def eventually(check: Any, timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)


def test_the_setting_lists_nodes_and_refuses_what_is_not_one() -> None:
    assert amqp_nodes("amqp://a:5672/, amqps://u:p@b/vh") == ["amqp://a:5672/", "amqps://u:p@b/vh"]
    for bad in ("http://a/", "amqp://a/,", "amqp://a/,rabbit:5672", "amqp://a:99999/", ","):
        if bad == "amqp://a/,":
            assert amqp_nodes(bad) == ["amqp://a/"]  # a trailing comma is harmless
            continue
        with pytest.raises(ValueError):
            amqp_nodes(bad)
        with pytest.raises(ValidationError):
            Settings(amqp_url=bad)
    assert Settings(amqp_url=" ").amqp_url is None


async def test_starts_on_the_node_that_answers(amqp_prefix: str, nodes: list[TcpProxy]) -> None:
    dead, alive = nodes
    await dead.cut()
    url = f"{via(dead)},{via(alive)}"
    got: list[dict[str, Any]] = []
    # Whichever node the process's pid points at first, the bus ends on the one that answers.
    bus = RabbitBus(url, f"{amqp_prefix}.events")
    bus.on_event(got.append)
    await bus.start()
    try:
        assert bus.connected
        await bus.publish_events([{"id": 1, "event": "job.created"}])
        await eventually(lambda: got)
        assert got == [{"id": 1, "event": "job.created"}]
    finally:
        await bus.close()


async def test_moves_to_the_next_node_when_its_node_dies(
    amqp_prefix: str, nodes: list[TcpProxy]
) -> None:
    url = ",".join(via(proxy) for proxy in nodes)
    events: list[dict[str, Any]] = []
    work: list[dict[str, Any]] = []

    async def handle(body: dict[str, Any]) -> None:
        work.append(body)

    bus = RabbitBus(url, f"{amqp_prefix}.events")
    bus.on_event(events.append)
    await bus.start()
    try:
        await bus.consume_work(f"{amqp_prefix}.clicks", handle)
        await bus.publish_events([{"id": 1}])
        await bus.send_work(f"{amqp_prefix}.clicks", {"n": 1}, message_id="1")
        await eventually(lambda: events and work)
        connection = bus._connection
        assert isinstance(connection, NodeListConnection)
        # Called once every channel, queue, binding and consumer was restored: until then an
        # event would find no queue bound (the hub reads such events from the log instead).
        restored = asyncio.Event()
        connection.reconnect_callbacks.add(lambda *_: restored.set())
        before = connection.node
        await nodes[before].cut()  # the node this process is on dies, and stays dead
        await asyncio.wait_for(restored.wait(), 20)
        assert bus.connected
        assert connection.node != before
        # On the other node: its event queue was declared and bound again, its consumer too.
        await bus.publish_events([{"id": 2}])
        await bus.send_work(f"{amqp_prefix}.clicks", {"n": 2}, message_id="2")
        await eventually(lambda: len(events) == 2 and len(work) == 2)
        assert [e["id"] for e in events] == [1, 2]
        assert [w["n"] for w in work] == [1, 2]
    finally:
        await bus.close()
