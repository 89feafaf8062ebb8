"""Gathering work into batches: what waits is taken at once, a lone item may linger."""

from __future__ import annotations

import asyncio

from portal.events.bus import take_batch


async def test_takes_what_waits_up_to_the_limit() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(5):
        queue.put_nowait(n)
    assert await take_batch(queue, 3) == [0, 1, 2]
    assert await take_batch(queue, 3, linger=10.0) == [3, 4]  # a backlog never waits


async def test_a_lone_item_lingers_for_company() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    queue.put_nowait(1)
    taking = asyncio.ensure_future(take_batch(queue, 10, linger=0.2))
    await asyncio.sleep(0.05)
    queue.put_nowait(2)
    assert await taking == [1, 2]


async def test_without_linger_a_lone_item_goes_alone() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    queue.put_nowait(1)
    taking = asyncio.ensure_future(take_batch(queue, 10))
    await asyncio.sleep(0)
    queue.put_nowait(2)
    assert await taking == [1]
