"""A single-active-consumer work queue (the recommender's standby): one consumer gets every
message while the other waits, and takes over when the first goes."""

from __future__ import annotations

import asyncio
from typing import Any

from portal.events.bus import RabbitBus
from tests.events.conftest import AMQP_URL


async def test_one_consumer_works_the_other_takes_over(amqp_prefix: str) -> None:
    assert AMQP_URL
    queue = f"{amqp_prefix}.clicks"
    got: dict[str, list[int]] = {"first": [], "second": []}

    def bus() -> RabbitBus:
        return RabbitBus(
            AMQP_URL, f"{amqp_prefix}.events", listen=False, single_active=frozenset({queue})
        )

    def handler(name: str) -> Any:
        async def handle(body: dict[str, Any]) -> None:
            got[name].append(body["n"])

        return handle

    first, second, sender = bus(), bus(), bus()
    for each in (first, second, sender):
        await each.start()
    try:
        await first.consume_work(queue, handler("first"))
        await second.consume_work(queue, handler("second"))
        for n in range(20):
            await sender.send_work(queue, {"n": n}, message_id=str(n))
        async with asyncio.timeout(10):
            while len(got["first"]) < 20:
                await asyncio.sleep(0.05)
        assert got == {"first": list(range(20)), "second": []}
        await first.close()
        for n in range(20, 30):
            await sender.send_work(queue, {"n": n}, message_id=str(n))
        async with asyncio.timeout(10):
            while len(got["second"]) < 10:
                await asyncio.sleep(0.05)
        assert got["second"] == list(range(20, 30))
    finally:
        for each in (first, second, sender):
            await each.close()
