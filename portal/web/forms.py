"""Helpers for HTML forms: keep the user's input and show errors next to fields."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from quart import render_template, request

from portal.errors import APIError


async def form_data() -> dict[str, str]:
    form = await request.form
    return {key: value for key, value in form.items() if key != "csrf_token"}


async def render_form(
    template: str,
    *,
    values: dict[str, Any] | None = None,
    error: APIError | None = None,
    **context: Any,
) -> tuple[str, int]:
    """Render a form page; with an error, its status and messages go to the page."""
    status = error.status if error else 200
    html = await render_template(
        template,
        values=values or {},
        errors=error.fields if error else {},
        form_message=error.message if error and not error.fields else None,
        **context,
    )
    return html, status


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after sign-in (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target
