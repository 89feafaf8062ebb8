"""Sign-out, remember me, and the list of signed-in browsers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from quart import Quart

from portal.accounts.models import Role
from tests.accounts.helpers import (
    AUTH_COOKIE,
    api_login,
    client_with_cookie,
    cookie_value,
    csrf_header,
    error_of,
    set_cookie,
)
from tests.factories import make_user, signed_in_client

pytestmark = pytest.mark.both_databases


async def second_client(app: Quart, login: str, user_agent: str):
    client = app.test_client()
    response = await client.post(
        "/api/v1/auth/login",
        json={"login": login, "password": "correct horse battery"},
        headers={"User-Agent": user_agent},
    )
    assert response.status_code == 200
    return client


async def test_logout_ends_the_session(app, db_backend) -> None:
    client, _user = await signed_in_client(app)
    stolen = cookie_value(client)
    assert stolen
    response = await client.post("/api/v1/auth/logout", headers=await csrf_header(client))
    assert response.status_code == 204
    cookie = set_cookie(response, AUTH_COOKIE)
    assert cookie is not None and cookie[AUTH_COOKIE].value == ""
    assert (await client.get("/api/v1/me")).status_code == 401
    # The old cookie is dead on the server too, not just deleted in this browser.
    replay = client_with_cookie(app, stolen)
    assert (await replay.get("/api/v1/me")).status_code == 401


async def test_logout_needs_a_session(client, db_backend) -> None:
    response = await client.post("/api/v1/auth/logout")
    assert response.status_code == 401
    assert (await error_of(response))["code"] == "unauthorized"


async def test_forged_cookie_is_refused(app, db_backend) -> None:
    await make_user(app, username="alice")
    client = client_with_cookie(app, "not-a-signed-value")
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_remember_me_sets_a_persistent_cookie(app, db_backend) -> None:
    await make_user(app, username="bob")
    client = app.test_client()
    response = await api_login(client, "bob", remember=True)
    assert response.status_code == 200
    cookie = set_cookie(response, AUTH_COOKIE)
    assert cookie is not None
    morsel = cookie[AUTH_COOKIE]
    assert morsel["max-age"] or morsel["expires"]
    if morsel["max-age"]:
        assert int(morsel["max-age"]) >= 29 * 24 * 3600
    assert morsel["httponly"]
    assert morsel["samesite"] == "Lax"
    sessions = (await (await client.get("/api/v1/me/sessions")).get_json())["items"]
    lifetime = datetime.fromisoformat(sessions[0]["expires_at"]) - datetime.fromisoformat(
        sessions[0]["created_at"]
    )
    assert lifetime >= timedelta(days=29)


async def test_without_remember_me_the_cookie_ends_with_the_browser(app, db_backend) -> None:
    await make_user(app, username="carol")
    client = app.test_client()
    response = await api_login(client, "carol")
    cookie = set_cookie(response, AUTH_COOKIE)
    assert cookie is not None
    morsel = cookie[AUTH_COOKIE]
    assert not morsel["max-age"] and not morsel["expires"]
    assert morsel["httponly"]
    sessions = (await (await client.get("/api/v1/me/sessions")).get_json())["items"]
    lifetime = datetime.fromisoformat(sessions[0]["expires_at"]) - datetime.fromisoformat(
        sessions[0]["created_at"]
    )
    assert lifetime <= timedelta(hours=12)


async def test_sessions_list_and_revoke_one(app, db_backend) -> None:
    await make_user(app, username="dave")
    laptop = await second_client(app, "dave", "Laptop Browser")
    phone = await second_client(app, "dave", "Phone Browser")
    listing = await laptop.get("/api/v1/me/sessions")
    assert listing.status_code == 200
    items = (await listing.get_json())["items"]
    assert sorted(s["user_agent"] for s in items) == ["Laptop Browser", "Phone Browser"]
    assert [s["current"] for s in items].count(True) == 1
    current = next(s for s in items if s["current"])
    assert current["user_agent"] == "Laptop Browser"
    assert set(current) == {
        "id", "current", "user_agent", "ip_address", "created_at", "last_seen_at", "expires_at"
    }  # fmt: skip
    other = next(s for s in items if not s["current"])

    response = await laptop.delete(f"/api/v1/me/sessions/{other['id']}")
    assert response.status_code == 204
    assert (await phone.get("/api/v1/me")).status_code == 401
    assert (await laptop.get("/api/v1/me")).status_code == 200
    items = (await (await laptop.get("/api/v1/me/sessions")).get_json())["items"]
    assert [s["id"] for s in items] == [current["id"]]
    # Revoking it again, or one that never existed, is a 404.
    assert (await laptop.delete(f"/api/v1/me/sessions/{other['id']}")).status_code == 404
    assert (await laptop.delete("/api/v1/me/sessions/999999")).status_code == 404


async def test_cannot_revoke_someone_elses_session(app, db_backend) -> None:
    victim, _ = await signed_in_client(app)
    attacker, _ = await signed_in_client(app)
    victim_session = (await (await victim.get("/api/v1/me/sessions")).get_json())["items"][0]
    response = await attacker.delete(f"/api/v1/me/sessions/{victim_session['id']}")
    assert response.status_code == 404
    assert (await victim.get("/api/v1/me")).status_code == 200


async def test_revoke_other_sessions(app, db_backend) -> None:
    await make_user(app, username="erin")
    here = await second_client(app, "erin", "Here")
    others = [await second_client(app, "erin", f"Other {n}") for n in range(2)]
    someone_else, _ = await signed_in_client(app)
    headers = await csrf_header(here)
    response = await here.post("/api/v1/me/sessions/revoke-others", headers=headers)
    assert response.status_code == 200
    assert await response.get_json() == {"ended": 2}
    for other in others:
        assert (await other.get("/api/v1/me")).status_code == 401
    assert (await here.get("/api/v1/me")).status_code == 200
    assert (await someone_else.get("/api/v1/me")).status_code == 200
    response = await here.post("/api/v1/me/sessions/revoke-others", headers=headers)
    assert await response.get_json() == {"ended": 0}


async def test_revoke_others_with_a_token_ends_every_session(app, db_backend) -> None:
    browser, _user = await signed_in_client(app)
    created = await (await browser.post("/api/v1/me/tokens", json={"name": "cli"})).get_json()
    script = app.test_client()
    response = await script.post(
        "/api/v1/me/sessions/revoke-others",
        headers={"Authorization": f"Bearer {created['token']}"},
    )
    assert response.status_code == 200
    assert await response.get_json() == {"ended": 1}
    assert (await browser.get("/api/v1/me")).status_code == 401


async def test_sessions_need_sign_in(client, db_backend) -> None:
    assert (await client.get("/api/v1/me/sessions")).status_code == 401
    assert (await client.delete("/api/v1/me/sessions/1")).status_code == 401
    assert (await client.post("/api/v1/me/sessions/revoke-others")).status_code == 401


async def test_role_change_applies_to_live_sessions(app, db_backend) -> None:
    admin, _ = await signed_in_client(app, role=Role.ADMIN, username="boss")
    user_client, user = await signed_in_client(app)
    assert (await user_client.get("/api/v1/users")).status_code == 403
    response = await admin.patch(f"/api/v1/users/{user.id}", json={"role": "admin"})
    assert response.status_code == 200
    # The role is read per request, not frozen into the cookie at sign-in.
    assert (await user_client.get("/api/v1/users")).status_code == 200
