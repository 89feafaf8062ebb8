"""Message buses: RabbitMQ through aio-pika, or in-process for the embedded default.

Both carry two kinds of traffic:
- fan-out events (every web worker gets every event, for its websocket hub);
- work queues (durable; one consumer gets each message and acks it when done).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from portal.config import amqp_nodes

log = logging.getLogger(__name__)

EventCallback = Callable[[dict[str, Any]], None]
WorkHandler = Callable[[dict[str, Any]], Awaitable[None]]
# Takes every message delivered since its last call (at least one); they are acked together.
BatchHandler = Callable[[list[dict[str, Any]]], Awaitable[None]]
PUBLISH_TIMEOUT = 10.0
# One node's chance to answer at start-up before the next is tried.
CONNECT_TIMEOUT = 10.0
# A failed batch waits this long before it is put back (a tight redelivery loop helps nobody).
RETRY_DELAY = 1.0

Item = TypeVar("Item")


async def take_batch(queue: asyncio.Queue[Item], max_batch: int) -> list[Item]:
    """What waits in ``queue``: at least one item (waiting for it), at most ``max_batch``."""
    batch = [await queue.get()]
    while len(batch) < max_batch and not queue.empty():
        batch.append(queue.get_nowait())
    return batch


class BusUnavailableError(Exception):
    """The broker could not take the message now; the outbox relay will retry."""


class Bus(Protocol):
    async def start(self) -> None: ...
    async def close(self) -> None: ...
    @property
    def connected(self) -> bool: ...
    def on_event(self, callback: EventCallback) -> None: ...
    async def stop_listening(self) -> None: ...
    async def publish_events(self, messages: list[dict[str, Any]]) -> None: ...
    async def send_work(self, queue: str, body: dict[str, Any], *, message_id: str) -> None: ...
    async def send_work_many(
        self, queue: str, messages: list[tuple[dict[str, Any], str]]
    ) -> None: ...
    async def consume_work(
        self, queue: str, handler: WorkHandler, *, prefetch: int = 16
    ) -> None: ...
    async def consume_work_batches(
        self, queue: str, handler: BatchHandler, *, prefetch: int = 256, max_batch: int = 256
    ) -> None: ...
    async def queue_depth(self, queue: str) -> int | None: ...


class InProcessBus:
    """One process, no broker: events go straight to the callbacks, work to asyncio queues."""

    def __init__(self) -> None:
        self._callbacks: list[EventCallback] = []
        self._queues: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self._workers: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        return None

    @property
    def connected(self) -> bool:
        return True

    async def close(self) -> None:
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers.clear()

    def on_event(self, callback: EventCallback) -> None:
        self._callbacks.append(callback)

    async def stop_listening(self) -> None:
        """Nothing to stop: in one process, the events are this process's own."""
        return None

    async def publish_events(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            for callback in self._callbacks:
                try:
                    callback(message)
                except Exception:
                    log.exception("event callback failed")

    def _queue(self, name: str) -> asyncio.Queue[dict[str, Any]]:
        return self._queues.setdefault(name, asyncio.Queue())

    async def queue_depth(self, queue: str) -> int | None:
        """Messages waiting in ``queue`` (not yet taken by its consumer)."""
        return self._queue(queue).qsize()

    async def send_work(self, queue: str, body: dict[str, Any], *, message_id: str) -> None:
        await self.send_work_many(queue, [(body, message_id)])

    async def send_work_many(self, queue: str, messages: list[tuple[dict[str, Any], str]]) -> None:
        """Several messages for one queue, as ``send_work`` each, in order."""
        for body, message_id in messages:
            self._queue(queue).put_nowait({**body, "_message_id": message_id})

    async def consume_work(self, queue: str, handler: WorkHandler, *, prefetch: int = 16) -> None:
        async def one(batch: list[dict[str, Any]]) -> None:
            await handler(batch[0])

        await self.consume_work_batches(queue, one, max_batch=1)

    async def consume_work_batches(
        self, queue: str, handler: BatchHandler, *, prefetch: int = 256, max_batch: int = 256
    ) -> None:
        """As ``consume_work``, but the handler gets what is waiting, up to ``max_batch``."""
        self._workers.append(
            asyncio.create_task(self._work_batches(self._queue(queue), handler, max_batch))
        )

    async def _work_batches(
        self, queue: asyncio.Queue[dict[str, Any]], handler: BatchHandler, max_batch: int
    ) -> None:
        while True:
            batch = await take_batch(queue, max_batch)
            attempt = 0
            while True:
                try:
                    await handler(batch)
                    break
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # Like a nack with requeue: try again, slower each time.
                    attempt += 1
                    log.exception("work handler failed (attempt %s); retrying", attempt)
                    await asyncio.sleep(min(30.0, 0.5 * 2**attempt))


class RabbitBus:
    """RabbitMQ: a durable fanout exchange for events, durable queues for work."""

    def __init__(
        self,
        url: str,
        exchange: str,
        *,
        listen: bool = True,
        quorum_queues: bool = False,
        single_active: frozenset[str] = frozenset(),
    ) -> None:
        self.url = url
        # On a cluster, work queues should be quorum queues (replicated); the type can only be
        # chosen when a queue is first declared, so it is a setting, not a policy.
        self.queue_arguments = {"x-queue-type": "quorum"} if quorum_queues else None
        # Queues whose consumers take turns: one gets every message, the others wait to take
        # over (RabbitMQ's single active consumer; also fixed at the first declaration).
        self.single_active = single_active
        self.exchange_name = exchange
        self.listen = listen
        self._callbacks: list[EventCallback] = []
        self._connection: Any = None
        self._channel: Any = None
        self._exchange: Any = None
        self._consumer_channels: list[Any] = []
        self._listen_channel: Any = None
        # Work queues declared by this process. Declaring is a broker round trip and the
        # queues are durable, so once is enough; a message the broker cannot route (the queue
        # was deleted) comes back, and then the queue is declared again.
        self._declared: set[str] = set()
        self._batch_workers: list[asyncio.Task[None]] = []
        # A channel of its own for passive declarations: the broker closes the channel of
        # one that names a missing queue, and the publishing channel must not be that one.
        self._probe_channel: Any = None

    async def start(self) -> None:
        import aio_pika

        self._connection = await self._connect()
        self._channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await self._channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.FANOUT, durable=True
        )
        if self.listen and self._callbacks:
            await self._listen()

    async def _connect(self) -> Any:
        """A robust connection to the first node that answers, trying each once.

        Processes start at different nodes (by pid), so a cluster's connections spread; once
        connected, a lost node is left for the next one (portal.server.amqp).
        """
        from portal.server.amqp import NodeListConnection, untested_release

        nodes = amqp_nodes(self.url)
        if len(nodes) > 1 and (release := untested_release()):
            log.warning(
                "aio-pika %s: moving to another broker node when one is lost was tested with "
                "another release and may not happen (see portal/server/amqp.py)",
                release,
            )
        start = os.getpid() % len(nodes)
        failure: Exception | None = None
        for offset in range(len(nodes)):
            connection = NodeListConnection(
                nodes, first=start + offset, client_properties={"connection_name": "portal"}
            )
            try:
                await connection.connect(CONNECT_TIMEOUT)
                return connection
            except Exception as error:  # refused, timed out, refused the login...
                failure = error
                with contextlib.suppress(Exception):
                    await connection.close()
        assert failure is not None
        raise failure

    @property
    def connected(self) -> bool:
        """Connected to the broker now (False while the robust connection reconnects)."""
        return self._connection is not None and self._connection.connected.is_set()

    async def _listen(self) -> None:
        # One exclusive queue per process (never per browser); the robust connection
        # re-declares and re-binds it after a reconnect. Missed events are replayed to
        # browsers from the event log by id, so this queue need not be durable.
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=512)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(self.exchange_name)
        await queue.consume(self._on_event_message, no_ack=True)
        self._consumer_channels.append(channel)
        self._listen_channel = channel

    async def stop_listening(self) -> None:
        """Stop receiving fan-out events: a consumer process serves no websockets, and a copy
        of every event (its own included) would only cost it CPU."""
        self.listen = False
        channel, self._listen_channel = self._listen_channel, None
        if channel is not None:
            self._consumer_channels.remove(channel)
            await channel.close()

    async def _on_event_message(self, message: Any) -> None:
        try:
            body = json.loads(message.body)
        except ValueError:
            log.warning("dropping an event that is not JSON")
            return
        for callback in self._callbacks:
            try:
                callback(body)
            except Exception:
                log.exception("event callback failed")

    async def close(self) -> None:
        for task in self._batch_workers:
            task.cancel()
        for task in self._batch_workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._batch_workers.clear()
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    def on_event(self, callback: EventCallback) -> None:
        self._callbacks.append(callback)

    async def publish_events(self, messages: list[dict[str, Any]]) -> None:
        import aio_pika

        if self._exchange is None:
            raise BusUnavailableError("not connected")
        try:
            await self._publish_all(
                self.exchange_name,
                [
                    (
                        aio_pika.Message(
                            json.dumps(m, ensure_ascii=False).encode(),
                            content_type="application/json",
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                            message_id=str(m["id"]),
                        ),
                        "",
                    )
                    for m in messages
                ],
                # A fan-out exchange with no listener bound yet has nowhere to route: fine.
                mandatory=False,
            )
        except (TimeoutError, aio_pika.exceptions.AMQPError, ConnectionError, RuntimeError) as e:
            raise BusUnavailableError(str(e)) from e

    async def _publish_all(
        self, exchange: str, messages: list[tuple[Any, str]], *, mandatory: bool
    ) -> list[Any]:
        """Publish ``(message, routing key)`` pairs; the broker's answers once all came.

        aio-pika's ``publish`` holds the channel's lock until its frames are written to the
        socket, so the next message waits a turn of the event loop: a busy web process then
        publishes a few hundred messages a second at most, and clicks queue up behind. Written
        to the channel without that wait, a batch goes out at once; its confirms are awaited
        together (one round trip), and nothing is marked sent before the broker confirmed it.
        """
        # As aio-pika's own publish: fail at once while the connection is down (the outbox
        # relay sends later), rather than wait for the robust connection to come back.
        if self._channel.is_closed:
            raise BusUnavailableError("channel closed")

        async def publish() -> list[Any]:
            channel = await self._channel.get_underlay_channel()
            return list(
                await asyncio.gather(
                    *(
                        channel.basic_publish(
                            message.body,
                            exchange=exchange,
                            routing_key=routing_key,
                            properties=message.properties,
                            mandatory=mandatory,
                            wait=False,
                        )
                        for message, routing_key in messages
                    )
                )
            )

        return await asyncio.wait_for(publish(), PUBLISH_TIMEOUT)

    async def queue_depth(self, queue: str) -> int | None:
        """Messages ready in ``queue`` (delivered, unacked ones not counted); None when the
        broker cannot tell now (not connected, or no such queue)."""
        if self._connection is None or not self.connected:
            return None
        try:
            if self._probe_channel is None or self._probe_channel.is_closed:
                self._probe_channel = await self._connection.channel()
            declared = await self._probe_channel.declare_queue(queue, passive=True)
            return int(declared.declaration_result.message_count)
        except Exception as error:  # a missing queue, a lost connection: no figure this time
            log.debug("no depth for %s: %s", queue, error)
            self._probe_channel = None
            return None

    async def declare_work_queue(self, queue: str) -> None:
        await self._channel.declare_queue(queue, durable=True, arguments=self._arguments(queue))
        self._declared.add(queue)

    def _arguments(self, queue: str) -> dict[str, Any] | None:
        arguments: dict[str, Any] = dict(self.queue_arguments or {})
        if queue in self.single_active:
            arguments["x-single-active-consumer"] = True
        return arguments or None

    @staticmethod
    def _work_message(body: dict[str, Any], message_id: str) -> Any:
        import aio_pika

        return aio_pika.Message(
            json.dumps(body, ensure_ascii=False).encode(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message_id,
        )

    async def send_work(self, queue: str, body: dict[str, Any], *, message_id: str) -> None:
        await self.send_work_many(queue, [(body, message_id)])

    async def send_work_many(self, queue: str, messages: list[tuple[dict[str, Any], str]]) -> None:
        """Persistent messages to a durable work queue; returns once the broker confirmed all."""
        import aio_pika
        from pamqp.commands import Basic

        if self._channel is None:
            raise BusUnavailableError("not connected")
        try:
            for _attempt in range(2):
                if queue not in self._declared:
                    await self.declare_work_queue(queue)
                results = await self._publish_all(
                    "",
                    [(self._work_message(body, mid), queue) for body, mid in messages],
                    mandatory=True,
                )
                # A message the broker could not route comes back (aio-pika publishes
                # mandatory) instead of being confirmed: the queue is gone. Declare it again
                # and resend those.
                messages = [
                    message
                    for message, result in zip(messages, results, strict=True)
                    if isinstance(getattr(result, "delivery", None), Basic.Return)
                ]
                if not messages:
                    return
                self._declared.discard(queue)
            raise BusUnavailableError(f"{len(messages)} messages returned unroutable by {queue}")
        except (TimeoutError, aio_pika.exceptions.AMQPError, ConnectionError, RuntimeError) as e:
            raise BusUnavailableError(str(e)) from e

    async def consume_work(self, queue: str, handler: WorkHandler, *, prefetch: int = 16) -> None:
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        declared = await channel.declare_queue(
            queue, durable=True, arguments=self._arguments(queue)
        )

        async def on_message(message: Any) -> None:
            # Ack only after the handler finished; a crash before that means redelivery,
            # so handlers are idempotent (they deduplicate by message id).
            async with message.process(requeue=True):
                body = json.loads(message.body)
                body["_message_id"] = message.message_id
                await handler(body)

        await declared.consume(on_message)
        self._consumer_channels.append(channel)

    async def consume_work_batches(
        self, queue: str, handler: BatchHandler, *, prefetch: int = 256, max_batch: int = 256
    ) -> None:
        """Hand the handler every delivered message at once (up to ``max_batch``) and ack them
        together after it returned; if it raises, they all go back to the queue.

        Batches form by themselves: while one is handled, the next deliveries wait here (at
        most ``prefetch`` unacked), so an idle queue adds no latency and a busy one spreads the
        handler's transaction and the acks over many messages.
        """
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        declared = await channel.declare_queue(
            queue, durable=True, arguments=self._arguments(queue)
        )
        delivered: asyncio.Queue[Any] = asyncio.Queue()

        async def on_message(message: Any) -> None:
            delivered.put_nowait(message)

        self._batch_workers.append(
            asyncio.create_task(self._work_batches(delivered, handler, max_batch))
        )
        await declared.consume(on_message)
        self._consumer_channels.append(channel)

    async def _work_batches(
        self, delivered: asyncio.Queue[Any], handler: BatchHandler, max_batch: int
    ) -> None:
        while True:
            batch = await take_batch(delivered, max_batch)
            bodies = []
            for message in batch:
                try:
                    body = json.loads(message.body)
                except ValueError:
                    # Requeued, it would come back forever and hold up the batches behind it.
                    log.warning("dropping a work message that is not JSON: %r", message.body[:200])
                    continue
                body["_message_id"] = message.message_id
                bodies.append(body)
            try:
                if bodies:
                    await handler(bodies)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("work handler failed on a batch of %d; requeued", len(batch))
                await asyncio.sleep(RETRY_DELAY)
                await self._settle(batch, ack=False)
            else:
                await self._settle(batch, ack=True)

    @staticmethod
    async def _settle(batch: list[Any], *, ack: bool) -> None:
        """Ack (or requeue) a batch: one frame per channel, ``multiple`` up to its last tag.

        Deliveries are handled in order, one batch at a time, so every earlier tag on that
        channel is settled already. After a reconnect a batch can hold deliveries of the old,
        closed channel: the broker requeued those itself, so they cannot be settled (or lost).
        """
        from aio_pika.exceptions import ChannelInvalidStateError

        last: dict[int, Any] = {}
        for message in batch:
            try:
                channel = message.channel
            except ChannelInvalidStateError:
                continue  # its channel closed: the broker has requeued it already
            last[id(channel)] = message
        for message in last.values():
            try:
                if ack:
                    await message.ack(multiple=True)
                else:
                    await message.nack(multiple=True, requeue=True)
            except Exception as error:
                log.warning("could not settle a batch of %d: %s", len(batch), error)


def make_bus(
    amqp_url: str | None,
    exchange: str,
    *,
    listen: bool = True,
    quorum_queues: bool = False,
    single_active: frozenset[str] = frozenset(),
) -> Bus:
    if amqp_url:
        return RabbitBus(
            amqp_url,
            exchange,
            listen=listen,
            quorum_queues=quorum_queues,
            single_active=single_active,
        )
    return InProcessBus()
