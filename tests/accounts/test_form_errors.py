"""Issue 13, defect 4 on the account forms: register, sign-in, profile and password change show
every error at once, as plain translated sentences next to their fields, keeping what was typed."""

from __future__ import annotations

import re
from html import unescape

from tests.factories import csrf_token_for, make_user, signed_in_client

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def error_of(html: str, name: str) -> str | None:
    """The message shown under the field ``name``, when its control points at it."""
    control = re.search(rf'id="f-{name}"[^>]*aria-invalid="true" aria-describedby="e-{name}', html)
    message = re.search(rf'<p class="error" id="e-{name}">(.*?)</p>', html, re.S)
    return unescape(message.group(1)).strip() if control and message else None


async def post(client, page: str, form: dict[str, str], language: str = "en") -> str:
    token = await csrf_token_for(client, page)
    response = await client.post(
        page, form={**form, "csrf_token": token}, headers={"Accept-Language": language}
    )
    html = await response.get_data(as_text=True)
    assert response.status_code in {400, 409, 422}, (response.status_code, html[:1500])
    return html


BAD_REGISTRATION = {
    "email": "not-an-address",
    "phone": "12",
    "username": "x",
    "nickname": "",
    "password": "short",
}


async def test_register_shows_every_error_at_once(app, client) -> None:
    html = await post(client, "/register", BAD_REGISTRATION)
    errors = {name: error_of(html, name) for name in BAD_REGISTRATION}
    assert all(errors.values()), errors
    assert errors["nickname"] == "Please choose a nickname."
    assert errors["password"] == "A password has at least 8 characters."
    assert "should have" not in html and "Input should" not in html
    # What was typed stays, but never the password.
    assert 'value="not-an-address"' in html and 'value="12"' in html and 'value="x"' in html
    assert 'value="short"' not in html


async def test_register_errors_speak_chinese(app, client) -> None:
    html = await post(client, "/register", BAD_REGISTRATION, "zh-CN")
    for name in BAD_REGISTRATION:
        message = error_of(html, name)
        assert message and CHINESE.search(message), (name, message)


async def test_register_names_taken_identifiers_with_the_other_errors(app, client) -> None:
    await make_user(app, username="taken_name", email="taken@example.com")
    html = await post(
        client,
        "/register",
        {"email": "taken@example.com", "username": "taken_name", "nickname": "", "password": "x"},
    )
    assert error_of(html, "email") and error_of(html, "username")
    assert error_of(html, "nickname") == "Please choose a nickname."
    assert error_of(html, "password") == "A password has at least 8 characters."


async def test_sign_in_names_each_empty_field(app, client) -> None:
    html = await post(client, "/login", {"login": "", "password": ""}, "zh-CN")
    for name in ("login", "password"):
        message = error_of(html, name)
        assert message and CHINESE.search(message), (name, message)


BAD_PROFILE = {
    "action": "profile",
    "nickname": "",
    "username": "x",
    "email": "nope",
    "phone": "12",
    "bio": "b" * 501,
}


async def test_profile_shows_every_error_at_once(app) -> None:
    client, _user = await signed_in_client(app)
    html = await post(client, "/profile", BAD_PROFILE)
    errors = {name: error_of(html, name) for name in BAD_PROFILE if name != "action"}
    assert all(errors.values()), errors
    assert errors["nickname"] == "Please choose a nickname."
    assert errors["bio"] == "A bio has at most 500 characters."
    assert 'value="nope"' in html and 'value="x"' in html and "b" * 501 in html


async def test_profile_errors_speak_chinese(app) -> None:
    client, _user = await signed_in_client(app)
    html = await post(client, "/profile", BAD_PROFILE, "zh-CN")
    for name in ("nickname", "username", "email", "phone", "bio"):
        message = error_of(html, name)
        assert message and CHINESE.search(message), (name, message)


async def test_password_change_names_both_fields(app) -> None:
    client, _user = await signed_in_client(app)
    form = {"action": "password", "current_password": "wrong one", "new_password": "short"}
    html = await post(client, "/profile", form, "zh-CN")
    for name in ("current_password", "new_password"):
        message = error_of(html, name)
        assert message and CHINESE.search(message), (name, message)
