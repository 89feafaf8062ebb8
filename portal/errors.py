"""The HTTP side of errors: the JSON envelope, the statuses of domain errors, and the handlers
that render every error as JSON (API) or HTML (pages)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError
from quart import (
    Quart,
    Response,
    current_app,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from quart_schema import RequestSchemaValidationError
from sqlalchemy import exc as sqlalchemy_errors
from werkzeug.exceptions import HTTPException

from portal.domain_errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    InvalidCredentials,
    NotFound,
    Throttled,
    TooLarge,
    Unsupported,
)
from portal.i18n import gettext as _

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: dict[str, str] = {}


class ErrorEnvelope(BaseModel):
    """The body of every API error response."""

    error: ErrorBody


class APIError(Exception):
    """A failure the client can act on: a status, a stable code, a message and field errors."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


# The one place a domain error gets its status (subclasses inherit their parent's).
DOMAIN_STATUSES: dict[type[DomainError], int] = {
    DomainError: 400,
    InvalidCredentials: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    Unsupported: 415,
    Invalid: 422,
    Throttled: 429,
}

# What a form page may be shown again with: a refusal of the route or of a service.
Refusal = APIError | DomainError


def http_error(error: Refusal) -> APIError:
    """The HTTP answer to ``error``: its status, code, message, fields and headers."""
    if isinstance(error, APIError):
        return error
    status = next(DOMAIN_STATUSES[kind] for kind in type(error).__mro__ if kind in DOMAIN_STATUSES)
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, Throttled) else None
    return APIError(status, error.code, error.message, error.fields, headers)


def unauthorized() -> APIError:
    return APIError(401, "unauthorized", _("Please sign in first."))


class FormExpiredError(APIError):
    """A form whose token is no longer the session's (signed in or out since it was shown):
    too late rather than wrong, so its page says so and leads back to the form."""

    def __init__(self) -> None:
        super().__init__(
            403, "csrf_failed", _("The form has expired. Please reload the page and try again.")
        )


def forbidden(message: str | None = None) -> APIError:
    return APIError(403, "forbidden", message or _("You are not allowed to do that."))


def not_found(message: str | None = None) -> APIError:
    return APIError(404, "not_found", message or _("Not found."))


def fields_from_validation(error: ValidationError) -> dict[str, str]:
    """Flatten pydantic errors to ``{"field": "message"}``, the first message per field."""
    fields: dict[str, str] = {}
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "body"
        message = item["msg"]
        ctx_error = item.get("ctx", {}).get("error")
        if isinstance(ctx_error, Exception):
            message = str(ctx_error)
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        fields.setdefault(name, message)
    return fields


def wants_json() -> bool:
    if not has_request_context():
        return True
    if request.path.startswith("/api/") or request.path == "/openapi.json":
        return True
    accept = request.accept_mimetypes
    return accept.best == "application/json"


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    411: "length_required",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "validation_failed",
    429: "rate_limited",
    503: "unavailable",
}
# The database unreachable, restarting, or (SQLite) locked past the busy timeout, or the pool
# exhausted: nothing the client did, and worth retrying shortly.
DATABASE_UNAVAILABLE = (
    sqlalchemy_errors.OperationalError,
    sqlalchemy_errors.InterfaceError,
    sqlalchemy_errors.TimeoutError,
    ConnectionRefusedError,
)
RETRY_AFTER_SECONDS = 5


def json_error(error: APIError) -> Response:
    """The JSON envelope of ``error``, with its status and headers."""
    return _with_status(jsonify(error.to_dict()), error)


def _with_status(response: Response, error: APIError) -> Response:
    response.status_code = error.status
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


async def render_error(error: APIError) -> Response:
    if wants_json():
        return json_error(error)
    if error.status == 401 and request.method == "GET":
        # A page that needs a signed-in user sends the visitor to sign in and back. Quart's
        # redirect builds the app's response class; it is typed as werkzeug's.
        target = url_for("accounts.login", next=request.full_path.rstrip("?"))
        return cast(Response, redirect(target))
    for hook in current_app.extensions.get(ERROR_PAGE_HOOKS, ()):
        await hook()
    if error.code == "unauthorized" or isinstance(error, FormExpiredError):
        # A form sent from a tab that was signed out meanwhile, or whose token went stale:
        # say so, and offer the way back to it (its script keeps what was typed).
        html = await render_template(
            "errors/form_not_sent.html",
            signed_out=error.code == "unauthorized",
            come_back=_page_sent_from(),
        )
        return _with_status(Response(html, mimetype="text/html"), error)
    html = await render_template("errors/error.html", error=error)
    return _with_status(Response(html, mimetype="text/html"), error)


def _page_sent_from() -> str:
    """The path (and query) of this site's page the request came from, else the home page.

    Sign-in follows only same-site paths, whatever this returns."""
    sent_from = urlsplit(request.referrer or "")
    if sent_from.netloc != request.host or not sent_from.path.startswith("/"):
        return "/"
    return sent_from.path + (f"?{sent_from.query}" if sent_from.query else "")


ERROR_PAGE_HOOKS = "portal.error_page_hooks"
ErrorPageHook = Callable[[], Awaitable[None]]


def before_error_page(app: Quart, hook: ErrorPageHook) -> None:
    """Run ``hook`` before an HTML error page renders.

    How a capability readies what the page's navigation reads (the signed-in user, which a
    rollback may have expired) without this module importing it."""
    app.extensions.setdefault(ERROR_PAGE_HOOKS, []).append(hook)


def register_error_handlers(app: Quart) -> None:
    @app.errorhandler(APIError)
    async def _api_error(error: APIError) -> Response:
        return await render_error(error)

    @app.errorhandler(DomainError)
    async def _domain_error(error: DomainError) -> Response:
        return await render_error(http_error(error))

    @app.errorhandler(RequestSchemaValidationError)
    async def _schema_error(error: RequestSchemaValidationError) -> Response:
        inner = error.validation_error
        if isinstance(inner, ValidationError):
            fields = fields_from_validation(inner)
            return await render_error(
                APIError(422, "validation_failed", _("Some fields are not valid."), fields)
            )
        return await render_error(
            APIError(400, "bad_request", _("The request body is not valid JSON."))
        )

    @app.errorhandler(HTTPException)
    async def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        code = HTTP_CODES.get(status, "error")
        message = error.description or error.name
        if status == 400 and request.mimetype == "application/json":
            message = _("The request body is not valid JSON.")
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return await render_error(APIError(status, code, message, headers=headers))

    @app.errorhandler(UnicodeDecodeError)
    async def _undecodable_body(error: UnicodeDecodeError) -> Response:
        # Quart decodes a JSON body as UTF-8 before (and outside the error handling of) parsing
        # it, so bytes that are not UTF-8 land here; any other decoding error is our own bug.
        if has_request_context() and request.is_json:
            return await render_error(
                APIError(400, "bad_request", _("The request body is not valid JSON."))
            )
        return await _unexpected(error)

    async def _database_unavailable(error: Exception) -> Response:
        log.error("database unavailable: %s", error)
        return await render_error(
            APIError(
                503,
                "unavailable",
                _("The service is busy or restarting; please try again in a moment."),
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        )

    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, _database_unavailable)

    @app.errorhandler(Exception)
    async def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error", exc_info=error)
        return await render_error(
            APIError(500, "internal_error", _("Something went wrong on our side."))
        )
