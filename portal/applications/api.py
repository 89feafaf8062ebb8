"""JSON API of applications: applying, one's own applications, the admins' pipeline."""

from __future__ import annotations

from quart import Blueprint
from quart_schema import (
    DataSource,
    document_request,
    document_response,
    validate_querystring,
    validate_request,
    validate_response,
)

from portal.accounts.auth import require_admin, require_user
from portal.applications import service
from portal.applications.forms import read_submission, resume_store
from portal.applications.schemas import (
    ApplicationFilter,
    ApplicationList,
    ApplicationPatch,
    ApplicationPublic,
    ApplyMultipart,
    BulkMove,
    BulkResult,
    SavedResume,
)
from portal.db import get_session
from portal.errors import ErrorEnvelope, not_found
from portal.i18n import gettext as _
from portal.jobs import service as jobs_service

blueprint = Blueprint("applications_api", __name__, url_prefix="/api/v1")


@blueprint.post("/jobs/<int:job_id>/applications")
@document_request(ApplyMultipart, source=DataSource.FORM_MULTIPART)
@validate_response(ApplicationPublic, 201)
@document_response(ErrorEnvelope, 409)
@document_response(ErrorEnvelope, 413)
@document_response(ErrorEnvelope, 415)
async def post_application(job_id: int) -> tuple[ApplicationPublic, int]:
    """Apply to a job (signed in): ``multipart/form-data`` with the text field
    ``cover_letter`` and the file field ``resume`` (a PDF of at most 10 MiB), or
    ``use_saved_resume=true``. 409 ``already_applied``, ``job_closed`` or ``apply_elsewhere``
    (the job takes applications on its own site); 415 ``not_a_pdf``."""
    user = await require_user()
    submission = await read_submission()
    view = await service.apply(
        get_session(),
        resume_store(),
        user,
        job_id,
        cover_letter=submission.form.cover_letter,
        resume=submission.resume,
        use_saved_resume=submission.form.use_saved_resume,
        keep_resume=submission.form.keep_resume,
    )
    return ApplicationPublic.of(view, for_admins=False), 201


@blueprint.get("/jobs/<int:job_id>/applications")
@validate_querystring(ApplicationFilter)
@validate_response(ApplicationList)
async def get_job_applications(job_id: int, query_args: ApplicationFilter) -> ApplicationList:
    """A job's applications (admins only), newest first, with the count in each status;
    404 when there is no such job (a draft is found)."""
    await require_admin()
    await jobs_service.get_job(get_session(), job_id, include_hidden=True)
    return await _admin_list(job_id, query_args)


@blueprint.get("/applications")
@validate_querystring(ApplicationFilter)
@validate_response(ApplicationList)
async def get_applications(query_args: ApplicationFilter) -> ApplicationList:
    """Applications to every job (admins only); ``job_id`` and ``status`` narrow them."""
    await require_admin()
    return await _admin_list(query_args.job_id, query_args)


async def _admin_list(job_id: int | None, query: ApplicationFilter) -> ApplicationList:
    session = get_session()
    views, total = await service.list_for_admins(
        session, job_id=job_id, status=query.status, page=query.page, per_page=query.per_page
    )
    return ApplicationList(
        items=[ApplicationPublic.of(view, for_admins=True) for view in views],
        total=total,
        counts=await service.status_counts(session, job_id=job_id),
    )


@blueprint.get("/me/applications")
@validate_response(ApplicationList)
async def get_my_applications() -> ApplicationList:
    """The signed-in user's applications, newest first."""
    user = await require_user()
    views = await service.list_mine(get_session(), user)
    return ApplicationList(
        items=[ApplicationPublic.of(view, for_admins=False) for view in views], total=len(views)
    )


@blueprint.get("/me/resume")
@validate_response(SavedResume)
@document_response(ErrorEnvelope, 404)
async def get_my_resume() -> SavedResume:
    """The résumé kept on the signed-in user's profile (404 when there is none)."""
    user = await require_user()
    resume = await service.kept_resume(get_session(), user)
    if resume is None:
        raise not_found(_("There is no résumé on your profile."))
    return SavedResume.of(resume)


@blueprint.delete("/me/resume")
async def delete_my_resume() -> tuple[str, int]:
    """Take the résumé off the profile; applications sent with it keep their copy."""
    user = await require_user()
    await service.forget_kept_resume(get_session(), user)
    return "", 204


@blueprint.get("/applications/<int:application_id>")
@validate_response(ApplicationPublic)
async def get_application(application_id: int) -> ApplicationPublic:
    """One application: its applicant's or, for admins, any (with the note)."""
    user = await require_user()
    view = await service.get_application(get_session(), user, application_id)
    return ApplicationPublic.of(view, for_admins=user.is_admin)


@blueprint.patch("/applications/<int:application_id>")
@validate_request(ApplicationPatch)
@validate_response(ApplicationPublic)
@document_response(ErrorEnvelope, 409)
async def patch_application(application_id: int, data: ApplicationPatch) -> ApplicationPublic:
    """Move an application along the pipeline and/or set its note (admins only); a move the
    pipeline does not allow is a 409 ``invalid_transition``."""
    actor = await require_admin()
    view = await service.update_application(
        get_session(), actor, application_id, status=data.status, note=data.note
    )
    return ApplicationPublic.of(view, for_admins=True)


@blueprint.delete("/applications/<int:application_id>")
@validate_response(ApplicationPublic)
@document_response(ErrorEnvelope, 409)
async def delete_application(application_id: int) -> ApplicationPublic:
    """Withdraw one's own application (it stays, as ``withdrawn``); 409 once hired or
    rejected."""
    user = await require_user()
    view = await service.withdraw(get_session(), user, application_id)
    return ApplicationPublic.of(view, for_admins=False)


@blueprint.post("/applications/bulk")
@validate_request(BulkMove)
@validate_response(BulkResult)
async def post_bulk_move(data: BulkMove) -> BulkResult:
    """Move many applications to one status (admins only): those the pipeline allows move
    together; the others are listed in ``skipped`` with the reason."""
    actor = await require_admin()
    moved, skipped = await service.move_many(get_session(), actor, data.ids, data.status)
    return BulkResult(moved=moved, skipped={str(k): v for k, v in skipped.items()})
