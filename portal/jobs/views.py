"""Job pages: the home list, job pages, the Atom feed and the admin job screens."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from markupsafe import Markup
from quart import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from quart import session as cookie_session
from quart.typing import ResponseReturnValue
from werkzeug.sansio.utils import get_current_url

from portal.accounts.auth import Principal, load_principal, require_admin
from portal.applications import service as applications
from portal.applications.service import takes_applications_here
from portal.companies import service as companies
from portal.config import get_settings
from portal.db import end_read, get_session, utcnow
from portal.domain_errors import Invalid
from portal.errors import APIError
from portal.events import channels
from portal.events.replay import last_event_id
from portal.i18n import current_language, ngettext
from portal.i18n import gettext as _
from portal.jobs import service
from portal.jobs.cache import CachedList, get_cache
from portal.jobs.forms import filters_from_args, form_values, job_data_from_form
from portal.jobs.labels import REMOTE_WORDS, STATUS_LABELS, audit_change, labels_for, place_of
from portal.jobs.models import Job, JobStatus
from portal.jobs.schemas import AdminJobFilter, JobFilter, JobPatch, JobSummary, job_path
from portal.jobs.seo import SITE_NAME, job_posting_ld
from portal.media.service import public_videos_of_job
from portal.recommend.extension import get_click_recorder
from portal.recommend.service import recommendations_for
from portal.web.forms import form_data, parse_id, render_form

blueprint = Blueprint("jobs", __name__)


def _page_links(
    args: dict[str, str], page: int, total: int, per_page: int, *, more: bool = False
) -> dict[str, str | None]:
    """``more``: there are matches past ``total`` (the count stopped there)."""

    def link(number: int) -> str:
        return "?" + urlencode({**{k: v for k, v in args.items() if v}, "page": number})

    return {
        "prev": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if more or page * per_page < total else None,
    }


def _jobs_count(total: int, capped: bool) -> str:
    """ "28 jobs", or "1,000+ jobs" when the count stopped there."""
    shown = f"{total:,}+" if capped else total
    return ngettext("%(num)s job", "%(num)s jobs", total, num=shown)


@blueprint.get("/")
async def index() -> ResponseReturnValue:
    filters = filters_from_args(request.args)
    cache = get_cache()
    listing = await service.list_public_summaries(get_session(), filters, cache)
    principal = await load_principal()
    language = current_language()
    page_key = _shared_page_key(principal, language)
    if page_key is None:
        return await _render_home(filters, listing, principal, language)
    page = cache.get_page(page_key, listing)
    if page is not None:
        return page

    async def render_and_keep() -> str:
        html = await _render_home(filters, listing, principal, language)
        cache.put_page(page_key, listing, html)
        return html

    # The list's id: the render holds the list while it runs, so the id names only this list.
    return await cache.shared(("page", id(listing), *page_key), render_and_keep)


async def _render_home(
    filters: JobFilter, listing: CachedList, principal: Principal, language: str
) -> str:
    args = {k: request.args.get(k, "") for k in ("q", "category", "type", "location", "remote")}
    empty = (
        _("No jobs match these filters.")
        if any(args.values())
        else _("No jobs have been published yet.")
    )
    labels = labels_for(language)
    live_data = {
        "jobs": listing.jobs_json(),
        "since": listing.since,
        "filters": filters.model_dump(
            mode="json", include={"q", "category", "type", "remote", "location"}
        ),
        "first_page": filters.page == 1,
        "per_page": filters.per_page,
        "total": listing.total,
        "total_capped": listing.total_capped,
        "labels": {
            # Both forms with the number left open: the page picks one by Intl.PluralRules.
            "count": {
                "one": ngettext("%(num)s job", "%(num)s jobs", 1, num="%(num)s"),
                "other": ngettext("%(num)s job", "%(num)s jobs", 2, num="%(num)s"),
            },
            "categories": labels["CATEGORY_LABELS"],
            "types": labels["TYPE_LABELS"],
            "periods": labels["PERIOD_LABELS"],
            "remote": _("Remote"),
            "remote_words": sorted(REMOTE_WORDS),
            "salary_from": _("from %(amount)s", amount="%(amount)s"),
            "salary_up_to": _("up to %(amount)s", amount="%(amount)s"),
            "save": _("Save"),
            "login": url_for("accounts.login"),
            "site_name": SITE_NAME,
            "empty": empty,
            "new_jobs": _("%(num)s new jobs: show them", num="%(num)s"),
        },
    }
    recommended = (
        await recommendations_for(get_session(), principal.user, 6)
        if principal.user is not None
        else []
    )
    if language not in listing.html:
        listing.html[language] = await render_template(
            "jobs/_cards.html", jobs=listing.items, **labels
        )
    return await render_template(
        "jobs/home.html",
        cards=Markup(listing.html[language]),  # noqa: S704 - our own template's output
        jobs=listing.items,
        total=listing.total,
        jobs_count=_jobs_count(listing.total, listing.total_capped),
        filters=filters,
        args=args,
        links=_page_links(
            args, filters.page, listing.total, filters.per_page, more=listing.total_capped
        ),
        # UTF-8, not \u escapes: Chinese summaries take half the bytes.
        live_json=Markup(_script_json(live_data)),  # noqa: S704 - escaped for <script>
        empty_message=empty,
        recommended=recommended,
    )


def _shared_page_key(principal: Principal, language: str) -> tuple[str, str] | None:
    """The key of a page that is the same for every anonymous visitor: it depends only on what
    it shows, the language and the URL (the language links carry it). A signed-in visitor's
    page, or one with a pending flash message, is personal: None."""
    if principal.user is not None or "_flashes" in cookie_session:
        return None
    return (language, request.full_path)


def _script_json(data: dict[str, Any]) -> str:
    """JSON safe inside a <script> element: no "</script>" and no "<!--" can appear."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@blueprint.get("/jobs/<int:job_id>")
