"""The application factory."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from quart import Quart, Response, request
from quart.json.provider import JSONProvider
from quart_rate_limiter import RateLimiter
from quart_schema import OpenAPIProvider, QuartSchema, Tag
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, Rule

from portal import i18n, server
from portal.config import SETTINGS_KEY, Settings
from portal.db import MAX_ID, Database
from portal.errors import not_found, register_error_handlers
from portal.events.extension import Events
from portal.web import csrf

PACKAGE_DIR = Path(__file__).parent


def asset_dir(name: str) -> Path:
    """``static``/``templates``: inside the package when installed, else the checkout's."""
    installed = PACKAGE_DIR / f"_{name}"
    return installed if installed.is_dir() else PACKAGE_DIR.parent / name


def create_app(config: Settings | dict[str, Any] | None = None) -> Quart:
    settings = config if isinstance(config, Settings) else Settings(**(config or {}))
    app = Quart(
        __name__,
        static_folder=str(asset_dir("static")),
        static_url_path="/static",  # installed, the folder is _static; the URL stays
        template_folder=str(asset_dir("templates")),
    )
    app.url_map.converters["int"] = BoundedIntConverter
    app.config[SETTINGS_KEY] = settings
    app.secret_key = settings.resolve_secret_key()
    app.config.update(
        SESSION_COOKIE_NAME="portal_session",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        # JSON and form bodies; the upload route streams and sets its own limit.
        MAX_CONTENT_LENGTH=1024 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        QUART_SCHEMA_CONVERT_CASING=False,
    )

    server.install(app)
    Database(app)
    Events(app)
    i18n.init_app(app)
    csrf.init_app(app)
    register_error_handlers(app)
    RateLimiter(app, key_function=_rate_limit_key)
    QuartSchema(
        app,
        info={"title": "Portal API", "version": "1"},
        tags=API_TAGS,
        security_schemes={
            "cookie": {"type": "apiKey", "in_": "cookie", "name": "portal_auth"},
            "bearer": {"type": "http", "scheme": "bearer"},
        },
        security=[{"cookie": []}, {"bearer": []}],
        # /docs is ours, with vendored assets: quart-schema's pages load theirs from a CDN.
        swagger_ui_path=None,
        redoc_ui_path=None,
        scalar_ui_path=None,
        openapi_provider_class=ApiOnlyProvider,
    )
    bound_json_nesting(app)  # after QuartSchema, which installs its own JSON provider

    # Capabilities: each attaches itself (state, listeners, reactions, routes) with init_app;
    # imported here, not at the top, so that importing portal.app stays cheap for tools.
    from portal.accounts import extension as accounts
    from portal.alerts import extension as alerts
    from portal.applications import extension as applications
    from portal.companies import extension as companies
    from portal.home import extension as home
    from portal.jobs import extension as jobs
    from portal.live import extension as live
    from portal.mail import extension as mail
    from portal.media import extension as media
    from portal.recommend import extension as recommend
    from portal.saved import extension as saved
    from portal.web import health

    app.register_blueprint(health.blueprint)
    for capability in (
        live,
        home,
        accounts,
        jobs,
        companies,
        applications,
        saved,
        alerts,
        recommend,
        media,
        mail,
    ):
        capability.init_app(app)
    from portal.web import docs

    docs.init_app(app)
    if settings.bench_routes:

        @app.get("/_bench/bare")
        async def bench_bare() -> str:
            return "ok"

    app.before_request(_refuse_nul_in_path)
    app.after_request(_security_headers)
    return app


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` in every route stops at the database's integer range: a bigger id is a
    404 like any other unknown id, never an overflow in the database driver."""

    # ASCII digits only: werkzeug's \d also matches "٣", which int() reads as 3.
    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        # The length first: int() refuses thousands of digits with a ValueError.
        number = int(value) if len(value) <= len(str(MAX_ID)) else MAX_ID + 1
        if number > MAX_ID:
            # Not a ValidationError: werkzeug would then answer another method's rule with 405.
            raise NotFound()
        return number


MAX_JSON_DEPTH = 64


def bound_json_nesting(app: Quart) -> None:
    """Let the app's JSON provider (quart-schema's, which renders pydantic models) parse
    request bodies only up to ``MAX_JSON_DEPTH`` levels deep."""
    app.json = type("BoundedJSONProvider", (BoundedLoads, type(app.json)), {})(app)


class BoundedLoads(JSONProvider):
    """A body nested deeper than ``MAX_JSON_DEPTH`` is a 400 like any that is not JSON, never
    a RecursionError in the parser (at about 1,000 levels) or in whatever walks the result."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        if _nesting_exceeds(s, value, MAX_JSON_DEPTH):
            raise ValueError("JSON nested too deeply")
        return value


def _nesting_exceeds(text: str | bytes, value: Any, limit: int) -> bool:
    """Whether ``value`` (parsed from ``text``) nests deeper than ``limit``, without recursion."""
    if isinstance(text, str) and text.count("[") + text.count("{") <= limit:
        return False  # too few brackets to nest that deep: the usual body skips the walk
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in item)
    return False


async def _refuse_nul_in_path() -> None:
    # No name, id or slug of ours contains NUL, and PostgreSQL refuses it in a query: a path
    # with one (/u/%00) is unknown before any route looks it up.
    if "\x00" in request.path:
        raise not_found()


# The API's areas, in the order /docs lists them: each blueprint's operations under one tag.
API_AREAS: dict[str, tuple[str, str]] = {
    "jobs_api": ("Jobs", "The job board: list, search, read; admins write."),
    "companies_api": ("Companies", "Employers and their logos."),
    "applications_api": ("Applications", "Applying to jobs and the hiring pipeline."),
    "saved_api": ("Saved jobs", "The jobs a signed-in user keeps for later."),
    "alerts_api": ("Alerts", "Job alerts and the notification inbox."),
    "recommend_api": ("Recommendations", "Clicks in, suggested jobs out."),
    "videos": ("Videos", "A job's training videos."),
    "uploads": ("Uploads", "Resumable video uploads (tus 1.0)."),
    "accounts_api": ("Accounts", "Registering, signing in, the profile, sessions and tokens."),
}
API_TAGS: list[Tag | dict[str, Any]] = [
    {"name": name, "description": text} for name, text in API_AREAS.values()
]
_DOUBLE_BACKTICKS = re.compile(r"``(.+?)``")


class ApiOnlyProvider(OpenAPIProvider):
    """Document the JSON API only; HTML pages and the websocket are not operations."""

    def generate_rules(self) -> Iterable[Rule]:
        return (rule for rule in super().generate_rules() if rule.rule.startswith("/api/"))

    def build_paths(self, rule: Rule) -> tuple[dict[str, Any], dict[str, Any]]:
        """Each operation under its blueprint's area, its docstring readable in Swagger UI:
        our docstrings mark code ``so`` (reStructuredText); the summary is shown as plain text
        and the description as Markdown."""
        paths, components = super().build_paths(rule)
        area = API_AREAS.get(rule.endpoint.rsplit(".", 1)[0])
        for operations in paths.values():
            for operation in operations.values():
                if area is not None and "tags" not in operation:
                    operation["tags"] = [area[0]]
                if "summary" in operation:
                    operation["summary"] = _DOUBLE_BACKTICKS.sub(r"\1", operation["summary"])
                if "description" in operation:
                    text = operation["description"]
                    operation["description"] = _DOUBLE_BACKTICKS.sub(r"`\1`", text)
        return paths, components


async def _rate_limit_key() -> str:
    # quart-rate-limiter's default key trusts X-Forwarded-For; ours trusts it only from proxies
    # the settings name, and keys signed-in callers by account.
    from portal.accounts.auth import load_principal
    from portal.web.client import client_address

    principal = await load_principal()
    if principal.user is not None:
        return f"user:{principal.user.id}"
    return f"addr:{client_address()}"


async def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html":
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
            "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-eval'; "
            "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; "
            "form-action 'self'",
        )
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
