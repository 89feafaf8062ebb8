"""Pages of applications: applying without JavaScript, "My applications", the résumé, and
the admins' pipeline (per job and across jobs), detail, bulk moves and the CSV export."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError
from quart import Blueprint, Response, flash, redirect, request, send_file, url_for
from quart.typing import ResponseReturnValue

from portal.accounts.auth import require_admin, require_user
from portal.accounts.models import User
from portal.applications import pipeline, service
from portal.applications.export import applications_csv
from portal.applications.forms import SubmissionError, read_submission, resume_store
from portal.applications.labels import STATUS_LABELS
from portal.applications.models import ApplicationStatus
from portal.applications.schemas import ApplicationPatch, ApplicationPublic
from portal.applications.service import takes_applications_here
from portal.config import get_settings
from portal.db import get_session
from portal.domain_errors import DomainError, Invalid, NotFound
from portal.errors import Refusal, fields_from_validation, not_found
from portal.events import channels
from portal.events.replay import last_event_id
from portal.i18n import gettext as _
from portal.jobs import service as jobs
from portal.jobs.schemas import job_path
from portal.jobs.seo import SITE_NAME
from portal.media.ranges import content_disposition
from portal.web.forms import form_data, parse_id, parse_page, render_form

blueprint = Blueprint("applications", __name__)
ADMIN_PAGE_SIZE = 50
CSV_TYPE = "text/csv; charset=utf-8"
STATUS_VALUES = frozenset(status.value for status in ApplicationStatus)


@blueprint.app_context_processor
def _labels() -> dict[str, Any]:
    # Every page may show a status: the job page, the inbox, the pipeline.
    return {
        # Plain strings in the request's language: pages also hand them to scripts as JSON.
        "APPLICATION_LABELS": {key: str(label) for key, label in STATUS_LABELS.items()},
        "PIPELINE": list(ApplicationStatus),
        "SITE_NAME": SITE_NAME,
    }


# ------------------------------------------------------------------------------ applicants


async def _apply_page(
    user: User, job_id: int, *, values: dict[str, str] | None = None, error: Refusal | None = None
) -> ResponseReturnValue:
    session = get_session()
    job = await jobs.get_job(session, job_id, include_hidden=False)
    return await render_form(
        "applications/apply.html",
        values=values or {"keep_resume": "on"},
        error=error,
        job=job,
        job_url=job_path(job),
        open_here=takes_applications_here(job),
        applied=await service.application_for(session, user, job.id),
        kept=await service.kept_resume(session, user),
    )


@blueprint.get("/jobs/<int:job_id>/apply")
async def apply_page(job_id: int) -> ResponseReturnValue:
    user = await require_user()
    return await _apply_page(user, job_id)


@blueprint.post("/jobs/<int:job_id>/apply")
async def apply_form(job_id: int) -> ResponseReturnValue:
    user = await require_user()
    try:
        submission = await read_submission()
    except SubmissionError as error:
        return await _apply_page(user, job_id, values=error.values, error=error)
    try:
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
    except NotFound:
        raise
    except DomainError as error:
        return await _apply_page(user, job_id, values=submission.values, error=error)
    await flash(
        _("Your application to “%(title)s” was sent.", title=view.application.job_title),
        "success",
    )
    return redirect(url_for("applications.my_applications"))


@blueprint.get("/applications")
async def my_applications() -> ResponseReturnValue:
    user = await require_user()
    session = get_session()
    since = await last_event_id(session, channels.user(user.id))  # before the list is read
    return await render_form(
        "applications/mine.html",
        items=[
            ApplicationPublic.of(view, for_admins=False)
            for view in await service.list_mine(session, user)
        ],
        since=since,
        can_withdraw={status.value: pipeline.can_withdraw(status) for status in ApplicationStatus},
    )


@blueprint.post("/applications/<int:application_id>/withdraw")
async def withdraw(application_id: int) -> ResponseReturnValue:
    user = await require_user()
    try:
        view = await service.withdraw(get_session(), user, application_id)
    except NotFound:
        raise
    except DomainError as error:
        await flash(error.message, "error")
    else:
        await flash(
            _("You withdrew your application to “%(title)s”.", title=view.application.job_title),
            "success",
        )
    return redirect(url_for("applications.my_applications"))


@blueprint.get("/applications/<int:application_id>/resume")
async def resume_file(application_id: int) -> ResponseReturnValue:
    """The résumé, inline: to its applicant and admins only (404 to anyone else)."""
    user = await require_user()
    view = await service.get_application(get_session(), user, application_id)
    if view.resume is None:
        raise not_found(_("This application has no résumé."))
    path = resume_store().path(view.resume.storage_name)
    if not path.is_file():
        raise not_found(_("This application has no résumé."))
    response = await send_file(path, mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(
        view.resume.filename, attachment=False
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ------------------------------------------------------------------------------ admins


def _admin_filters() -> tuple[int | None, ApplicationStatus | None, int]:
    job_id = parse_id(request.args.get("job_id"))
    return job_id, _status(request.args.get("status")), parse_page(request.args.get("page"))


def _status(raw: str | None) -> ApplicationStatus | None:
    return ApplicationStatus(raw) if raw in STATUS_VALUES else None


def _query(**args: Any) -> str:
    present = {key: value for key, value in args.items() if value}
    return "?" + urlencode(present) if present else ""


@blueprint.get("/admin/applications")
@blueprint.get("/admin/jobs/<int:for_job>/applications")
async def admin_applications(for_job: int | None = None) -> ResponseReturnValue:
    await require_admin()
    session = get_session()
    job_id, status, page = _admin_filters()
    job_id = for_job or job_id
    job = await jobs.get_job(session, job_id, include_hidden=True) if job_id else None
    since = await last_event_id(session, channels.APPLICATIONS)
    views, total = await service.list_for_admins(
        session, job_id=job_id, status=status, page=page, per_page=ADMIN_PAGE_SIZE
    )
    filters = {"job_id": job_id, "status": status.value if status else None}
    return await render_form(
        "admin/applications.html",
        views=views,
        total=total,
        job=job,
        status=status,
        counts=await service.status_counts(session, job_id=job_id),
        since=since,
        filters=filters,
        csv_url=url_for("applications.admin_export") + _query(**filters),
        prev_url=_query(**filters, page=page - 1) if page > 1 else None,
        next_url=_query(**filters, page=page + 1) if page * ADMIN_PAGE_SIZE < total else None,
    )


@blueprint.post("/admin/applications/bulk")
async def admin_bulk_move() -> ResponseReturnValue:
    actor = await require_admin()
    form = await request.form
    back = form.get("back") or ""
    ids = [i for i in (parse_id(value) for value in form.getlist("ids")) if i is not None]
    status = _status(form.get("status"))
    if not ids or status is None:
        await flash(_("Choose applications and the status to move them to."), "error")
    else:
        moved, skipped = await service.move_many(get_session(), actor, ids, status)
        await flash(
            _(
                "%(moved)s moved to %(status)s; %(skipped)s could not move there.",
                moved=len(moved),
                status=STATUS_LABELS[status.value],
                skipped=len(skipped),
            ),
            "success" if not skipped else "error",
        )
    target = url_for("applications.admin_applications")
    return redirect(target + back if back.startswith("?") else target)


@blueprint.get("/admin/applications/export.csv")
async def admin_export() -> ResponseReturnValue:
    await require_admin()
    job_id, status, _page = _admin_filters()
    views = await service.iter_for_export(get_session(), job_id=job_id, status=status)
    base = get_settings().base_url(request.host_url)
    name = f"applications-job-{job_id}.csv" if job_id else "applications.csv"
    return Response(
        applications_csv(views, base),
        content_type=CSV_TYPE,
        headers={
            "Content-Disposition": content_disposition(name, attachment=True),
            "Cache-Control": "private, no-store",
        },
    )


async def _admin_detail(
    viewer: User,
    application_id: int,
    *,
    values: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> ResponseReturnValue:
    view = await service.get_application(get_session(), viewer, application_id)
    current = ApplicationStatus(view.application.status)
    return await render_form(
        "admin/application.html",
        view=view,
        values=values or {"note": view.application.note},
        error=error,
        moves=[s for s in ApplicationStatus if pipeline.can_admin_move(current, s)],
    )


@blueprint.get("/admin/applications/<int:application_id>")
async def admin_application(application_id: int) -> ResponseReturnValue:
    admin = await require_admin()
    return await _admin_detail(admin, application_id)


@blueprint.post("/admin/applications/<int:application_id>")
async def admin_update_application(application_id: int) -> ResponseReturnValue:
    admin = await require_admin()
    values = await form_data()
    try:
        try:
            patch = ApplicationPatch.model_validate(
                {"status": values.get("status") or None, "note": values.get("note")}
            )
        except ValidationError as invalid:
            raise Invalid(fields_from_validation(invalid)) from None
        await service.update_application(
            get_session(), admin, application_id, status=patch.status, note=patch.note
        )
    except NotFound:
        raise
    except DomainError as error:
        return await _admin_detail(admin, application_id, values=values, error=error)
    await flash(_("Application saved."), "success")
    return redirect(url_for("applications.admin_application", application_id=application_id))
