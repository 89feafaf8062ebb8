"""A deployment under fire: ``portal serve`` and consumers as processes on PostgreSQL and the
private broker node, writers through the HTTP API, websocket clients that reconnect as
``static/js/live.js`` does, and the books kept on what every client saw.

The event log in the database is the truth: every event committed on a channel after the
scenario began must reach every client subscribed to it exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import websockets
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from portal.config import Settings
from portal.events.models import Event
from tests.utils.consumers import REPO, ConsumerProcess

PORTAL = str(REPO / ".venv" / "bin" / "portal")
PASSWORD = "fault-test-password-2026"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Site:
    """A served Portal: ``portal serve`` on ``port``, plus consumers started on demand."""

    settings: Settings
    folder: Path
    port: int = field(default_factory=free_port)
    server: ConsumerProcess | None = None
    consumers: list[ConsumerProcess] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def process(self, name: str, *command: str) -> ConsumerProcess:
        log = self.folder / f"{name}-{len(self.consumers)}.log"
        return ConsumerProcess(
            self.settings, log, [PORTAL, *command], name=name, extra_env={"PORTAL_ENV": "test"}
        )

    def run(self, *command: str) -> None:
        process = self.process("cli", *command)
        result = subprocess.run(
            process.command,
            env=process.environment(),
            cwd=REPO,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()

    def serve(self, workers: int = 2) -> None:
        self.server = self.process(
            "serve", "serve", "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}"
        ).start()
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.server is not None and self.server.alive(), self.server_log()
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"the site was not ready in {timeout} s\n{self.server_log()}")

    def server_log(self) -> str:
        return self.server.log()[-6000:] if self.server is not None else ""

    def start_consumer(self, name: str) -> ConsumerProcess:
        consumer = self.process(name, "consumer", name).start()
        self.consumers.append(consumer)
        return consumer

    def worker_pids(self) -> list[int]:
        assert self.server is not None and self.server.process is not None
        out = subprocess.run(
            ["pgrep", "-P", str(self.server.process.pid)], capture_output=True, text=True
        )
        # Not multiprocessing's resource tracker, which the supervisor's spawn starts beside them.
        return [
            int(pid) for pid in out.stdout.split() if b"resource_tracker" not in _cmdline(int(pid))
        ]

    def sockets_by_worker(self) -> Counter[int]:
        """How many established connections to the site each worker process holds."""
        out = subprocess.run(
            ["ss", "-Htnp", "state", "established", f"( sport = :{self.port} )"],
            capture_output=True,
            text=True,
        ).stdout
        return Counter(int(pid) for pid in re.findall(r"pid=(\d+)", out))

    def stop(self) -> None:
        for process in [*self.consumers, *([self.server] if self.server else [])]:
            process.kill_now()

    def sign_in(self, username: str) -> str:
        """An API token for ``username`` (made by signing in with the password)."""
        with requests.Session() as http:
            response = http.post(
                self.url + "/api/v1/auth/login",
                json={"login": username, "password": PASSWORD},
                timeout=10,
            )
            assert response.status_code == 200, response.text
            response = http.post(
                self.url + "/api/v1/me/tokens", json={"name": "faults"}, timeout=10
            )
            assert response.status_code == 201, response.text
            return str(response.json()["token"])


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@contextlib.contextmanager
def site(settings: Settings, folder: Path) -> Iterator[Site]:
    running = Site(settings, folder)
    try:
        running.run("init-db")
        yield running
    finally:
        running.stop()


@contextlib.asynccontextmanager
async def postgres_database(url: str) -> AsyncIterator[str]:
    """A database of its own for one scenario (the served processes write to it), dropped after."""
    name = f"faults_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f"CREATE DATABASE {name}")
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.dispose()


async def committed(database_url: str, channel: str, after: int) -> list[int]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(Event.id)
                .where(Event.channel == channel, Event.id > after)
                .order_by(Event.id)
            )
            return [row[0] for row in rows]
    finally:
        await engine.dispose()


async def newest_id(database_url: str) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(select(func.max(Event.id))) or 0)
    finally:
        await engine.dispose()


# ------------------------------------------------------------------------------ writers


class Writers:
    """Threads that keep creating and editing jobs through the API, each as fast as it can."""

    def __init__(self, site: Site, token: str, count: int = 3, pause: float = 0.02) -> None:
        self.site = site
        self.token = token
        self.count = count
        self.pause = pause
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.statuses: Counter[int | str] = Counter()
        # The longest a writer saw nothing but failures (errors and 5xx), in seconds.
        self.longest_failing = 0.0

    def __enter__(self) -> Writers:
        for n in range(self.count):
            thread = threading.Thread(target=self._write, args=(n,), daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(30)

    def _write(self, n: int) -> None:
        rng = random.Random(n)
        mine: list[int] = []
        failing_since: float | None = None
        with requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {self.token}"
            while not self.stopping.is_set():
                began = time.monotonic()
                try:
                    if mine and rng.random() < 0.4:
                        response = http.patch(
                            f"{self.site.url}/api/v1/jobs/{rng.choice(mine)}",
                            json={"title": f"Edited by writer {n} {rng.random():.6f}"},
                            timeout=10,
                        )
                    else:
                        response = http.post(
                            f"{self.site.url}/api/v1/jobs",
                            json={
                                "title": f"Writer {n} job {len(mine)}",
                                "content": "Fault test",
                                "status": "published",
                                "apply_email": "jobs@example.com",
                            },
                            timeout=10,
                        )
                        if response.status_code == 201:
                            mine.append(response.json()["id"])
                    self.statuses[response.status_code] += 1
                    failed = response.status_code >= 500
                except requests.RequestException as error:
                    self.statuses[type(error).__name__] += 1
                    failed = True
                    time.sleep(0.1)
                if failed:
                    # From the start of the first failed request: a hung one counts whole.
                    failing_since = failing_since or began
                    self.longest_failing = max(
                        self.longest_failing, time.monotonic() - failing_since
                    )
                else:
                    failing_since = None
                time.sleep(self.pause)


class Clicker:
    """A thread that keeps clicking jobs as one user (within the click route's rate limit)."""

    def __init__(self, site: Site, token: str, job_ids: list[int], per_second: float) -> None:
        self.site = site
        self.token = token
        self.job_ids = job_ids
        self.interval = 1 / per_second
        self.stopping = threading.Event()
        self.statuses: Counter[int | str] = Counter()
        self.thread = threading.Thread(target=self._click, daemon=True)

    def __enter__(self) -> Clicker:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        self.thread.join(30)

    def _click(self) -> None:
        rng = random.Random(7)
        with requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {self.token}"
            while not self.stopping.wait(self.interval):
                try:
                    response = http.post(
                        f"{self.site.url}/api/v1/clicks",
                        json={"job_id": rng.choice(self.job_ids)},
                        timeout=10,
                    )
                    self.statuses[response.status_code] += 1
                except requests.RequestException as error:
                    self.statuses[type(error).__name__] += 1


# ------------------------------------------------------------------------------ clients


@dataclass
class Client:
    """One browser tab's live channel, as live.js keeps it: subscribe with the last id seen,
    reconnect with back-off when the socket closes, and drop nothing that arrives."""

    url: str
    channel: str
    since: int
    token: str | None = None
    received: list[int] = field(default_factory=list)
    reconnects: int = 0
    reloads: int = 0
    closes: Counter[int | None] = field(default_factory=Counter)

    @property
    def last(self) -> int:
        return max(self.received, default=self.since)

    async def run(self, connected: asyncio.Event | None = None) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        while True:
            try:
                async with websockets.connect(
                    self.url, additional_headers=headers, open_timeout=5, ping_interval=None
                ) as ws:
                    await ws.send(
                        json.dumps(
                            {"type": "subscribe", "channel": self.channel, "since": self.last}
                        )
                    )
                    async for raw in ws:
                        frame = json.loads(raw)
                        if frame["type"] == "subscribed":
                            self.reloads += bool(frame.get("reload"))
                            if connected is not None:
                                connected.set()
                        for message in frame.get("messages", [frame]):
                            if message.get("type") == "event":
                                self.received.append(int(message["id"]))
                    self.closes[ws.close_code] += 1
            except (OSError, websockets.WebSocketException, TimeoutError) as error:
                code = getattr(getattr(error, "rcvd", None), "code", None)
                self.closes[code] += 1
            self.reconnects += 1
            await asyncio.sleep(random.uniform(0.1, 0.5))

    def books(self, truth: list[int]) -> dict[str, int]:
        """committed / delivered / lost / duplicated / late (arrived after a higher id, kept)."""
        counts = Counter(self.received)
        late = sum(
            1 for i, id in enumerate(self.received) if id < max(self.received[:i], default=0)
        )
        return {
            "committed": len(truth),
            "delivered": len(set(truth) & set(counts)),
            "lost": len(set(truth) - set(counts)),
            "duplicated": sum(n - 1 for n in counts.values()),
            "late": late,
            "unexpected": len(set(counts) - set(truth)),
            "reconnects": self.reconnects,
            "reloads": self.reloads,
        }


class Clients:
    """Several clients on one channel, run as tasks until the books are settled."""

    def __init__(self, site: Site, channel: str, since: int, count: int, token: str | None = None):
        ws_url = site.url.replace("http://", "ws://") + "/ws"
        self.clients = [Client(ws_url, channel, since, token) for _ in range(count)]
        self.tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Clients:
        ready = [asyncio.Event() for _ in self.clients]
        self.tasks = [
            asyncio.create_task(client.run(event))
            for client, event in zip(self.clients, ready, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(event.wait() for event in ready)), 30)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def settle(self, truth: list[int], timeout: float = 30) -> None:
        """Until every client has every id of ``truth`` (or the time is up)."""
        wanted = set(truth)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(wanted <= set(client.received) for client in self.clients):
                await asyncio.sleep(1)  # and a moment for duplicates to show
                return
            await asyncio.sleep(0.2)

    def books(self, truth: list[int]) -> list[dict[str, int]]:
        return [client.books(truth) for client in self.clients]


def report(scenario: str, books: list[dict[str, int]], folder: Path, **extra: Any) -> str:
    """A line per client, kept in test-artifacts/faults.txt for the record."""
    lines = [f"{scenario}: {json.dumps(extra, default=str)}"]
    lines += [f"  client {n}: {json.dumps(b)}" for n, b in enumerate(books)]
    text = "\n".join(lines)
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with (artifacts / "faults.txt").open("a") as out:
        out.write(text + "\n")
    print(text)
    return text


def assert_exactly_once(books: list[dict[str, int]], text: str) -> None:
    for book in books:
        assert book["committed"] > 0, text
        assert book["lost"] == 0 and book["duplicated"] == 0, text
        assert book["unexpected"] == 0 and book["reloads"] == 0, text
