"""Cross-site request forgery: the origin check on every unsafe request, tokens on forms."""

from __future__ import annotations

import pytest

from portal.web.csrf import origin_allowed
from tests.accounts.helpers import PASSWORD, SAME_ORIGIN, error_of
from tests.factories import csrf_token_for, make_user, signed_in_client

LOGIN = {"login": "alice", "password": PASSWORD}


@pytest.fixture
async def alice(app):
    return await make_user(app, username="alice")


async def assert_csrf_refused(response) -> None:
    assert response.status_code == 403
    assert (await error_of(response))["code"] == "csrf_failed"


# ------------------------------------------------------------------------------------ origin


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://localhost.evil.example"},
        {"Origin": "http://localhost:8080"},  # another port is another origin
        {"Origin": "null"},  # sandboxed frames, data: URLs
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    ],
)
async def test_cross_site_json_post_is_refused(client, alice, headers) -> None:
    response = await client.post("/api/v1/auth/login", json=LOGIN, headers=headers)
    await assert_csrf_refused(response)
    assert (await client.get("/api/v1/me")).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": SAME_ORIGIN},
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "same-origin", "Origin": SAME_ORIGIN},
        {"Sec-Fetch-Site": "none"},  # typed into the address bar, a bookmark
        {},  # not a browser: curl and scripts send neither header
    ],
)
async def test_same_origin_json_post_is_accepted(client, alice, headers) -> None:
    response = await client.post("/api/v1/auth/login", json=LOGIN, headers=headers)
    assert response.status_code == 200


async def test_cross_site_request_cannot_use_the_session(app) -> None:
    client, _user = await signed_in_client(app)
    for method in ("patch", "post", "delete"):
        path = {
            "patch": "/api/v1/me",
            "post": "/api/v1/auth/logout",
            "delete": "/api/v1/me/tokens/1",
        }
        response = await getattr(client, method)(
            path[method], json={"bio": "pwned"}, headers={"Origin": "https://evil.example"}
        )
        await assert_csrf_refused(response)
    me = await (await client.get("/api/v1/me")).get_json()
    assert me["bio"] == ""


async def test_reads_are_not_checked(client) -> None:
    response = await client.get("/api/v1/me", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 401  # not 403: safe methods pass the check


@pytest.mark.parametrize("settings_update", [{"allowed_origins": ["https://app.example"]}])
async def test_configured_origin_is_allowed(client, alice) -> None:
    headers = {"Origin": "https://app.example", "Sec-Fetch-Site": "cross-site"}
    response = await client.post("/api/v1/auth/login", json=LOGIN, headers=headers)
    assert response.status_code == 200
    response = await client.post(
        "/api/v1/auth/login", json=LOGIN, headers={"Origin": "https://other.example"}
    )
    await assert_csrf_refused(response)


async def test_origin_allowed_rules(app) -> None:
    # The pure check (tests/test_csrf_origin.py has the full table); allowed_origins needs the app.
    async with app.app_context():
        assert origin_allowed(None, scheme="http", host="localhost", fetch_site="same-origin")
        assert origin_allowed(None, scheme="http", host="localhost")
        assert origin_allowed(SAME_ORIGIN, scheme="http", host="localhost")
        assert not origin_allowed(
            SAME_ORIGIN, scheme="http", host="localhost", fetch_site="cross-site"
        )


# ------------------------------------------------------------------------------------ form token


@pytest.mark.parametrize("path", ["/login", "/register"])
async def test_form_post_without_token_is_refused(client, alice, path) -> None:
    await client.get(path)  # a session exists, but the form does not carry its token
    response = await client.post(path, form={**LOGIN, "nickname": "x", "username": "bob"})
    assert response.status_code == 403
    assert "text/html" in response.content_type


@pytest.mark.parametrize("path", ["/login", "/register"])
async def test_form_post_with_wrong_token_is_refused(client, alice, path) -> None:
    await csrf_token_for(client, path)
    response = await client.post(
        path, form={**LOGIN, "nickname": "x", "username": "bob", "csrf_token": "forged"}
    )
    assert response.status_code == 403


async def test_form_post_with_token_from_the_page_works(client, alice) -> None:
    token = await csrf_token_for(client, "/login")
    response = await client.post("/login", form={**LOGIN, "csrf_token": token})
    assert response.status_code == 302
    assert (await client.get("/api/v1/me")).status_code == 200


async def test_token_in_header_works_for_forms(client, alice) -> None:
    token = await csrf_token_for(client, "/login")
    response = await client.post("/login", form=LOGIN, headers={"X-CSRF-Token": token})
    assert response.status_code == 302


async def test_register_form_with_token_works(client) -> None:
    token = await csrf_token_for(client, "/register")
    response = await client.post(
        "/register",
        form={"username": "newbie", "nickname": "New", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302


async def test_token_of_another_session_is_refused(app, alice) -> None:
    theirs = app.test_client()
    token = await csrf_token_for(theirs, "/login")
    mine = app.test_client()
    await mine.get("/login")
    response = await mine.post("/login", form={**LOGIN, "csrf_token": token})
    assert response.status_code == 403


async def test_text_plain_post_needs_the_token(app) -> None:
    # A cross-site <form enctype="text/plain"> can forge a JSON-looking body; it is a form.
    client, _user = await signed_in_client(app)
    response = await client.post(
        "/api/v1/me/tokens",
        data='{"name": "forged"}',
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 403
    assert (await (await client.get("/api/v1/me/tokens")).get_json())["items"] == []


async def test_form_post_with_foreign_origin_is_refused_even_with_token(client, alice) -> None:
    token = await csrf_token_for(client, "/login")
    response = await client.post(
        "/login",
        form={**LOGIN, "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


async def test_bearer_requests_skip_the_form_token(app) -> None:
    browser, _user = await signed_in_client(app)
    created = await (await browser.post("/api/v1/me/tokens", json={"name": "cli"})).get_json()
    script = app.test_client()
    # A form post with a bearer token and no CSRF token: no ambient credential to forge.
    response = await script.post(
        "/profile/tokens",
        form={"name": "made by a script"},
        headers={"Authorization": f"Bearer {created['token']}"},
    )
    assert response.status_code == 200
    names = [
        t["name"] for t in (await (await browser.get("/api/v1/me/tokens")).get_json())["items"]
    ]
    assert "made by a script" in names


async def test_bad_bearer_does_not_unlock_cookie_forms(app) -> None:
    # Skipping the token for "Bearer ..." must not let a forged form ride on the cookie.
    client, _user = await signed_in_client(app)
    response = await client.post(
        "/profile",
        form={"nickname": "pwned"},
        headers={"Authorization": "Bearer pt_forged"},
    )
    assert response.status_code == 401
    assert (await (await client.get("/api/v1/me")).get_json())["nickname"] != "pwned"
