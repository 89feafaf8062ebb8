"""Cross-site request forgery protection.

Every unsafe request passes a cross-origin check (the Sec-Fetch-Site / Origin algorithm of
Go's ``http.CrossOriginProtection``): browsers always send one of those headers, and a
request from another site is refused. HTML forms also carry a per-session token, which
covers old browsers that send neither header. Bearer-token requests carry no ambient
credentials and skip the token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

from quart import Quart, current_app, request, session

from portal.errors import APIError
from portal.i18n import gettext as _

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
TOKEN_FIELD = "csrf_token"  # noqa: S105 - a form field name
TOKEN_HEADER = "X-CSRF-Token"  # noqa: S105 - a header name


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def origin_allowed(origin: str, host: str) -> bool:
    if origin in current_app.config["PORTAL_SETTINGS"].allowed_origins:
        return True
    parts = urlsplit(origin)
    return bool(parts.netloc) and parts.netloc == host


def check_cross_origin(method: str, headers: Mapping[str, str], host: str) -> bool:
    """True when an unsafe request is not a cross-site browser request."""
    if method in SAFE_METHODS:
        return True
    origin = headers.get("Origin")
    fetch_site = headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in {"same-origin", "none"} or (
            origin is not None and origin_allowed(origin, host)
        )
    if origin is None:
        return True  # not a browser (curl, scripts): nothing ambient to forge
    return origin_allowed(origin, host)


async def protect() -> None:
    if request.method in SAFE_METHODS:
        return
    if not check_cross_origin(request.method, request.headers, request.host):
        raise APIError(403, "csrf_failed", _("Cross-site request refused."))
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return
    if request.mimetype in FORM_TYPES:
        form = await request.form
        sent = form.get(TOKEN_FIELD) or request.headers.get(TOKEN_HEADER, "")
        expected = session.get("csrf", "")
        if not expected or not hmac.compare_digest(str(sent), str(expected)):
            raise APIError(
                403, "csrf_failed", _("The form has expired. Please reload the page and try again.")
            )


def init_app(app: Quart) -> None:
    app.before_request(protect)
    app.jinja_env.globals["csrf_token"] = csrf_token
