"""Pure rules for job fields that span several fields or need normalising (no I/O)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from babel.numbers import list_currencies

from portal.accounts.validation import normalize_email
from portal.i18n import gettext as _
from portal.jobs.models import JobStatus

CURRENCIES = frozenset(list_currencies())
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def slugify(title: str, limit: int = 60) -> str:
    """An ASCII slug for the URL; titles without Latin letters get none (the id suffices)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:limit].rstrip("-")


def web_address(url: str) -> bool:
    """An absolute http(s) address without spaces or control characters."""
    if _SPACE_OR_CONTROL.search(url):
        return False  # urlsplit would silently drop tabs and newlines
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[::1" (an unclosed IPv6 literal)
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.netloc)


def check_job(fields: dict[str, Any], now: datetime, *, expiry_changed: bool) -> dict[str, Any]:
    """Normalise and check a job's complete field set; raises ``ValueError`` with field errors.

    Returns the normalised fields (currency upper-cased, email normalised, empties as None).
    """
    out = dict(fields)
    errors: dict[str, str] = {}
    for key in ("apply_url", "apply_email", "salary_currency"):
        if isinstance(out.get(key), str) and not out[key].strip():
            out[key] = None

    low, high = out.get("salary_min"), out.get("salary_max")
    if low is not None and high is not None and low > high:
        errors["salary_max"] = _("The maximum salary must not be below the minimum.")
    if low is not None or high is not None:
        currency = (out.get("salary_currency") or "").upper()
        if not currency:
            errors["salary_currency"] = _("Give the salary's currency.")
        elif currency not in CURRENCIES:
            errors["salary_currency"] = _("Unknown currency code.")
        out["salary_currency"] = currency or None
        if not out.get("salary_period"):
            errors["salary_period"] = _("Say whether the salary is per hour, day, month or year.")
    else:
        out["salary_currency"] = None
        out["salary_period"] = None

    url = out.get("apply_url")
    if url and not web_address(url):
        errors["apply_url"] = _("Give a full web address starting with https://.")
    email = out.get("apply_email")
    if email:
        try:
            out["apply_email"] = normalize_email(email)[0]
        except ValueError as error:
            errors["apply_email"] = str(error)

    # A published job needs only its title and content: without an external link or email,
    # people apply on Portal itself. A past expiry is refused in any status once it is set
    # (a draft given one could never be seen); one that has passed since may stay.
    expires = out.get("expires_at")
    if expires is not None and expiry_changed and expires <= now:
        errors["expires_at"] = _("The expiry date must be in the future.")
    if errors:
        raise JobFieldsError(errors)
    return out


def sets_expiry(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> bool:
    """Whether ``after`` sets the job's expiry anew: on creation, when the date changes, and
    when the job is published (again) with it. Editing other fields keeps a date that has
    passed since (the edit form sends every field, the date unchanged among them)."""
    if before is None:
        return True
    published = JobStatus.PUBLISHED.value
    republished = after.get("status") == published != before.get("status")
    return after.get("expires_at") != before.get("expires_at") or republished


class JobFieldsError(ValueError):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("invalid job fields")
        self.fields = fields
