"""The public job list on big catalogues: how its uncached cost grows with the number of jobs.

    .venv/bin/python bench/catalogue.py [--sizes 1000 10000 100000 1000000] [--repeat 30]

For each size, builds a throw-away SQLite database (or PostgreSQL with ``--postgres URL``,
whose tables are emptied first) of N jobs - 90% published over the last year, a third of them
with an expiry (some past), the rest drafts or closed - and times the list as the home page
and ``GET /api/v1/jobs`` read it on a cache miss (``service.list_public_summaries``): page 1,
page 50, a category, a location, remote only, a search. Prints the median milliseconds per
size and the growth from the smallest size to 100k (target: p50 at 100k <= 20 ms, growth <= 2x).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from search import CATEGORIES, EN, ZH, zipf_words
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from portal.db import make_engine, utcnow
from portal.jobs import search, service
from portal.jobs.models import Job
from portal.jobs.schemas import JobFilter
from portal.migrate import upgrade

CITIES = [*ZH[-6:], "Berlin", "London", "Remote", "Paris", "Austin", "Toronto"]
QUERIES: dict[str, Callable[[random.Random], JobFilter]] = {
    "home, page 1": lambda rng: JobFilter(),
    "home, page 50": lambda rng: JobFilter(page=50),
    "category": lambda rng: JobFilter(category=rng.choice(CATEGORIES)),
    "category, page 20": lambda rng: JobFilter(category=rng.choice(CATEGORIES), page=20),
    "location": lambda rng: JobFilter(location=rng.choice(CITIES)),
    "remote only": lambda rng: JobFilter(remote=True),
    "search, common word": lambda rng: JobFilter(q=rng.choice(EN[:10])),
}


INSERT_INDEX = text("INSERT INTO job_search (rowid, title, body) VALUES (:id, :title, :body)")


async def build(url: str, count: int, rng: random.Random) -> None:
    await upgrade(url)
    engine = make_engine(url)
    now = utcnow()
    async with AsyncSession(engine) as session:
        if engine.dialect.name == "postgresql":
            await session.execute(text("TRUNCATE jobs RESTART IDENTITY CASCADE"))
        jobs, index = [], []
        for i in range(1, count + 1):
            title = " ".join(zipf_words(rng, rng.randint(2, 5)))
            body = " ".join(zipf_words(rng, rng.randint(30, 80)))
            roll = rng.random()
            status = "published" if roll < 0.9 else ("draft" if roll < 0.95 else "closed")
            published = now - timedelta(minutes=rng.randint(0, 525_600))
            expires = (
                published + timedelta(days=rng.randint(1, 400)) if rng.random() < 0.33 else None
            )
            jobs.append(
                {
                    "id": i,
                    "slug": "",
                    "title": title,
                    "content": body,
                    "content_html": body,
                    "summary": body[:200],
                    "category": rng.choice(CATEGORIES),
                    "employment_type": "full_time",
                    "location": rng.choice(CITIES),
                    "remote": rng.random() < 0.2,
                    "status": status,
                    "published_at": published if status != "draft" else None,
                    "expires_at": expires,
                    "created_at": published,
                    "updated_at": published,
                }
            )
            index.append(
                {"id": i, "title": search.index_tokens(title), "body": search.index_tokens(body)}
            )
            if len(jobs) == 5000 or i == count:
                await session.execute(insert(Job), jobs)
                if engine.dialect.name == "sqlite":
                    await session.execute(INSERT_INDEX, index)
                jobs, index = [], []
        if engine.dialect.name == "postgresql":
            await session.execute(
                text(
                    "UPDATE jobs SET search_vector = to_tsvector('simple', title || ' ' || content)"
                )
            )
        await session.commit()
        await session.execute(text("ANALYZE"))
        await session.commit()
    await engine.dispose()


async def measure(url: str, repeat: int, rng: random.Random) -> dict[str, float]:
    engine = make_engine(url)
    medians = {}
    async with AsyncSession(engine) as session:
        for name, make in QUERIES.items():
            times = []
            for _ in range(repeat):
                filters = make(rng)
                start = time.perf_counter()
                await service.list_public_summaries(session, filters)  # no cache
                times.append((time.perf_counter() - start) * 1000)
                await session.rollback()
            medians[name] = statistics.median(times)
    await engine.dispose()
    return medians


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--postgres", help="a PostgreSQL URL to use instead of SQLite")
    args = parser.parse_args()
    results: dict[int, dict[str, float]] = {}
    for size in args.sizes:
        rng = random.Random(size)
        with tempfile.TemporaryDirectory(prefix="portal-catalogue-") as tmp:
            url = args.postgres or f"sqlite+aiosqlite:///{Path(tmp) / 'portal.db'}"
            started = time.perf_counter()
            await build(url, size, rng)
            built = time.perf_counter() - started
            results[size] = await measure(url, args.repeat, rng)
        print(f"{size:>9,} jobs built in {built:.1f} s", flush=True)
    sizes = list(results)
    base = sizes[0]
    head = "".join(f"{f'{size:,}':>11}" for size in sizes)
    print(f"\nmedian ms, uncached ({'PostgreSQL' if args.postgres else 'SQLite'})")
    print(f"{'query':<22}{head}  growth {base:,} -> {max(s for s in sizes if s <= 100_000):,}")
    for name in QUERIES:
        row = "".join(f"{results[size][name]:>11.2f}" for size in sizes)
        top = max(s for s in sizes if s <= 100_000)
        print(f"{name:<22}{row}  {results[top][name] / results[base][name]:>6.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
