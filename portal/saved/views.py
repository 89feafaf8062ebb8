"""The saved-jobs page, the save buttons' form posts (without JavaScript), and the
template helpers cards and job pages use to show a job's saved state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from quart import Blueprint, flash, redirect, render_template, request, url_for
from quart.typing import ResponseReturnValue

from portal.accounts.auth import load_principal, require_user
from portal.db import get_session
from portal.i18n import gettext as _
from portal.saved import service
from portal.saved.schemas import SavedJobPublic
from portal.web.forms import form_data, parse_page, safe_next

blueprint = Blueprint("saved", __name__)

PAGE_SIZE = 50
# The page lists what one person keeps: neither a shared cache nor the browser's
# back/forward cache may keep it for whoever uses the machine next.
NO_STORE = "private, no-store"


@blueprint.get("/saved")
async def saved_page() -> ResponseReturnValue:
    user = await require_user()
    number = parse_page(request.args.get("page"))
    page = await service.list_saved(get_session(), user, page=number, per_page=PAGE_SIZE)
    html = await render_template(
        "saved/index.html",
        items=[SavedJobPublic.of(entry) for entry in page.items],
        total=page.total,
        prev_page=number - 1 if number > 1 else None,
        next_page=number + 1 if number * PAGE_SIZE < page.total else None,
    )
    return html, 200, {"Cache-Control": NO_STORE}


async def _back() -> ResponseReturnValue:
    values = await form_data()
    return redirect(safe_next(values.get("next"), url_for("saved.saved_page")))


@blueprint.post("/saved/<int:job_id>")
async def save(job_id: int) -> ResponseReturnValue:
    user = await require_user()
    job = await service.save_job(get_session(), user, job_id)
    await flash(_("Saved “%(title)s”.", title=job.title), "success")
    return await _back()


@blueprint.post("/saved/<int:job_id>/delete")
async def unsave(job_id: int) -> ResponseReturnValue:
    user = await require_user()
    await service.unsave_job(get_session(), user, job_id)
    await flash(_("Removed from your saved jobs."), "success")
    return await _back()


async def _is_job_saved(job_id: int) -> bool:
    principal = await load_principal()
    return await service.is_saved(get_session(), principal.user, job_id)


async def _saved_job_ids(job_ids: Iterable[int]) -> set[int]:
    principal = await load_principal()
    return await service.saved_ids(get_session(), principal.user, job_ids)


@blueprint.app_context_processor
async def _saved_helpers() -> dict[str, Callable[..., Awaitable[Any]]]:
    # Async on purpose (Quart runs a plain context processor in a thread). The helpers query
    # only when a template calls them: ``is_job_saved(job.id)`` on a job page,
    # ``saved_job_ids(ids)`` for a page of cards; both are false/empty for visitors.
    return {"is_job_saved": _is_job_saved, "saved_job_ids": _saved_job_ids}
