"""Demo data for the embedded default: an admin and a user (the jobs issue adds jobs)."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import service
from portal.accounts.models import User
from portal.db import utcnow
from portal.demo_jobs import DEMO_JOBS
from portal.jobs import service as jobs
from portal.jobs.models import Job, JobStatus
from portal.jobs.schemas import JobData
from portal.recommend.models import Click

DEMO_USER_PASSWORD = "demo-user-2026"  # noqa: S105 - the demo user is public by design


@dataclass(frozen=True)
class DemoLogins:
    admin_login: str
    admin_password: str
    user_login: str
    user_password: str


def _admin_password(data_dir: Path) -> str:
    """Random per installation, kept beside the database so every start can print it."""
    path = data_dir / "demo-admin-password"
    if path.exists():
        return path.read_text().strip()
    password = "demo-" + secrets.token_urlsafe(9)
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(password)
    path.chmod(0o600)
    return password


async def load_demo_data(session: AsyncSession, data_dir: Path, region: str) -> DemoLogins:
    """Create the demo accounts once; later runs only report the logins."""
    logins = DemoLogins("admin", _admin_password(data_dir), "demo@example.com", DEMO_USER_PASSWORD)
    users = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    if users == 0:
        admin, _created = await service.ensure_admin(
            session,
            username="admin",
            password=logins.admin_password,
            email="admin@example.com",
            region=region,
        )
        await service.register_user(
            session,
            nickname="Demo User",
            password=DEMO_USER_PASSWORD,
            username="demo",
            email=logins.user_login,
            phone="+86 138 0013 8000",
            region=region,
        )
        await load_demo_jobs(session, admin)
        await load_demo_clicks(session, region)
    return logins


async def load_demo_clicks(session: AsyncSession, region: str) -> None:
    """A few people with tastes (by category), so "Recommended for you" has data to learn."""
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    published = (
        (await session.execute(select(Job).where(Job.status == JobStatus.PUBLISHED.value)))
        .scalars()
        .all()
    )
    by_category: dict[str, list[Job]] = {}
    for job in published:
        by_category.setdefault(job.category, []).append(job)
    tastes = [
        ["engineering", "data"],
        ["design", "product", "marketing"],
        ["healthcare", "education"],
        ["logistics", "manufacturing", "operations"],
    ]
    now = utcnow()
    for number in range(12):
        person = await service.register_user(
            session,
            nickname=f"Demo reader {number + 1}",
            password=secrets.token_urlsafe(16),
            username=f"reader{number + 1}",
            region=region,
        )
        liked = [
            job
            for category in tastes[number % len(tastes)]
            for job in by_category.get(category, [])
        ]
        for job in rng.sample(liked, min(len(liked), rng.randint(3, 6))):
            session.add(
                Click(
                    user_id=person.id,
                    job_id=job.id,
                    created_at=now - timedelta(hours=rng.randint(1, 240)),
                )
            )
    await session.commit()


async def load_demo_jobs(session: AsyncSession, admin: User) -> None:
    """Create the demo postings through the service, then date them as if posted over weeks."""
    now = utcnow()
    for entry in sorted(DEMO_JOBS, key=lambda e: -int(e["age_days"])):  # type: ignore[call-overload]
        fields = {k: v for k, v in entry.items() if k != "age_days"}
        job = await jobs.create_job(session, admin, JobData.model_validate(fields))
        if job.published_at is not None:
            age = timedelta(days=int(entry["age_days"]), hours=len(job.title) % 12)  # type: ignore[call-overload]
            job.published_at = job.created_at = job.updated_at = now - age
    await session.commit()
