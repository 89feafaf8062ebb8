"""What a service refuses, in the domain's words: no HTTP status here.

Each error carries the stable code the JSON error envelope exposes and a translated message;
``portal.errors`` maps the classes to statuses, in one place.
"""

from __future__ import annotations

from typing import ClassVar

from portal.i18n import gettext as _


class DomainError(Exception):
    """A rule of the domain refused what was asked: a code, a message, field errors."""

    default_code: ClassVar[str] = "bad_request"

    def __init__(
        self, message: str, fields: dict[str, str] | None = None, *, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.code = code or self.default_code


class NotFound(DomainError):
    """No such thing, or none the caller may see (ids leak nothing)."""

    default_code = "not_found"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Not found."))


class Forbidden(DomainError):
    default_code = "forbidden"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("You are not allowed to do that."))


class Conflict(DomainError):
    """The request is well formed, but the state of things does not allow it."""

    default_code = "conflict"


class Invalid(DomainError):
    """Fields that are not valid, every one of them at once (field name → message)."""

    default_code = "validation_failed"

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        super().__init__(message or _("Some fields are not valid."), fields)


class InvalidCredentials(DomainError):
    default_code = "invalid_credentials"


class Throttled(DomainError):
    """Too many attempts: the next one is worth making after ``retry_after`` seconds."""

    default_code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooLarge(DomainError):
    default_code = "too_large"


class Unsupported(DomainError):
    """A file of a kind that is not accepted (a résumé that is not a PDF)."""

    default_code = "unsupported_media_type"
