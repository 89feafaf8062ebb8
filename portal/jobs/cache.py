"""A per-process cache of public job lists, of the anonymous home pages rendered from them and
of anonymous visitors' job pages, dropped whenever a job event is seen.

Every change to a public job writes an event on the ``jobs`` channel, and every worker sees
every event (the bus fans out), so a list computed before the latest event is never served
after it. The time limit covers the one change that has no event: a job passing its
``expires_at``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from quart import Quart, current_app

from portal.cache import BoundedMap, ExpiringCache, SingleFlight
from portal.events import channels
from portal.events.message import EventMessage
from portal.jobs.schemas import JobSummary

TTL_SECONDS = 15.0
MAX_ENTRIES = 1024
# Whole home pages for anonymous visitors, about 50 KB each: a bounded number, so query
# strings that differ only in junk parameters cannot grow the cache without limit.
MAX_PAGES = 256
# Anonymous job pages (20-60 KB each) per language and path.
MAX_JOB_PAGES = 512
T = TypeVar("T")


@dataclass(frozen=True)
class CachedList:
    items: list[JobSummary]
    total: int
    since: int  # the jobs channel's last event id when this list was read
    total_capped: bool = False  # more than ``total`` match (counted only so far)
    # The cards' HTML per language, rendered once per cached list.
    html: dict[str, str] = field(default_factory=dict, compare=False)
    _jobs_json: list[dict[str, Any]] = field(default_factory=list, compare=False, repr=False)

    def jobs_json(self) -> list[dict[str, Any]]:
        """The items as JSON-ready dicts, dumped once per cached list."""
        if not self._jobs_json and self.items:
            self._jobs_json.extend(job.model_dump(mode="json") for job in self.items)
        return self._jobs_json


class JobListCache:
    def __init__(self, ttl: float = TTL_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: ExpiringCache[str, CachedList] = ExpiringCache(max_entries, ttl)
        # page key -> (the list it shows, its HTML); the page is good while that list is
        self._pages: BoundedMap[tuple[str, ...], tuple[CachedList, str]] = BoundedMap(MAX_PAGES)
        self._job_pages: ExpiringCache[tuple[str, ...], str] = ExpiringCache(MAX_JOB_PAGES, ttl)
        # Job events seen: a page rendered while one arrived may show what it changed, or not.
        self.generation = 0
        self._flights = SingleFlight()

    def get(self, key: str) -> CachedList | None:
        return self._entries.get(key)

    def put(self, key: str, value: CachedList, *, max_age: float | None = None) -> None:
        """Keep ``value`` for the TTL, or less (``max_age``: when a listed job expires)."""
        self._entries.put(key, value, ttl=max_age)

    def get_page(self, key: tuple[str, ...], listing: CachedList) -> str | None:
        """A page rendered from ``listing``; None once the list cache holds a newer list."""
        entry = self._pages.get(key)
        if entry is None or entry[0] is not listing:
            return None
        return entry[1]

    def put_page(self, key: tuple[str, ...], listing: CachedList, html: str) -> None:
        self._pages[key] = (listing, html)

    def get_job_page(self, key: tuple[str, ...]) -> str | None:
        return self._job_pages.get(key)

    def put_job_page(
        self, key: tuple[str, ...], html: str, generation: int, *, max_age: float | None = None
    ) -> None:
        """Keep a job page read after job event ``generation``; not if a job event came since
        (what it read may predate that change). ``max_age``: when the job expires."""
        if generation == self.generation:
            self._job_pages.put(key, html, ttl=max_age)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
        self._pages.clear()
        self._job_pages.clear()

    async def shared(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """``compute()``, or the result of the same computation already under way: when an
        entry expires, every request in flight misses it at once, and without this each would
        query and render the same list (a stall of a second at 64 connections)."""
        return await self._flights.run(key, compute)

    def on_event(self, event: EventMessage) -> None:
        if event.channel == channels.JOBS:
            self.clear()


def init_app(app: Quart) -> JobListCache:
    cache = JobListCache()
    app.extensions["portal.job_list_cache"] = cache
    return cache


def get_cache() -> JobListCache:
    return current_app.extensions["portal.job_list_cache"]
