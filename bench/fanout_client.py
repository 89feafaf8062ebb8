"""Websocket clients for bench/fanout.py: one process holding many subscribed sockets.

    python bench/fanout_client.py --url ws://127.0.0.1:8000/ws --clients 500 [--stall]

Each socket connects, subscribes to ``jobs`` and records, for every event whose
``data.phase`` is the current phase, receipt time minus ``data.sent_at`` (batch frames
are unpacked). With ``--stall`` the process opens a single socket with a tiny receive
buffer, subscribed to ``jobs`` and ``me`` (signed in by ``--cookie``), that stops reading
right after ``subscribed``, and watches (in /proc/net/tcp) when the server end of that
connection stops being ESTABLISHED.

Driven over stdin/stdout, one JSON line per answer:
    (start)        -> {"ready": n, "failed": n}
    phase TAG      -> {"ok": true}     count only events of this phase from now on
    count          -> {"received": n, "with_any": n, "min": n, "closed": n}
    dump PATH      -> summary; latencies (float64 seconds) written to PATH
    state          -> {"stalled_for": s, "cut_after": s or null}          (--stall)
    finish         -> {"stall": {...}}: read again, report what came      (--stall)
    quit
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import socket
import sys
import time
from array import array
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

EVENT = re.compile(r'"phase":"([^"]*)","sent_at":([0-9.eE+-]+)')
STALL_RCVBUF = 4096  # the kernel doubles it; a tiny window fills the server's buffers fast
TCP_ESTABLISHED = "01"


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Recorder:
    def __init__(self, clients: int) -> None:
        self.phase = ""
        self.latencies = array("d")
        self.counts = [0] * clients
        self.frames = 0  # frames that carried at least one event of the phase
        self.first = 0.0
        self.last = 0.0
        self.closed: Counter[int] = Counter()

    def reset(self, phase: str) -> None:
        self.phase = phase
        self.latencies = array("d")
        self.counts = [0] * len(self.counts)
        self.frames = 0
        self.first = self.last = 0.0

    def frame(self, index: int, raw: str | bytes, now: float) -> None:
        # A regex, not json.loads: the clients share the 2 cores with the servers, so every
        # microsecond spent here is one the servers don't get. Matches each event of an
        # ``event`` or ``batch`` frame (the publisher puts phase and sent_at side by side).
        text = raw if isinstance(raw, str) else raw.decode()
        matched = 0
        for phase, sent_at in EVENT.findall(text):
            if phase == self.phase:
                self.latencies.append(now - float(sent_at))
                matched += 1
        if matched:
            self.frames += 1
            self.counts[index] += matched
            self.first = self.first or now
            self.last = now

    def summary(self) -> dict[str, Any]:
        return {
            "received": sum(self.counts),
            "frames": self.frames,
            "with_any": sum(1 for c in self.counts if c),
            "min": min(self.counts, default=0),
            "max": max(self.counts, default=0),
            "first": self.first,
            "last": self.last,
            "closed": sum(self.closed.values()),
            "close_codes": {str(k): v for k, v in self.closed.items()},
        }


async def open_socket(
    url: str, channels: tuple[str, ...] = ("jobs",), **options: Any
) -> ClientConnection:
    ws = await connect(
        url,
        compression=None,  # same for both servers; browsers would negotiate deflate
        ping_interval=None,  # the servers ping; answering is automatic
        max_size=None,
        open_timeout=60,
        close_timeout=2,
        **options,
    )
    for channel in channels:
        await ws.send(json.dumps({"type": "subscribe", "channel": channel}))
        while True:
            reply = json.loads(await ws.recv())
            if reply.get("type") == "subscribed":
                break
            if reply.get("type") == "error":
                raise RuntimeError(f"subscribe to {channel} refused: {reply}")
    return ws


async def run_client(
    index: int, url: str, recorder: Recorder, gate: asyncio.Semaphore, ready: asyncio.Queue[bool]
) -> None:
    ws = None
    for attempt in range(3):
        async with gate:
            try:
                ws = await open_socket(url)
                break
            except (OSError, TimeoutError, ConnectionClosed, RuntimeError) as error:
                if attempt == 2:
                    print(f"client {index}: {error!r}", file=sys.stderr)
        await asyncio.sleep(1 + attempt)
    ready.put_nowait(ws is not None)
    if ws is None:
        return
    try:
        async for raw in ws:
            recorder.frame(index, raw, time.time())
    except ConnectionClosed:
        pass
    recorder.closed[ws.close_code or 1006] += 1


def tcp_state(local_port: int, remote_port: int) -> tuple[str | None, int]:
    """State (hex, as in /proc/net/tcp) and send queue (bytes) of the socket
    127.0.0.1:local -> 127.0.0.1:remote; (None, 0) when it is gone."""
    want = (f"0100007F:{local_port:04X}", f"0100007F:{remote_port:04X}")
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            if (fields[1], fields[2]) == want:
                return fields[3], int(fields[4].split(":")[0], 16)
    return None, 0


class Stall:
    """One socket that stops reading; when does the server cut it off?"""

    def __init__(self, url: str, cookie: str | None) -> None:
        self.url = url
        self.cookie = cookie
        self.ws: ClientConnection | None = None
        self.started = 0.0
        self.cut_after: float | None = None
        self.server_state: str | None = TCP_ESTABLISHED
        self.send_queue = 0
        self._watch: asyncio.Task[None] | None = None

    async def start(self) -> None:
        parts = urlsplit(self.url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, STALL_RCVBUF)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
        # Subscribed to ``me`` too, where the benchmark floods it so that every buffer
        # between server and client fills within seconds, not minutes.
        self.ws = await open_socket(
            self.url,
            ("jobs", "me"),
            sock=sock,
            max_queue=1,
            additional_headers={"Cookie": self.cookie} if self.cookie else None,
        )
        self.ws.transport.pause_reading()  # from here on, nothing is read: buffers fill up
        self.started = time.monotonic()
        self.local_port = sock.getsockname()[1]
        self.server_port = port
        self._watch = asyncio.create_task(self.watch())

    async def watch(self) -> None:
        while self.cut_after is None:
            await asyncio.sleep(0.25)
            state, queued = tcp_state(self.server_port, self.local_port)
            self.server_state = state
            self.send_queue = max(self.send_queue, queued)
            if state != TCP_ESTABLISHED:
                self.cut_after = time.monotonic() - self.started

    async def finish(self) -> dict[str, Any]:
        """Read again: how much was buffered, and which close code (if any) comes."""
        stalled_for = time.monotonic() - self.started
        assert self.ws is not None
        if self._watch is not None:
            self._watch.cancel()
        received = 0
        code: int | None = None
        self.ws.transport.resume_reading()
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), 1.5)
                received += 1
        except ConnectionClosed:
            code = self.ws.close_code
        except TimeoutError:
            code = None
        await self.ws.close()
        return {
            "stalled_for": stalled_for,
            "cut_after": self.cut_after,
            "server_state": self.server_state,
            "server_send_queue": self.send_queue,
            "frames_after_resume": received,
            "close_code": code,
        }


def save(path: Path, values: array[float]) -> None:
    path.write_bytes(values.tobytes())


async def commands(recorder: Recorder, stall: Stall | None) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        command, _, argument = line.decode().strip().partition(" ")
        answer: dict[str, Any]
        if command == "phase":
            recorder.reset(argument)
            answer = {"ok": True}
        elif command == "count":
            answer = recorder.summary()
            answer.pop("close_codes")
        elif command == "dump":
            answer = recorder.summary()
            save(Path(argument), recorder.latencies)
        elif command == "state" and stall is not None:
            answer = {"stalled_for": time.monotonic() - stall.started, "cut_after": stall.cut_after}
        elif command == "finish" and stall is not None:
            answer = {"stall": await stall.finish()}
        elif command == "quit":
            return
        else:
            answer = {"error": f"unknown command {command!r}"}
        print(json.dumps(answer), flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=50, help="handshakes in flight")
    parser.add_argument("--stall", action="store_true", help="one socket that stops reading")
    parser.add_argument("--cookie", default=None, help="Cookie header of the stalled socket")
    args = parser.parse_args()
    raise_nofile()
    stall: Stall | None = None
    tasks: list[asyncio.Task[None]] = []
    if args.stall:
        recorder = Recorder(0)
        stall = Stall(args.url, args.cookie)
        await stall.start()
        print(json.dumps({"ready": 1, "failed": 0}), flush=True)
    else:
        recorder = Recorder(args.clients)
        gate = asyncio.Semaphore(args.concurrency)
        ready: asyncio.Queue[bool] = asyncio.Queue()
        tasks = [
            asyncio.create_task(run_client(i, args.url, recorder, gate, ready))
            for i in range(args.clients)
        ]
        results = [await ready.get() for _ in range(args.clients)]
        print(json.dumps({"ready": sum(results), "failed": results.count(False)}), flush=True)
    await commands(recorder, stall)
    for task in tasks:
        task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
