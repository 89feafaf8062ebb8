"""Pure validation and normalisation of account fields (no I/O).

Each function returns the stored form or raises ``ValueError`` with a message for the user.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from portal.i18n import gettext as _

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,30}[A-Za-z0-9]$")
USERNAME_MIN, USERNAME_MAX = 3, 32
NICKNAME_MAX = 64
BIO_MAX = 500
TOKEN_NAME_MAX = 64
PASSWORD_MIN, PASSWORD_MAX = 8, 256
RESERVED_USERNAMES = frozenset(
    {"admin", "administrator", "root", "system", "portal", "support", "api", "me", "null"}
)
# The most common leaked passwords of 8+ characters; a full breach list is out of scope.
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "12345678",
        "123456789",
        "1234567890",
        "qwertyuiop",
        "11111111",
        "00000000",
        "88888888",
        "iloveyou",
        "sunshine",
        "princess",
        "football",
        "baseball",
        "welcome1",
        "abc12345",
        "qwerty123",
        "1q2w3e4r",
        "passw0rd",
        "admin123",
        "password123",
        "letmein1",
        "12341234",
        "66666666",
        "a1234567",
        "woaini1314",
    }
)


def normalize_username(value: str, *, allow_reserved: bool = False) -> tuple[str, str]:
    """Return ``(display, key)``; the key is case-folded for uniqueness and sign-in."""
    value = unicodedata.normalize("NFKC", value).strip()
    if not USERNAME_MIN <= len(value) <= USERNAME_MAX:
        raise ValueError(
            _("A user name has %(min)s to %(max)s characters.", min=USERNAME_MIN, max=USERNAME_MAX)
        )
    if not USERNAME_RE.match(value) or ".." in value:
        raise ValueError(
            _(
                "Use letters, digits, dots, dashes and underscores; "
                "start and end with a letter or digit."
            )
        )
    if not any(char.isalpha() for char in value):
        # Names of digits and punctuation ("123-456", "1.2.3.4.5") would be read as phone
        # numbers at sign-in, so their owner could never sign in by user name.
        raise ValueError(_("A user name needs at least one letter."))
    key = value.lower()
    if key in RESERVED_USERNAMES and not allow_reserved:
        raise ValueError(_("This user name is reserved."))
    return value, key


def normalize_email(value: str) -> tuple[str, str]:
    """Return ``(display, key)`` for an address; no deliverability (DNS) check."""
    value = value.strip()
    if len(value) > 254:
        raise ValueError(_("An email address has at most 254 characters."))
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(_("This is not a valid email address.")) from error
    return result.normalized, result.normalized.lower()


def normalize_phone(value: str, default_region: str = "CN") -> str:
    """Return the number in E.164; a number without ``+`` is read in ``default_region``."""
    value = value.strip()
    if not value or len(value) > 32:
        raise ValueError(_("This is not a valid phone number."))
    try:
        number = phonenumbers.parse(value, default_region.upper())
    except phonenumbers.NumberParseException as error:
        raise ValueError(_("This is not a valid phone number.")) from error
    if not phonenumbers.is_valid_number(number):
        raise ValueError(_("This is not a valid phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_nickname(value: str) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise ValueError(_("Please choose a nickname."))
    if len(value) > NICKNAME_MAX:
        raise ValueError(_("A nickname has at most %(max)s characters.", max=NICKNAME_MAX))
    if has_control_characters(value):
        raise ValueError(_("A nickname cannot contain control characters."))
    return value


def clean_bio(value: str) -> str:
    value = value.replace("\r\n", "\n").strip()
    if len(value) > BIO_MAX:
        raise ValueError(_("A bio has at most %(max)s characters.", max=BIO_MAX))
    if has_control_characters(value.replace("\n", "")):
        raise ValueError(_("The bio cannot contain control characters."))
    return value


def clean_token_name(value: str) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if not 1 <= len(value) <= TOKEN_NAME_MAX:
        raise ValueError(_("A token name has 1 to 64 characters."))
    if has_control_characters(value):
        # Also keeps NUL out, which PostgreSQL refuses in text columns.
        raise ValueError(_("A token name cannot contain control characters."))
    return value


def check_password(value: str) -> str:
    if len(value) < PASSWORD_MIN:
        raise ValueError(_("A password has at least %(min)s characters.", min=PASSWORD_MIN))
    if len(value) > PASSWORD_MAX:
        raise ValueError(_("A password has at most %(max)s characters.", max=PASSWORD_MAX))
    if value.lower() in COMMON_PASSWORDS or len(set(value)) < 3:
        raise ValueError(_("This password is too easy to guess."))
    return value


def classify_login(value: str) -> str:
    """Which identifier a sign-in string is: ``email``, ``phone`` or ``username``."""
    value = value.strip()
    if "@" in value:
        return "email"
    if re.fullmatch(r"\+?[0-9 ()\-.]{5,}", value):
        return "phone"
    return "username"


def has_control_characters(value: str) -> bool:
    return any(unicodedata.category(char) in {"Cc", "Cf"} for char in value)
