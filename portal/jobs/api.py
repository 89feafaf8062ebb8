"""JSON API of jobs: /api/v1/jobs and the admin audit log."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from quart import Blueprint
from quart_schema import (
    document_response,
    security_scheme,
    validate_querystring,
    validate_request,
    validate_response,
)

from portal.accounts.auth import load_principal, require_admin
from portal.db import get_session
from portal.errors import ErrorEnvelope
from portal.jobs import service
from portal.jobs.cache import get_cache
from portal.jobs.markdown import render_markdown
from portal.jobs.schemas import (
    AuditEntry,
    AuditFilter,
    AuditList,
    JobData,
    JobFilter,
    JobList,
    JobPatch,
    JobPublic,
)
from portal.media.service import public_videos_of_job

blueprint = Blueprint("jobs_api", __name__, url_prefix="/api/v1")


class PreviewData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(max_length=20_000)


class PreviewHtml(BaseModel):
    html: str


@blueprint.get("/jobs")
@security_scheme([])  # public: no credentials needed
@validate_querystring(JobFilter)
@validate_response(JobList)
@document_response(ErrorEnvelope, 422)
async def get_jobs(query_args: JobFilter) -> JobList:
    """Published jobs, newest first (best match first with ``q``)."""
    listing = await service.list_public_summaries(get_session(), query_args, get_cache())
    return JobList(
        items=listing.items,
        total=listing.total,
        total_capped=listing.total_capped,
        page=query_args.page,
        per_page=query_args.per_page,
    )


@blueprint.get("/jobs/<int:job_id>")
@security_scheme([])  # public (drafts only for admins)
@validate_response(JobPublic)
@document_response(ErrorEnvelope, 404)
async def get_job(job_id: int) -> JobPublic:
    """One job with its training videos; drafts only for admins."""
    principal = await load_principal()
    session = get_session()
    job = await service.get_job(session, job_id, include_hidden=principal.is_admin)
    return JobPublic.of(job, await public_videos_of_job(session, job.id))


@blueprint.post("/jobs")
@validate_request(JobData)
@validate_response(JobPublic, 201)
@document_response(ErrorEnvelope, 400)
@document_response(ErrorEnvelope, 401)
@document_response(ErrorEnvelope, 403)
@document_response(ErrorEnvelope, 422)
async def post_job(data: JobData) -> tuple[JobPublic, int]:
    """Create a job (admins only)."""
    actor = await require_admin()
    job = await service.create_job(get_session(), actor, data)
    return JobPublic.of(job), 201


@blueprint.patch("/jobs/<int:job_id>")
@validate_request(JobPatch)
@validate_response(JobPublic)
@document_response(ErrorEnvelope, 400)
@document_response(ErrorEnvelope, 401)
@document_response(ErrorEnvelope, 403)
@document_response(ErrorEnvelope, 404)
@document_response(ErrorEnvelope, 422)
async def patch_job(job_id: int, data: JobPatch) -> JobPublic:
    """Edit, publish or close a job (admins only)."""
    actor = await require_admin()
    session = get_session()
    job = await service.update_job(session, actor, job_id, data.changes())
    return JobPublic.of(job, await public_videos_of_job(session, job.id))


@blueprint.delete("/jobs/<int:job_id>")
@document_response(ErrorEnvelope, 401)
@document_response(ErrorEnvelope, 403)
@document_response(ErrorEnvelope, 404)
async def delete_job(job_id: int) -> tuple[str, int]:
    """Delete a job (admins only); the audit log keeps the record."""
    actor = await require_admin()
    await service.delete_job(get_session(), actor, job_id)
    return "", 204


@blueprint.post("/jobs/preview")
@validate_request(PreviewData)
@validate_response(PreviewHtml)
@document_response(ErrorEnvelope, 400)
@document_response(ErrorEnvelope, 401)
@document_response(ErrorEnvelope, 403)
@document_response(ErrorEnvelope, 422)
async def post_preview(data: PreviewData) -> PreviewHtml:
    """Render Markdown the way a job page will show it (admins only)."""
    await require_admin()
    return PreviewHtml(html=render_markdown(data.content))


@blueprint.get("/audit")
@validate_querystring(AuditFilter)
@validate_response(AuditList)
@document_response(ErrorEnvelope, 401)
@document_response(ErrorEnvelope, 403)
@document_response(ErrorEnvelope, 422)
async def get_audit(query_args: AuditFilter) -> AuditList:
    """The job audit log, newest first (admins only)."""
    await require_admin()
    rows = await service.list_audit(get_session(), job_id=query_args.job_id, limit=query_args.limit)
    return AuditList(items=[AuditEntry.of(row) for row in rows])
