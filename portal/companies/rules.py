"""Rules for a company's fields (pure, no I/O): what the API and the admin form accept.

The messages are the ones people read, in their language; pydantic's own (English only)
remain for values of the wrong type.
"""

from __future__ import annotations

from portal.i18n import gettext as _
from portal.jobs.rules import web_address
from portal.web.text import has_controls

NAME_MAX = 120
WEBSITE_MAX = 500
DESCRIPTION_MAX = 5000


def check_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(_("Give the company's name."))
    if len(value) > NAME_MAX:
        raise ValueError(_("A company name has at most %(max)s characters.", max=NAME_MAX))
    if has_controls(value):
        raise ValueError(_("Remove the control characters (line breaks, tabs and the like)."))
    return value


def check_website(value: str | None) -> str | None:
    """An absolute http(s) address, or None for none (an empty string clears it)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > WEBSITE_MAX:
        raise ValueError(_("A web address has at most %(max)s characters.", max=WEBSITE_MAX))
    if not web_address(value):
        raise ValueError(_("Give a full web address starting with https://."))
    return value


def check_description(value: str) -> str:
    value = value.strip()
    if len(value) > DESCRIPTION_MAX:
        raise ValueError(_("The description has at most %(max)s characters.", max=DESCRIPTION_MAX))
    if has_controls(value, allowed="\n\r\t"):
        raise ValueError(_("Remove the control characters."))
    return value
