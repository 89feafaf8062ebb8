"""Job services: each function owns its transaction, writes the audit log and the events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import User
from portal.companies.models import Company
from portal.db import MAX_ID, begin_write, utcnow
from portal.domain_errors import Invalid, NotFound
from portal.events import channels, hooks
from portal.events.log import append_event
from portal.events.replay import last_event_id
from portal.i18n import gettext as _
from portal.jobs import search
from portal.jobs.cache import CachedList, JobListCache
from portal.jobs.markdown import render_markdown, summarize
from portal.jobs.models import Job, JobAudit, JobStatus
from portal.jobs.rules import JobFieldsError, check_job, sets_expiry, slugify
from portal.jobs.schemas import AdminJobFilter, JobData, JobFilter, JobSummary

EDITABLE = (
    "title",
    "content",
    "category",
    "employment_type",
    "location",
    "remote",
    "salary_min",
    "salary_max",
    "salary_currency",
    "salary_period",
    "company_id",
    "apply_url",
    "apply_email",
    "status",
    "expires_at",
)
SEARCHED = frozenset({"title", "content", "location", "company_id"})
AUDIT_TEXT_LIMIT = 2000


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    return value


def _snapshot(job: Job) -> dict[str, Any]:
    return {name: getattr(job, name) for name in EDITABLE}


def _audit_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and len(value) > AUDIT_TEXT_LIMIT:
        return value[:AUDIT_TEXT_LIMIT] + "…"
    return value


async def _index(session: AsyncSession, job: Job) -> None:
    # The company's name and the location are searchable too ("云帆科技", "上海", "Berlin"),
    # with the body's weight.
    company = job.company.name if job.company is not None else ""
    await search.index_job(session, job.id, job.title, f"{company}\n{job.location}\n{job.content}")


async def _company(session: AsyncSession, company_id: int | None) -> Company | None:
    """The company a job is to belong to, share-locked so it is not deleted or renamed
    meanwhile (a job is locked before its company, the order company changes lock in)."""
    if company_id is None:
        return None
    if not 0 < company_id <= MAX_ID:
        raise JobFieldsError({"company_id": _("No such company.")})
    company = await session.get(Company, company_id, with_for_update={"read": True})
    if company is None:
        raise JobFieldsError({"company_id": _("No such company.")})
    return company


async def _validated(
    session: AsyncSession,
    fields: dict[str, Any],
    now: datetime,
    *,
    expiry_changed: bool,
    company_changed: bool,
) -> tuple[dict[str, Any], Company | None]:
    """The checked fields and, when it changes, the job's company; every field's error at
    once (422)."""
    errors: dict[str, str] = {}
    company = None
    try:
        if company_changed:
            company = await _company(session, fields.get("company_id"))
    except JobFieldsError as error:
        errors.update(error.fields)
    try:
        checked = check_job(fields, now, expiry_changed=expiry_changed)
    except JobFieldsError as error:
        errors = {**error.fields, **errors}
    if errors:
        raise Invalid(errors)
    return checked, company


def _apply(job: Job, fields: dict[str, Any], now: datetime, company: Company | None) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    if "company_id" in fields:
        job.company = company  # the relationship too, so summaries show the new company
    if "title" in fields:
        job.slug = slugify(job.title)
    if "content" in fields:
        job.content_html = render_markdown(job.content)
        job.summary = summarize(job.content_html)
    if job.status == JobStatus.PUBLISHED.value and job.published_at is None:
        job.published_at = now
    job.updated_at = now


async def _audit(
    session: AsyncSession, job: Job, actor: User, action: str, changes: dict[str, Any]
) -> None:
    session.add(
        JobAudit(
            job_id=job.id,
            job_title=job.title,
            actor_id=actor.id,
            actor_name=actor.nickname,
            action=action,
            changes=changes,
        )
    )


async def _public_event(
    session: AsyncSession, job: Job, was_public: bool, now: datetime, deleted: bool = False
) -> None:
    """Tell the public ``jobs`` channel what changed; drafts never reach it."""
    is_public = not deleted and job.is_public(now)
    if deleted or (was_public and job.status == JobStatus.DRAFT.value):
        if was_public:
            await append_event(
                session, channel=channels.JOBS, type="job.deleted", data={"id": job.id}
            )
        return
    summary = JobSummary.of(job).model_dump(mode="json")
    if is_public and not was_public:
        await append_event(session, channel=channels.JOBS, type="job.created", data=summary)
        # Once per newly visible job, in the same transaction: alerts are matched then, and a
        # user offline now finds the notification in the inbox later.
        await hooks.emit(session, hooks.JOB_PUBLISHED, job=job, url=summary["url"])
    elif was_public:
        await append_event(session, channel=channels.JOBS, type="job.updated", data=summary)


async def create_job(session: AsyncSession, actor: User, data: JobData) -> Job:
    await begin_write(session)
    now = utcnow()
    fields, company = await _validated(
        session,
        {k: _plain(v) for k, v in data.model_dump().items()},
        now,
        expiry_changed=True,
        company_changed=True,
    )
    job = Job(created_by_id=actor.id, updated_by_id=actor.id, created_at=now)
    _apply(job, fields, now, company)
    session.add(job)
    await session.flush()
    await _index(session, job)
    await _audit(
        session,
        job,
        actor,
        "create",
        {k: [None, _audit_value(v)] for k, v in fields.items() if v not in (None, "")},
    )
    await _public_event(session, job, False, now)
    await session.commit()
    return job


def _action_for(before: dict[str, Any], after: dict[str, Any]) -> str:
    if before["status"] != after["status"]:
        return {
            JobStatus.PUBLISHED.value: "publish",
            JobStatus.CLOSED.value: "close",
            JobStatus.DRAFT.value: "unpublish",
        }[after["status"]]
    return "edit"


async def _locked_job(session: AsyncSession, job_id: int) -> Job:
    # Larger ids than the column holds would make the driver fail (a 500), not find nothing.
    job = await session.get(Job, job_id, with_for_update=True) if 0 < job_id <= MAX_ID else None
    if job is None:
        raise NotFound(_("No such job."))
    return job


async def update_job(
    session: AsyncSession, actor: User, job_id: int, changes: dict[str, Any]
) -> Job:
    await begin_write(session)
    job = await _locked_job(session, job_id)
    now = utcnow()
    before = _snapshot(job)
    was_public = job.is_public(now)
    merged = {**before, **{k: _plain(v) for k, v in changes.items()}}
    fields, company = await _validated(
        session,
        merged,
        now,
        expiry_changed=sets_expiry(before, merged),
        company_changed=merged["company_id"] != before["company_id"],
    )
    diff = {k: v for k, v in fields.items() if v != before[k]}
    if not diff:
        return job
    _apply(job, diff, now, company)
    job.updated_by_id = actor.id
    if diff.keys() & SEARCHED:
        await _index(session, job)
    await _audit(
        session,
        job,
        actor,
        _action_for(before, fields),
        {k: [_audit_value(before[k]), _audit_value(v)] for k, v in diff.items()},
    )
    await _public_event(session, job, was_public, now)
    await session.commit()
    return job


async def delete_job(session: AsyncSession, actor: User, job_id: int) -> None:
    await begin_write(session)
    job = await _locked_job(session, job_id)
    now = utcnow()
    was_public = job.is_public(now)
    await _audit(session, job, actor, "delete", {"status": [job.status, None]})
    await search.unindex_job(session, job.id)
    await session.delete(job)
    await _public_event(session, job, was_public, now, deleted=True)
    await session.commit()


# ------------------------------------------------------------------------------ companies


async def lock_jobs_of_company(session: AsyncSession, company_id: int) -> list[Job]:
    """Lock a company's jobs before the company itself (the order a job edit locks in): a
    job edited meanwhile is re-indexed by whichever commits last, with the name it sees."""
    query = select(Job).where(Job.company_id == company_id).order_by(Job.id).with_for_update()
    return list((await session.execute(query)).scalars())


async def company_changed(
    session: AsyncSession, company_id: int, *, renamed: bool, shown: bool
) -> None:
    """After a company changed (in this transaction, its row locked): re-index its jobs when
    its name changed (it is searchable), and when what its jobs show of it changed (name,
    logo; the website on job pages) send its public jobs' ``job.updated``, which refreshes
    every process's list and page caches and every open page."""
    if not (renamed or shown):
        return
    await session.flush()
    now = utcnow()
    for job in await lock_jobs_of_company(session, company_id):
        if renamed:
            await _index(session, job)
        if shown and job.is_public(now):
            await _public_event(session, job, True, now)


