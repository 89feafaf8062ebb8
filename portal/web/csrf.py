"""Cross-site request forgery protection.

Every unsafe request passes a cross-origin check (the Sec-Fetch-Site / Origin algorithm of
Go's ``http.CrossOriginProtection``, comparing whole origins): a request another site's page
made is refused. The site grants no CORS, so a browser sends a cross-origin request only if
it is a "simple" one, which needs no preflight: a POST with a form content type
(urlencoded, multipart, text/plain) or with no content type at all. Those requests must also
carry the session's token (the ``csrf_token`` field or the ``X-CSRF-Token`` header), which
covers old browsers that send neither header. Anything else (a JSON body, DELETE, PATCH, a
tus request with its ``Tus-Resumable`` header) cannot come from another site's page, so the
JSON API needs no token. Bearer-token requests carry no ambient credential and skip the
token, and so does a bodyless POST without the sign-in cookie (it acts as nobody).

Pages carry the token in their forms; sign-in puts a fresh one in the session (and in the
``X-CSRF-Token`` response header, for scripts that sign in through the API).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from quart import Quart, after_this_request, current_app, request, session
from quart.typing import ResponseTypes
from quart.wrappers import BaseRequestWebsocket

from portal.config import get_settings
from portal.errors import APIError, FormExpiredError
from portal.i18n import gettext as _

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
# A header no page may send to another origin without a preflight (which we never grant).
PREFLIGHTED_HEADERS = ("Tus-Resumable",)
SAME_ORIGIN_SITES = frozenset({"same-origin", "none"})
TOKEN_FIELD = "csrf_token"  # noqa: S105 - a form field name
TOKEN_HEADER = "X-CSRF-Token"  # noqa: S105 - a header name
DEFAULT_PORTS = {"http": 80, "https": 443}
HTTP_SCHEMES = {"http": "http", "https": "https", "ws": "http", "wss": "https"}

Origin = tuple[str, str, int]


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def rotate_csrf_token() -> str:
    """Give the session a new token (at sign-in), also in this response's header."""
    token = session["csrf"] = secrets.token_urlsafe(32)

    @after_this_request
    async def _send(response: ResponseTypes) -> ResponseTypes:
        response.headers[TOKEN_HEADER] = token
        return response

    return token


def _origin_of(scheme: str, netloc: str) -> Origin | None:
    """``(scheme, host, port)`` with the default port filled in, or None if unparsable."""
    scheme = HTTP_SCHEMES.get(scheme.lower(), "")
    if not scheme or not netloc:
        return None
    try:
        parts = urlsplit(f"//{netloc}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.username is not None or parts.password is not None:
        return None
    return scheme, parts.hostname, port if port is not None else DEFAULT_PORTS[scheme]


def _parse_origin(origin: str) -> Origin | None:
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return None
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        return None
    return _origin_of(parts.scheme, parts.netloc)


def origin_allowed(
    origin: str | None, *, scheme: str, host: str, fetch_site: str | None = None
) -> bool:
    """True unless a request is a cross-site browser request; the check every unsafe
    request and the websocket handshake pass.

    ``origin`` and ``fetch_site`` are the ``Origin`` and ``Sec-Fetch-Site`` headers as sent
    (None when absent); ``scheme`` and ``host`` say how the client reached us
    (``request_scheme(request)``, ``request.host``; ``ws``/``wss`` count as ``http``/
    ``https``). An origin in ``PORTAL_ALLOWED_ORIGINS`` is always allowed. Otherwise a
    browser's ``Sec-Fetch-Site`` decides (only ``same-origin`` and ``none`` pass), then the
    Origin must equal ours in scheme, host and port. Neither header: not a browser, nothing
    ambient to forge.
    """
    claimed = _parse_origin(origin) if origin is not None else None
    if claimed is not None:
        allowed = get_settings().allowed_origins
        if claimed in {_parse_origin(item) for item in allowed}:
            return True
    if fetch_site is not None:
        return fetch_site.strip().lower() in SAME_ORIGIN_SITES
    if origin is None:
        return True
    return claimed is not None and claimed == _origin_of(scheme, host)


def request_scheme(incoming: BaseRequestWebsocket) -> str:
    """The scheme the client used: ``X-Forwarded-Proto`` when a trusted proxy sent it.

    Only peers in ``PORTAL_TRUSTED_PROXIES`` are believed, as for ``X-Forwarded-For``: a
    proxy that ends TLS speaks plain HTTP to us, while the browser's Origin says https.
    """
    networks = get_settings().trusted_proxy_networks
    forwarded = incoming.headers.get("X-Forwarded-Proto", "")
    if networks and forwarded:
        try:
            peer = ipaddress.ip_address(incoming.remote_addr or "")
        except ValueError:
            peer = None
        if peer is not None and any(peer in network for network in networks):
            # The nearest proxy's word, as werkzeug's ProxyFix with one trusted hop.
            nearest = forwarded.split(",")[-1].strip().lower()
            if nearest in HTTP_SCHEMES:
                return nearest
    return incoming.scheme


def _needs_token() -> bool:
    """A request another site's page could send without a preflight, with our cookie."""
    if request.mimetype in FORM_TYPES:
        return True
    if request.method != "POST" or request.mimetype:
        return False
    if any(name in request.headers for name in PREFLIGHTED_HEADERS):
        return False
    return current_app.config["QUART_AUTH_COOKIE_NAME"] in request.cookies


def exempt(view: Callable[..., Any]) -> Callable[..., Any]:
    """For a route whose URL itself carries a signed secret and that acts on nobody's cookie
    (RFC 8058 one-click unsubscribe, POSTed by a mail provider's server): no token, no Origin."""
    view._csrf_exempt = True  # type: ignore[attr-defined]
    return view


async def protect() -> None:
    if request.method in SAFE_METHODS:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "_csrf_exempt", False):
        return
    if not origin_allowed(
        request.headers.get("Origin"),
        scheme=request_scheme(request),
        host=request.host,
        fetch_site=request.headers.get("Sec-Fetch-Site"),
    ):
        raise APIError(403, "csrf_failed", _("Cross-site request refused."))
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return
    if _needs_token():
        sent = request.headers.get(TOKEN_HEADER, "")
        if request.mimetype in FORM_TYPES:
            sent = (await request.form).get(TOKEN_FIELD) or sent
        expected = session.get("csrf", "")
        # Bytes: compare_digest refuses str that is not ASCII (a 500 for a forged token).
        if not expected or not hmac.compare_digest(str(sent).encode(), str(expected).encode()):
            raise FormExpiredError()


def init_app(app: Quart) -> None:
    app.before_request(protect)
    app.jinja_env.globals["csrf_token"] = csrf_token
