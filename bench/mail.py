"""Mail through the queue: messages/s from the outbox through the ``mail`` work queue to a local
SMTP server (aiosmtpd), and what a sign-up costs with a confirmation mail, cause by cause.

    .venv/bin/python bench/mail.py [--messages 300] [--signups 40] [--runs 3]
        [--amqp-url amqp://guest:guest@127.0.0.1:5672/] [--only a|b|c|a0|d]

Throughput: on the embedded default (SQLite, in-process bus), ``--messages`` are queued in
transactions of 50 and timed until the server has accepted the last.

Sign-up: ``POST /api/v1/auth/register`` through the test client, ``--signups`` per variant per
run, the variants interleaved in batches of 10 (so drift hits all alike); after a batch that
queued mail, the next waits until the server has it all, and after every batch half a second
more (the writes that follow), so no variant pays for another's:

- ``a`` user name, mail off: a broker app with no mail consumer (the baseline);
- ``b`` e-mail, mail off: the same app; the token, outbox row and publish, nothing sent;
- ``c`` e-mail, mail on RabbitMQ, sent by a separate ``portal consumer mail`` process;
- ``a0`` user name on the embedded default (the in-process consumers beside it, no mail);
- ``d`` e-mail on the embedded default: the mail worker in the web process, to aiosmtpd.

Each run prints every variant's median and its ratio to ``a`` (and ``d`` to ``a0``), and the
median CPU time the event loop's thread spent during a sign-up (what in this process competes
with the request: less sensitive than wall time to other processes on the machine); the end
prints the medians of the per-run ratios and their spread (min-max). All apps share SQLite
files in a temporary directory; ``c``'s consumer process opens the same file. With
``--only NAME`` runs one variant (to profile it: ``py-spy record -o out.svg -- python
bench/mail.py --messages 0 --only d``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
from aiosmtpd.controller import Controller
from quart import Quart

from bench.common import PORTAL, free_port
from portal.app import create_app
from portal.config import Settings
from portal.db import get_db
from portal.mail.outbox import OutgoingMessage, queue_messages
from portal.migrate import upgrade

_ids = itertools.count(1)
BATCH = 10
# After every batch: longer than the publisher's MARK_LINGER (0.2 s) and a delivery's last write.
SETTLE_SECONDS = 0.5
SECRET = "bench-secret-key-that-is-long-enough-for-anything"  # noqa: S105 - a throw-away app


class Counter:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.count += 1
        return "250 OK"

    async def settle(self, expected: int) -> None:
        """Until the server has accepted ``expected`` mails in all (a minute at most)."""
        async with asyncio.timeout(60.0):
            while self.count < expected:  # noqa: ASYNC110 - the server runs in its own thread
                await asyncio.sleep(0.005)


def message(n: int) -> OutgoingMessage:
    return OutgoingMessage(
        kind="reset",
        channel="email",
        to=f"bench{n}@example.com",
        language="en",
        base_url="http://127.0.0.1:5000",
        context={"name": f"Bench {n}", "token": "t" * 43, "minutes": 30},
    )


async def throughput(app: Quart, inbox: Counter, count: int) -> float:
    start_count = inbox.count
    started = time.perf_counter()
    for first in range(0, count, 50):
        async with get_db(app).session_scope() as session:
            await queue_messages(
                session, [message(n) for n in range(first, min(count, first + 50))]
            )
            await session.commit()
    await inbox.settle(start_count + count)
    return count / (time.perf_counter() - started)


@dataclass
class Variant:
    name: str
    label: str
    app: Quart
    email: bool
    # The server its mail reaches (None: nothing is sent), and how many it should have by now.
    inbox: Counter | None = None
    client: Any = None
    queued: int = 0  # confirmation mails its sign-ups queued so far

    async def batch(self, count: int) -> tuple[list[float], list[float]]:
        """Each sign-up's wall time and its event loop's CPU time meanwhile (ms)."""
        # One client throughout: signed in as the last account, its sign-ups are limited per
        # account, not all by the one client address.
        if self.client is None:
            self.client = self.app.test_client()
        client = self.client
        times, cpu = [], []
        for _ in range(count):
            n = next(_ids)
            identity = {"email": f"signup{n}@example.com"} if self.email else {"username": f"su{n}"}
            started, started_cpu = time.perf_counter(), time.thread_time()
            response = await client.post(
                "/api/v1/auth/register",
                json={**identity, "nickname": "Bench", "password": "correct horse battery"},
            )
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
            assert response.status_code == 201, await response.get_data(as_text=True)
            self.queued += self.email
        return times, cpu


def settings(data: Path, name: str, **values: Any) -> Settings:
    url = f"sqlite+aiosqlite:///{data / name}.db"
    return Settings(
        env="test",
        data_dir=data / name,
        database_url=url,
        secret_key=SECRET,
        **values,
    )


@contextlib.asynccontextmanager
async def served_app(config: Settings) -> AsyncIterator[Quart]:
    assert config.database_url is not None
    await upgrade(config.database_url)
    app = create_app(config)
    async with app.test_app():
        yield app


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[Counter, str]]:
    inbox = Counter()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


@contextlib.contextmanager
def mail_consumer(config: Settings) -> Iterator[None]:
    """``portal consumer mail`` as its own process, on ``config``'s database and broker."""
    env = {
        **os.environ,
        "PORTAL_ENV": config.env,
        "PORTAL_DATA_DIR": str(config.data_dir),
        "PORTAL_DATABASE_URL": str(config.database_url),
        "PORTAL_SECRET_KEY": SECRET,
        "PORTAL_AMQP_URL": str(config.amqp_url),
        "PORTAL_AMQP_PREFIX": config.amqp_prefix,
        "PORTAL_SMTP_URL": str(config.smtp_url),
    }
    process = subprocess.Popen(
        [PORTAL, "consumer", "mail"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=20)


async def drop_queues(amqp_url: str, prefixes: list[str]) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for prefix in prefixes:
            for purpose in ("mail", "clicks", "media"):
                with contextlib.suppress(Exception):
                    await channel.queue_delete(f"{prefix}.{purpose}")
            with contextlib.suppress(Exception):
                await channel.exchange_delete(f"{prefix}.events")


async def signup_runs(args: argparse.Namespace, data: Path) -> list[dict[str, float]]:
    tag = f"bench{os.getpid()}"
    off_prefix, on_prefix = f"{tag}-off", f"{tag}-on"
    runs: list[dict[str, float]] = []
    with smtp_server() as (rabbit_inbox, rabbit_smtp), smtp_server() as (embedded_inbox, smtp):
        off = settings(data, "off", amqp_url=args.amqp_url, amqp_prefix=off_prefix)
        on = settings(
            data, "on", amqp_url=args.amqp_url, amqp_prefix=on_prefix, smtp_url=rabbit_smtp
        )
        embedded = settings(data, "embedded", smtp_url=smtp)
        try:
            async with (
                served_app(off) as off_app,
                served_app(on) as on_app,
                served_app(embedded) as embedded_app,
            ):
                with mail_consumer(on):
                    variants = [
                        Variant("a", "user name, mail off", off_app, email=False),
                        Variant("b", "e-mail, mail off", off_app, email=True),
                        Variant(
                            "c", "e-mail, RabbitMQ + consumer process", on_app, True, rabbit_inbox
                        ),
                        Variant("a0", "user name, embedded", embedded_app, email=False),
                        Variant("d", "e-mail, embedded worker", embedded_app, True, embedded_inbox),
                    ]
                    if args.only:
                        variants = [v for v in variants if v.name in args.only.split(",")]
                    # Warm-up (and the consumer process's start-up): not counted.
                    for variant in variants:
                        await variant.batch(3)
                    for variant in variants:
                        if variant.inbox is not None:
                            await variant.inbox.settle(variant.queued)
                    for run in range(args.runs):
                        results = await one_run(variants, args.signups, run)
                        runs.append(results)
                        print_run(run, variants, results)
        finally:
            await drop_queues(args.amqp_url, [off_prefix, on_prefix])
    return runs


async def one_run(variants: list[Variant], signups: int, run: int) -> dict[str, float]:
    """Each variant's median wall time (``name``) and loop CPU time (``name:cpu``), in ms."""
    times: dict[str, list[float]] = {v.name: [] for v in variants}
    times.update({f"{v.name}:cpu": [] for v in variants})
    for start in range(0, signups, BATCH):
        # Rotated each batch, so no variant always follows the same one.
        shift = (start // BATCH + run) % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            wall, cpu = await variant.batch(min(BATCH, signups - start))
            times[variant.name] += wall
            times[f"{variant.name}:cpu"] += cpu
            if variant.inbox is not None:
                # Its mail sent before the next variant starts: each pays only for its own.
                await variant.inbox.settle(variant.queued)
            # And what follows a batch (delivery rows, outbox rows marked published) written.
            await asyncio.sleep(SETTLE_SECONDS)
    return {name: statistics.median(values) for name, values in times.items()}


def print_run(run: int, variants: list[Variant], results: dict[str, float]) -> None:
    cells = []
    for variant in variants:
        base = results.get("a0" if variant.name == "d" else "a", results[variant.name])
        value = results[variant.name]
        cpu = results[f"{variant.name}:cpu"]
        cells.append(f"{variant.name} {value:.1f} ms ({value / base:.2f}; loop CPU {cpu:.1f} ms)")
    print(f"run {run + 1}: " + ", ".join(cells), flush=True)


def ratios(runs: list[dict[str, float]], name: str, base: str) -> list[float]:
    return [run[name] / run[base] for run in runs]


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        data = Path(directory)
        if args.messages:
            with smtp_server() as (inbox, smtp):
                async with served_app(settings(data, "throughput", smtp_url=smtp)) as app:
                    rates = [await throughput(app, inbox, args.messages) for _ in range(args.runs)]
            rate = statistics.median(rates)
            print(f"queue → SMTP: {rate:.0f} messages/s (median of {args.runs})")
        runs = await signup_runs(args, data)
    print(f"sign-up, median of {args.runs} runs × {args.signups} requests per variant:")
    labels = {
        "a": ("user name, mail off (baseline)", "a"),
        "b": ("e-mail, mail off", "a"),
        "c": ("e-mail, RabbitMQ + `portal consumer mail`", "a"),
        "a0": ("user name, embedded default", "a"),
        "d": ("e-mail, embedded default (worker in-process)", "a0"),
    }
    for name, (label, base) in labels.items():
        if name not in runs[0] or base not in runs[0]:
            continue
        values = ratios(runs, name, base)
        cpu_values = ratios(runs, f"{name}:cpu", f"{base}:cpu")
        median_ms = statistics.median(run[name] for run in runs)
        cpu_ms = statistics.median(run[f"{name}:cpu"] for run in runs)
        print(
            f"  {name:>2} {label}: {median_ms:.1f} ms; / {base}: median "
            f"{statistics.median(values):.2f}, runs {min(values):.2f}-{max(values):.2f}; "
            f"loop CPU {cpu_ms:.1f} ms, / {base}: {statistics.median(cpu_values):.2f} "
            f"({min(cpu_values):.2f}-{max(cpu_values):.2f})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--signups", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--amqp-url",
        default=os.environ.get("PORTAL_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
    )
    parser.add_argument("--only", default="", help="comma-separated variants (default: all)")
    asyncio.run(main(parser.parse_args()))
