"""The HTTP side of errors: the JSON envelope, the statuses of domain errors, and the handlers
that render every error as JSON (API) or HTML (pages)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast
from urllib.parse import urlsplit

from babel.support import LazyProxy
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
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
from portal.i18n import lazy_gettext as _l

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
    """Flatten pydantic errors to ``{"field": "message"}``: every field at once, the first
    message per field, each a plain sentence in the reader's language."""
    fields: dict[str, str] = {}
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "body"
        fields.setdefault(name, validation_message(item))
    return fields


def validation_message(item: ErrorDetails) -> str:
    """One pydantic error as a sentence for people, translated.

    Pydantic's own wording ("String should have at least 3 characters") is English only and
    speaks of types; our validators raise ``ValueError`` with a translated sentence already."""
    kind = item["type"]
    ctx: dict[str, Any] = dict(item.get("ctx") or {})
    ctx_error = ctx.get("error")
    if kind in {"value_error", "assertion_error"}:
        if isinstance(ctx_error, Exception):
            return str(ctx_error)
        return item["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in {"too_short", "too_long"} and isinstance(item.get("input"), str):
        # A length bound on an optional text (``OneLine | None``) is reported as a list's.
        kind = "string_" + kind
    if kind == "string_too_short":
        if ctx.get("min_length", 1) <= 1:
            return _("Fill in this field.")
        return _("Use at least %(min)s characters.", min=ctx["min_length"])
    if kind == "string_too_long":
        return _("Use at most %(max)s characters.", max=ctx["max_length"])
    if kind in {"greater_than_equal", "greater_than"}:
        low = ctx.get("ge", ctx.get("gt"))
        if kind == "greater_than":
            return _("Give a number above %(min)s.", min=low)
        return _("Give a number of %(min)s or more.", min=low)
    if kind in {"less_than_equal", "less_than"}:
        high = ctx.get("le", ctx.get("lt"))
        if kind == "less_than":
            return _("Give a number below %(max)s.", max=high)
        return _("Give a number of %(max)s or less.", max=high)
    if kind == "too_short":
        return _("Give at least %(min)s items.", min=ctx.get("min_length", 1))
    if kind == "too_long":
        return _("Give at most %(max)s items.", max=ctx.get("max_length", 0))
    simple = SIMPLE_MESSAGES.get(kind)
    return str(simple) if simple is not None else _("This value is not valid.")


# Messages that need nothing from the error's context, by pydantic error type (lazy: each is
# translated when shown, in the reader's language).
SIMPLE_MESSAGES: dict[str, LazyProxy] = {
    "missing": _l("Fill in this field."),
    "string_type": _l("Give text here."),
    "string_unicode": _l("Give text here."),
    "string_pattern_mismatch": _l("This is not in the expected form."),
    "int_type": _l("Give a whole number."),
    "int_parsing": _l("Give a whole number."),
    "int_parsing_size": _l("Give a whole number."),
    "int_from_float": _l("Give a whole number."),
    "float_type": _l("Give a number."),
    "float_parsing": _l("Give a number."),
    "finite_number": _l("Give a number."),
    "decimal_parsing": _l("Give a number."),
    "bool_type": _l("Choose yes or no."),
    "bool_parsing": _l("Choose yes or no."),
    "enum": _l("Choose one of the options offered."),
    "literal_error": _l("Choose one of the options offered."),
    "extra_forbidden": _l("This field is not accepted here."),
    "date_type": _l("Give a date like 2026-12-31."),
    "date_parsing": _l("Give a date like 2026-12-31."),
    "date_from_datetime_parsing": _l("Give a date like 2026-12-31."),
    "datetime_type": _l("Give a date and time like 2026-12-31T18:00:00+08:00."),
    "datetime_parsing": _l("Give a date and time like 2026-12-31T18:00:00+08:00."),
    "datetime_from_date_parsing": _l("Give a date and time like 2026-12-31T18:00:00+08:00."),
    "datetime_object_invalid": _l("Give a date and time like 2026-12-31T18:00:00+08:00."),
    "timezone_aware": _l("Add the time zone, e.g. +08:00 or Z for UTC."),
    "list_type": _l("Give a list."),
    "dict_type": _l("Give an object of named fields."),
    "model_type": _l("Give an object of named fields."),
    "model_attributes_type": _l("Give an object of named fields."),
    "json_invalid": _l("This is not valid JSON."),
    "url_parsing": _l("Give a full web address starting with https://."),
    "url_scheme": _l("Give a full web address starting with https://."),
    "url_type": _l("Give a full web address starting with https://."),
}


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