async def detach_company(session: AsyncSession, actor: User, company_id: int) -> None:
    """Before a company is deleted (its row locked): its jobs go on without one, each change
    audited, re-indexed without the name and told to the jobs channel."""
    now = utcnow()
    for job in await lock_jobs_of_company(session, company_id):
        was_public = job.is_public(now)
        job.company = None
        job.company_id = None
        job.updated_at = now
        job.updated_by_id = actor.id
        await _index(session, job)
        await _audit(session, job, actor, "edit", {"company_id": [company_id, None]})
        await _public_event(session, job, was_public, now)


async def get_job(session: AsyncSession, job_id: int, *, include_hidden: bool) -> Job:
    """A job by id; drafts are only found for admins (``include_hidden``)."""
    job = await session.get(Job, job_id) if 0 < job_id <= MAX_ID else None
    if job is None or not job.is_readable(include_hidden=include_hidden):
        raise NotFound(_("No such job."))
    return job


# ------------------------------------------------------------------------------- listing


def _public(query: Select[Any], now: datetime) -> Select[Any]:
    return query.where(
        Job.status == JobStatus.PUBLISHED.value,
        or_(Job.expires_at.is_(None), Job.expires_at > now),
    )


def _like(value: str) -> str:
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(query: Select[Any], filters: JobFilter) -> Select[Any]:
    if filters.category:
        query = query.where(Job.category == filters.category.value)
    if filters.type:
        query = query.where(Job.employment_type == filters.type.value)
    if filters.remote is not None:
        query = query.where(Job.remote.is_(filters.remote))
    if filters.company_id is not None:
        query = query.where(Job.company_id == filters.company_id)
    if filters.location.strip():
        query = query.where(
            func.lower(Job.location).like(_like(filters.location.strip()), escape="\\")
        )
    if isinstance(filters, AdminJobFilter) and filters.status:
        query = query.where(Job.status == filters.status.value)
    return query


