"""Site-wide pages: the language switch and the admin dashboard."""

from __future__ import annotations

from quart import Blueprint, current_app, redirect, render_template, request, send_from_directory
from quart.typing import ResponseReturnValue
from sqlalchemy import func, select

from portal.accounts.auth import require_admin
from portal.accounts.models import Role, User
from portal.applications import service as applications
from portal.config import get_settings
from portal.db import get_session
from portal.events import channels
from portal.events.replay import last_event_id
from portal.i18n import LANG_COOKIE
from portal.jobs import service as jobs
from portal.media import service as media
from portal.web.forms import safe_next

blueprint = Blueprint("home", __name__)
RECENT_APPLICATIONS = 8


@blueprint.get("/lang/<code>")
async def set_language(code: str) -> ResponseReturnValue:
    response = redirect(safe_next(request.args.get("next")))
    if code in get_settings().languages:
        response.set_cookie(
            LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response


@blueprint.get("/favicon.ico")
async def favicon() -> ResponseReturnValue:
    # Browsers ask for /favicon.ico whatever the page links to (feeds, the API docs, PDFs).
    static = current_app.static_folder
    assert static is not None, "the factory always sets the static folder"
    return await send_from_directory(f"{static}/icons", "favicon.ico")


@blueprint.get("/admin")
async def admin_dashboard() -> ResponseReturnValue:
    await require_admin()
    session = get_session()
    roles = dict((await session.execute(select(User.role, func.count()).group_by(User.role))).all())
    return await render_template(
        "admin/dashboard.html",
        user_count=sum(roles.values()),
        admin_count=roles.get(Role.ADMIN.value, 0),
        job_counts=await jobs.job_counts(session),
        activity=await jobs.list_audit(session, job_id=None, limit=15),
        since_jobs=await last_event_id(session, channels.JOBS),
        since_uploads=await last_event_id(session, channels.UPLOADS),
        upload_jobs=await media.jobs_for_upload(session),
        uploads=await media.uploads_in_flight(session),
        recent_videos=await media.recent_videos(session),
        max_upload_bytes=get_settings().max_upload_bytes,
        since_applications=await last_event_id(session, channels.APPLICATIONS),
        recent_applications=(
            await applications.list_for_admins(
                session, job_id=None, status=None, page=1, per_page=RECENT_APPLICATIONS
            )
        )[0],
    )
