"""Shared bits for benchmarks: free ports, a served portal, percentiles, and what a process
tree uses (RSS, CPU, run-queue wait) read from /proc."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORTAL = str(Path(sys.executable).parent / "portal")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def served(env: dict[str, str], workers: int) -> Iterator[str]:
    """``portal serve`` with the given environment; yields its base URL.

    The server's error log goes to a file, printed (its end) when the block fails.
    """
    port = free_port()
    errors = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in the finally below
        prefix="portal-bench-", suffix=".log", delete=False
    )
    process = subprocess.Popen(
        [
            PORTAL,
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--config",
            str(ROOT / "hypercorn.toml"),
        ],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,  # the access log: a line per request
        stderr=errors,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/_bench/bare")
        yield base
    except BaseException:
        errors.flush()
        print(Path(errors.name).read_text(errors="replace")[-5000:], file=sys.stderr)
        raise
    finally:
        process.terminate()
        process.wait(timeout=20)
        errors.close()
        Path(errors.name).unlink(missing_ok=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values)


# --------------------------------------------------------------------------- processes

CLK_TCK = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants, as they are now."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return pids


def pids_named(name: str) -> list[int]:
    """Every process whose command name (``/proc/<pid>/comm``) is ``name`` now."""
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError):
            if comm.read_text().strip() == name:
                found.append(int(comm.parent.name))
    return found


def rss_kb(pids: list[int]) -> int:
    """VmRSS summed over ``pids`` (the ones gone count nothing)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds (user + system) ``pids`` used so far."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLK_TCK


def runqueue_seconds(pids: list[int]) -> float:
    """Time the threads of ``pids`` spent ready to run but waiting for a core (schedstat)."""
    nanoseconds = 0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                nanoseconds += int((task / "schedstat").read_text().split()[1])
    return nanoseconds / 1e9


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy since boot (all cores, /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLK_TCK  # minus idle and iowait


def stop_all(processes: list[subprocess.Popen[bytes]], timeout: float = 20) -> None:
    """SIGTERM each (they shut down gracefully), SIGKILL what is still there after 20 s."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def portal_user(port: int, name: str = "fanout") -> tuple[str, int]:
    """Register a user through the API: its session cookie and id."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    body = {"username": name, "nickname": name, "password": f"{name}-bench-pw-1"}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/register",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{port}"},
    )
    with opener.open(request, timeout=30) as response:
        user = json.load(response)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, int(user["id"])
