"""Applications as CSV for a spreadsheet. Pure: rows in, text out.

UTF-8 with a byte-order mark, or Excel reads Chinese names as mojibake. A cell a user typed
that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before looking) would be run as a formula: it gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from portal.applications.schemas import ApplicationView

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER = (
    "id",
    "status",
    "job_id",
    "job_title",
    "company",
    "applicant",
    "username",
    "email",
    "phone",
    "applied_at",
    "updated_at",
    "cover_letter",
    "note",
    "resume_url",
)


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _row(view: ApplicationView, base_url: str) -> list[str]:
    application, user = view.application, view.applicant
    resume = f"{base_url}/applications/{application.id}/resume" if view.resume else ""
    cells = (
        application.id,
        application.status,
        application.job_id,
        application.job_title,
        view.company.name if view.company else "",
        user.nickname,
        user.username,
        user.email,
        user.phone,
        application.created_at.isoformat(timespec="seconds"),
        application.updated_at.isoformat(timespec="seconds"),
        application.cover_letter,
        application.note,
        resume,
    )
    return [neutralise(cell) for cell in cells]


def applications_csv(views: Iterable[ApplicationView], base_url: str) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for view in views:
        writer.writerow(_row(view, base_url))
    return out.getvalue()