@blueprint.get("/jobs/<int:job_id>-<slug>")
async def job_page(job_id: int, slug: str | None = None) -> ResponseReturnValue:
    principal = await load_principal()
    page_key = _shared_page_key(principal, current_language())
    if page_key is None:
        return (await _job_page(job_id, principal, None)).answer()
    cache = get_cache()
    html = cache.get_job_page(page_key)
    if html is not None:
        return html
    # Misses together (after a job event) render once.
    page = await cache.shared(("job", *page_key), lambda: _job_page(job_id, principal, page_key))
    return page.answer()


@dataclass(frozen=True)
class _JobPage:
    html: str = ""
    moved_to: str | None = None  # the job's canonical path, when asked for by another

    def answer(self) -> ResponseReturnValue:
        return redirect(self.moved_to, 301) if self.moved_to else self.html


async def _job_page(
    job_id: int, principal: Principal, page_key: tuple[str, str] | None
) -> _JobPage:
    """The job's page; kept for every anonymous visitor (``page_key``) while the job is public
    and no job event (a change to it, its videos or its company) has been seen."""
    cache = get_cache()
    generation = cache.generation
    session = get_session()
    await end_read(session)  # read after `generation`: a change evented before it is seen
    since = await last_event_id(session, channels.JOBS)  # before the job is read
    job = await service.get_job(session, job_id, include_hidden=principal.is_admin)
    canonical = job_path(job)
    if request.path != canonical:
        return _JobPage(moved_to=canonical)
    now = utcnow()
    public = job.is_public(now)
    apply_here = takes_applications_here(job, now)
    videos = await public_videos_of_job(session, job.id)
    applied = kept = None
    if apply_here and principal.user:
        applied = await applications.application_for(session, principal.user, job.id)
        kept = await applications.kept_resume(session, principal.user)
    if principal.user is not None and public:
        # Opening a job's page is the click the recommender learns from. The click is written
        # with others' in a batch on a connection of its own: this request gives its own back
        # first, or enough requests waiting on the batch would hold every connection of the
        # pool and the batch could never be written.
        await end_read(session)
        await get_click_recorder().record(principal.user.id, job.id)
    base = _base_url()
    ld = job_posting_ld(job, base) if public else None
    summary = JobSummary.of(job)
    html = await render_template(
        "jobs/job.html",
        apply_here=apply_here,
        applied=applied,
        kept=kept,
        values={"keep_resume": "on"},
        errors={},
        form_message=None,
        canonical_url=base + canonical,
        salary=summary.salary,
        company=summary.company,
        since=since,
        job=job,
        videos=videos,
        now=now,
        expired=job.is_expired(now),
        job_ld=_script_json(ld) if ld else None,
    )
    if page_key is not None and public:
        # Expiring is the one change without an event.
        until = (job.expires_at - now).total_seconds() if job.expires_at else None
        cache.put_job_page(page_key, html, generation, max_age=until)
    return _JobPage(html=html)


@blueprint.get("/jobs.atom")
async def atom_feed() -> ResponseReturnValue:
    filters = filters_from_args(request.args, per_page=50)
    page = await service.list_public_jobs(get_session(), filters)
    base = _base_url()
    xml = await render_template(
        "jobs/feed.xml",
        jobs=page.items,
        updated=max((job.updated_at for job in page.items), default=utcnow()),
        base=base,
        # This URL with its query, quoted as werkzeug quotes request.url, on our own origin.
        self_url=get_current_url(
            *urlsplit(base)[:2], root_path="", path=request.path, query_string=request.query_string
        ),
    )
    return Response(xml, content_type="application/atom+xml; charset=utf-8")