@dataclass(frozen=True)
class Page:
    items: list[Job]
    total: int
    # True when there are more than ``total`` matches: they are counted only so far.
    total_capped: bool = False


# Counting every match is what made a big catalogue slow: each one is a row to look at, 135 ms
# at 100k jobs on SQLite, on every cache miss of every list. Lists count this many deep (past
# the page asked for, when that is deeper) and say "1,000+", as job boards do.
COUNT_LIMIT = 1000


# A search ranks (bm25 / ts_rank) only the newest matches this many deep: scoring every match
# of a common word costs hundreds of milliseconds at 100k jobs, and on a job board the
# freshest matches are the ones worth ranking. ``total`` is capped here too.
SEARCH_WINDOW = 300
_FTS = table("job_search", column("rowid", Integer))


def _candidates(query: Select[Any], terms: list[search.Term], dialect: str) -> Any:
    """The newest SEARCH_WINDOW matching rows of ``query``, with a rank (lower is better)."""
    if dialect == "postgresql":
        tsq = func.to_tsquery("simple", search.tsquery(terms))
        vector: ColumnElement[Any] = literal_column("jobs.search_vector")
        return (
            query.with_only_columns(
                Job.id.label("job_id"),
                (-func.ts_rank_cd(vector, tsq)).label("rank"),
                Job.published_at.label("published_at"),
            )
            .where(vector.op("@@")(tsq))
            .order_by(Job.id.desc())
            .limit(SEARCH_WINDOW)
            .subquery("hits")
        )
    # FTS5 walks its index newest rowid first and stops at the window; bm25 is computed for
    # the rows returned only.
    match, needle = search.fts5_match(terms)
    query = query.join(_FTS, _FTS.c.rowid == Job.id).where(
        text("job_search MATCH :match").bindparams(match=match)
    )
    if needle is not None:
        # The stored text is the space-separated tokens the index was built from.
        query = query.where(
            text(
                "instr(' ' || job_search.title || ' ' || job_search.body, :needle) > 0"
            ).bindparams(needle=" " + needle)
        )
    return (
        query.with_only_columns(
            Job.id.label("job_id"),
            literal_column("bm25(job_search, 10.0, 1.0)").label("rank"),
            Job.published_at.label("published_at"),
        )
        .order_by(_FTS.c.rowid.desc())
        .limit(SEARCH_WINDOW)
        .subquery("hits")
    )


