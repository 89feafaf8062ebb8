"""Human labels for the job enums, translated when shown."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from babel.support import LazyProxy

from portal.i18n import force_language
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l

CATEGORY_LABELS: dict[str, LazyProxy] = {
    "engineering": _l("Engineering"),
    "data": _l("Data & analytics"),
    "design": _l("Design"),
    "product": _l("Product"),
    "marketing": _l("Marketing"),
    "sales": _l("Sales"),
    "customer_support": _l("Customer support"),
    "operations": _l("Operations"),
    "finance": _l("Finance"),
    "human_resources": _l("Human resources"),
    "education": _l("Education"),
    "healthcare": _l("Healthcare"),
    "hospitality": _l("Hospitality"),
    "logistics": _l("Logistics"),
    "manufacturing": _l("Manufacturing"),
    "other": _l("Other"),
}
TYPE_LABELS: dict[str, LazyProxy] = {
    "full_time": _l("Full-time"),
    "part_time": _l("Part-time"),
    "contract": _l("Contract"),
    "internship": _l("Internship"),
}
STATUS_LABELS: dict[str, LazyProxy] = {
    "draft": _l("draft"),
    "published": _l("published"),
    "closed": _l("closed"),
}
PERIOD_LABELS: dict[str, LazyProxy] = {
    "hour": _l("per hour"),
    "day": _l("per day"),
    "month": _l("per month"),
    "year": _l("per year"),
}


@cache
def labels_for(language: str) -> dict[str, dict[str, str]]:
    """All label tables resolved for one language (translations do not change at run time)."""
    with force_language(language):
        return {
            "CATEGORY_LABELS": {k: str(v) for k, v in CATEGORY_LABELS.items()},
            "TYPE_LABELS": {k: str(v) for k, v in TYPE_LABELS.items()},
            "STATUS_LABELS": {k: str(v) for k, v in STATUS_LABELS.items()},
            "PERIOD_LABELS": {k: str(v) for k, v in PERIOD_LABELS.items()},
            "ACTION_LABELS": {k: str(v) for k, v in ACTION_LABELS.items()},
        }


# The audit log's words for the fields of a job and for what was done to it.
FIELD_LABELS: dict[str, LazyProxy] = {
    "title": _l("Title"),
    "content": _l("Description"),
    "category": _l("Category"),
    "employment_type": _l("Employment type"),
    "location": _l("Location"),
    "remote": _l("Remote work"),
    "salary_min": _l("Minimum salary"),
    "salary_max": _l("Maximum salary"),
    "salary_currency": _l("Currency"),
    "salary_period": _l("Salary period"),
    "company_id": _l("Company"),
    "apply_url": _l("Apply link"),
    "apply_email": _l("Apply e-mail"),
    "status": _l("Status"),
    "expires_at": _l("Expires"),
}
ACTION_LABELS: dict[str, LazyProxy] = {
    "create": _l("created"),
    "edit": _l("edited"),
    "publish": _l("published"),
    "unpublish": _l("unpublished"),
    "close": _l("closed"),
    "delete": _l("deleted"),
    # Written by the applications capability, about one application (its field: "#id name").
    "apply": _l("applied"),
    "application": _l("moved"),
    "note": _l("note"),
    "withdraw": _l("withdrawn"),
}
APPLICATION_ACTIONS = frozenset({"apply", "application", "note", "withdraw"})
_VALUE_LABELS: dict[str, dict[str, LazyProxy]] = {
    "status": STATUS_LABELS,
    "category": CATEGORY_LABELS,
    "employment_type": TYPE_LABELS,
    "salary_period": PERIOD_LABELS,
}


def audit_value(field: str, value: Any) -> str:
    """One value of an audit entry in words: labels for enums, "(none)" for nothing."""
    if value is None or value == "":
        return _("(none)")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    labels = _VALUE_LABELS.get(field)
    if labels is not None and str(value) in labels:
        return str(labels[str(value)])
    if field == "company_id":
        return f"#{value}"
    if field == "expires_at":
        # Stored as ISO text: the minute is enough to read.
        return str(value)[:16].replace("T", " ")
    return str(value)


def audit_change(
    action: str, field: str, pair: list[Any], statuses: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """What the audit log shows of one field's change: its label, and the values before and
    after in words (before is None when there is nothing to compare, on creation).

    An application's entry names the application; ``statuses`` are its status labels."""
    before, after = pair
    if action in APPLICATION_ACTIONS:
        if action == "note":
            return {"label": field, "before": None, "after": _("note changed")}
        labels = statuses or {}
        words = [None if v is None else str(labels.get(str(v), v)) for v in (before, after)]
        return {"label": field, "before": words[0], "after": words[1] or _("(none)")}
    label = str(FIELD_LABELS[field]) if field in FIELD_LABELS else field
    if field == "content":
        # The body is long: that it changed is what the log says.
        return {"label": label, "before": None, "after": None}
    if action == "delete":
        return {"label": label, "before": audit_value(field, before), "after": _("(deleted)")}
    if action == "create":
        return {"label": label, "before": None, "after": audit_value(field, after)}
    return {
        "label": label,
        "before": audit_value(field, before),
        "after": audit_value(field, after),
    }


# Locations that say no more than the remote badge does ("Remote · Remote" on a card).
REMOTE_WORDS = frozenset(
    {"remote", "remote only", "fully remote", "100% remote", "远程", "远程办公"}
)


def place_of(location: str | None, remote: bool) -> str:
    """The location to show beside the remote badge: none when it only repeats it."""
    text = (location or "").strip()
    if remote and text.casefold() in REMOTE_WORDS:
        return ""
    return text
