"""Helpers for HTML forms: keep the user's input and show errors next to fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from quart import render_template, request
from werkzeug.urls import iri_to_uri

from portal.db import MAX_ID
from portal.domain_errors import Invalid
from portal.errors import APIError, Refusal, http_error
from portal.i18n import gettext as _
from portal.web.text import has_controls

# More digits than any id or count of ours has; int() of thousands of digits is refused
# (a ValueError) and a big number overflows the database's integer columns.
MAX_DIGITS = 18


async def form_data() -> dict[str, str]:
    """The submitted fields, refused with a 422 when one holds a NUL: no text of ours may
    contain it, and PostgreSQL refuses it in a query (a 500 if it got that far)."""
    form = await request.form
    # A multipart part whose name werkzeug cannot read (name="a\\") has the key None: no
    # field of ours, so it is dropped like any unknown one.
    named = [(key, value) for key, value in form.items() if key is not None]
    values = {key: value for key, value in named if key != "csrf_token"}
    bad = [key for key, value in named if "\x00" in key or "\x00" in value]
    if bad:
        message = _("Remove the control characters.")
        fields = {key.replace("\x00", "")[:100]: message for key in bad}
        raise APIError(422, "validation_failed", message, fields)
    return values


def require_filled(values: Mapping[str, str], *names: str) -> None:
    """Refuse (422) a form whose required fields are empty, naming every one at once."""
    missing = {name: _("Fill in this field.") for name in names if not values.get(name, "").strip()}
    if missing:
        raise Invalid(missing)


def parse_int(value: str | None, *, low: int, high: int) -> int | None:
    """A whole number written in ASCII digits between ``low`` and ``high``, else None.

    ``str.isdigit`` is not enough: "²" and "٣" pass it, and int() refuses the first."""
    if not value or not value.isascii() or not value.isdigit() or len(value) > MAX_DIGITS:
        return None
    number = int(value)
    return number if low <= number <= high else None


def parse_id(value: str | None) -> int | None:
    """A row id from a form, path or query string: within the database's integer range."""
    return parse_int(value, low=1, high=MAX_ID)


def parse_page(value: str | None, *, last: int = 10_000) -> int:
    """A page number from a query string; anything else is the first page."""
    return parse_int(value, low=1, high=last) or 1


async def render_form(
    template: str,
    *,
    values: dict[str, Any] | None = None,
    error: Refusal | None = None,
    **context: Any,
) -> tuple[str, int, dict[str, str]]:
    """Render a form page; with an error, its status, headers and messages go to the page."""
    answer = http_error(error) if error else None
    html = await render_template(
        template,
        values=values or {},
        errors=answer.fields if answer else {},
        form_message=answer.message if answer and not answer.fields else None,
        **context,
    )
    return html, answer.status if answer else 200, answer.headers if answer else {}


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after sign-in (no open redirects).

    Control characters send the visitor to ``default``: browsers drop tabs and line breaks
    from a URL ("/<tab>/evil.example" is "//evil.example" to them) and the HTTP server refuses
    them in a Location header. What else is not ASCII is percent-encoded for that header."""
    if not target or has_controls(target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return iri_to_uri(target)
