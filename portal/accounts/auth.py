"""Who is asking: the session cookie (quart-auth) or a bearer token, resolved per request."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from quart import (
    Quart,
    Response,
    after_this_request,
    current_app,
    g,
    has_request_context,
    request,
    websocket,
)
from quart.typing import ResponseTypes
from quart_auth import AuthUser, QuartAuth, current_user, login_user, logout_user
from sqlalchemy import exc as sqlalchemy_errors
from sqlalchemy import inspect

from portal.accounts import service
from portal.accounts.models import User
from portal.accounts.principals import PrincipalCache
from portal.config import get_settings
from portal.db import end_read, get_session
from portal.errors import before_error_page, forbidden, unauthorized
from portal.events.extension import get_events
from portal.web.client import client_address
from portal.web.csrf import rotate_csrf_token

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Principal:
    user: User | None = None
    session_id: int | None = None
    token_id: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None

    @property
    def is_admin(self) -> bool:
        return self.user is not None and self.user.is_admin


ANONYMOUS = Principal()


def _bearer(headers: object) -> str | None:
    raw = headers.get("Authorization", "")  # type: ignore[attr-defined]
    scheme, _sep, value = raw.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REMEMBERS_CALLER = "portal_remembers_caller"
View = TypeVar("View", bound=Callable[..., Any])


def remembers_caller(view: View) -> View:
    """Let an unsafe route that only needs to know who is asking (a click) recognise its
    caller from memory from the request's first lookup on, its rate-limit key's included."""
    setattr(view, REMEMBERS_CALLER, True)
    return view


def _route_remembers() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, REMEMBERS_CALLER, False)


def _cache_key(bearer: str | None, remembered: bool) -> str | None:
    """The credential a safe request (or a route that asks) may be recognised by from memory."""
    if not has_request_context():
        return None
    if request.method not in SAFE_METHODS and not remembered and not _route_remembers():
        return None
    if bearer is not None:
        return "token:" + bearer
    if current_user.auth_id is not None:
        return "session:" + current_user.auth_id
    return None


async def load_principal(*, remembered: bool = False) -> Principal:
    """Resolve the caller once per request or websocket and cache it on ``g``.

    Safe requests may be recognised from memory (``portal.accounts.principals``); so may an
    unsafe one whose route passes ``remembered=True`` because it only reads who is asking.
    """
    if "principal" in g:
        return g.principal
    headers = request.headers if has_request_context() else websocket.headers
    bearer = _bearer(headers)
    cache: PrincipalCache = current_app.extensions["portal.principals"]
    key = _cache_key(bearer, remembered)
    if key is not None and (known := cache.get(key)) is not None:
        g.principal = known
        return known
    principal = ANONYMOUS
    valid_until: datetime | None = None  # the credential's own expiry
    session = get_session()
    if bearer is not None:
        found = await service.resolve_token(session, bearer)
        if found is not None:
            principal = Principal(user=found[1], token_id=found[0].id)
            valid_until = found[0].expires_at
    elif current_user.auth_id is not None:
        found_session = await service.resolve_session(session, current_user.auth_id)
        if found_session is not None:
            principal = Principal(user=found_session[1], session_id=found_session[0].id)
            valid_until = found_session[0].expires_at
        elif has_request_context():
            logout_user()  # revoked or expired: drop the dead cookie
    # End the read snapshot now: a service that writes next then starts its own
    # transaction (SQLite cannot upgrade a stale read transaction to a write).
    await end_read(session)
    if key is not None and principal.user is not None:
        cache.put(key, principal, valid_until)
    g.principal = principal
    return principal


async def require_user(*, remembered: bool = False) -> User:
    principal = await load_principal(remembered=remembered)
    if principal.user is None:
        raise unauthorized()
    return principal.user


async def require_admin(*, remembered: bool = False) -> User:
    user = await require_user(remembered=remembered)
    if not user.is_admin:
        raise forbidden()
    return user


DEVICE_COOKIE = "portal_device"
DEVICE_COOKIE_DAYS = 365


def _device_signature(user_id: int, device_id: str) -> str:
    key = hashlib.sha256(b"portal.device:" + str(current_app.secret_key).encode()).digest()
    message = f"{user_id}.{device_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def known_device() -> service.KnownDevice | None:
    """The browser's device cookie, if it is one we signed: set at a past sign-in, it vouches
    that this browser was used by that account (not that whoever holds it is the account)."""
    user_part, _dot, rest = request.cookies.get(DEVICE_COOKIE, "").partition(".")
    device_id, _dot, signature = rest.partition(".")
    if not (user_part.isascii() and user_part.isdigit() and len(user_part) < 19 and device_id):
        return None
    expected = _device_signature(int(user_part), device_id)
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        return None
    return service.KnownDevice(user_id=int(user_part), device_id=device_id)


def _remember_device(user: User) -> None:
    """Mark this browser as one ``user`` signs in from (kept across sign-outs), so that a
    later lock-out of the account or of its address does not shut its owner out here."""
    known = known_device()
    device_id = known.device_id if known and known.user_id == user.id else secrets.token_urlsafe(16)
    value = f"{user.id}.{device_id}.{_device_signature(user.id, device_id)}"

    @after_this_request
    async def _set_device_cookie(response: ResponseTypes) -> ResponseTypes:
        response.set_cookie(
            DEVICE_COOKIE,
            value,
            max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
            secure=get_settings().secure_cookies,
            httponly=True,
            samesite="Lax",
        )
        return response


async def sign_in(user: User, *, remember: bool) -> None:
    settings = get_settings()
    lifetime = (
        timedelta(days=settings.session_days_remembered)
        if remember
        else timedelta(hours=settings.session_hours)
    )
    raw = await service.start_session(
        get_session(),
        user,
        remember=remember,
        lifetime=lifetime,
        user_agent=request.headers.get("User-Agent", ""),
        address=client_address(),
    )
    # quart-auth's login_user sets the cookie's action from ``remember`` itself (overwriting
    # any action given to AuthUser): only remember=True makes a persistent cookie.
    login_user(AuthUser(raw), remember=remember)
    _remember_device(user)
    # A token a page handed out before sign-in (perhaps to someone else, who planted the
    # session) must not be good for the signed-in session.
    rotate_csrf_token()
    g.pop("principal", None)


async def sign_out() -> None:
    principal = await load_principal()
    if principal.session_id is not None and principal.user is not None:
        await service.revoke_session(get_session(), principal.user, principal.session_id)
    logout_user()
    g.principal = ANONYMOUS

    @after_this_request
    async def _clear_page_state(response: ResponseTypes) -> ResponseTypes:
        # What the signed-in pages left behind (cached copies, sessionStorage, the tab's
        # back/forward copies) must not show the account to whoever uses the browser next.
        # Not "cookies": the device cookie that vouches for this browser at sign-in stays.
        response.headers["Clear-Site-Data"] = CLEARED_AT_SIGN_OUT
        return response


CLEARED_AT_SIGN_OUT = '"cache", "storage"'


def _signed_in_request() -> bool:
    principal = g.get("principal")
    if principal is not None and principal.is_authenticated:
        return True
    # A request that carried the sign-in cookie but never looked up its caller (or was
    # signed out by it) was still answered for that browser's account.
    return current_app.config["QUART_AUTH_COOKIE_NAME"] in request.cookies


async def _no_store_when_signed_in(response: Response) -> Response:
    """Pages and API answers for a signed-in caller are never stored: Back after signing
    out (or the next user of a shared computer) must not bring the account's data back."""
    if not (response.mimetype == "text/html" or request.path.startswith("/api/")):
        return response
    if "no-store" not in response.headers.get("Cache-Control", "") and _signed_in_request():
        response.headers["Cache-Control"] = "no-store"
    return response


