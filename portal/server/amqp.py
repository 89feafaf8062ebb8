"""A robust AMQP connection that moves between the nodes of a RabbitMQ cluster.

aio-pika's ``RobustConnection`` reconnects to the one URL it was given, so a client of a
three-node cluster whose node died would knock on that node's door until it came back, while
the other two serve. ``NodeListConnection`` aims each new connection attempt at the next node
of its list instead, and the robust connection's restore re-declares every channel's exchanges,
queues, bindings and consumers there (queue names are chosen by the client, so an exclusive
queue can be declared again on any node).

aio-pika has no hook for "a connection attempt begins". Every attempt starts by clearing the
connection's ``transport`` (``RobustConnection.__connect_transport`` in the releases of
:data:`TESTED`), so that assignment is taken as the cue. It is not public API: on another
release the connection still works, only it may keep reconnecting to the node it is aimed at,
and :func:`untested_release` says so at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aio_pika import RobustConnection
from yarl import URL

from portal.server.versions import installed, minor

TESTED = {"aio-pika": "10.2"}


def untested_release() -> str | None:
    """The installed aio-pika release when node rotation was not tested with it, else None."""
    release = installed("aio-pika") or "not installed"
    return None if minor(release) == TESTED["aio-pika"] else release


class NodeListConnection(RobustConnection):
    """A robust connection over several nodes: attempt *n* goes to node ``first + n``."""

    def __init__(self, urls: Sequence[str], *, first: int = 0, **kwargs: Any) -> None:
        # Set before RobustConnection.__init__, which assigns both url and transport.
        self._nodes = [URL(url) for url in urls]
        self._first = first % len(self._nodes)
        self._node = self._first
        self._attempts: int | None = None  # counted once connect() was called
        super().__init__(self._nodes[self._node], **kwargs)

    @property
    def node(self) -> int:
        """The index of the node the connection is (or is being) made to."""
        return self._node

    @property  # type: ignore[override]
    def url(self) -> URL:
        return self._nodes[self._node]

    @url.setter
    def url(self, value: URL) -> None:
        # aio-pika assigns the URL at construction and when a secret is updated.
        self._nodes[self._node] = URL(value)

    @property  # type: ignore[override]
    def transport(self) -> Any:
        return self._transport

    @transport.setter
    def transport(self, value: Any) -> None:
        if value is None and self._attempts is not None:
            self._node = (self._first + self._attempts) % len(self._nodes)
            self._attempts += 1
        self._transport = value

    async def connect(self, timeout: Any = None) -> None:  # noqa: ASYNC109 (aio-pika's signature)
        self._attempts = 0
        await super().connect(timeout)
