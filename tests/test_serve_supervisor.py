"""``portal serve`` as a deployment runs it: real worker processes, each on listening sockets
of its own sharing the port, one of them killed with SIGKILL while requests and websockets go
on, a burst of connections spread over the workers, and a worker that cannot start, which must
end the server with a failure status.

Linux only: worker pids, and which worker holds a connection, are read from /proc.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from portal.cli import main
from portal.config import Settings
from portal.web.supervisor import RestartPolicy
from tests.events import conftest as events_conftest
from tests.utils.environment import portal_environment

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]

amqp_prefix = events_conftest.amqp_prefix
REPO = Path(__file__).parent.parent
STARTUP_SECONDS = 60
STOP_SECONDS = 30
CONCURRENCY = 4  # request loops: at most this many requests are in flight on a killed worker
BURST = 64  # connections opened at once, as wrk does


# ---------------------------------------------------------------------------- /proc


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, pgrp, ...)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def _running(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def workers_of(parent: int) -> set[int]:
    """Running children of ``parent``, but multiprocessing's resource tracker."""
    found = set()
    for pid in _pids():
        fields = _stat(pid)
        if fields is None or fields[0] == "Z" or int(fields[1]) != parent:
            continue
        with contextlib.suppress(OSError):
            if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(pid)
    return found


def running_in_group(pgid: int) -> set[int]:
    return {
        pid
        for pid in _pids()
        if (fields := _stat(pid)) is not None and fields[0] != "Z" and int(fields[2]) == pgid
    }


def owner_of(server_port: int, client_port: int, pids: set[int]) -> int | None:
    """Which of ``pids`` holds the server side of the connection from ``client_port``."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        local, remote = int(parts[1].split(":")[1], 16), int(parts[2].split(":")[1], 16)
        if local == server_port and remote == client_port and parts[9] != "0":
            inode = parts[9]
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                        return pid
    return None


# ---------------------------------------------------------------------------- the server


async def with_broker(tmp_path: Path, amqp_prefix: str) -> dict[str, str]:
    """The environment of several workers (they need the broker), its database migrated."""
    env = environment(
        tmp_path,
        PORTAL_AMQP_URL=events_conftest.AMQP_URL or "",
        PORTAL_AMQP_PREFIX=amqp_prefix,
    )
    await init_db(env)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def portal_command() -> list[str]:
    script = Path(sys.executable).with_name("portal")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from portal.cli import main; main()"]


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    settings = Settings(
        env="test",
        data_dir=data,
        database_url=f"sqlite+aiosqlite:///{data / 'portal.db'}",
        secret_key="test-secret-key-that-is-long-enough-for-anything",
    )
    env = portal_environment(settings)
    env.update(extra)
    return env


async def init_db(env: Mapping[str, str]) -> None:
    await asyncio.to_thread(
        subprocess.run,
        [*portal_command(), "init-db"],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=STARTUP_SECONDS,
    )


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def workers(self) -> set[int]:
        return workers_of(self.process.pid)

    async def wait(self, timeout: float) -> int:
        try:
            return await asyncio.to_thread(self.process.wait, timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running after {timeout} s\n{self.log()[-4000:]}") from None

    async def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return await self.wait(STOP_SECONDS)

    async def no_process_left(self) -> None:
        """Nothing of the server's process group runs any more (workers, helpers)."""
        deadline = time.monotonic() + 5
        while (left := running_in_group(self.process.pid)) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not left, f"left running: {left}\n{self.log()[-4000:]}"


@contextlib.asynccontextmanager
async def serving(tmp_path: Path, env: Mapping[str, str], workers: int) -> AsyncIterator[Server]:
    """``portal serve --workers N`` in its own process group, with a short graceful timeout
    (open websockets would hold every stop for hypercorn.toml's); whatever the test did, every
    process of the group is killed at the end."""
    workdir = tmp_path / "serve"
    workdir.mkdir()
    config = re.sub(r"(?m)^graceful_timeout\s*=.*$", "", (REPO / "hypercorn.toml").read_text())
    (workdir / "hypercorn.toml").write_text(config + "\ngraceful_timeout = 1\n")
    port = free_port()
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*portal_command(), "serve", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"],
            cwd=workdir,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, port, log_path)
    try:
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)


# ---------------------------------------------------------------------------- clients


