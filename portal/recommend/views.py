"""``/admin/recommendations``: the recommender studio (admins only).

Live figures come over the websocket (``recs``); these routes render the page, queue an
evaluation or a training, and persist the serving choice.
"""

from __future__ import annotations

from quart import Blueprint, flash, redirect, request, url_for
from quart.typing import ResponseReturnValue

from portal.accounts.auth import require_admin
from portal.db import MAX_ID, get_session
from portal.events import channels
from portal.events.replay import last_event_id
from portal.i18n import gettext as _
from portal.jobs.models import Job
from portal.recommend import studio
from portal.recommend.extension import get_serving
from portal.recommend.service import ALGORITHMS
from portal.web.forms import form_data, render_form

blueprint = Blueprint("recommend", __name__)

# The serving choices the page offers (the engine's popular mode stays a setting).
OFFERED = tuple(a for a in ALGORITHMS if a != "popular")


def _query_id(name: str) -> int | None:
    """A positive id from the query string; None when absent or not one."""
    text = request.args.get(name, "").strip()
    if not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


@blueprint.get("/admin/recommendations")
async def admin_recommendations() -> ResponseReturnValue:
    await require_admin()
    session = get_session()
    job_id = _query_id("job")
    # No user name holds a NUL (and PostgreSQL refuses one in a query).
    user_text = request.args.get("user", "").replace("\x00", "").strip()[:100]
    job = await session.get(Job, job_id) if job_id is not None else None
    explored_user = await studio.find_user(session, user_text) if user_text else None
    return await render_form(
        "admin/recommendations.html",
        serving=get_serving().algorithm,
        algorithms=OFFERED,
        active=[studio.task_public(t) for t in await studio.active_tasks(session)],
        evaluation=await studio.last_task(session, "evaluate"),
        training=await studio.last_task(session, "train"),
        history=await studio.evaluation_history(session),
        stats=await studio.recent_stats(session),
        # The live channel resumes after what this render shows.
        since=await last_event_id(session, channels.RECS),
        job_text=request.args.get("job", "")[:20],
        job=job,
        nearest=await studio.nearest_jobs(session, job.id) if job is not None else [],
        user_text=user_text,
        explored_user=explored_user,
        explained=(
            await studio.explain_user(session, explored_user) if explored_user is not None else None
        ),
    )


@blueprint.post("/admin/recommendations/tasks")
async def post_recs_task() -> ResponseReturnValue:
    admin = await require_admin()
    values = await form_data()
    await studio.start_task(get_session(), values.get("kind", ""), admin)
    return redirect(url_for("recommend.admin_recommendations"), 303)


@blueprint.post("/admin/recommendations/algorithm")
async def post_recs_algorithm() -> ResponseReturnValue:
    await require_admin()
    values = await form_data()
    await studio.choose_algorithm(get_session(), values.get("algorithm", ""))
    await flash(_("The serving algorithm is switched; every stored list is being refreshed."))
    return redirect(url_for("recommend.admin_recommendations"), 303)
