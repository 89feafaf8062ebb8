"""Human labels of the application pipeline, translated when shown."""

from __future__ import annotations

from babel.support import LazyProxy

from portal.i18n import lazy_gettext as _l

STATUS_LABELS: dict[str, LazyProxy] = {
    "submitted": _l("Submitted"),
    "reviewing": _l("Reviewing"),
    "interview": _l("Interview"),
    "offer": _l("Offer"),
    "hired": _l("Hired"),
    "rejected": _l("Not selected"),
    "withdrawn": _l("Withdrawn"),
}
