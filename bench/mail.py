"""Mail through the queue, in one process: messages/s from the outbox through the ``mail`` work
queue to a local SMTP server (aiosmtpd), and what a sign-up costs with and without a mail.

    .venv/bin/python bench/mail.py [--messages 500] [--signups 100] [--runs 3]

The app runs on the embedded default (SQLite, in-process bus) with ``PORTAL_SMTP_URL`` set to
the local server. Throughput: ``--messages`` are queued in transactions of 50 and timed until
the server has accepted the last. Sign-up: ``POST /api/v1/auth/register`` through the test
client, by e-mail (queues a confirmation mail) and by user name (none), alternating run by
run; the mail is never on the request's path, so the two should be within noise.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import socket
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from portal.app import create_app
from portal.config import Settings
from portal.db import get_db
from portal.mail.outbox import OutgoingMessage, queue_messages
from portal.migrate import upgrade

_ids = itertools.count(1)


class Counter:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def message(n: int) -> OutgoingMessage:
    return OutgoingMessage(
        kind="reset",
        channel="email",
        to=f"bench{n}@example.com",
        language="en",
        base_url="http://127.0.0.1:5000",
        context={"name": f"Bench {n}", "token": "t" * 43, "minutes": 30},
    )


async def throughput(app: Any, inbox: Counter, count: int) -> float:
    start_count = inbox.count
    started = time.perf_counter()
    for first in range(0, count, 50):
        async with get_db(app).session_scope() as session:
            await queue_messages(
                session, [message(n) for n in range(first, min(count, first + 50))]
            )
            await session.commit()
    while inbox.count - start_count < count:  # noqa: ASYNC110 - the server runs in its own thread
        await asyncio.sleep(0.005)
    return count / (time.perf_counter() - started)


async def signups(app: Any, count: int, *, with_mail: bool) -> list[float]:
    client = app.test_client()
    times = []
    for _ in range(count):
        n = next(_ids)
        identity = {"email": f"signup{n}@example.com"} if with_mail else {"username": f"su{n}"}
        started = time.perf_counter()
        response = await client.post(
            "/api/v1/auth/register",
            json={**identity, "nickname": "Bench", "password": "correct horse battery"},
        )
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 201, await response.get_data(as_text=True)
    return times


async def main(args: argparse.Namespace) -> None:
    inbox = Counter()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    with tempfile.TemporaryDirectory() as directory:
        data = Path(directory)
        url = f"sqlite+aiosqlite:///{data / 'portal.db'}"
        await upgrade(url)
        app = create_app(
            Settings(
                env="test",
                data_dir=data,
                database_url=url,
                secret_key="bench-secret-key-that-is-long-enough-for-anything",  # noqa: S106 - a throw-away app
                smtp_url=f"smtp://127.0.0.1:{port}",
            )
        )
        try:
            async with app.test_app():
                rates = [await throughput(app, inbox, args.messages) for _ in range(args.runs)]
                with_mail: list[float] = []
                without: list[float] = []
                for _ in range(args.runs):
                    with_mail += await signups(app, args.signups, with_mail=True)
                    without += await signups(app, args.signups, with_mail=False)
        finally:
            controller.stop()
    print(f"queue → SMTP: {statistics.median(rates):.0f} messages/s (median of {args.runs})")
    for name, values in (("sign-up with a mail", with_mail), ("sign-up without", without)):
        print(
            f"{name}: median {statistics.median(values):.1f} ms, "
            f"p90 {statistics.quantiles(values, n=10)[-1]:.1f} ms ({len(values)} requests)"
        )
    ratio = statistics.median(with_mail) / statistics.median(without)
    print(f"with / without: {ratio:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--signups", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
