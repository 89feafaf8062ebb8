"""Consumer processes (``python -m consumers.<name>``, ``portal consumer <name>``) as a
deployment runs them, with a test's settings in their environment, and what holds one
mid-job (SQLite's write lock)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from portal.config import Settings
from tests.utils.environment import portal_environment

REPO = Path(__file__).parent.parent.parent


class ConsumerProcess:
    """One consumer process in its own process group (a child it runs goes down with it on
    a kill); ``extra_env`` adds to the settings' environment."""

    def __init__(
        self,
        settings: Settings,
        log_path: Path,
        command: Sequence[str],
        *,
        name: str = "the consumer",
        extra_env: Mapping[str, str] | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.settings = settings
        self.log_path = log_path
        self.command = list(command)
        self.name = name
        self.extra_env = dict(extra_env or {})
        self.timeout = timeout
        self.process: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        env = portal_environment(self.settings)
        env.update(
            PORTAL_AMQP_URL=self.settings.amqp_url or "",
            PORTAL_AMQP_PREFIX=self.settings.amqp_prefix,
        )
        env.update(self.extra_env)
        return env

    def start(self) -> ConsumerProcess:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=REPO,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def wait(self, timeout: float | None = None) -> int:
        assert self.process is not None
        return await asyncio.to_thread(
            self.process.wait, self.timeout if timeout is None else timeout
        )

    def kill_now(self) -> None:
        """SIGKILL to its process group: no shutdown, no acks, the connection just drops."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    async def kill(self) -> None:
        await asyncio.to_thread(self.kill_now)

    async def stop(self, timeout: float | None = None) -> int:
        """SIGTERM, as a deployment stops it; the exit status."""
        return await asyncio.to_thread(self.stop_now, timeout)

    def stop_now(self, timeout: float | None = None) -> int:
        assert self.process is not None
        timeout = self.timeout if timeout is None else timeout
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            # Where it hangs: faulthandler (if on in its environment) prints every stack.
            self.process.send_signal(signal.SIGABRT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
            raise AssertionError(
                f"{self.name} ignored SIGTERM for {timeout} s\n{self.log()[-6000:]}"
            ) from None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Consumers:
    """Consumer processes started by a test; ``spawn(settings, ...)`` starts one made by
    ``make(settings, log_path, ...)``, logging to ``consumer-<n>.log`` in ``folder``."""

    def __init__(self, folder: Path, make: Callable[..., ConsumerProcess]) -> None:
        self.folder = folder
        self.make = make
        self.started: list[ConsumerProcess] = []

    def spawn(self, settings: Settings, **options: Any) -> ConsumerProcess:
        log_path = self.folder / f"consumer-{len(self.started)}.log"
        consumer = self.make(settings, log_path, **options)
        self.started.append(consumer)
        return consumer.start()

    def kill_all(self) -> None:
        for consumer in self.started:
            consumer.kill_now()


@contextlib.contextmanager
def running_consumers(folder: Path, make: Callable[..., ConsumerProcess]) -> Iterator[Consumers]:
    """For a fixture: the consumers a test starts, every one still running killed at the end."""
    started = Consumers(folder, make)
    try:
        yield started
    finally:
        started.kill_all()


def sqlite_path(settings: Settings) -> str:
    url = make_url(settings.resolved_database_url)
    assert url.get_backend_name() == "sqlite" and url.database
    return url.database


@contextlib.contextmanager
def database_write_locked(settings: Settings) -> Iterator[None]:
    """Hold SQLite's write lock: readers go on (WAL), every writer waits (busy_timeout)."""
    connection = sqlite3.connect(sqlite_path(settings), isolation_level=None, timeout=10)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()
