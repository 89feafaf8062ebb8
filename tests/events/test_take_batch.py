"""Gathering work into batches: what waits is taken at once, up to the limit."""

from __future__ import annotations

import asyncio

from portal.events.bus import take_batch


async def test_takes_what_waits_up_to_the_limit() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(5):
        queue.put_nowait(n)
    assert await take_batch(queue, 3) == [0, 1, 2]
    assert await take_batch(queue, 3) == [3, 4]


async def test_waits_for_the_first_and_takes_it_alone() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    taking = asyncio.ensure_future(take_batch(queue, 10))
    await asyncio.sleep(0)
    assert not taking.done()
    queue.put_nowait(1)
    assert await taking == [1]
