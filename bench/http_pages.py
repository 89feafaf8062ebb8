"""Requests per second and p99 latency of Portal's pages against a bare route, with wrk.

    .venv/bin/python bench/http_pages.py [--seconds 10] [--connections 64] [--runs 3]
        [--workers 1 2] [--retries 3]

Both worker counts serve the demo data on one SQLite file; 2 workers use the local RabbitMQ
(PORTAL_AMQP_URL, default amqp://guest:guest@127.0.0.1:5672/). Prints, per worker count and
path, the median over runs of requests/s and p99, and the ratio to the bare route. The paths
are measured round robin. With 2 workers, a run in which one worker got (nearly) all of wrk's
connections is redone (``--retries``), for every path alike; the medians use the even runs
when there are any, and every run is printed with its split (the largest share is printed too:
the target is no worker above 60%).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

from common import PORTAL, median, served

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def connection_split(port: int) -> list[int]:
    """Established connections to ``port`` per server process, largest first (needs ss)."""
    out = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return sorted(Counter(re.findall(r"pid=(\d+)", out)).values(), reverse=True)


def wrk(url: str, seconds: int, connections: int) -> tuple[float, float, list[int]]:
    """Requests/s, p99 (ms) and how the connections were spread over the workers."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        time.sleep(seconds / 2)
        split = connection_split(int(url.split(":")[2].split("/")[0]))
        out = process.communicate()[0]
    if process.returncode:
        raise RuntimeError(f"wrk failed on {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    if "Non-2xx" in out:
        raise RuntimeError(f"non-2xx answers from {url}:\n{out}")
    return rps, float(value) * UNITS[unit], split


def balanced(split: list[int], workers: int, connections: int) -> bool:
    # Where the workers share one listening socket, an asyncio worker accepts a whole burst at
    # once, so which worker gets wrk's 64 connections is luck: sometimes one worker holds them
    # all and the other idles. Such a run measures one worker. (portal serve gives each worker
    # sockets of its own where the platform has SO_REUSEPORT: the kernel spreads them.)
    return len(split) == workers and split[-1] >= connections / workers / 2


def prepare(data_dir: Path) -> None:
    """Schema and demo data: 28 published jobs, so / shows a full page of 20."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from portal.config import Settings
    from portal.db import make_engine
    from portal.demo import load_demo_data
    from portal.migrate import upgrade

    settings = Settings(data_dir=data_dir)

    async def run() -> None:
        await upgrade(settings.resolved_database_url)
        engine = make_engine(settings.resolved_database_url)
        async with AsyncSession(engine, expire_on_commit=False) as session:
            await load_demo_data(session, data_dir, "CN")
        await engine.dispose()

    asyncio.run(run())


def first_job_path(base: str) -> str:
    with urllib.request.urlopen(base + "/api/v1/jobs?per_page=1") as response:  # noqa: S310
        return json.load(response)["items"][0]["url"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--retries",
        type=int,
        default=3,
        help="times a run is redone when one worker got (nearly) all connections",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    data_dir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    prepare(data_dir)
    amqp = os.environ.get("PORTAL_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    print(f"portal at {PORTAL}; wrk {args.connections} connections, {args.seconds}s x {args.runs}")
    print(f"{'workers':>7} {'path':<48} {'req/s':>9} {'p99 ms':>8} {'vs bare':>8}")
    for workers in args.workers:
        env = {
            "PORTAL_DATA_DIR": str(data_dir),
            "PORTAL_BENCH_ROUTES": "1",
            "PORTAL_ENV": "development",
        }
        if workers > 1:
            # A prefix of our own: another run's job events would empty our caches.
            env |= {"PORTAL_AMQP_URL": amqp, "PORTAL_AMQP_PREFIX": f"bench-http-{os.getpid()}"}
        with served(env, workers) as base:
            paths = ["/_bench/bare", "/", first_job_path(base), "/api/v1/jobs"]
            # Round robin over the paths: on a shared machine the background load drifts
            # over minutes, and each path should see the same drift as the bare route.
            runs: dict[str, list[tuple[float, float, list[int]]]] = {path: [] for path in paths}
            retried: Counter[str] = Counter()
            for _ in range(args.runs):
                for path in paths:
                    for attempt in range(args.retries + 1):
                        run = wrk(base + path, args.seconds, args.connections)
                        if balanced(run[2], workers, args.connections) or attempt == args.retries:
                            break
                        retried[path] += 1
                    runs[path].append(run)
            results = {}
            for path, found in runs.items():
                # Medians over the runs with both workers serving, when there are any.
                even = [r for r in found if balanced(r[2], workers, args.connections)] or found
                results[path] = (median([r[0] for r in even]), median([r[1] for r in even]))
            bare = results["/_bench/bare"][0]
            for path, (rps, p99) in results.items():
                each = " ".join(f"{r[0]:.0f}@{'/'.join(map(str, r[2]))}" for r in runs[path])
                print(
                    f"{workers:>7} {path:<48} {rps:>9.0f} {p99:>8.1f} {rps / bare:>7.0%}"
                    f"  runs (req/s@split) {each}; lopsided runs redone: {retried[path]}"
                )
            if workers > 1:
                shares = [
                    max(r[2], default=0) / max(1, sum(r[2]))
                    for found in runs.values()
                    for r in found
                ]
                print(
                    f"{'':>7} largest worker share of connections, over all runs: {max(shares):.0%}"
                )
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
