"""Turning the admin job form into API models, and filters from a query string."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from pydantic import ValidationError

from portal.db import utcnow
from portal.domain_errors import Invalid
from portal.errors import fields_from_validation
from portal.i18n import gettext as _
from portal.jobs.models import Job
from portal.jobs.rules import JobFieldsError, check_job, sets_expiry
from portal.jobs.schemas import SALARY_MAX, JobData, JobFilter
from portal.web.forms import parse_id, parse_int

OPTIONAL_TEXT = ("salary_currency", "salary_period", "apply_url", "apply_email")
OPTIONAL_INT = ("salary_min", "salary_max")
WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def job_data_from_form(form: Mapping[str, str], before: Job | None = None) -> JobData:
    """Build ``JobData`` from form strings (``before``: the job being edited); errors come
    back as field messages, every field's at once."""
    raw: dict[str, Any] = {
        key: form.get(key, "")
        for key in ("title", "content", "category", "employment_type", "location", "status")
    }
    raw["remote"] = form.get("remote") == "on"
    errors: dict[str, str] = {}
    for key in OPTIONAL_TEXT:
        raw[key] = form.get(key, "").strip() or None
    for key in OPTIONAL_INT:
        value = form.get(key, "").replace(",", "").strip()
        # ASCII digits only: "²" and "٣" pass isdigit. A minus sign is let through so that
        # JobData's bounds say what is wrong with a negative number; they also give the
        # message for thousands of digits (which int() refuses).
        if value and not WHOLE_NUMBER.fullmatch(value):
            errors[key] = _("Give a whole number.")
        raw[key] = value if value and key not in errors else None
    company = form.get("company_id", "").strip()
    raw["company_id"] = parse_id(company) if company else None
    if company and raw["company_id"] is None:
        errors["company_id"] = _("No such company.")
    expires = form.get("expires_at", "").strip()
    raw["expires_at"] = None
    if expires:
        try:
            # A date in the form means "until the end of that day" (UTC).
            raw["expires_at"] = datetime.combine(date.fromisoformat(expires), time.max, UTC)
        except ValueError:
            errors["expires_at"] = _("Give a date like 2026-12-31.")
    data = None
    try:
        data = JobData.model_validate(raw)
    except ValidationError as error:
        errors = {**fields_from_validation(error), **errors}
    if errors or data is None:
        fields = data.model_dump() if data is not None else raw
        valid = {key: value for key, value in fields.items() if key not in errors}
        raise Invalid({**_rule_errors(valid, before), **errors})
    return data


def _rule_errors(valid: dict[str, Any], before: Job | None) -> dict[str, str]:
    """What the service's rules would say of the fields that are valid on their own, so the
    form shows those errors too rather than after the next submission."""
    for key in OPTIONAL_INT:
        if valid.get(key) is not None:
            valid[key] = parse_int(str(valid[key]), low=0, high=SALARY_MAX)
    previous = None
    if before is not None:
        previous = {"expires_at": before.expires_at, "status": before.status}
    try:
        check_job(valid, utcnow(), expiry_changed=sets_expiry(previous, valid))
    except JobFieldsError as error:
        return error.fields
    return {}


def form_values(job: Job) -> dict[str, Any]:
    values: dict[str, Any] = {
        key: getattr(job, key) or ""
        for key in (
            "title",
            "content",
            "category",
            "employment_type",
            "location",
            "status",
            *OPTIONAL_TEXT,
            *OPTIONAL_INT,
        )
    }
    values["remote"] = job.remote
    values["company_id"] = job.company_id or ""
    values["expires_at"] = job.expires_at.date().isoformat() if job.expires_at else ""
    return values


def filters_from_args(args: Mapping[str, str], *, per_page: int = 20) -> JobFilter:
    """Query-string filters for pages: invalid values are dropped rather than refused."""
    raw: dict[str, Any] = {"per_page": per_page}
    for key in ("q", "category", "type", "location", "page"):
        if args.get(key):
            raw[key] = args[key]
    if args.get("remote") in {"1", "true", "on"}:
        raw["remote"] = True
    try:
        return JobFilter.model_validate(raw)
    except ValidationError as error:
        bad = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
        return JobFilter.model_validate({k: v for k, v in raw.items() if k not in bad})
