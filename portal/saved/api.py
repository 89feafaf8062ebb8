"""JSON API of saved jobs: /api/v1/me/saved-jobs."""

from __future__ import annotations

from quart import Blueprint
from quart_schema import document_response, validate_querystring, validate_response

from portal.accounts.auth import require_user
from portal.db import get_session
from portal.errors import ErrorEnvelope
from portal.saved import service
from portal.saved.schemas import SavedFilter, SavedJobList, SavedJobPublic

blueprint = Blueprint("saved_api", __name__, url_prefix="/api/v1")


@blueprint.get("/me/saved-jobs")
@validate_querystring(SavedFilter)
@validate_response(SavedJobList)
@document_response(ErrorEnvelope, 401)
@document_response(ErrorEnvelope, 422)
async def get_saved_jobs(query_args: SavedFilter) -> SavedJobList:
    """The signed-in user's saved jobs, newest saved first; ``open`` is false once a job is
    closed or expired."""
    user = await require_user()
    page = await service.list_saved(
        get_session(), user, page=query_args.page, per_page=query_args.per_page
    )
    return SavedJobList(
        items=[SavedJobPublic.of(entry) for entry in page.items],
        total=page.total,
        page=query_args.page,
        per_page=query_args.per_page,
    )


@blueprint.put("/me/saved-jobs/<int:job_id>")
@document_response(ErrorEnvelope, 401)
@document_response(ErrorEnvelope, 404)
async def put_saved_job(job_id: int) -> tuple[str, int]:
    """Save a job (idempotent); a draft or unknown job is a 404."""
    user = await require_user()
    await service.save_job(get_session(), user, job_id)
    return "", 204


@blueprint.delete("/me/saved-jobs/<int:job_id>")
@document_response(ErrorEnvelope, 401)
async def delete_saved_job(job_id: int) -> tuple[str, int]:
    """Forget a saved job (idempotent: 204 whether or not it was saved)."""
    user = await require_user()
    await service.unsave_job(get_session(), user, job_id)
    return "", 204
