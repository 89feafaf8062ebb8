"""schema.org ``JobPosting`` for search engines (pure)."""

from __future__ import annotations

from typing import Any

from portal.companies.schemas import logo_path
from portal.jobs.models import Job
from portal.jobs.schemas import job_path

# The site's own name: what a job without a company shows as its employer (cards, pages,
# JSON-LD, the feed), as the brand in the navigation does.
SITE_NAME = "Portal"
EMPLOYMENT_TYPES = {
    "full_time": "FULL_TIME",
    "part_time": "PART_TIME",
    "contract": "CONTRACTOR",
    "internship": "INTERN",
}
UNIT = {"hour": "HOUR", "day": "DAY", "month": "MONTH", "year": "YEAR"}


def job_posting_ld(job: Job, base_url: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": job.title,
        "description": job.content_html,
        "datePosted": (job.published_at or job.created_at).date().isoformat(),
        "employmentType": EMPLOYMENT_TYPES.get(job.employment_type, "OTHER"),
        "hiringOrganization": hiring_organization(job, base_url),
        "url": base_url + job_path(job),
        "identifier": {"@type": "PropertyValue", "name": SITE_NAME, "value": str(job.id)},
    }
    if job.expires_at:
        data["validThrough"] = job.expires_at.isoformat()
    if job.location:
        data["jobLocation"] = {
            "@type": "Place",
            "address": {"@type": "PostalAddress", "addressLocality": job.location},
        }
    if job.remote:
        data["jobLocationType"] = "TELECOMMUTE"
    if job.salary_currency and (job.salary_min is not None or job.salary_max is not None):
        value: dict[str, Any] = {
            "@type": "QuantitativeValue",
            "unitText": UNIT.get(job.salary_period or "", "YEAR"),
        }
        if job.salary_min is not None:
            value["minValue"] = job.salary_min
        if job.salary_max is not None:
            value["maxValue"] = job.salary_max
        data["baseSalary"] = {
            "@type": "MonetaryAmount",
            "currency": job.salary_currency,
            "value": value,
        }
    return data


def hiring_organization(job: Job, base_url: str) -> dict[str, Any]:
    """The job's company, or the site itself for a job without one."""
    company = job.company
    if company is None:
        return {"@type": "Organization", "name": SITE_NAME, "sameAs": base_url}
    organization: dict[str, Any] = {"@type": "Organization", "name": company.name}
    if company.website:
        organization["sameAs"] = company.website
    logo = logo_path(company)
    if logo:
        organization["logo"] = base_url + logo
    return organization
