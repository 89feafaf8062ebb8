"""The job list cache's single flight: one computation for requests that miss together."""

from __future__ import annotations

import asyncio

import pytest

from portal.jobs.cache import JobListCache


class Counting:
    """A computation that counts its calls and returns the count (the first may fail)."""

    def __init__(self, fail_first: bool = False) -> None:
        self.calls = 0
        self.fail_first = fail_first

    async def __call__(self) -> int:
        self.calls += 1
        await asyncio.sleep(0.01)
        if self.fail_first and self.calls == 1:
            raise RuntimeError("the first one fails")
        return self.calls


async def test_requests_that_miss_together_share_one_computation() -> None:
    cache = JobListCache()
    compute = Counting()
    results = await asyncio.gather(*(cache.shared("k", compute) for _ in range(10)))
    assert results == [1] * 10 and compute.calls == 1
    assert await cache.shared("k", compute) == 2  # nothing is kept: that is get/put's job


async def test_waiters_compute_for_themselves_when_the_first_fails() -> None:
    cache = JobListCache()
    compute = Counting(fail_first=True)
    results = await asyncio.gather(
        *(cache.shared("k", compute) for _ in range(3)), return_exceptions=True
    )
    assert isinstance(results[0], RuntimeError)
    assert all(isinstance(result, int) for result in results[1:]) and compute.calls == 3


async def test_a_cancelled_first_request_does_not_cancel_the_others() -> None:
    cache = JobListCache()
    started = asyncio.Event()

    async def slow() -> str:
        started.set()
        await asyncio.sleep(10)
        return "never"

    async def fast() -> str:
        return "mine"

    first = asyncio.create_task(cache.shared("k", slow))
    await started.wait()
    second = asyncio.create_task(cache.shared("k", fast))
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await second == "mine"
