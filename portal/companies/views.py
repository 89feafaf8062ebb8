"""Company pages: the public page, the logo, and the admin screens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from quart import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from quart.typing import ResponseReturnValue

from portal.accounts.auth import require_admin
from portal.companies import service, uploads
from portal.companies.forms import company_form, form_values
from portal.companies.models import Company
from portal.companies.schemas import CompanyRef, company_path
from portal.config import get_settings
from portal.db import get_session
from portal.errors import APIError, not_found
from portal.i18n import gettext as _
from portal.jobs import service as jobs
from portal.jobs.schemas import JobFilter, JobSummary
from portal.web.forms import form_data, parse_page, render_form

blueprint = Blueprint("companies", __name__)

# A logo URL carries its hash (``?v=``): that URL's bytes never change, so browsers and
# proxies may keep them for a year; without the hash, they ask again each time (ETag).
VERSIONED_CACHE = "public, max-age=31536000, immutable"
UNVERSIONED_CACHE = "public, no-cache"
# Whatever the bytes were uploaded as, a logo is never a document that may run anything.
LOGO_CSP = "default-src 'none'"
COMPANY_JOBS_SHOWN = 100
ADMIN_PAGE_SIZE = 50


@blueprint.while_app_serving
async def _remove_orphan_logos() -> AsyncGenerator[None, None]:
    # while_serving, not before_serving: those run first, before the database connects.
    await uploads.remove_orphan_logos()
    yield


@blueprint.get("/companies/<int:company_id>")
@blueprint.get("/companies/<int:company_id>-<slug>")
async def company_page(company_id: int, slug: str | None = None) -> ResponseReturnValue:
    session = get_session()
    company = await service.get_company(session, company_id)
    canonical = company_path(company)
    if request.path != canonical:
        return redirect(canonical, 301)
    page = await jobs.list_public_jobs(
        session, JobFilter(company_id=company.id, per_page=COMPANY_JOBS_SHOWN)
    )
    return await render_template(
        "companies/company.html",
        canonical_url=get_settings().base_url(request.host_url) + canonical,
        company=company,
        ref=CompanyRef.of(company),
        jobs=[JobSummary.of(job) for job in page.items],
        total=page.total,
    )


@blueprint.get("/companies/<int:company_id>/logo")
async def logo(company_id: int) -> ResponseReturnValue:
    company = await service.get_company(get_session(), company_id)
    if company.logo_name is None or company.logo_sha256 is None or company.logo_type is None:
        raise not_found(_("This company has no logo."))
    etag = company.logo_sha256
    headers = {
        "ETag": f'"{etag}"',
        "Cache-Control": (
            VERSIONED_CACHE if request.args.get("v") == etag[:16] else UNVERSIONED_CACHE
        ),
        "Content-Security-Policy": LOGO_CSP,
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline",
    }
    if etag in request.if_none_match:
        return Response(b"", status=304, headers=headers)
    data = await asyncio.to_thread(uploads.logo_store().read, company.logo_name)
    if data is None:
        raise not_found(_("This company has no logo."))
    return Response(data, content_type=company.logo_type, headers=headers)


# ---------------------------------------------------------------------------- admin


@blueprint.get("/admin/companies")
async def admin_companies() -> ResponseReturnValue:
    await require_admin()
    session = get_session()
    number = parse_page(request.args.get("page"))
    page = await service.list_companies(session, page=number, per_page=ADMIN_PAGE_SIZE)
    counts = await service.job_counts(session, [company.id for company in page.items])
    return await render_template(
        "admin/companies.html",
        companies=page.items,
        refs={company.id: CompanyRef.of(company) for company in page.items},
        counts=counts,
        total=page.total,
        prev_page=number - 1 if number > 1 else None,
        next_page=number + 1 if number * ADMIN_PAGE_SIZE < page.total else None,
    )


async def _company_form(
    values: dict[str, Any], *, company: Company | None = None, error: APIError | None = None
) -> ResponseReturnValue:
    return await render_form(
        "admin/company_form.html",
        values=values,
        error=error,
        company=company,
        ref=CompanyRef.of(company) if company else None,
    )


async def _submitted() -> tuple[dict[str, str], Any]:
    values = await form_data()
    return values, (await request.files).get("logo")


@blueprint.route("/admin/companies/new", methods=["GET", "POST"])
async def admin_new_company() -> ResponseReturnValue:
    await require_admin()
    if request.method == "GET":
        return await _company_form({})
    values, upload = await _submitted()
    try:
        submitted = await company_form(values, upload)
    except APIError as error:
        return await _company_form(values, error=error)
    session = get_session()
    company = await service.create_company(session, submitted.data)
    if submitted.logo is not None:
        company = await uploads.store_logo(session, company.id, submitted.logo)
    await flash(_("Company “%(name)s” created.", name=company.name), "success")
    return redirect(url_for("companies.admin_companies"))


@blueprint.route("/admin/companies/<int:company_id>/edit", methods=["GET", "POST"])
async def admin_edit_company(company_id: int) -> ResponseReturnValue:
    await require_admin()
    session = get_session()
    company = await service.get_company(session, company_id)
    if request.method == "GET":
        return await _company_form(form_values(company), company=company)
    values, upload = await _submitted()
    try:
        submitted = await company_form(values, upload)
    except APIError as error:
        return await _company_form(values, company=company, error=error)
    company = await service.update_company(session, company_id, submitted.data.model_dump())
    if submitted.logo is not None:
        company = await uploads.store_logo(session, company_id, submitted.logo)
    elif submitted.remove_logo and company.logo_name is not None:
        company = await uploads.remove_logo(session, company_id)
    await flash(_("Company “%(name)s” saved.", name=company.name), "success")
    return redirect(url_for("companies.admin_companies"))


@blueprint.route("/admin/companies/<int:company_id>/delete", methods=["GET", "POST"])
async def admin_delete_company(company_id: int) -> ResponseReturnValue:
    actor = await require_admin()
    session = get_session()
    company = await service.get_company(session, company_id)
    if request.method == "GET":
        counts = await service.job_counts(session, [company.id])
        return await render_template(
            "admin/company_delete.html", company=company, jobs=counts.get(company.id, 0)
        )
    name = company.name
    logo_name = await service.delete_company(session, actor, company_id)
    uploads.logo_store().remove(logo_name)
    await flash(_("Company “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("companies.admin_companies"))
