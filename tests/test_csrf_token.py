"""The CSRF token: needed on bodyless cookie POSTs too, and renewed at every sign-in."""

from __future__ import annotations

import pytest

from tests.accounts.helpers import PASSWORD, error_of
from tests.factories import csrf_token_for, login, make_user, signed_in_client

# Bodyless POSTs that act on the signed-in user: page forms and their JSON twins.
BODYLESS = [
    "/logout",
    "/profile/sessions",
    "/notifications/read",
    "/api/v1/auth/logout",
    "/api/v1/me/sessions/revoke-others",
    "/api/v1/notifications/read",
]


async def assert_csrf_refused(response) -> None:
    assert response.status_code == 403
    if response.mimetype == "application/json":
        assert (await error_of(response))["code"] == "csrf_failed"


async def still_signed_in(client) -> bool:
    return (await client.get("/api/v1/me")).status_code == 200


# ------------------------------------------------------------------------------ bodyless posts


@pytest.mark.parametrize("path", BODYLESS)
async def test_bodyless_cookie_post_without_token_is_refused(app, path) -> None:
    client, user = await signed_in_client(app)
    other = app.test_client()
    await login(other, user.username or "")
    await assert_csrf_refused(await client.post(path))
    # A body without a content type (a Blob) is no better.
    await assert_csrf_refused(await client.post(path, data=b"x"))
    await assert_csrf_refused(await client.post(path, headers={"X-CSRF-Token": "forged"}))
    assert await still_signed_in(client)
    assert await still_signed_in(other)


@pytest.mark.parametrize("path", ["/logout", "/api/v1/auth/logout"])
async def test_bodyless_post_with_the_token_in_the_header_works(app, path) -> None:
    client, _user = await signed_in_client(app)
    token = await csrf_token_for(client, "/profile")
    response = await client.post(path, headers={"X-CSRF-Token": token})
    assert response.status_code in {204, 302}
    assert not await still_signed_in(client)


async def test_api_sign_in_hands_out_the_token(app) -> None:
    # A script signed in with the cookie through the API needs no page to find the token.
    await make_user(app, username="alice")
    client = app.test_client()
    response = await client.post(
        "/api/v1/auth/login", json={"login": "alice", "password": PASSWORD}
    )
    token = response.headers["X-CSRF-Token"]
    assert token == await csrf_token_for(client, "/profile")
    response = await client.post(
        "/api/v1/me/sessions/revoke-others", headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 200


async def test_json_posts_need_no_token(app) -> None:
    # A JSON body cannot come from another site's page (it needs a preflight we never grant).
    client, _user = await signed_in_client(app)
    assert (await client.post("/api/v1/notifications/read", json={})).status_code == 200
    assert (await client.post("/api/v1/auth/logout", json={})).status_code == 204
    assert not await still_signed_in(client)


async def test_bodyless_delete_needs_no_token(app) -> None:
    # DELETE always needs a preflight across origins; the origin check covers it.
    client, _user = await signed_in_client(app)
    created = await (await client.post("/api/v1/me/tokens", json={"name": "cli"})).get_json()
    assert (await client.delete(f"/api/v1/me/tokens/{created['id']}")).status_code == 204


async def test_bodyless_post_without_the_sign_in_cookie_is_not_refused(client) -> None:
    # It acts as nobody: the usual 401, not a CSRF refusal.
    assert (await client.post("/api/v1/auth/logout")).status_code == 401


async def test_a_token_that_is_not_ascii_is_refused_cleanly(app) -> None:
    client, _user = await signed_in_client(app)
    await csrf_token_for(client, "/profile")
    response = await client.post("/logout", form={"csrf_token": "jeton\u00e9"})
    assert response.status_code == 403
    assert await still_signed_in(client)


# ------------------------------------------------------------------------------ rotation


async def test_page_sign_in_renews_the_token(app) -> None:
    await make_user(app, username="bob")
    client = app.test_client()
    before = await csrf_token_for(client, "/login")
    response = await client.post(
        "/login", form={"login": "bob", "password": PASSWORD, "csrf_token": before}
    )
    assert response.status_code == 302
    after = await csrf_token_for(client, "/profile")
    assert after != before
    # The token from before sign-in (one an attacker may have planted) is good for nothing.
    await assert_csrf_refused(await client.post("/logout", form={"csrf_token": before}))
    assert await still_signed_in(client)
    response = await client.post("/logout", form={"csrf_token": after})
    assert response.status_code == 302


async def test_api_sign_in_renews_the_token(app) -> None:
    await make_user(app, username="carol")
    client = app.test_client()
    before = await csrf_token_for(client, "/login")
    response = await client.post(
        "/api/v1/auth/login", json={"login": "carol", "password": PASSWORD}
    )
    assert response.status_code == 200
    after = await csrf_token_for(client, "/profile")
    assert after != before
    assert response.headers["X-CSRF-Token"] == after
    await assert_csrf_refused(await client.post("/logout", headers={"X-CSRF-Token": before}))


async def test_failed_sign_in_keeps_the_token(app) -> None:
    await make_user(app, username="dave")
    client = app.test_client()
    before = await csrf_token_for(client, "/login")
    response = await client.post(
        "/api/v1/auth/login", json={"login": "dave", "password": "wrong password"}
    )
    assert response.status_code == 401
    assert "X-CSRF-Token" not in response.headers
    assert await csrf_token_for(client, "/login") == before
