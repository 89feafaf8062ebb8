"""Company services: each function owns its transaction; jobs that show a company hear of
its changes (re-indexed, ``job.updated``) in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import User
from portal.companies.models import Company
from portal.companies.schemas import CompanyData
from portal.db import MAX_ID, begin_write, utcnow
from portal.domain_errors import NotFound
from portal.events import hooks
from portal.i18n import gettext as _
from portal.jobs.markdown import render_markdown
from portal.jobs.models import Job
from portal.jobs.rules import slugify


@dataclass(frozen=True)
class Page:
    items: list[Company]
    total: int


@dataclass(frozen=True)
class StoredLogo:
    """A logo file written under the media root, not yet any company's."""

    name: str
    content_type: str
    sha256: str


def _apply(company: Company, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(company, name, value)
    if "name" in fields:
        company.slug = slugify(company.name)
    if "description" in fields:
        company.description_html = render_markdown(company.description)
    company.updated_at = utcnow()


async def _locked_company(session: AsyncSession, company_id: int) -> Company:
    # Its jobs first, then the company: the order a job edit locks them in.
    await hooks.emit(session, hooks.COMPANY_WILL_CHANGE, company_id=company_id)
    company = (
        await session.get(Company, company_id, with_for_update=True)
        if 0 < company_id <= MAX_ID
        else None
    )
    if company is None:
        raise NotFound(_("No such company."))
    return company


async def get_company(session: AsyncSession, company_id: int) -> Company:
    company = await session.get(Company, company_id) if 0 < company_id <= MAX_ID else None
    if company is None:
        raise NotFound(_("No such company."))
    return company


async def create_company(session: AsyncSession, data: CompanyData) -> Company:
    await begin_write(session)
    company = Company(created_at=utcnow())
    _apply(company, data.model_dump())
    session.add(company)
    await session.commit()
    return company


async def update_company(
    session: AsyncSession, company_id: int, changes: dict[str, Any]
) -> Company:
    await begin_write(session)
    company = await _locked_company(session, company_id)
    diff = {k: v for k, v in changes.items() if getattr(company, k) != v}
    if not diff:
        await session.commit()
        return company
    _apply(company, diff)
    renamed = "name" in diff
    # Job pages show the name, and the website (JSON-LD sameAs): their jobs are told.
    shown = renamed or "website" in diff
    await hooks.emit(
        session, hooks.COMPANY_CHANGED, company_id=company.id, renamed=renamed, shown=shown
    )
    await session.commit()
    return company


async def delete_company(session: AsyncSession, actor: User, company_id: int) -> str | None:
    """Delete a company; its jobs stay, without one. Returns its logo file's name, for the
    caller to remove once this has committed."""
    await begin_write(session)
    company = await _locked_company(session, company_id)
    logo = company.logo_name
    await hooks.emit(session, hooks.COMPANY_DELETING, actor=actor, company_id=company.id)
    await session.delete(company)
    await session.commit()
    return logo


async def set_logo(
    session: AsyncSession, company_id: int, logo: StoredLogo | None
) -> tuple[Company, str | None]:
    """Give a company a stored logo (None: take it away). Returns the company and the old
    logo file's name, for the caller to remove once this has committed."""
    await begin_write(session)
    company = await _locked_company(session, company_id)
    old = company.logo_name
    company.logo_name = logo.name if logo else None
    company.logo_type = logo.content_type if logo else None
    company.logo_sha256 = logo.sha256 if logo else None
    company.updated_at = utcnow()
    await hooks.emit(
        session,
        hooks.COMPANY_CHANGED,
        company_id=company.id,
        renamed=False,
        shown=old != company.logo_name,
    )
    await session.commit()
    return company, old


async def list_companies(session: AsyncSession, *, page: int, per_page: int) -> Page:
    total = await session.scalar(select(func.count()).select_from(Company))
    rows = await session.execute(
        select(Company)
        .order_by(func.lower(Company.name), Company.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return Page(list(rows.scalars()), int(total or 0))


async def company_choices(session: AsyncSession) -> list[tuple[int, str]]:
    """Every company as ``(id, name)``, by name: the admin job form's select."""
    rows = await session.execute(
        select(Company.id, Company.name).order_by(func.lower(Company.name), Company.id)
    )
    return [(company_id, name) for company_id, name in rows.all()]


async def job_counts(session: AsyncSession, company_ids: list[int]) -> dict[int, int]:
    """How many jobs (any status) each company has."""
    if not company_ids:
        return {}
    rows = await session.execute(
        select(Job.company_id, func.count())
        .where(Job.company_id.in_(company_ids))
        .group_by(Job.company_id)
    )
    return {company_id: int(count) for company_id, count in rows.all() if company_id is not None}
