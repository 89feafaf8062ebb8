"""Settling a batch of work messages with aio-pika's public API only."""

from __future__ import annotations

from typing import Any

from aio_pika.exceptions import ChannelInvalidStateError

from portal.events.bus import RabbitBus


class Delivery:
    def __init__(self, channel: object | None, tag: int) -> None:
        self._channel = channel
        self.tag = tag
        self.settled: list[tuple[str, dict[str, Any]]] = []

    @property
    def channel(self) -> object:
        if self._channel is None:  # as aio-pika's IncomingMessage once its channel closed
            raise ChannelInvalidStateError
        return self._channel

    async def ack(self, **options: Any) -> None:
        self.settled.append(("ack", options))

    async def nack(self, **options: Any) -> None:
        self.settled.append(("nack", options))


async def test_a_batch_is_settled_once_per_open_channel_up_to_its_last_tag() -> None:
    old, new = object(), object()
    batch = [Delivery(None, 1), Delivery(old, 2), Delivery(new, 1), Delivery(old, 3)]
    await RabbitBus._settle(batch, ack=True)
    assert batch[0].settled == []  # its channel closed: the broker requeued it
    assert batch[1].settled == []  # covered by tag 3 on the same channel
    assert batch[2].settled == [("ack", {"multiple": True})]
    assert batch[3].settled == [("ack", {"multiple": True})]


async def test_a_failed_batch_goes_back_to_the_queue() -> None:
    channel = object()
    batch = [Delivery(channel, 1), Delivery(channel, 2)]
    await RabbitBus._settle(batch, ack=False)
    assert batch[0].settled == []
    assert batch[1].settled == [("nack", {"multiple": True, "requeue": True})]
