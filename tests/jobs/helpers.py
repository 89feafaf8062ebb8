"""Helpers shared by the jobs tests: direct database access and response checks."""

from __future__ import annotations

from typing import Any

from quart import Quart
from quart.wrappers import Response
from sqlalchemy import select, update

from portal.db import get_db
from portal.events.models import Event
from portal.jobs.models import Job, JobAudit

JOB_DEFAULTS: dict[str, Any] = {
    "title": "Python developer",
    "content": "We build **useful** things with Python.",
    "category": "engineering",
    "employment_type": "full_time",
    "location": "Berlin",
    "status": "published",
    "apply_url": "https://example.com/apply",
}


async def set_job_columns(app: Quart, job_id: int, **columns: Any) -> None:
    """Change a job's row behind the service's back (e.g. let it expire)."""
    async with get_db(app).session_scope() as session:
        await session.execute(update(Job).where(Job.id == job_id).values(**columns))
        await session.commit()


async def load_job(app: Quart, job_id: int) -> Job | None:
    async with get_db(app).session_scope() as session:
        return await session.get(Job, job_id)


async def events_of(app: Quart, channel: str = "jobs") -> list[Event]:
    async with get_db(app).session_scope() as session:
        rows = await session.execute(
            select(Event).where(Event.channel == channel).order_by(Event.id)
        )
        return list(rows.scalars())


async def audit_of(app: Quart, job_id: int | None = None) -> list[JobAudit]:
    async with get_db(app).session_scope() as session:
        query = select(JobAudit).order_by(JobAudit.id)
        if job_id is not None:
            query = query.where(JobAudit.job_id == job_id)
        return list((await session.execute(query)).scalars())


async def error_of(response: Response, status: int) -> dict[str, Any]:
    """The error object of an API error envelope, checking status and shape on the way."""
    body = await response.get_json()
    assert response.status_code == status, (response.status_code, body)
    assert body is not None
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    return body["error"]
