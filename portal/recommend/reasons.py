"""Why a job is recommended: stored as a code with its parameters, worded for each reader.

The consumer stores ``reason_code`` (``portal.recommend.engine.Reason``) and
``reason_params`` with every item; pages, the API and the browser word them in the reader's
language when they show them, so a list stored once reads right in every language.
"""

from __future__ import annotations

from typing import Any

from portal.i18n import gettext as _
from portal.recommend.engine import Reason, Recommendation


def reason_fields(item: Recommendation, titles: dict[int, str]) -> dict[str, Any]:
    """The code and parameters for the engine's pick (a viewed job since gone names none)."""
    if item.because is not None and item.because in titles:
        params = {"job_id": item.because, "title": titles[item.because]}
        return {"reason_code": Reason.VIEWED_JOB.value, "reason_params": params}
    if item.source == "popular":
        return {"reason_code": Reason.POPULAR.value, "reason_params": {}}
    return {"reason_code": Reason.SIMILAR_VIEWERS.value, "reason_params": {}}


def reason_text(code: str | None, params: dict[str, Any] | None = None) -> str:
    """The words for a stored reason, in the current language."""
    params = params or {}
    if code == Reason.VIEWED_JOB and "title" in params:
        return _("Because you viewed “%(title)s”", title=str(params["title"]))
    if code == Reason.POPULAR:
        return _("Popular right now")
    return _("Viewed by people with similar views")


def item_reason(item: dict[str, Any]) -> str:
    """A stored item's reason in the current language (lists stored before the codes keep
    the words they were stored with)."""
    if "reason_code" in item:
        return reason_text(item["reason_code"], item.get("reason_params"))
    return str(item.get("reason", ""))


def reason_templates() -> dict[str, str]:
    """Each code's words in the current language, ``%(title)s`` left for the browser to fill
    (the live list words the items that ``recommendations.updated`` brings)."""
    return {
        Reason.VIEWED_JOB.value: _("Because you viewed “%(title)s”", title="%(title)s"),
        Reason.POPULAR.value: _("Popular right now"),
        Reason.SIMILAR_VIEWERS.value: _("Viewed by people with similar views"),
    }
