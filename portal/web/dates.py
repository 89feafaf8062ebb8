"""How moments read on pages: "2 days ago", with the exact date and time on hover.

The page's script (static/js/when.js) keeps the words current after the page was rendered (or
cached) and in the browser's own time zone; this is what a page says before it runs, or
without it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from babel.dates import format_datetime, format_timedelta
from markupsafe import Markup, escape

from portal.db import utcnow
from portal.i18n import current_language


def relative_words(moment: datetime, now: datetime | None = None) -> str:
    """``moment`` from ``now`` in words of the request's language ("2 days ago", "2天前")."""
    delta = moment - (now or utcnow())
    return format_timedelta(delta, add_direction=True, threshold=1, locale=current_language())


def exact_words(moment: datetime) -> str:
    return format_datetime(moment, "medium", tzinfo=UTC, locale=current_language()) + " UTC"


def when(moment: datetime, now: datetime | None = None) -> Markup:
    """A ``<time>`` that when.js keeps in words; the Vue cards render the same element."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return Markup('<time datetime="{}" title="{}" data-relative>{}</time>').format(
        moment.isoformat().replace("+00:00", "Z"),
        escape(exact_words(moment)),
        relative_words(moment, now),
    )
