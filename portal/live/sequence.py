"""Putting live events back in id order before they reach any socket. Pure: no I/O.

Event ids are handed out in commit order (``portal.events.log``), so once id N is known to be
committed, every lower id is settled: committed, or never to be (a rolled-back insert leaves a
hole on PostgreSQL). The bus, though, delivers in publish order: two workers' commits race to
the broker, the relay sends a backlog late, a queue that was not bound during a reconnect never
gets some events at all. So a worker keeps a position: every id up to it has been handed to the
sockets or is a hole. An event above the next id waits until the ids below it arrive or are
read from the event log (``fill``), which is also how events the bus lost are recovered. With
that, each socket gets every event of its channels once and in id order, and the last id a
browser saw is a safe place to resume from.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

# Past this many events waiting above a gap that cannot be filled (the database is down),
# the worker gives up on order: it tells its sockets to resume (they reconnect with since).
MAX_WAITING = 10_000


class Sequenced(Protocol):
    @property
    def id(self) -> int: ...


E = TypeVar("E", bound=Sequenced)


class Sequencer(Generic[E]):
    """Releases events in id order, each id once."""

    __slots__ = ("_waiting", "gap_since", "position")

    def __init__(self, position: int | None = 0) -> None:
        # Every id up to here has been released or is a hole; None until the worker has read
        # where the log stands (then everything waits).
        self.position = position
        self._waiting: dict[int, E] = {}
        # When the oldest unfilled gap was first seen (a clock of the caller's), or None.
        self.gap_since: float | None = None

    def start_at(self, position: int) -> list[E]:
        """Where the log stood when the worker started; what can now be released."""
        self.position = position
        for id in [id for id in self._waiting if id <= position]:
            del self._waiting[id]
        return self._release()

    def add(self, event: E, now: float) -> list[E]:
        """Take an event from the bus; what can now be released, in order (maybe nothing)."""
        if self.position is None:
            self._waiting.setdefault(event.id, event)
            return []
        if event.id <= self.position or event.id in self._waiting:
            return []  # a copy of one released or waiting already
        if event.id == self.position + 1 and not self._waiting:
            self.position = event.id  # the usual case: next in line, nothing waiting
            return [event]
        self._waiting[event.id] = event
        released = self._release()
        if self._waiting and self.gap_since is None:
            self.gap_since = now
        return released

    def fill(self, events: list[E], through: int) -> list[E]:
        """Events read from the log; every id up to ``through`` is now settled (what is not
        among ``events`` or waiting is a hole). What can now be released, in order."""
        if self.position is None:
            return []
        for event in events:
            if event.id > self.position:
                self._waiting.setdefault(event.id, event)
        settled = sorted(id for id in self._waiting if id <= through)
        released = [self._waiting.pop(id) for id in settled]
        self.position = max(self.position, through)
        return released + self._release()

    def _release(self) -> list[E]:
        released: list[E] = []
        if self.position is None:
            return released
        while (event := self._waiting.pop(self.position + 1, None)) is not None:
            released.append(event)
            self.position = event.id
        if not self._waiting:
            self.gap_since = None
        return released

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def overflowing(self) -> bool:
        return len(self._waiting) > MAX_WAITING

    def skip_all(self) -> None:
        """Give up on the gap: forget what waits and start after the newest id known."""
        if self._waiting:
            self.position = max(max(self._waiting), self.position or 0)
        self._waiting.clear()
        self.gap_since = None
