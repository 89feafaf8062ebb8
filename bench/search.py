"""Search latency on many generated jobs (SQLite FTS5 with CJK bigrams).

    .venv/bin/python bench/search.py [--jobs 100000] [--queries 300]

Builds a throw-away database with N published jobs whose titles and bodies mix English and
Chinese words with a long-tailed vocabulary, then times ``GET /api/v1/jobs?q=`` as the service
runs it (no cache), per kind of query. Prints p50 and p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

from common import percentile
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from portal.db import make_engine, utcnow
from portal.jobs import search, service
from portal.jobs.models import Job
from portal.jobs.schemas import JobFilter
from portal.migrate import upgrade

EN = [
    "python",
    "java",
    "golang",
    "rust",
    "typescript",
    "react",
    "vue",
    "django",
    "flask",
    "fastapi",
    "kubernetes",
    "docker",
    "aws",
    "sql",
    "postgresql",
    "redis",
    "kafka",
    "spark",
    "airflow",
    "data",
    "analyst",
    "engineer",
    "senior",
    "junior",
    "backend",
    "frontend",
    "fullstack",
    "designer",
    "product",
    "manager",
    "marketing",
    "sales",
    "support",
    "nurse",
    "teacher",
    "driver",
    "warehouse",
    "logistics",
    "finance",
    "accountant",
    "recruiter",
    "operations",
    "remote",
    "hybrid",
    "contract",
    "intern",
    "machine",
    "learning",
    "ai",
    "security",
    "devops",
    "cloud",
    "mobile",
    "ios",
    "android",
    "testing",
    "qa",
    "writer",
    "editor",
]
ZH = [
    "工程师",
    "数据",
    "分析师",
    "产品",
    "经理",
    "设计师",
    "运营",
    "销售",
    "客服",
    "护士",
    "教师",
    "司机",
    "仓储",
    "物流",
    "财务",
    "会计",
    "招聘",
    "前端",
    "后端",
    "算法",
    "测试",
    "运维",
    "安全",
    "移动",
    "开发",
    "高级",
    "初级",
    "实习",
    "远程",
    "上海",
    "北京",
    "深圳",
    "杭州",
    "广州",
    "成都",
]
WORDS = EN + ZH
CATEGORIES = ["engineering", "data", "design", "product", "marketing", "sales", "operations"]


def zipf_words(rng: random.Random, n: int) -> list[str]:
    # Long tail: a few words are everywhere, most are rare.
    return [
        WORDS[min(len(WORDS) - 1, int(rng.paretovariate(1.1)) - 1)]
        if rng.random() < 0.6
        else rng.choice(WORDS)
        for _ in range(n)
    ]


async def build(url: str, count: int, rng: random.Random) -> None:
    await upgrade(url)
    engine = make_engine(url)
    now = utcnow()
    async with AsyncSession(engine) as session:
        batch_jobs, batch_fts = [], []
        for i in range(1, count + 1):
            title = " ".join(zipf_words(rng, rng.randint(2, 5)))
            body = " ".join(zipf_words(rng, rng.randint(40, 120)))
            batch_jobs.append(
                {
                    "id": i,
                    "slug": "",
                    "title": title,
                    "content": body,
                    "content_html": body,
                    "summary": body[:200],
                    "category": rng.choice(CATEGORIES),
                    "employment_type": "full_time",
                    "location": rng.choice(ZH[-6:]),
                    "remote": False,
                    "status": "published",
                    "published_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            batch_fts.append(
                {"id": i, "title": search.index_tokens(title), "body": search.index_tokens(body)}
            )
            if len(batch_jobs) == 5000 or i == count:
                await session.execute(insert(Job), batch_jobs)
                await session.execute(
                    text("INSERT INTO job_search (rowid, title, body) VALUES (:id, :title, :body)"),
                    batch_fts,
                )
                batch_jobs, batch_fts = [], []
        await session.commit()
    await engine.dispose()


async def measure(url: str, queries: int, rng: random.Random) -> None:
    engine = make_engine(url)
    kinds = {
        "one common word": lambda: rng.choice(EN[:10]),
        "one rare word": lambda: rng.choice(EN[-15:]),
        "two words": lambda: f"{rng.choice(EN)} {rng.choice(EN)}",
        "prefix (last word)": lambda: rng.choice(EN)[:4],
        "Chinese 2 chars": lambda: rng.choice([w for w in ZH if len(w) == 2]),
        "Chinese 3 chars": lambda: rng.choice([w for w in ZH if len(w) == 3]),
        "hostile syntax": lambda: rng.choice(['"foo* OR (', "NEAR(a b", "python AND -", "*"]),
    }
    print(f"{'query kind':<22} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    async with AsyncSession(engine) as session:
        for name, make in kinds.items():
            times = []
            for _ in range(queries):
                filters = JobFilter(q=make())
                start = time.perf_counter()
                await service.list_public_summaries(session, filters)  # no cache
                times.append((time.perf_counter() - start) * 1000)
            print(
                f"{name:<22} {percentile(times, 50):>8.2f} {percentile(times, 99):>8.2f}"
                f" {max(times):>8.2f}"
            )
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(7)
    path = Path(tempfile.mkdtemp(prefix="portal-search-")) / "portal.db"
    url = f"sqlite+aiosqlite:///{path}"
    start = time.perf_counter()
    asyncio.run(build(url, args.jobs, rng))
    print(f"built {args.jobs} jobs in {time.perf_counter() - start:.1f}s ({path})")
    asyncio.run(measure(url, args.queries, rng))


if __name__ == "__main__":
    main()