async def _search_page(session: AsyncSession, query: Select[Any], filters: JobFilter) -> Page:
    terms = search.query_terms(filters.q)
    offset = (filters.page - 1) * filters.per_page
    if not terms:
        if filters.q.strip():
            return Page([], 0)  # only punctuation: nothing can match
        limit = max(COUNT_LIMIT, offset + filters.per_page)
        counted = query.with_only_columns(Job.id).limit(limit + 1).subquery()
        total = int(await session.scalar(select(func.count()).select_from(counted)) or 0)
        rows = await session.execute(
            query.order_by(Job.published_at.desc(), Job.id.desc())
            .offset(offset)
            .limit(filters.per_page)
        )
        return Page(list(rows.scalars()), min(total, limit), total_capped=total > limit)
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    hits = _candidates(query, terms, dialect)
    # One round trip: the (at most SEARCH_WINDOW) candidates are counted, ordered and paged
    # in the database, and only the page's jobs come back; no timestamps are parsed for the
    # rows that are not shown.
    page = (
        select(
            hits.c.job_id,
            hits.c.rank,
            hits.c.published_at,
            func.count().over().label("total"),
        )
        .order_by(hits.c.rank, hits.c.published_at.desc().nulls_last(), hits.c.job_id.desc())
        .offset(offset)
        .limit(filters.per_page)
        .subquery("page")
    )
    rows = (
        await session.execute(
            select(Job, page.c.total)
            .join(page, page.c.job_id == Job.id)
            .order_by(page.c.rank, page.c.published_at.desc().nulls_last(), page.c.job_id.desc())
        )
    ).all()
    if rows:
        total = int(rows[0][1])
        return Page([row[0] for row in rows], total, total_capped=total >= SEARCH_WINDOW)
    if offset == 0:
        return Page([], 0)
    # Past the last page the window count has no row to ride on: count the candidates.
    total = int(await session.scalar(select(func.count()).select_from(hits)) or 0)
    return Page([], total, total_capped=total >= SEARCH_WINDOW)


async def list_public_jobs(session: AsyncSession, filters: JobFilter) -> Page:
    return await _search_page(session, _filtered(_public(select(Job), utcnow()), filters), filters)


async def list_public_summaries(
    session: AsyncSession, filters: JobFilter, cache: JobListCache | None = None
) -> CachedList:
    """The public list as summaries, with the event id it reflects; cached per process."""
    if cache is None:
        return await _read_summaries(session, filters)
    key = filters.model_dump_json()
    cached = cache.get(key)
    if cached is not None:
        return cached

    async def read_and_keep() -> CachedList:
        result = await _read_summaries(session, filters)
        expiries = [job.expires_at for job in result.items if job.expires_at is not None]
        max_age = (min(expiries) - utcnow()).total_seconds() if expiries else None
        cache.put(key, result, max_age=max_age)
        return result

    return await cache.shared(("list", key), read_and_keep)


async def _read_summaries(session: AsyncSession, filters: JobFilter) -> CachedList:
    since = await last_event_id(session, channels.JOBS)  # read first: nothing after is missed
    page = await list_public_jobs(session, filters)
    return CachedList(
        [JobSummary.of(job) for job in page.items], page.total, since, page.total_capped
    )


async def list_admin_jobs(session: AsyncSession, filters: AdminJobFilter) -> Page:
    return await _search_page(session, _filtered(select(Job), filters), filters)


async def list_audit(session: AsyncSession, *, job_id: int | None, limit: int) -> list[JobAudit]:
    query = select(JobAudit).order_by(JobAudit.id.desc()).limit(limit)
    if job_id is not None and not 0 < job_id <= MAX_ID:
        return []
    if job_id is not None:
        query = query.where(JobAudit.job_id == job_id)
    return list((await session.execute(query)).scalars())


async def job_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Job.status, func.count()).group_by(Job.status))
    counts = {status.value: 0 for status in JobStatus}
    counts.update({status: int(n) for status, n in rows.all()})
    return counts
