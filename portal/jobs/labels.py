"""Human labels for the job enums, translated when shown."""

from __future__ import annotations

from functools import cache

from babel.support import LazyProxy

from portal.i18n import force_language
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
        }
