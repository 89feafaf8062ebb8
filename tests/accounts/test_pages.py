"""The account pages: register, sign in, profile, public profiles, user admin, language."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.db import get_db
from tests.accounts.helpers import AUTH_COOKIE, PASSWORD, set_cookie
from tests.factories import csrf_token_for, make_user, signed_in_client


async def post_form(client, path: str, form: dict[str, str], token_page: str | None = None):
    """Post a form as a browser would: load the page for its CSRF token first."""
    token = await csrf_token_for(client, token_page or path)
    return await client.post(path, form={**form, "csrf_token": token})


async def text(response) -> str:
    return await response.get_data(as_text=True)


def input_value(page: str, name: str) -> str | None:
    match = re.search(rf'<input id="f-{name}" name="{name}"[^>]*?value="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else None


async def role_of(app, user_id: int) -> str:
    async with get_db(app).session_scope() as session:
        return (await session.execute(select(User.role).where(User.id == user_id))).scalar_one()


# ------------------------------------------------------------------------------------ register


async def test_register_page_renders(client) -> None:
    response = await client.get("/register")
    assert response.status_code == 200
    page = await text(response)
    for name in ("email", "phone", "username", "nickname", "password", "csrf_token"):
        assert f'name="{name}"' in page


async def test_register_form_signs_in_and_redirects(client) -> None:
    response = await post_form(
        client,
        "/register",
        {"email": "Alice@Example.com", "nickname": "Alice", "password": PASSWORD, "next": ""},
    )
    assert response.status_code == 302
    assert response.location == "/profile"
    assert set_cookie(response, AUTH_COOKIE) is not None
    profile = await client.get("/profile")
    assert profile.status_code == 200
    assert "Alice@example.com" in await text(profile)


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/u/someone", "/u/someone"),
        ("//evil.example/x", "/profile"),
        ("https://evil.example", "/profile"),
    ],
)
async def test_register_follows_only_local_next(client, next_url, expected) -> None:
    response = await post_form(
        client,
        "/register",
        {"username": "nextuser", "nickname": "N", "password": PASSWORD, "next": next_url},
    )
    assert response.status_code == 302
    assert response.location == expected


async def test_register_errors_keep_input_but_not_the_password(client) -> None:
    response = await post_form(
        client,
        "/register",
        {
            "email": "not-an-email",
            "phone": "138 0013 8000",
            "username": "bob_the_builder",
            "nickname": "Bob <b>",
            "password": "secret-typed-password",
        },
    )
    assert response.status_code == 422
    assert "text/html" in response.content_type
    page = await text(response)
    assert input_value(page, "email") == "not-an-email"
    assert input_value(page, "phone") == "138 0013 8000"
    assert input_value(page, "username") == "bob_the_builder"
    assert input_value(page, "nickname") == "Bob <b>"
    assert "Bob <b>" not in page  # escaped, not markup
    assert "secret-typed-password" not in page
    assert 'aria-invalid="true" aria-describedby="e-email"' in page
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_register_duplicate_is_409_on_the_page(app, client) -> None:
    await make_user(app, username="carol")
    response = await post_form(
        client, "/register", {"username": "CAROL", "nickname": "C", "password": PASSWORD}
    )
    assert response.status_code == 409
    page = await text(response)
    assert 'id="e-username"' in page
    assert input_value(page, "username") == "CAROL"


# ------------------------------------------------------------------------------------ login


async def test_login_form(app, client) -> None:
    await make_user(app, username="dave")
    assert (await client.get("/login")).status_code == 200
    response = await post_form(client, "/login", {"login": "dave", "password": PASSWORD})
    assert response.status_code == 302
    assert response.location == "/"
    cookie = set_cookie(response, AUTH_COOKIE)
    assert cookie is not None and not cookie[AUTH_COOKIE]["max-age"]
    assert (await (await client.get("/api/v1/me")).get_json())["username"] == "dave"


async def test_login_form_remember_me_and_next(app, client) -> None:
    await make_user(app, username="erin")
    response = await post_form(
        client,
        "/login",
        {"login": "erin", "password": PASSWORD, "remember": "on", "next": "/profile"},
    )
    assert response.status_code == 302
    assert response.location == "/profile"
    cookie = set_cookie(response, AUTH_COOKIE)
    assert cookie is not None and cookie[AUTH_COOKIE]["max-age"]


async def test_login_form_wrong_password(app, client) -> None:
    await make_user(app, username="frank")
    response = await post_form(client, "/login", {"login": "frank", "password": "typed-wrong"})
    assert response.status_code == 401
    page = await text(response)
    assert input_value(page, "login") == "frank"
    assert "typed-wrong" not in page
    assert 'class="form-error"' in page
    assert (await client.get("/api/v1/me")).status_code == 401


@pytest.mark.parametrize("settings_update", [{"login_failures_per_account": 2}])
async def test_login_form_rate_limited(app, client) -> None:
    await make_user(app, username="grace")
    for _ in range(2):
        response = await post_form(client, "/login", {"login": "grace", "password": "nope-nope"})
        assert response.status_code == 401
    response = await post_form(client, "/login", {"login": "grace", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert "text/html" in response.content_type


async def test_logout_form(app) -> None:
    client, _user = await signed_in_client(app)
    response = await post_form(client, "/logout", {}, token_page="/profile")
    assert response.status_code == 302
    assert (await client.get("/api/v1/me")).status_code == 401


# ------------------------------------------------------------------------------------ profile


async def test_profile_requires_sign_in(client) -> None:
    response = await client.get("/profile")
    assert response.status_code == 302
    target = urlsplit(response.location)
    assert target.path == "/login"
    assert parse_qs(target.query) == {"next": ["/profile"]}
    response = await client.get("/profile?tab=tokens")
    assert parse_qs(urlsplit(response.location).query) == {"next": ["/profile?tab=tokens"]}


async def test_profile_page_shows_the_user(app) -> None:
    client, _user = await signed_in_client(app, username="heidi", email="heidi@example.com")
    response = await client.get("/profile")
    assert response.status_code == 200
    page = await text(response)
    assert input_value(page, "username") == "heidi"
    assert input_value(page, "email") == "heidi@example.com"


async def test_profile_form_edits(app) -> None:
    client, _user = await signed_in_client(app, username="ivan")
    response = await post_form(
        client,
        "/profile",
        {
            "action": "profile",
            "nickname": "Ivan the Great",
            "username": "ivan",
            "email": "ivan@example.com",
            "phone": "",
            "bio": "Builds things.",
        },
    )
    assert response.status_code == 302
    assert response.location == "/profile"
    me = await (await client.get("/api/v1/me")).get_json()
    assert me["nickname"] == "Ivan the Great"
    assert me["email"] == "ivan@example.com"
    assert me["bio"] == "Builds things."
    assert "Ivan the Great" in await text(await client.get("/profile"))


async def test_profile_form_errors_keep_input(app) -> None:
    await make_user(app, email="taken@example.com")
    client, _user = await signed_in_client(app, username="judy")
    response = await post_form(
        client,
        "/profile",
        {"nickname": "Judy", "username": "judy", "email": "bad@", "phone": "", "bio": ""},
    )
    assert response.status_code == 422
    assert input_value(await text(response), "email") == "bad@"
    response = await post_form(
        client,
        "/profile",
        {
            "nickname": "Judy",
            "username": "judy",
            "email": "taken@example.com",
            "phone": "",
            "bio": "",
        },
    )
    assert response.status_code == 409
    assert 'id="e-email"' in await text(response)


async def test_profile_form_password_change(app) -> None:
    client, _user = await signed_in_client(app, username="karl")
    response = await post_form(
        client,
        "/profile",
        {"action": "password", "current_password": "wrong one", "new_password": "a new passphrase"},
    )
    assert response.status_code == 422
    page = await text(response)
    assert 'id="e-current_password"' in page
    assert "a new passphrase" not in page
    response = await post_form(
        client,
        "/profile",
        {"action": "password", "current_password": PASSWORD, "new_password": "a new passphrase"},
    )
    assert response.status_code == 302
    fresh = app.test_client()
    response = await fresh.post(
        "/api/v1/auth/login", json={"login": "karl", "password": "a new passphrase"}
    )
    assert response.status_code == 200


async def test_profile_form_password_change_revokes_tokens_and_other_sessions(app) -> None:
    client, _user = await signed_in_client(app, username="lena")
    other = app.test_client()
    await other.post("/api/v1/auth/login", json={"login": "lena", "password": PASSWORD})
    created = await (await client.post("/api/v1/me/tokens", json={"name": "cli"})).get_json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    script = app.test_client()
    assert (await script.get("/api/v1/me", headers=headers)).status_code == 200
    response = await post_form(
        client,
        "/profile",
        {"action": "password", "current_password": PASSWORD, "new_password": "a new passphrase"},
    )
    assert response.status_code == 302
    assert (await script.get("/api/v1/me", headers=headers)).status_code == 401
    assert (await other.get("/api/v1/me")).status_code == 401
    assert (await client.get("/api/v1/me")).status_code == 200


async def test_profile_tokens_form_shows_the_secret_once(app) -> None:
    client, _user = await signed_in_client(app)
    response = await post_form(
        client, "/profile/tokens", {"name": "deploy", "expires_in_days": "30"}
    )
    assert response.status_code == 200
    match = re.search(r"pt_[A-Za-z0-9_-]{20,}", await text(response))
    assert match
    again = await text(await client.get("/profile"))
    assert match.group(0) not in again and "deploy" in again
    response = await app.test_client().get(
        "/api/v1/me", headers={"Authorization": f"Bearer {match.group(0)}"}
    )
    assert response.status_code == 200


async def test_profile_sessions_form_signs_out_others(app) -> None:
    client, user = await signed_in_client(app)
    other = app.test_client()
    await other.post("/api/v1/auth/login", json={"login": user.username, "password": PASSWORD})
    response = await post_form(client, "/profile/sessions", {}, token_page="/profile")
    assert response.status_code == 302
    assert (await other.get("/api/v1/me")).status_code == 401
    assert (await client.get("/api/v1/me")).status_code == 200


# ------------------------------------------------------------------------------------ public


async def test_public_profile(app, client) -> None:
    await make_user(app, username="Leo", nickname="Leo Lion", email="leo@example.com")
    response = await client.get("/u/leo")
    assert response.status_code == 200
    page = await text(response)
    assert "Leo Lion" in page and "@Leo" in page
    # The public page never shows private contact details.
    assert "leo@example.com" not in page


async def test_unknown_public_profile_is_404(client) -> None:
    response = await client.get("/u/nobody-here")
    assert response.status_code == 404
    assert "text/html" in response.content_type


# ------------------------------------------------------------------------------------ admin


@pytest.mark.parametrize("path", ["/admin", "/admin/users"])
async def test_admin_pages_are_403_for_users(app, path) -> None:
    client, _user = await signed_in_client(app)
    response = await client.get(path)
    assert response.status_code == 403
    assert "text/html" in response.content_type


@pytest.mark.parametrize("path", ["/admin", "/admin/users"])
async def test_admin_pages_send_visitors_to_sign_in(client, path) -> None:
    response = await client.get(path)
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/login"


async def test_admin_pages_for_admins(app) -> None:
    client, _admin = await signed_in_client(app, role=Role.ADMIN, username="boss")
    await make_user(app, username="mia", nickname="Mia M")
    assert (await client.get("/admin")).status_code == 200
    response = await client.get("/admin/users?q=mia")
    assert response.status_code == 200
    page = await text(response)
    assert "Mia M" in page and "boss" not in page.split("<tbody>")[1]


async def test_admin_changes_a_role_through_the_form(app) -> None:
    client, admin = await signed_in_client(app, role=Role.ADMIN, username="boss")
    member = await make_user(app, username="nina")
    response = await post_form(
        client, f"/admin/users/{member.id}/role", {"role": "admin"}, token_page="/admin/users"
    )
    assert response.status_code == 302
    assert response.location == "/admin/users"
    assert await role_of(app, member.id) == "admin"
    response = await post_form(
        client, f"/admin/users/{member.id}/role", {"role": "user"}, token_page="/admin/users"
    )
    assert await role_of(app, member.id) == "user"
    # The last admin stays: the page says why instead of failing.
    response = await post_form(
        client, f"/admin/users/{admin.id}/role", {"role": "user"}, token_page="/admin/users"
    )
    assert response.status_code == 302
    assert await role_of(app, admin.id) == "admin"
    page = await text(await client.get("/admin/users"))
    assert "The last admin cannot be demoted." in page


async def test_admin_role_form_refuses_unknown_role(app) -> None:
    client, _admin = await signed_in_client(app, role=Role.ADMIN, username="boss")
    member = await make_user(app, username="oscar")
    response = await post_form(
        client, f"/admin/users/{member.id}/role", {"role": "emperor"}, token_page="/admin/users"
    )
    assert response.status_code == 422
    response = await post_form(
        client, "/admin/users/999999/role", {"role": "admin"}, token_page="/admin/users"
    )
    assert response.status_code == 404


async def test_user_cannot_post_the_role_form(app) -> None:
    client, user = await signed_in_client(app)
    response = await post_form(
        client, f"/admin/users/{user.id}/role", {"role": "admin"}, token_page="/profile"
    )
    assert response.status_code == 403
    assert await role_of(app, user.id) == "user"


# ------------------------------------------------------------------------------------ language


async def test_language_switch_sets_a_cookie(client) -> None:
    response = await client.get("/lang/zh_Hans?next=/login")
    assert response.status_code == 302
    assert response.location == "/login"
    cookie = set_cookie(response, "portal_lang")
    assert cookie is not None and cookie["portal_lang"].value == "zh_Hans"
    assert cookie["portal_lang"]["max-age"]
    page = await text(await client.get("/login"))
    assert 'lang="zh-Hans"' in page


async def test_unknown_language_sets_nothing(client) -> None:
    response = await client.get("/lang/xx?next=https://evil.example")
    assert response.status_code == 302
    assert response.location == "/"
    assert set_cookie(response, "portal_lang") is None


@pytest.mark.both_databases
async def test_admin_user_search_with_nul_is_not_a_500(app, db_backend) -> None:
    client, _admin = await signed_in_client(app, role=Role.ADMIN, username="boss")
    response = await client.get("/admin/users", query_string={"q": "bo\x00ss"})
    assert response.status_code == 200
