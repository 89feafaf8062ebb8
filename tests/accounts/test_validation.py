"""Pure validation of account fields: no app, no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.accounts.validation import (
    BIO_MAX,
    NICKNAME_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    USERNAME_MAX,
    USERNAME_RE,
    check_password,
    classify_login,
    clean_bio,
    clean_nickname,
    clean_token_name,
    normalize_email,
    normalize_phone,
    normalize_username,
)

# ------------------------------------------------------------------------------------ usernames


@pytest.mark.parametrize(
    ("raw", "display", "key"),
    [
        ("alice", "alice", "alice"),
        ("Alice", "Alice", "alice"),
        ("  Bob_99  ", "Bob_99", "bob_99"),
        ("a.b-c_d", "a.b-c_d", "a.b-c_d"),
        ("x1y", "x1y", "x1y"),
        ("a" * USERNAME_MAX, "a" * USERNAME_MAX, "a" * USERNAME_MAX),
        # Full-width letters are folded to ASCII (NFKC), so they cannot impersonate.
        ("ＡＬＩＣＥ", "ALICE", "alice"),
    ],
)
def test_username_accepted(raw: str, display: str, key: str) -> None:
    assert normalize_username(raw) == (display, key)


@pytest.mark.parametrize(
    "raw",
    [
        "ab",  # too short
        "a" * (USERNAME_MAX + 1),  # too long
        "",
        "   ",
        "_alice",  # must start with a letter or digit
        "alice.",  # must end with a letter or digit
        "-al",
        "al..ice",  # no double dots
        "al ice",
        "al@ice",
        "alice!",
        "张三丰",  # letters beyond ASCII are not allowed in names used in URLs
        "al\x00ice",
    ],
)
def test_username_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_username(raw)


@pytest.mark.parametrize("raw", ["12345", "138001380000", "1.2.3.4.5", "123-456", "1_000"])
def test_username_needs_a_letter(raw: str) -> None:
    # Names without letters would be read as phone numbers at sign-in.
    with pytest.raises(ValueError, match="letter"):
        normalize_username(raw)


@pytest.mark.parametrize("raw", ["admin", "ADMIN", "Root", "support", "api", "null"])
def test_reserved_usernames(raw: str) -> None:
    with pytest.raises(ValueError, match="reserved"):
        normalize_username(raw)
    assert normalize_username(raw, allow_reserved=True)[1] == raw.lower()


username_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40
)
ascii_usernames = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{1,30}[A-Za-z0-9]\Z")


@given(username_text | ascii_usernames)
def test_accepted_username_key_is_lowercase_and_valid(raw: str) -> None:
    try:
        display, key = normalize_username(raw)
    except ValueError:
        return
    assert key == key.lower() == display.lower()
    assert USERNAME_RE.match(display) and USERNAME_RE.match(key)
    assert ".." not in key
    assert any(char.isalpha() for char in key)
    # Every accepted name signs in as a user name, never as a phone number or email.
    assert classify_login(display) == "username"


@given(username_text | ascii_usernames)
def test_normalize_username_is_idempotent(raw: str) -> None:
    try:
        display, key = normalize_username(raw)
    except ValueError:
        return
    assert normalize_username(display) == (display, key)
    assert normalize_username(key) == (key, key)


# ------------------------------------------------------------------------------------ emails


@pytest.mark.parametrize(
    ("raw", "display", "key"),
    [
        ("alice@example.com", "alice@example.com", "alice@example.com"),
        ("  Alice.Smith@Example.COM ", "Alice.Smith@example.com", "alice.smith@example.com"),
        ("ALICE@EXAMPLE.COM", "ALICE@example.com", "alice@example.com"),
        ("user+tag@sub.example.org", "user+tag@sub.example.org", "user+tag@sub.example.org"),
    ],
)
def test_email_normalised(raw: str, display: str, key: str) -> None:
    assert normalize_email(raw) == (display, key)


def test_international_email_keeps_its_characters() -> None:
    display, key = normalize_email("用户@例子.广告")
    assert display == key == "用户@例子.广告"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "no-at-sign",
        "a@b",
        "a@@example.com",
        "a b@example.com",
        "@example.com",
        "alice@",
        "x@localhost",
        '"quoted"@example.com',
        "a@example.com\x00",
        "a" * 250 + "@example.com",
    ],
)
def test_email_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="email"):
        normalize_email(raw)


@given(st.emails())
def test_email_key_is_lowercase_display(raw: str) -> None:
    try:
        display, key = normalize_email(raw)
    except ValueError:
        return
    assert key == display.lower()
    assert normalize_email(display) == (display, key)


# ------------------------------------------------------------------------------------ phones


@pytest.mark.parametrize(
    "raw",
    ["13800138000", "+8613800138000", "+86 138 0013 8000", "138-0013-8000", " (138) 0013 8000 "],
)
def test_chinese_number_in_any_spelling(raw: str) -> None:
    assert normalize_phone(raw) == "+8613800138000"


def test_number_without_country_code_read_in_given_region() -> None:
    assert normalize_phone("2015550123", "US") == "+12015550123"
    assert normalize_phone("020 7946 0018", "gb") == "+442079460018"
    # A number with its country code ignores the region.
    assert normalize_phone("+86 138 0013 8000", "US") == "+8613800138000"


@pytest.mark.parametrize(
    "raw", ["", "   ", "12345", "1380013800", "abc", "+44 20", "+1 999 999 9999", "1" * 40]
)
def test_phone_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="phone"):
        normalize_phone(raw)


def test_phone_in_unknown_region_refused() -> None:
    with pytest.raises(ValueError):
        normalize_phone("2015550123", "XX")


@given(st.from_regex(r"\A1[3-9][0-9]{9}\Z"))
def test_e164_is_stable(raw: str) -> None:
    try:
        e164 = normalize_phone(raw)
    except ValueError:
        return
    assert e164.startswith("+86") and e164[1:].isdigit()
    assert normalize_phone(e164) == e164
    assert normalize_phone(e164, "US") == e164


# ------------------------------------------------------------------------------------ nickname, bio


def test_nickname_rules() -> None:
    assert clean_nickname("  小明 ") == "小明"
    assert clean_nickname("n" * NICKNAME_MAX) == "n" * NICKNAME_MAX
    with pytest.raises(ValueError):
        clean_nickname("   ")
    with pytest.raises(ValueError):
        clean_nickname("n" * (NICKNAME_MAX + 1))
    with pytest.raises(ValueError, match="control"):
        clean_nickname("bad\x07name")
    with pytest.raises(ValueError, match="control"):
        clean_nickname("right\u202eto-left")  # a bidi override would spoof other text


def test_bio_rules() -> None:
    assert clean_bio("") == ""
    assert clean_bio(" line one\r\nline two \n") == "line one\nline two"
    assert clean_bio("b" * BIO_MAX) == "b" * BIO_MAX
    with pytest.raises(ValueError):
        clean_bio("b" * (BIO_MAX + 1))
    with pytest.raises(ValueError, match="control"):
        clean_bio("a\x1bb")


# ------------------------------------------------------------------------------------ passwords


@pytest.mark.parametrize(
    "raw", ["correct horse battery", "Tr0ub4dor&3", "a1b2c3d4", "x" * 7 + "yz"]
)
def test_password_accepted(raw: str) -> None:
    assert check_password(raw) == raw


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("short1!", "at least"),
        ("x" * (PASSWORD_MAX + 1), "at most"),
        ("password", "guess"),
        ("PassWord1", "guess"),
        ("12345678", "guess"),
        ("aaaaaaaaaaaa", "guess"),
        ("abababababab", "guess"),
    ],
)
def test_password_refused(raw: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check_password(raw)


def test_password_limits() -> None:
    assert PASSWORD_MIN == 8
    assert check_password("abc" + "d" * (PASSWORD_MAX - 3))


# ------------------------------------------------------------------------------------ sign-in names


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("alice@example.com", "email"),
        (" Alice@Example.com ", "email"),
        ("13800138000", "phone"),
        ("+86 138 0013 8000", "phone"),
        ("(138) 0013-8000", "phone"),
        ("alice", "username"),
        ("alice99", "username"),
        ("1234", "username"),  # too short for a phone number
        ("", "username"),
    ],
)
def test_classify_login(raw: str, kind: str) -> None:
    assert classify_login(raw) == kind


def test_token_name_rules() -> None:
    assert clean_token_name("  deploy bot ") == "deploy bot"
    for bad in ["", "   ", "n" * 65, "nul\x00", "tab\tname"]:
        with pytest.raises(ValueError):
            clean_token_name(bad)
