"""Saved jobs: each function owns its transaction; a user only ever reads or changes their
own saved jobs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import User
from portal.db import MAX_ID, begin_write, utcnow
from portal.domain_errors import NotFound
from portal.i18n import gettext as _
from portal.jobs.models import Job, JobStatus
from portal.saved.models import SavedJob


@dataclass(frozen=True)
class SavedEntry:
    """One saved job: the job, when it was saved, and whether it still takes applicants."""

    job: Job
    saved_at: datetime
    open: bool


@dataclass(frozen=True)
class Page:
    items: list[SavedEntry]
    total: int


def _valid_id(job_id: int) -> bool:
    return 0 < job_id <= MAX_ID


def _shown() -> ColumnElement[bool]:
    # A job taken back to draft is hidden from everyone but admins, saved or not; its row
    # stays, so it is back in the list if it is published again.
    return Job.status != JobStatus.DRAFT.value


async def save_job(session: AsyncSession, user: User, job_id: int) -> Job:
    """Keep a published or closed job for later (idempotent: saving it again changes
    nothing, not even when it was saved). A draft or unknown job is a 404."""
    await begin_write(session)
    # Share-locked (PostgreSQL): the job cannot be deleted between this check and the insert.
    job = (
        await session.get(Job, job_id, with_for_update={"read": True})
        if _valid_id(job_id)
        else None
    )
    if job is None or job.status == JobStatus.DRAFT.value:
        await session.rollback()
        raise NotFound(_("No such job."))
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # Two saves at once (a double click, two tabs) both succeed: the second does nothing.
    await session.execute(
        insert(SavedJob)
        .values(user_id=user.id, job_id=job.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "job_id"])
    )
    await session.commit()
    return job


async def unsave_job(session: AsyncSession, user: User, job_id: int) -> None:
    """Forget a saved job (idempotent: a job not saved, or not there at all, is fine)."""
    if not _valid_id(job_id):
        return
    await begin_write(session)
    await session.execute(
        delete(SavedJob).where(SavedJob.user_id == user.id, SavedJob.job_id == job_id)
    )
    await session.commit()


async def list_saved(session: AsyncSession, user: User, *, page: int, per_page: int) -> Page:
    """The user's saved jobs, newest saved first; closed and expired ones are marked."""
    mine = (
        select(SavedJob, Job)
        .join(Job, Job.id == SavedJob.job_id)
        .where(SavedJob.user_id == user.id, _shown())
    )
    total = await session.scalar(select(func.count()).select_from(mine.subquery()))
    rows = await session.execute(
        mine.order_by(SavedJob.created_at.desc(), SavedJob.job_id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    now = utcnow()
    items = [SavedEntry(job, saved.created_at, job.is_public(now)) for saved, job in rows.all()]
    return Page(items, int(total or 0))


async def is_saved(session: AsyncSession, user: User | None, job_id: int) -> bool:
    """Whether ``user`` (None: signed out, never) has saved the job."""
    if user is None or not _valid_id(job_id):
        return False
    found = await session.scalar(
        select(SavedJob.job_id).where(SavedJob.user_id == user.id, SavedJob.job_id == job_id)
    )
    return found is not None


async def saved_ids(session: AsyncSession, user: User | None, job_ids: Iterable[int]) -> set[int]:
    """Which of ``job_ids`` ``user`` has saved, in one query: for a page of cards."""
    wanted = sorted({job_id for job_id in job_ids if _valid_id(job_id)})
    if user is None or not wanted:
        return set()
    rows = await session.execute(
        select(SavedJob.job_id).where(SavedJob.user_id == user.id, SavedJob.job_id.in_(wanted))
    )
    return set(rows.scalars())
