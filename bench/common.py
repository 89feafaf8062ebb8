"""Shared bits for benchmarks: free ports, a served portal, percentiles."""

from __future__ import annotations

import os
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
