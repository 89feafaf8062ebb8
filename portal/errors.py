"""One domain error type and the handlers that render it as JSON (API) or HTML (pages)."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ValidationError
from quart import (
    Quart,
    Response,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from quart_schema import RequestSchemaValidationError
from sqlalchemy import exc as sqlalchemy_errors
from sqlalchemy import inspect
from werkzeug.exceptions import HTTPException

from portal.db import get_session
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


def unauthorized() -> APIError:
    return APIError(401, "unauthorized", _("Please sign in first."))


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
        # A page that needs a signed-in user sends the visitor to sign in and back.
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    await _reload_signed_in_user()
    html = await render_template("errors/error.html", error=error)
    return _with_status(Response(html, mimetype="text/html"), error)


async def _reload_signed_in_user() -> None:
    """Reload the signed-in user if a rollback expired it, as services do before raising.

    The page's navigation reads the user, and a lazy load while rendering cannot run under
    asyncio (MissingGreenlet): the error page itself would fail."""
    user = getattr(g.get("principal"), "user", None)
    if user is None or not inspect(user).expired_attributes:
        return
    try:
        await get_session().refresh(user)
    except (sqlalchemy_errors.SQLAlchemyError, OSError) as failure:
        # The database is what failed: show the page as to a visitor rather than not at all.
        from portal.accounts.auth import ANONYMOUS

        log.warning("error page without the signed-in user: %s", failure)
        g.principal = ANONYMOUS


def register_error_handlers(app: Quart) -> None:
    @app.errorhandler(APIError)
    async def _api_error(error: APIError) -> Response:
        return await render_error(error)

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
