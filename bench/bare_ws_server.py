"""A bare ``websockets``-library broadcast server: the ceiling bench/fanout.py compares with.

    python bench/bare_ws_server.py --port 8765 --amqp amqp://... --exchange bench.bare.events

One process. It speaks just enough of the /ws protocol (subscribe to ``jobs`` or ``me`` ->
subscribed, ping -> pong; no accounts, so ``me`` gets every ``user:<id>`` event) and
broadcasts, with ``websockets.broadcast`` (one frame per event, no batching), every event
that arrives on its own exclusive queue bound to the fanout ``--exchange`` (consumed with
aio-pika like a Portal worker) or from a control frame ``{"type": "publish", "message":
{...}}``. Messages are shaped like Portal's outbox messages (``id``, ``channel``, ``type``,
``data``, ``at``); the frame sent is Portal's ``event`` frame. Slow clients: ``broadcast``
never waits, so a connection whose write buffer passes ``--max-buffer`` bytes is closed
with 1013 and aborted 2 s later (its close frame is stuck behind the full buffer, and
``close()`` itself would wait for the buffer to drain without a timeout); the library's
keepalive (ping every 20 s, 20 s timeout) applies too.
Prints ``ready`` once it listens and consumes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
from typing import Any

import aio_pika
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

CLIENTS: set[ServerConnection] = set()  # subscribed to jobs
ME: set[ServerConnection] = set()  # subscribed to me (no accounts here: every user:<id> event)
PONG = json.dumps({"type": "pong"})
CLOSE_TIMEOUT = 2.0
CHANNELS = {"jobs": CLIENTS, "me": ME}


class Broadcaster:
    def __init__(self) -> None:
        self.last_id = 0

    def send(self, message: dict[str, Any]) -> None:
        event_id = int(message["id"])
        if event_id <= self.last_id:
            return  # a duplicate, like the hub drops ids it has seen
        self.last_id = event_id
        channel = str(message["channel"])
        public = "me" if channel.startswith("user:") else channel
        members = CHANNELS.get(public)
        if members is None:
            return
        frame = json.dumps(
            {
                "type": "event",
                "channel": public,
                "id": event_id,
                "event": message["type"],
                "data": message.get("data"),
                "at": message.get("at", ""),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        broadcast(members, frame)


BROADCASTER = Broadcaster()


async def handler(ws: ServerConnection) -> None:
    try:
        async for raw in ws:
            try:
                message = json.loads(raw)
                kind = message.get("type")
            except (ValueError, AttributeError):
                await ws.send(json.dumps({"type": "error", "code": "bad_request"}))
                continue
            channel = message.get("channel")
            if kind == "subscribe" and channel in CHANNELS:
                await ws.send(json.dumps({"type": "subscribed", "channel": channel, "last_id": 0}))
                CHANNELS[channel].add(ws)
            elif kind == "unsubscribe" and channel in CHANNELS:
                CHANNELS[channel].discard(ws)
                await ws.send(json.dumps({"type": "unsubscribed", "channel": channel}))
            elif kind == "ping":
                await ws.send(PONG)
            elif kind == "publish":
                BROADCASTER.send(message["message"])
            else:
                await ws.send(json.dumps({"type": "error", "code": "bad_request"}))
    except ConnectionClosed:
        pass
    finally:
        CLIENTS.discard(ws)
        ME.discard(ws)


async def cut(ws: ServerConnection) -> None:
    """Close with 1013; the close frame waits behind a full buffer, so abort after 2 s."""
    try:
        await asyncio.wait_for(ws.close(1013, "too slow: reconnect with since"), CLOSE_TIMEOUT)
    except TimeoutError:
        ws.transport.abort()


async def evict_slow(max_buffer: int) -> None:
    cutting: set[asyncio.Task[None]] = set()
    while True:
        await asyncio.sleep(0.5)
        for ws in CLIENTS | ME:
            if ws.transport.get_write_buffer_size() > max_buffer:
                CLIENTS.discard(ws)
                ME.discard(ws)
                task = asyncio.create_task(cut(ws))
                cutting.add(task)
                task.add_done_callback(cutting.discard)


async def consume(url: str, exchange_name: str) -> aio_pika.abc.AbstractRobustConnection:
    connection = await aio_pika.connect_robust(url)
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=512)
    exchange = await channel.declare_exchange(
        exchange_name, aio_pika.ExchangeType.FANOUT, durable=True
    )
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange)

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            BROADCASTER.send(json.loads(message.body))

    await queue.consume(on_message, no_ack=True)
    return connection


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--amqp", default=None, help="broker URL; without it, control frames only")
    parser.add_argument("--exchange", default="bench.bare.events")
    parser.add_argument("--max-buffer", type=int, default=2 * 1024 * 1024)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    connection = await consume(args.amqp, args.exchange) if args.amqp else None
    evictor = asyncio.create_task(evict_slow(args.max_buffer))
    async with serve(
        handler,
        args.host,
        args.port,
        compression=None,
        ping_interval=20,
        ping_timeout=20,
        close_timeout=CLOSE_TIMEOUT,
        max_size=65536,
    ) as server:
        print("ready", flush=True)
        try:
            await server.serve_forever()
        finally:
            evictor.cancel()
            if connection is not None:
                await connection.close()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