async def _reload_signed_in_user() -> None:
    """Reload the signed-in user if a rollback expired it, as services do before raising.

    The error page's navigation reads the user, and a lazy load while rendering cannot run
    under asyncio (MissingGreenlet): the error page itself would fail."""
    user = getattr(g.get("principal"), "user", None)
    if user is None or not inspect(user).expired_attributes:
        return
    try:
        await get_session().refresh(user)
    except (sqlalchemy_errors.SQLAlchemyError, OSError) as failure:
        # The database is what failed: show the page as to a visitor rather than not at all.
        log.warning("error page without the signed-in user: %s", failure)
        g.principal = ANONYMOUS


def init_app(app: Quart) -> None:
    settings = get_settings(app)
    app.config.update(
        QUART_AUTH_COOKIE_NAME="portal_auth",
        QUART_AUTH_COOKIE_SECURE=settings.secure_cookies,
        QUART_AUTH_COOKIE_SAMESITE="Lax",
        QUART_AUTH_COOKIE_HTTP_ONLY=True,
        QUART_AUTH_DURATION=int(timedelta(days=settings.session_days_remembered).total_seconds()),
    )
    QuartAuth(app)
    before_error_page(app, _reload_signed_in_user)
    app.after_request(_no_store_when_signed_in)
    cache = app.extensions["portal.principals"] = PrincipalCache()
    get_events(app).add_listener(cache.on_event)

    @app.context_processor
    async def _principal_context() -> dict[str, object]:
        principal = await load_principal()
        return {"principal": principal, "me": principal.user}
