"""The two kinds of message the outbox sends: a live event, and a work queue's item.

Built from their table rows in one place, so what the after-commit path, the relay and a
websocket replay send is the same message; ``to_wire``/``from_wire`` are the JSON the bus
carries between processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from portal.events.models import Event, WorkItem


@dataclass(slots=True)
class EventMessage:
    """A committed change on a channel (``portal.events.channels``); ``id`` is its place in
    the event log's commit order."""

    id: int
    channel: str
    type: str
    data: Any
    at: str

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel,
            "type": self.type,
            "data": self.data,
            "at": self.at,
        }

    @classmethod
    def from_wire(cls, message: dict[str, Any]) -> Self:
        """Raises KeyError, TypeError or ValueError for a message that is not one."""
        return cls(
            id=int(message["id"]),
            channel=str(message["channel"]),
            type=str(message["type"]),
            data=message.get("data"),
            at=str(message.get("at", "")),
        )

    @classmethod
    def from_row(cls, row: Event) -> Self:
        return cls(
            id=row.id,
            channel=row.channel,
            type=row.type,
            data=row.data,
            at=row.created_at.isoformat(),
        )


@dataclass(frozen=True, slots=True)
class WorkMessage:
    """An item for the durable work queue ``queue`` (its purpose: ``clicks``, ``media``)."""

    id: int
    queue: str
    data: dict[str, Any]

    @property
    def body(self) -> dict[str, Any]:
        """What the consumer receives: ``event_id`` is how it drops a redelivered item."""
        return {**self.data, "event_id": self.id}

    @classmethod
    def from_row(cls, row: WorkItem) -> Self:
        return cls(id=row.id, queue=row.queue, data=row.data)


OutboxMessage = EventMessage | WorkMessage
