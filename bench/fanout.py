"""Websocket fan-out: Portal (2 workers through RabbitMQ) against a bare websockets server.

    .venv/bin/python bench/fanout.py            # the issue's sizes, about 4 minutes
    .venv/bin/python bench/fanout.py --quick    # 200 clients, 1,000 idle: under a minute

Starts ``portal serve --workers 2`` (hypercorn.toml, a fresh data dir, a unique
PORTAL_AMQP_PREFIX) and bench/bare_ws_server.py, then runs each scenario against Portal and
then the bare server. This process publishes the events straight to each server's fanout
exchange, shaped like Portal's outbox messages, with ``data.sent_at``; client processes
(bench/fanout_client.py) record receipt - sent_at at every socket. Scenarios:

  idle    N idle subscribed sockets: server RSS (summed over the process tree) per socket
  steady  C clients, R publishes/s for S s: latency p50/p99/max, reach, deliveries/s
  burst   B publishes at once to C clients: deliveries/s, reach, time to drain
  stall   steady again, beside one more socket that stops reading. It also holds ``me``,
          where it alone is sent F events/s of P bytes, so that the ~3 MB of kernel buffers
          of a loopback socket fill within seconds, not minutes: the others' p99 against
          steady's, and when the server cuts the stalled socket off (1013 is the contract)

Prints figures and ratios Portal/bare; asserts nothing. Clients, servers and RabbitMQ share
2 cores, so the CPU seconds of the server, of the clients, of the broker and of the rest
of the machine (this process, other jobs) are printed too, beside the wall time from the
first publish to the last receipt (for the burst: the time to drain); 2 cores give 2 CPU-s
per second of it. Compare ratios within a run; run it twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
from common import (
    PORTAL,
    ROOT,
    cpu_seconds,
    free_port,
    machine_busy,
    pids_named,
    portal_user,
    process_tree,
    rss_kb,
    stop_all,
    wait_for,
)

HERE = Path(__file__).resolve().parent
CLIENT = str(HERE / "fanout_client.py")
BARE = str(HERE / "bare_ws_server.py")
# RabbitMQ's Erlang VM, to tell its CPU apart from the rest of the machine's.
BROKER = pids_named("beam.smp")


# --------------------------------------------------------------------------- processes


@dataclass
class Target:
    name: str
    url: str  # ws://.../ws
    exchange: str
    process: subprocess.Popen[bytes]
    user_channel: str  # where the stalled socket's flood goes
    cookie: str | None = None  # signs the stalled socket in (Portal's ``me`` needs a user)

    def pids(self) -> list[int]:
        return process_tree(self.process.pid)

    def rss_kb(self) -> int:
        return rss_kb(self.pids())

    def cpu(self) -> float:
        return cpu_seconds(self.pids())


def start_portal(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], int]:
    subprocess.run([PORTAL, "init-db"], env=env, check=True, capture_output=True)
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [PORTAL, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            env=env,
            cwd=ROOT,  # hypercorn.toml
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_for(f"http://127.0.0.1:{port}/_bench/bare", timeout=60)
    return process, port


def start_bare(amqp: str, exchange: str, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, BARE, "--port", str(port), "--amqp", amqp, "--exchange", exchange],
            stdout=subprocess.PIPE,
            stderr=out,
        )
    return process, port


def wait_ready(process: subprocess.Popen[bytes]) -> None:
    assert process.stdout is not None
    if process.stdout.readline().strip() != b"ready":
        raise RuntimeError("the bare server did not start (FANOUT_KEEP_LOGS=1 keeps its log)")


# --------------------------------------------------------------------------- clients


class Clients:
    """Client processes, driven by one-line commands (see fanout_client.py)."""

    def __init__(self) -> None:
        self.procs: list[asyncio.subprocess.Process] = []  # the readers
        self.stall: asyncio.subprocess.Process | None = None
        self.ready = 0
        self.failed = 0

    @classmethod
    async def start(cls, url: str, total: int, procs: int, *, limit: float = 180) -> Clients:
        self = cls()
        sizes = [total // procs + (1 if i < total % procs else 0) for i in range(procs)]
        for n in sizes:
            if n:
                await self._spawn([CLIENT, "--url", url, "--clients", str(n)])
        for answer in await asyncio.wait_for(self._read_all(), limit):
            self.ready += answer["ready"]
            self.failed += answer["failed"]
        return self

    async def add_stall(self, url: str, cookie: str | None) -> None:
        """One more process, with the socket that stops reading (not one of the readers)."""
        command = [CLIENT, "--url", url, "--stall"] + (["--cookie", cookie] if cookie else [])
        self.stall = await self._process(command)
        await asyncio.wait_for(self._read(self.stall), 60)

    async def ask_stall(self, command: str) -> dict[str, Any]:
        assert self.stall is not None and self.stall.stdin is not None
        self.stall.stdin.write(command.encode() + b"\n")
        return await self._read(self.stall)

    async def _spawn(self, command: list[str]) -> None:
        self.procs.append(await self._process(command))

    @staticmethod
    async def _process(command: list[str]) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )

    async def _read_all(self) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(self._read(p) for p in self.procs)))

    @staticmethod
    async def _read(proc: asyncio.subprocess.Process) -> dict[str, Any]:
        assert proc.stdout is not None
        line = await proc.stdout.readline()
        if not line:
            raise RuntimeError("a client process died (see its stderr above)")
        return json.loads(line)

    async def ask(self, command: str) -> list[dict[str, Any]]:
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.write(command.encode() + b"\n")
        return await self._read_all()

    async def received(self) -> int:
        return sum(a["received"] for a in await self.ask("count"))

    def cpu(self) -> float:
        return cpu_seconds([p.pid for p in self.procs])

    async def close(self) -> None:
        every = self.procs + ([self.stall] if self.stall else [])
        for proc in every:
            assert proc.stdin is not None
            proc.stdin.write(b"quit\n")
        for proc in every:
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()


# --------------------------------------------------------------------------- publishing


def log_head(data_dir: Path) -> int:
    """The last id in the server's event log (its SQLite file)."""
    with sqlite3.connect(data_dir / "portal.db") as db:
        return int(db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])


