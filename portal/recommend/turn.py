"""Which recommender consumer holds the clicks queue's turn: pure bookkeeping, no I/O.

The clicks queue has a single active consumer (RabbitMQ gives all its messages to one
subscriber at a time, the others standing by), but AMQP 0-9-1 tells no subscriber whether it is
the one. So every recommender consumer puts a probe on the queue now and then: the one holding
the turn receives everyone's probes (besides the clicks), and a consumer that received nothing
for a few probe periods is standing by.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# How often each consumer probes; the active one hears from every consumer at this rate.
PROBE_SECONDS = 2.0
# Silence this long means someone else has the turn (three missed probes of our own).
ACTIVE_WINDOW = 3 * PROBE_SECONDS


class Role(StrEnum):
    ACTIVE = "active"
    STANDBY = "standby"
    # Subscribed for less than ACTIVE_WINDOW: no probe could have come back yet.
    STARTING = "starting"
    DISCONNECTED = "disconnected"


def probe(sender: str) -> dict[str, Any]:
    """The body of a probe: it names the consumer that sent it, for the logs."""
    return {"probe": sender}


def is_probe(body: dict[str, Any]) -> bool:
    return "probe" in body


@dataclass
class Turn:
    """When this consumer subscribed and last received a message, in event-loop seconds."""

    subscribed: float | None = None
    last_delivery: float | None = None
    # The only consumer there can be (the embedded default's in-process queue).
    solo: bool = False

    def delivered(self, now: float) -> None:
        self.last_delivery = now

    def role(self, now: float, *, connected: bool) -> Role:
        if not connected or self.subscribed is None:
            return Role.DISCONNECTED
        if self.solo:
            return Role.ACTIVE
        if self.last_delivery is not None and now - self.last_delivery <= ACTIVE_WINDOW:
            return Role.ACTIVE
        if now - self.subscribed <= ACTIVE_WINDOW:
            return Role.STARTING
        return Role.STANDBY