async def http_ok(port: int, timeout: float = 10) -> bool:
    """One ``GET /healthz`` on a fresh connection: did it answer 200?"""
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                writer.write(
                    b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                )
                return (await reader.readline()).startswith(b"HTTP/1.1 200")
            finally:
                writer.close()
    except (OSError, TimeoutError):
        return False


async def until_serving(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not await http_ok(server.port, timeout=2):
        assert server.process.poll() is None, f"the server exited\n{server.log()[-4000:]}"
        assert time.monotonic() < deadline, f"not serving\n{server.log()[-4000:]}"
        await asyncio.sleep(0.1)


@dataclass
class Load:
    """Requests in ``CONCURRENCY`` loops until stopped: ``(started, ok)`` of each."""

    port: int
    results: list[tuple[float, bool]] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        async def loop() -> None:
            while not self.stop.is_set():
                started = time.monotonic()
                self.results.append((started, await http_ok(self.port)))

        await asyncio.gather(*(loop() for _ in range(CONCURRENCY)))

    def failed(self, since: float = 0.0) -> int:
        return sum(1 for started, ok in self.results if started >= since and not ok)


async def open_socket(server: Server) -> tuple[ClientConnection, int | None]:
    """A websocket to /ws and the pid of the worker that accepted it."""
    ws = await connect(f"ws://{server.url}/ws", proxy=None, open_timeout=10, ping_interval=None)
    return ws, owner_of(server.port, ws.local_address[1], server.workers())


async def answers(ws: ClientConnection) -> bool:
    """Does the socket still answer a ping with a pong?"""
    try:
        await ws.send(json.dumps({"type": "ping"}))
        async with asyncio.timeout(5):
            while json.loads(await ws.recv()).get("type") != "pong":
                pass
        return True
    except (ConnectionClosed, TimeoutError, OSError):
        return False


async def sockets_on(server: Server, wanted: set[int]) -> dict[ClientConnection, int]:
    """Open websockets until each worker in ``wanted`` holds one; every socket opened."""
    sockets: dict[ClientConnection, int] = {}
    deadline = time.monotonic() + STARTUP_SECONDS
    while not wanted <= set(sockets.values()):
        assert time.monotonic() < deadline, f"no socket reached {wanted - set(sockets.values())}"
        with contextlib.suppress(OSError, TimeoutError, InvalidHandshake):
            ws, pid = await open_socket(server)
            if pid is None:
                await ws.close()
            else:
                sockets[ws] = pid
        await asyncio.sleep(0.02)
    return sockets


# ---------------------------------------------------------------------------- tests


async def test_a_killed_worker_is_replaced_while_the_other_serves_on(
    tmp_path: Path, amqp_prefix: str
) -> None:
    env = await with_broker(tmp_path, amqp_prefix)
    async with asyncio.timeout(180), serving(tmp_path, env, workers=2) as server:
        await until_serving(server)
        first = server.workers()
        assert len(first) == 2, server.log()
        sockets = await sockets_on(server, first)
        victim = next(iter(sockets.values()))
        (survivor,) = first - {victim}

        load = Load(server.port)
        loading = asyncio.create_task(load.run())
        await asyncio.sleep(1)
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        while _running(victim):
            await asyncio.sleep(0.001)
        dead_at = time.monotonic()
        deadline = dead_at + STARTUP_SECONDS
        while not (replacements := server.workers() - first):
            assert time.monotonic() < deadline, f"no replacement worker\n{server.log()[-4000:]}"
            await asyncio.sleep(0.01)
        replaced_at = time.monotonic()
        (replacement,) = replacements
        sockets.update(await sockets_on(server, {replacement}))
        serving_at = time.monotonic()
        await asyncio.sleep(1)
        load.stop.set()
        await loading

        alive = {pid: await answers(ws) for ws, pid in sockets.items()}
        failed_before, failed_after = load.failed(), load.failed(since=dead_at)
        print(
            f"\nkill -9 of worker {victim}: {failed_before} of {len(load.results)} requests "
            f"failed ({failed_after} started after it died); replacement {replacement} appeared "
            f"{replaced_at - killed_at:.3f} s after the kill and accepted a websocket after "
            f"{serving_at - killed_at:.3f} s"
        )
        assert server.process.poll() is None, server.log()[-4000:]
        assert failed_after == 0
        assert failed_before <= CONCURRENCY
        assert server.workers() == {survivor, replacement}
        for ws, pid in sockets.items():
            # A socket on the killed worker is gone; every other one still answers.
            assert await answers(ws) is (pid != victim), (pid, alive)
        assert f"{victim}" in server.log()

        assert await server.stop() == 0, server.log()[-4000:]
        await server.no_process_left()


async def test_a_burst_of_connections_is_spread_over_the_workers(
    tmp_path: Path, amqp_prefix: str
) -> None:
    env = await with_broker(tmp_path, amqp_prefix)
    async with asyncio.timeout(120), serving(tmp_path, env, workers=2) as server:
        await until_serving(server)
        workers = server.workers()
        assert len(workers) == 2, server.log()
        # As wrk opens its connections: all at once, then a request on each.
        streams = await asyncio.gather(
            *(asyncio.open_connection("127.0.0.1", server.port) for _ in range(BURST))
        )
        try:
            for _reader, writer in streams:
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            for reader, _writer in streams:
                assert (await reader.readline()).startswith(b"HTTP/1.1 200")
            owners = [
                owner_of(server.port, writer.get_extra_info("sockname")[1], workers)
                for _reader, writer in streams
            ]
        finally:
            for _reader, writer in streams:
                writer.close()
        counts = sorted(owners.count(pid) for pid in workers)
        print(f"\n{BURST} connections opened at once, per worker: {counts}")
        assert None not in owners
        # The kernel hashes each connection to a worker's socket: about half each. One shared
        # socket gave one worker all of them in most runs. Below a quarter: p < 1e-4.
        assert counts[0] >= BURST // 4, counts


async def test_a_single_worker_killed_is_replaced_and_queued_requests_are_served(
    tmp_path: Path,
) -> None:
    env = environment(tmp_path)
    await init_db(env)
    async with asyncio.timeout(120), serving(tmp_path, env, workers=1) as server:
        await until_serving(server)
        (worker,) = server.workers()
        killed_at = time.monotonic()
        os.kill(worker, signal.SIGKILL)
        # Sent while no worker runs: the parent's socket queues it for the replacement.
        assert await http_ok(server.port, timeout=STARTUP_SECONDS), server.log()[-4000:]
        waited = time.monotonic() - killed_at
        print(f"\nwith one worker, a request sent at the kill waited {waited:.3f} s")
        assert server.workers() != {worker}
        assert await server.stop() == 0, server.log()[-4000:]
        await server.no_process_left()


async def test_workers_that_cannot_start_end_the_server_with_a_failure(tmp_path: Path) -> None:
    # No such SQLAlchemy driver: every worker fails its start-up (creating the engine).
    env = environment(tmp_path, PORTAL_DATABASE_URL="sqlite+nosuchdriver:///nowhere.db")
    async with asyncio.timeout(120), serving(tmp_path, env, workers=1) as server:
        started = time.monotonic()
        status = await server.wait(90)
        print(f"\ngave up after {time.monotonic() - started:.1f} s with status {status}")
        assert status != 0
        assert "giving up" in server.log()
        await server.no_process_left()


# ---------------------------------------------------------------------------- the policy


def test_a_crash_is_replaced_at_once_and_a_crash_loop_backs_off_then_gives_up() -> None:
    policy = RestartPolicy(max_crashes=5, window=10.0, first_delay=0.5)
    crashes = [policy.crashed(t, lived=100.0) for t in (0.0, 0.1, 2.0, 4.0, 6.0)]
    assert crashes == [0.0, 0.5, 1.0, 2.0, None]


def test_crashes_far_apart_of_workers_that_served_are_each_replaced_at_once() -> None:
    policy = RestartPolicy(max_crashes=2, window=10.0)
    assert [policy.crashed(t, lived=t + 50) for t in (0.0, 10.5, 21.0, 31.6)] == [0.0] * 4


def test_a_slow_start_up_crash_loop_gives_up_too() -> None:
    policy = RestartPolicy(max_crashes=3, window=10.0)
    assert [policy.crashed(t, lived=9.0) for t in (0.0, 15.0, 30.0)] == [0.0, 0.5, None]


def test_several_workers_need_the_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTAL_AMQP_URL", raising=False)
    result = CliRunner().invoke(main, ["serve", "--workers", "2", "--bind", "127.0.0.1:1"])
    assert result.exit_code != 0
    assert "PORTAL_AMQP_URL" in result.output