class Publisher:
    def __init__(self, url: str, after: int) -> None:
        self.url = url
        # Ids go on from the log's last, one sequence per server: each worker's hub releases
        # events in id order and holds one above a gap until the log fills it (these are never
        # in the log), so ids sent to the other server must not leave holes in this one's.
        self.after = after
        self.last_ids: dict[str, int] = {}

    async def open(self, exchanges: list[str]) -> None:
        self.connection = await aio_pika.connect(self.url)
        self.channel = await self.connection.channel(publisher_confirms=True)
        self.exchanges = {
            name: await self.channel.declare_exchange(
                name, aio_pika.ExchangeType.FANOUT, durable=True
            )
            for name in exchanges
        }

    async def close(self) -> None:
        for exchange in self.exchanges.values():
            await exchange.delete()
        await self.connection.close()

    def message(
        self, exchange: str, phase: str, pad: int, channel: str = "jobs"
    ) -> aio_pika.Message:
        """Like portal.events.publisher.to_message; phase and sent_at side by side (the
        clients find them with a regex)."""
        event_id = self.last_ids[exchange] = self.last_ids.get(exchange, self.after) + 1
        data: dict[str, Any] = {
            "phase": phase,
            "sent_at": time.time(),
            "id": event_id,
            "title": f"Bench job {event_id}",
            "location": "Remote",
        }
        if pad:
            data["pad"] = "x" * pad
        body = {
            "id": event_id,
            "channel": channel,
            "type": "job.created" if channel == "jobs" else "notification",
            "data": data,
            "at": datetime.now(UTC).isoformat(),
        }
        return aio_pika.Message(
            json.dumps(body).encode(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=str(event_id),
        )

    async def one(self, exchange: str, phase: str, pad: int = 0, channel: str = "jobs") -> None:
        await self.exchanges[exchange].publish(
            self.message(exchange, phase, pad, channel), routing_key=""
        )

    async def paced(
        self, exchange: str, phase: str, rate: float, count: int, pad: int, channel: str = "jobs"
    ) -> None:
        """``count`` events at ``rate`` per second (confirms awaited in the background)."""
        start = time.monotonic()
        pending: list[asyncio.Task[None]] = []
        for i in range(count):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.append(asyncio.create_task(self.one(exchange, phase, pad, channel)))
        await asyncio.gather(*pending)

    async def burst(self, exchange: str, phase: str, count: int) -> float:
        """``count`` events as fast as this process can publish them, in id order."""
        start = time.monotonic()
        target = self.exchanges[exchange]
        await asyncio.gather(
            *(
                target.publish(self.message(exchange, phase, 0), routing_key="")
                for _ in range(count)
            )
        )
        return time.monotonic() - start


# --------------------------------------------------------------------------- figures


@dataclass
class Run:
    expected: int = 0
    received: int = 0
    frames: int = 0
    clients: int = 0
    latencies: list[float] = field(default_factory=list)  # sorted, seconds
    last: float = 0.0
    start: float = 0.0  # wall clock of the first publish
    closed: dict[str, int] = field(default_factory=dict)
    cpu: float = 0.0
    client_cpu: float = 0.0
    broker_cpu: float = 0.0
    other_cpu: float = 0.0  # this process and whatever else runs on the machine
    extra: dict[str, Any] = field(default_factory=dict)

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        index = min(len(self.latencies) - 1, max(0, round(q / 100 * (len(self.latencies) - 1))))
        return self.latencies[index] * 1000

    @property
    def reach(self) -> float:
        return self.received / self.expected if self.expected else float("nan")

    @property
    def span(self) -> float:
        return self.last - self.start if self.last else float("nan")

    @property
    def rate(self) -> float:
        return self.received / self.span if self.last else 0.0


async def collect(clients: Clients, tmp: Path, expected: int, start: float) -> Run:
    paths = [tmp / f"lat-{i}.bin" for i in range(len(clients.procs))]
    for proc, path in zip(clients.procs, paths, strict=True):
        assert proc.stdin is not None
        proc.stdin.write(f"dump {path}\n".encode())
    answers = await clients._read_all()
    values = array("d")
    for path in paths:
        values.frombytes(path.read_bytes())
        path.unlink()
    run = Run(expected=expected, start=start, latencies=sorted(values))
    run.received = sum(a["received"] for a in answers)
    run.frames = sum(a["frames"] for a in answers)
    run.last = max((a["last"] for a in answers), default=0.0)
    for answer in answers:
        for code, n in answer["close_codes"].items():
            run.closed[code] = run.closed.get(code, 0) + n
    return run


async def drain(clients: Clients, expected: int, quiet: float, limit: float) -> None:
    """Wait until every expected delivery arrived, or nothing came for ``quiet`` seconds."""
    deadline = time.monotonic() + limit
    last, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        received = await clients.received()
        if received >= expected:
            return
        if received != last:
            last, last_change = received, time.monotonic()
        elif time.monotonic() - last_change > quiet:
            return
        await asyncio.sleep(0.2)


async def warm_up(clients: Clients, publisher: Publisher, target: Target) -> None:
    """Publish until every socket got an event: both workers consume, every hub routes."""
    phase = f"warm-{target.name}-{time.monotonic()}"
    await clients.ask(f"phase {phase}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        await publisher.one(target.exchange, phase)
        await asyncio.sleep(0.3)
        answers = await clients.ask("count")
        if sum(a["with_any"] for a in answers) >= clients.ready:
            return
    print(f"    ! warm-up: not every {target.name} socket got an event in 30 s", flush=True)


@dataclass
class Bench:
    args: argparse.Namespace
    publisher: Publisher
    tmp: Path

    async def connect(self, target: Target, n: int, procs: int) -> Clients:
        started = time.monotonic()
        clients = await Clients.start(target.url, n, procs)
        took = time.monotonic() - started
        if clients.failed:
            print(f"    ! {clients.failed} of {n} {target.name} sockets failed to connect")
        print(f"    {target.name}: {clients.ready} sockets in {took:.1f} s", flush=True)
        return clients

    async def idle(self, target: Target) -> Run:
        settle = 0.5 if self.args.quick else 3
        await asyncio.sleep(settle)
        before = target.rss_kb()
        clients = await self.connect(target, self.args.idle, self.args.idle_procs)
        await asyncio.sleep(settle)
        after = target.rss_kb()
        await clients.close()
        await asyncio.sleep(settle)
        released = target.rss_kb()
        run = Run(clients=clients.ready)
        run.extra = {"before": before, "after": after, "released": released}
        return run

    async def measure(
        self,
        clients: Clients,
        target: Target,
        phase: str,
        count: int,
        *,
        flood: Callable[[], Any] | None = None,
    ) -> Run:
        """Publish ``count`` events (at --rate/s, or all at once for the burst); wait for
        them; collect the figures. ``flood`` runs beside, for the stalled socket."""
        rate = self.args.rate if phase.startswith(("steady", "stall")) else 0.0
        await clients.ask(f"phase {phase}")
        rss0, start = target.rss_kb(), time.time()
        cpu0, ccpu0, busy0 = target.cpu(), clients.cpu(), machine_busy()
        broker0 = cpu_seconds(BROKER)
        rss_peak = rss0

        async def sample() -> None:
            nonlocal rss_peak
            while True:
                await asyncio.sleep(0.5)
                rss_peak = max(rss_peak, target.rss_kb())

        sampler = asyncio.create_task(sample())
        flooding = asyncio.create_task(flood()) if flood else None
        published = 0.0
        if rate:
            await self.publisher.paced(target.exchange, phase, rate, count, 0)
        else:
            published = await self.publisher.burst(target.exchange, phase, count)
        expected = count * clients.ready
        await drain(clients, expected, quiet=3, limit=15 if rate else 120)
        cpu, ccpu, rss1 = target.cpu() - cpu0, clients.cpu() - ccpu0, target.rss_kb()
        broker = cpu_seconds(BROKER) - broker0
        others = machine_busy() - busy0 - cpu - ccpu - broker
        if flooding:
            await flooding
        sampler.cancel()
        run = await collect(clients, self.tmp, expected, start)
        run.clients, run.cpu, run.client_cpu = clients.ready, cpu, ccpu
        run.broker_cpu, run.other_cpu = broker, others
        run.extra |= {"rss0": rss0, "rss1": rss1, "rss_peak": rss_peak, "published_in": published}
        return run

    def steady_count(self) -> int:
        return max(1, round(self.args.rate * self.args.seconds))

    async def steady(self, target: Target) -> Run:
        clients = await self.connect(target, self.args.clients, self.args.procs)
        await warm_up(clients, self.publisher, target)
        run = await self.measure(clients, target, f"steady-{target.name}", self.steady_count())
        await clients.close()
        return run

    async def burst(self, target: Target) -> Run:
        clients = await self.connect(target, self.args.clients, self.args.procs)
        await warm_up(clients, self.publisher, target)
        run = await self.measure(clients, target, f"burst-{target.name}", self.args.burst)
        await clients.close()
        return run

    async def stalled(self, target: Target) -> Run:
        """Steady, with one more socket that stops reading and is flooded on ``me``."""
        args = self.args
        clients = await self.connect(target, args.clients - 1, args.procs)
        await warm_up(clients, self.publisher, target)
        await clients.add_stall(target.url, target.cookie)
        # The stalled socket's own events, for as long as the steady stream lasts.
        floods = max(1, round(args.flood_rate * args.seconds))

        def flood() -> Any:
            return self.publisher.paced(
                target.exchange, "flood", args.flood_rate, floods, args.payload, target.user_channel
            )

        run = await self.measure(
            clients, target, f"stall-{target.name}", self.steady_count(), flood=flood
        )
        # Nothing more is published; keep watching the stalled socket until it is cut off
        # or has been stalled for --watch seconds in all.
        while True:
            state = await clients.ask_stall("state")
            if state["cut_after"] is not None or state["stalled_for"] >= args.watch:
                break
            await asyncio.sleep(0.5)
        run.extra["stall"] = (await clients.ask_stall("finish"))["stall"]
        await clients.close()
        return run


# --------------------------------------------------------------------------- printing


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def ms(value: float) -> str:
    return f"{value:.1f}"


Row = tuple[str, Callable[[Run], float], Callable[[float], str]]


def table(rows: list[Row], runs: dict[str, Run]) -> None:
    portal, bare = runs["portal"], runs["bare"]
    print(f"    {'':<26}{'portal':>12}{'bare':>12}{'portal/bare':>13}")
    for label, get, fmt in rows:
        p, b = get(portal), get(bare)
        print(f"    {label:<26}{fmt(p):>12}{fmt(b):>12}{ratio(p, b):>13}")


LATENCY_ROWS: list[Row] = [
    ("latency p50 ms", lambda r: r.pct(50), ms),
    ("latency p99 ms", lambda r: r.pct(99), ms),
    ("latency max ms", lambda r: r.pct(100), ms),
    ("1st publish->last rx s", lambda r: r.span, lambda v: f"{v:.2f}"),
    ("reach", lambda r: r.reach, lambda v: f"{v:.2%}"),
    ("deliveries/s", lambda r: r.rate, lambda v: f"{v:,.0f}"),
    ("events per frame", lambda r: r.received / max(1, r.frames), lambda v: f"{v:.2f}"),
    ("server CPU s", lambda r: r.cpu, lambda v: f"{v:.1f}"),
    ("client CPU s", lambda r: r.client_cpu, lambda v: f"{v:.1f}"),
    ("broker CPU s", lambda r: r.broker_cpu, lambda v: f"{v:.1f}"),
    ("rest of machine CPU s", lambda r: r.other_cpu, lambda v: f"{v:.1f}"),
    ("server RSS growth MiB", lambda r: (r.extra["rss1"] - r.extra["rss0"]) / 1024, ms),
]


def describe_stall(run: Run) -> str:
    stall = run.extra.get("stall") or {}
    cut = stall.get("cut_after")
    when = f"cut off after {cut:.1f} s" if cut is not None else "NOT cut off"
    return (
        f"{when} (watched {stall.get('stalled_for', 0):.0f} s; server socket state "
        f"{stall.get('server_state')}, its kernel send queue up to "
        f"{stall.get('server_send_queue', 0) / 1e6:.1f} MB; once it reads again: "
        f"{stall.get('frames_after_resume')} frames, then close code {stall.get('close_code')})"
    )


# --------------------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--clients", type=int, help="sockets in steady/burst/stall (1000)")
    parser.add_argument("--idle", type=int, help="idle sockets (5000)")
    parser.add_argument("--rate", type=float, default=10, help="publishes/s (10)")
    parser.add_argument("--seconds", type=float, help="steady and stall duration (15)")
    parser.add_argument("--burst", type=int, help="events in the burst (1000)")
    parser.add_argument("--flood-rate", type=float, default=100, help="events/s on me (100)")
    parser.add_argument("--payload", type=int, default=16384, help="pad bytes of each flood")
    parser.add_argument(
        "--watch", type=float, help="watch the stalled socket until cut off or this old (60)"
    )
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    parser.add_argument("--idle-procs", type=int, default=4, help="client processes (idle)")
    parser.add_argument("--only", default="idle,steady,burst,stall", help="scenarios, with commas")
    parser.add_argument(
        "--amqp", default=os.environ.get("PORTAL_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    )
    args = parser.parse_args()
    full = {"clients": 1000, "idle": 5000, "seconds": 15, "burst": 1000, "watch": 60}
    quick = {"clients": 200, "idle": 1000, "seconds": 3, "burst": 200, "watch": 8}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


async def run(args: argparse.Namespace, portal: Target, bare: Target, tmp: Path) -> None:
    publisher = Publisher(args.amqp, log_head(tmp / "data"))
    await publisher.open([portal.exchange, bare.exchange])
    bench = Bench(args, publisher, tmp)
    only = set(args.only.split(","))
    targets = [portal, bare]
    steady: dict[str, Run] = {}
    try:
        if "idle" in only:
            clock = time.monotonic()
            print(f"\n[3] idle: {args.idle} subscribed sockets doing nothing", flush=True)
            runs = {t.name: await bench.idle(t) for t in targets}
            per: dict[str, float] = {}
            for name, r in runs.items():
                e = r.extra
                per[name] = (e["after"] - e["before"]) / max(1, r.clients)
                print(
                    f"    {name:<7} RSS {e['before'] / 1024:.1f} -> {e['after'] / 1024:.1f} MiB"
                    f" ({r.clients} sockets): {per[name]:.1f} KB/connection;"
                    f" {e['released'] / 1024:.1f} MiB after they left"
                )
            print(
                f"    portal/bare KB per connection: {ratio(per['portal'], per['bare'])}"
                f"   (target: portal <= 40 KB)"
            )
            print(f"    ({time.monotonic() - clock:.0f} s)", flush=True)

        if "steady" in only:
            clock = time.monotonic()
            print(
                f"\n[1] steady: {args.clients} clients, {args.rate:g} publishes/s for"
                f" {args.seconds:g} s",
                flush=True,
            )
            steady = {t.name: await bench.steady(t) for t in targets}
            table(LATENCY_ROWS, steady)
            print("    (target: p50 and p99 within 1.5x of bare, 100% reach)")
            print(f"    ({time.monotonic() - clock:.0f} s)", flush=True)

        if "burst" in only:
            clock = time.monotonic()
            print(f"\n[2] burst: {args.burst} publishes at once to {args.clients} clients")
            runs = {t.name: await bench.burst(t) for t in targets}
            table(
                [
                    *LATENCY_ROWS,
                    ("published in s", lambda r: r.extra["published_in"], lambda v: f"{v:.2f}"),
                ],
                runs,
            )
            print("    (target: portal deliveries/s >= 50% of bare's)")
            print(f"    ({time.monotonic() - clock:.0f} s)", flush=True)

        if "stall" in only:
            clock = time.monotonic()
            print(
                f"\n[4] stall: [1] again ({args.clients - 1} readers), beside one socket that"
                f" stops reading and alone gets {args.flood_rate:g} events/s of"
                f" {args.payload / 1024:g} KB on 'me'",
                flush=True,
            )
            stalled = {t.name: await bench.stalled(t) for t in targets}
            table(LATENCY_ROWS, stalled)
            for name in ("portal", "bare"):
                s = stalled[name]
                line = f"    {name:<7}"
                if name in steady:
                    line += f" others' p99 {ratio(s.pct(99), steady[name].pct(99))} of [1]'s;"
                e = s.extra
                print(
                    line + f" RSS {e['rss0'] / 1024:.1f} -> {e['rss1'] / 1024:.1f} MiB"
                    f" (peak {e['rss_peak'] / 1024:.1f}); others closed: {s.closed or 'none'}"
                )
                print(f"            stalled socket: {describe_stall(s)}")
            print("    (target: others' p99 +10% at most; stalled one cut off within 60 s)")
            print(f"    ({time.monotonic() - clock:.0f} s)", flush=True)
    finally:
        await publisher.close()


def main() -> None:
    args = parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by every child
    tmp = Path(tempfile.mkdtemp(prefix="portal-fanout-"))
    prefix = f"bench-fanout-{os.getpid()}-{int(time.time())}"
    env = {
        **os.environ,
        "PORTAL_DATA_DIR": str(tmp / "data"),
        "PORTAL_ENV": "development",
        "PORTAL_AMQP_URL": args.amqp,
        "PORTAL_AMQP_PREFIX": prefix,
        "PORTAL_BENCH_ROUTES": "1",
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        started = time.monotonic()
        bare_proc, bare_port = start_bare(args.amqp, f"{prefix}.bare.events", tmp / "bare.log")
        processes.append(bare_proc)
        portal_proc, portal_port = start_portal(env, tmp / "portal.log")
        processes.append(portal_proc)
        wait_ready(bare_proc)
        cookie, user_id = portal_user(portal_port)
        portal = Target(
            "portal",
            f"ws://127.0.0.1:{portal_port}/ws",
            f"{prefix}.events",
            portal_proc,
            f"user:{user_id}",
            cookie,
        )
        bare = Target(
            "bare", f"ws://127.0.0.1:{bare_port}/ws", f"{prefix}.bare.events", bare_proc, "user:1"
        )
        print(
            f"portal: {PORTAL} serve --workers 2 (pids {portal.pids()}), hypercorn.toml;"
            f" bare: {Path(BARE).name} (pid {bare_proc.pid}); exchange prefix {prefix}"
        )
        print(
            f"client processes: {args.procs} ({args.idle_procs} for idle); nofile {hard};"
            f" servers up in {time.monotonic() - started:.1f} s"
        )
        asyncio.run(run(args, portal, bare, tmp))
    finally:
        for process in processes:
            stop_all([process])
        if os.environ.get("FANOUT_KEEP_LOGS"):
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
