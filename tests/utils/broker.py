"""What the broker tests share: a side connection that watches a work queue the way an
operator would (ready messages, consumers)."""

from __future__ import annotations

import asyncio
import contextlib

import aio_pika


class QueueWatcher:
    """A side connection that looks at one durable work queue."""

    def __init__(
        self, connection: aio_pika.abc.AbstractConnection, queue: str, timeout: float
    ) -> None:
        self.connection = connection
        self.queue = queue
        self.timeout = timeout

    async def state(self) -> tuple[int, int]:
        """``(ready messages, consumers)``; unacknowledged deliveries are not "ready"."""
        channel = await self.connection.channel()
        try:
            queue = await channel.declare_queue(self.queue, passive=True)
            result = queue.declaration_result
            return int(result.message_count or 0), int(result.consumer_count or 0)
        finally:
            with contextlib.suppress(Exception):
                await channel.close()

    async def wait_for(
        self, ready: int | None = None, consumers: int | None = None, timeout: float | None = None
    ) -> None:
        async with asyncio.timeout(self.timeout if timeout is None else timeout):
            while True:
                with contextlib.suppress(aio_pika.exceptions.ChannelClosed):
                    now_ready, now_consumers = await self.state()
                    if (ready is None or now_ready == ready) and (
                        consumers is None or now_consumers == consumers
                    ):
                        return
                await asyncio.sleep(0.05)
