"""Text rules shared by every API model: no control characters (NUL above all, which
PostgreSQL refuses in text), and the JSON Schema patterns that say so to API clients."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic.config import JsonDict

from portal.i18n import gettext as _

# Validation stays with the validators below (their messages read better than "should match
# pattern"); the patterns document the same rules in OpenAPI.
ONE_LINE_SCHEMA: JsonDict = {"pattern": r"^[^\u0000-\u001f\u007f-\u009f]*$"}
MULTI_LINE_SCHEMA: JsonDict = {
    "pattern": r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
}


def has_controls(value: str, allowed: str = "") -> bool:
    return any(unicodedata.category(char) == "Cc" and char not in allowed for char in value)


def one_line(value: str | None) -> str | None:
    if value is not None and has_controls(value):
        raise ValueError(_("Remove the control characters (line breaks, tabs and the like)."))
    return value


def multi_line(value: str | None) -> str | None:
    if value is not None and has_controls(value, allowed="\n\r\t"):
        raise ValueError(_("Remove the control characters."))
    return value


OneLine = Annotated[str, AfterValidator(one_line), Field(json_schema_extra=ONE_LINE_SCHEMA)]