def _base_url() -> str:
    """The start of absolute links: ``PORTAL_PUBLIC_URL``, never a Host header in production."""
    return get_settings().base_url(request.host_url)


# ---------------------------------------------------------------------------- admin


@blueprint.get("/admin/jobs")
async def admin_jobs() -> ResponseReturnValue:
    await require_admin()
    base = filters_from_args(request.args, per_page=50)
    status = request.args.get("status", "")
    filters = AdminJobFilter(
        **base.model_dump(), status=JobStatus(status) if status in STATUS_LABELS else None
    )
    page = await service.list_admin_jobs(get_session(), filters)
    args = {k: request.args.get(k, "") for k in ("q", "category", "status")}
    return await render_template(
        "admin/jobs.html",
        jobs=page.items,
        total=page.total,
        jobs_count=_jobs_count(page.total, page.total_capped),
        args=args,
        links=_page_links(args, filters.page, page.total, filters.per_page, more=page.total_capped),
    )


async def _job_form(
    values: dict[str, Any], *, job: Job | None = None, error: Invalid | None = None
) -> ResponseReturnValue:
    return await render_form(
        "admin/job_form.html",
        values=values,
        error=error,
        job=job,
        # The select compares strings: the form's values are strings.
        companies=[(str(k), name) for k, name in await companies.company_choices(get_session())],
    )


@blueprint.route("/admin/jobs/new", methods=["GET", "POST"])
async def admin_new_job() -> ResponseReturnValue:
    actor = await require_admin()
    if request.method == "GET":
        return await _job_form(
            {"status": "draft", "employment_type": "full_time", "category": "engineering"}
        )
    values = await form_data()
    try:
        job = await service.create_job(get_session(), actor, job_data_from_form(values))
    except Invalid as error:
        return await _job_form(values, error=error)
    await flash(_("Job “%(title)s” created.", title=job.title), "success")
    return redirect(url_for("jobs.admin_jobs"))


@blueprint.route("/admin/jobs/<int:job_id>/edit", methods=["GET", "POST"])
async def admin_edit_job(job_id: int) -> ResponseReturnValue:
    actor = await require_admin()
    session = get_session()
    job = await service.get_job(session, job_id, include_hidden=True)
    if request.method == "GET":
        return await _job_form(form_values(job), job=job)
    values = await form_data()
    try:
        data = job_data_from_form(values, job)
        job = await service.update_job(session, actor, job_id, data.model_dump())
    except Invalid as error:
        return await _job_form(values, job=job, error=error)
    await flash(_("Job “%(title)s” saved.", title=job.title), "success")
    return redirect(url_for("jobs.admin_jobs"))


@blueprint.post("/admin/jobs/<int:job_id>/status")
async def admin_job_status(job_id: int) -> ResponseReturnValue:
    actor = await require_admin()
    values = await form_data()
    status = values.get("status", "")
    if status not in STATUS_LABELS:
        raise APIError(
            422, "validation_failed", _("Unknown status."), {"status": _("Unknown status.")}
        )
    try:
        job = await service.update_job(
            get_session(), actor, job_id, JobPatch(status=JobStatus(status)).changes()
        )
    except Invalid as error:
        await flash(" ".join(error.fields.values()) or error.message, "error")
        return redirect(url_for("jobs.admin_edit_job", job_id=job_id))
    await flash(
        _("“%(title)s” is now %(status)s.", title=job.title, status=str(STATUS_LABELS[job.status])),
        "success",
    )
    return redirect(url_for("jobs.admin_jobs"))


@blueprint.route("/admin/jobs/<int:job_id>/delete", methods=["GET", "POST"])
async def admin_delete_job(job_id: int) -> ResponseReturnValue:
    actor = await require_admin()
    session = get_session()
    job = await service.get_job(session, job_id, include_hidden=True)
    if request.method == "GET":
        return await render_template("admin/job_delete.html", job=job)
    title = job.title
    await service.delete_job(session, actor, job_id)
    await flash(_("Job “%(title)s” deleted.", title=title), "success")
    return redirect(url_for("jobs.admin_jobs"))


@blueprint.get("/admin/audit")
async def admin_audit() -> ResponseReturnValue:
    await require_admin()
    # A job id that cannot be a row's is dropped like the list pages' bad filters.
    job_id = parse_id(request.args.get("job_id"))
    rows = await service.list_audit(get_session(), job_id=job_id, limit=200)
    return await render_template("admin/audit.html", rows=rows)


@blueprint.app_context_processor
async def _labels() -> dict[str, Any]:
    # Async on purpose: Quart runs a plain function context processor in a thread pool.
    return {**labels_for(current_language()), "SITE_NAME": SITE_NAME}


# Globals, not context: the card macros are imported without the template's context.
blueprint.add_app_template_global(audit_change, "audit_change")
blueprint.add_app_template_global(place_of, "place_of")
