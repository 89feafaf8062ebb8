"""Applying with a file against the home page, in one run: requests/s and p99 of
``POST /api/v1/jobs/<id>/applications`` with a 1 MiB PDF at 32 concurrent clients, and of
``GET /`` at the same concurrency, on one ``portal serve`` worker (SQLite, demo data).

    .venv/bin/python bench/apply.py [--seconds 10] [--clients 32] [--runs 3] [--jobs 400]

Each client is its own user (a bearer token) and applies to one job after another, so every
request is a real, accepted application (201): the résumé is read, sniffed, fsynced and
recorded with its event. The two loads alternate run by run, so both see the same drift of a
shared machine; medians over the runs are printed with their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from common import median, percentile, served
from http_pages import prepare

from portal.demo import demo_pdf

MIB = 1024 * 1024


def one_mib_pdf() -> bytes:
    """A valid PDF padded with a comment to 1 MiB (the padding sits before its trailer)."""
    small = demo_pdf("Bench - CV")
    head, tail = small.split(b"xref\n", 1)
    padding = b"%" + b"x" * (MIB - len(small) - 2) + b"\n"
    # The xref offsets stay right: the comment goes after the last object, before the table.
    offset = len(head) + len(padding)
    tail = tail.replace(b"startxref\n%d" % len(head), b"startxref\n%d" % offset)
    return head + padding + b"xref\n" + tail


def setup(data_dir: Path, clients: int, jobs: int) -> tuple[list[str], list[int]]:
    """Users with tokens, and published jobs taking applications on Portal."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from portal.accounts import service as accounts
    from portal.accounts.models import Role
    from portal.config import Settings
    from portal.db import make_engine
    from portal.jobs import service as job_service
    from portal.jobs.schemas import JobData

    settings = Settings(data_dir=data_dir)

    async def run() -> tuple[list[str], list[int]]:
        engine = make_engine(settings.resolved_database_url)
        tokens, ids = [], []
        async with AsyncSession(engine, expire_on_commit=False) as session:
            author = await accounts.register_user(
                session,
                nickname="Bench admin",
                password="bench-admin-pass-1",  # noqa: S106 - a throw-away bench database
                username="benchboss",
                role=Role.ADMIN,
                region="CN",
            )
            for number in range(jobs):
                data = JobData.model_validate(
                    {
                        "title": f"Bench job {number}",
                        "content": "Apply here.",
                        "category": "engineering",
                        "status": "published",
                    }
                )
                ids.append((await job_service.create_job(session, author, data)).id)
            for number in range(clients):
                user = await accounts.register_user(
                    session,
                    nickname=f"Applicant {number}",
                    password="bench-user-pass-1",  # noqa: S106
                    username=f"applicant{number}",
                    region="CN",
                )
                _token, raw = await accounts.create_token(
                    session, user, name="bench", expires_in_days=None
                )
                tokens.append(raw)
        await engine.dispose()
        return tokens, ids

    return asyncio.run(run())


async def load(
    base: str,
    seconds: float,
    clients: int,
    request_for: callable,  # type: ignore[valid-type]
) -> tuple[float, float, Counter[int]]:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    deadline = time.perf_counter() + seconds

    async def client(index: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await request_for(http, index)
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[response.status_code] += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, percentile(latencies, 99), statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=400)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="portal-bench-apply-"))
    prepare(data_dir)
    tokens, job_ids = setup(data_dir, args.clients, args.jobs)
    pdf = one_mib_pdf()
    assert abs(len(pdf) - MIB) < 64 and pdf.startswith(b"%PDF-")
    next_job = [0] * args.clients

    async def apply(http: httpx.AsyncClient, index: int) -> httpx.Response:
        job_id = job_ids[next_job[index] % len(job_ids)]
        next_job[index] += 1
        return await http.post(
            f"/api/v1/jobs/{job_id}/applications",
            headers={"Authorization": f"Bearer {tokens[index]}"},
            data={"cover_letter": "Hello from the benchmark."},
            files={"resume": ("cv.pdf", pdf, "application/pdf")},
        )

    async def home(http: httpx.AsyncClient, index: int) -> httpx.Response:
        return await http.get("/")

    env = {
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_BENCH_ROUTES": "1",
        "PORTAL_ENV": "development",
    }
    results: dict[str, list[tuple[float, float]]] = {
        "POST applications (1 MiB PDF)": [],
        "GET /": [],
    }
    statuses: dict[str, Counter[int]] = {name: Counter() for name in results}
    print(
        f"{args.clients} clients, {args.seconds:g}s x {args.runs} runs, 1 worker, pid {os.getpid()}"
    )
    with served(env, 1) as base:
        for _ in range(args.runs):
            for name, request_for in zip(results, (apply, home), strict=True):
                rps, p99, seen = asyncio.run(load(base, args.seconds, args.clients, request_for))
                results[name].append((rps, p99))
                statuses[name] += seen
                print(f"  run {name:<32} {rps:8.1f} req/s  p99 {p99:8.1f} ms  {dict(seen)}")
    print(f"{'load':<32} {'req/s':>9} {'p99 ms':>9}   statuses")
    medians = {}
    for name, runs in results.items():
        medians[name] = median([r for r, _ in runs])
        p99 = median([p for _, p in runs])
        print(f"{name:<32} {medians[name]:9.1f} {p99:9.1f}   {dict(statuses[name])}")
    names = list(results)
    print(f"applying / home page: {medians[names[0]] / medians[names[1]]:.2f}")
    print(f"résumé bytes accepted per second (median): {medians[names[0]]:.1f} MiB/s")


if __name__ == "__main__":
    main()
