"""Per-process memories with a bound, on cachetools, and the single flight that fills them.

- :class:`BoundedMap`: at most ``maxsize`` entries, the least recently used go first.
- :class:`ExpiringCache`: the same, each entry also kept for ``ttl`` seconds or less.
- :class:`RecentIds`: the last ``size`` ids seen (a set that forgets its oldest).
- :class:`SingleFlight`: one computation for the callers that miss together.

Infrastructure: it imports no capability and nothing of the web stack, so the pure parts
(the recommender engine) may use it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Hashable, Iterator
from typing import Any, Generic, TypeVar

from cachetools import Cache, FIFOCache, LRUCache, TLRUCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")
_FAILED = object()


class BoundedMap(LRUCache[K, V]):
    """A mapping of at most ``maxsize`` entries: adding one more drops the least recently
    used."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize)


class ExpiringCache(Generic[K, V]):
    """At most ``maxsize`` entries (the least recently used go first), each kept for ``ttl``
    seconds, or less when :meth:`put` says so. Time is ``time.monotonic``."""

    def __init__(self, maxsize: int, ttl: float) -> None:
        self.ttl = ttl
        # key -> (seconds it is kept for, value)
        self._entries: TLRUCache[K, tuple[float, V]] = TLRUCache(
            maxsize, ttu=lambda _key, entry, now: now + entry[0]
        )

    @property
    def maxsize(self) -> float:
        return self._entries.maxsize

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        return None if entry is None else entry[1]

    def put(self, key: K, value: V, ttl: float | None = None) -> None:
        """Keep ``value`` for the TTL, or for ``ttl`` seconds if sooner; nothing is kept for
        ``key`` when that is no time at all."""
        seconds = self.ttl if ttl is None else min(self.ttl, ttl)
        if seconds <= 0:
            self._entries.pop(key, None)
            return
        self._entries[key] = (seconds, value)

    def pop(self, key: K) -> V | None:
        entry = self._entries.pop(key, None)
        return None if entry is None else entry[1]

    def items(self) -> list[tuple[K, V]]:
        """The entries not yet expired (read without making them recently used)."""
        return [(key, Cache.__getitem__(self._entries, key)[1]) for key in list(self._entries)]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class RecentIds:
    """The last ``size`` ids added, oldest out first; with size 0 it keeps none."""

    # What each id costs (measured at 100,000): the int, its dict slot and its place in the
    # order.
    BYTES_PER_ID = 190

    def __init__(self, size: int) -> None:
        self._ids: FIFOCache[int, None] | None = FIFOCache(size) if size > 0 else None

    def add(self, id_: int) -> None:
        if self._ids is not None:
            self._ids[id_] = None

    def __contains__(self, id_: object) -> bool:
        return self._ids is not None and id_ in self._ids

    def __len__(self) -> int:
        return 0 if self._ids is None else len(self._ids)

    def __iter__(self) -> Iterator[int]:
        return iter(()) if self._ids is None else iter(self._ids)

    def memory_bytes(self) -> int:
        """An estimate of the memory held."""
        return sys.getsizeof(self._ids) + self.BYTES_PER_ID * len(self)


class SingleFlight:
    """``compute()``, or the result of the same computation (by key) already under way.

    When a cache entry expires, every request in flight misses it at once; without this each
    would compute the same answer. A failed or cancelled computation leaves its waiters to
    compute for themselves.
    """

    def __init__(self) -> None:
        self._flights: dict[Hashable, asyncio.Future[Any]] = {}

    async def run(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        flight = self._flights.get(key)
        if flight is not None:
            result = await asyncio.shield(flight)
            return await compute() if result is _FAILED else result
        flight = asyncio.get_running_loop().create_future()
        self._flights[key] = flight
        result = _FAILED
        try:
            result = await compute()
            return result
        finally:
            if self._flights.get(key) is flight:
                del self._flights[key]
            flight.set_result(result)
