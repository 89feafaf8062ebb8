"""Personal API tokens: /api/v1/me/tokens and bearer authentication."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from portal.accounts.models import ApiToken
from portal.db import get_db, utcnow
from tests.accounts.helpers import error_of, run_sql
from tests.factories import signed_in_client

pytestmark = pytest.mark.both_databases


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create(client, name: str = "laptop script", **extra):
    response = await client.post("/api/v1/me/tokens", json={"name": name, **extra})
    assert response.status_code == 201, await response.get_data(as_text=True)
    return await response.get_json()


async def test_create_shows_the_secret_once(app, db_backend) -> None:
    client, user = await signed_in_client(app)
    created = await create(client)
    assert created["token"].startswith("pt_")
    assert len(created["token"]) > 40
    assert created["prefix"] == created["token"][:10]
    assert created["name"] == "laptop script"
    assert created["expires_at"] is None and created["last_used_at"] is None
    listing = await client.get("/api/v1/me/tokens")
    assert listing.status_code == 200
    items = (await listing.get_json())["items"]
    assert [t["id"] for t in items] == [created["id"]]
    assert "token" not in items[0]
    assert created["token"] not in await listing.get_data(as_text=True)
    # Only a hash is stored.
    async with get_db(app).session_scope() as session:
        stored = (await session.execute(select(ApiToken))).scalar_one()
    assert created["token"] not in stored.token_hash
    assert stored.user_id == user.id


async def test_bearer_token_authenticates(app, db_backend) -> None:
    client, user = await signed_in_client(app)
    created = await create(client)
    script = app.test_client()  # no cookie
    response = await script.get("/api/v1/me", headers=bearer(created["token"]))
    assert response.status_code == 200
    assert (await response.get_json())["id"] == user.id
    # Lower-case scheme works too (RFC 9110: the scheme is case-insensitive).
    response = await script.get(
        "/api/v1/me", headers={"Authorization": f"bearer {created['token']}"}
    )
    assert response.status_code == 200
    items = (await (await client.get("/api/v1/me/tokens")).get_json())["items"]
    assert items[0]["last_used_at"] is not None


async def test_bearer_token_can_write(app, db_backend) -> None:
    client, _user = await signed_in_client(app)
    created = await create(client)
    script = app.test_client()
    response = await script.patch(
        "/api/v1/me", json={"bio": "set by a script"}, headers=bearer(created["token"])
    )
    assert response.status_code == 200
    assert (await response.get_json())["bio"] == "set by a script"


async def test_revoked_token_is_refused(app, db_backend) -> None:
    client, _user = await signed_in_client(app)
    created = await create(client)
    assert (await client.delete(f"/api/v1/me/tokens/{created['id']}")).status_code == 204
    response = await app.test_client().get("/api/v1/me", headers=bearer(created["token"]))
    assert response.status_code == 401
    assert (await error_of(response))["code"] == "unauthorized"
    assert (await (await client.get("/api/v1/me/tokens")).get_json())["items"] == []
    assert (await client.delete(f"/api/v1/me/tokens/{created['id']}")).status_code == 404


async def test_token_can_revoke_itself(app, db_backend) -> None:
    client, _user = await signed_in_client(app)
    created = await create(client)
    script = app.test_client()
    headers = bearer(created["token"])
    assert (
        await script.delete(f"/api/v1/me/tokens/{created['id']}", headers=headers)
    ).status_code == 204
    assert (await script.get("/api/v1/me", headers=headers)).status_code == 401


async def test_cannot_revoke_someone_elses_token(app, db_backend) -> None:
    owner, _ = await signed_in_client(app)
    other, _ = await signed_in_client(app)
    created = await create(owner)
    assert (await other.delete(f"/api/v1/me/tokens/{created['id']}")).status_code == 404
    assert (await other.delete("/api/v1/me/tokens/999999")).status_code == 404
    response = await app.test_client().get("/api/v1/me", headers=bearer(created["token"]))
    assert response.status_code == 200


async def test_garbage_bearer_is_401(app, db_backend) -> None:
    client = app.test_client()
    for header in [
        "Bearer garbage",
        "Bearer pt_",
        "Bearer pt_" + "x" * 43,
        "Bearer pt_" + "x" * 200,
        "Bearer " + "pt_\u00e9",
        "Basic dXNlcjpwYXNz",
        "Bearer",
    ]:
        response = await client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert (await error_of(response))["code"] == "unauthorized"


async def test_bad_bearer_does_not_fall_back_to_the_cookie(app, db_backend) -> None:
    # A request that names a token is judged by that token alone.
    client, _user = await signed_in_client(app)
    response = await client.get("/api/v1/me", headers=bearer("pt_not-a-real-token"))
    assert response.status_code == 401
    assert (await client.get("/api/v1/me")).status_code == 200


async def test_expired_token_is_refused(app, db_backend) -> None:
    client, _user = await signed_in_client(app)
    created = await create(client, expires_in_days=30)
    expires = datetime.fromisoformat(created["expires_at"])
    assert (
        timedelta(days=29)
        < expires - datetime.fromisoformat(created["created_at"])
        <= timedelta(days=30)
    )
    headers = bearer(created["token"])
    script = app.test_client()
    assert (await script.get("/api/v1/me", headers=headers)).status_code == 200
    await run_sql(
        app,
        update(ApiToken)
        .where(ApiToken.id == created["id"])
        .values(expires_at=utcnow() - timedelta(seconds=1)),
    )
    # A safe request may be recognised from memory until the token's own expiry (the time
    # it had when seen); moving that time under the process's feet is what this pretends.
    app.extensions["portal.principals"].forget_user(_user.id)
    assert (await script.get("/api/v1/me", headers=headers)).status_code == 401
    # An expired token is no longer listed as usable.
    assert (await (await client.get("/api/v1/me/tokens")).get_json())["items"] == []


async def test_bad_token_requests_are_422(app, db_backend) -> None:
    client, _user = await signed_in_client(app)
    for body, field in [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 65}, "name"),
        # PostgreSQL refuses NUL in text: a 422 here, never a 500 from the database.
        ({"name": "nul\x00name"}, "name"),
        ({"name": "ok", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "ok", "expires_in_days": 100000}, "expires_in_days"),
        ({"name": "ok", "scope": "all"}, "scope"),
        ({}, "name"),
    ]:
        response = await client.post("/api/v1/me/tokens", json=body)
        assert response.status_code == 422, body
        error = await error_of(response)
        assert field in error["fields"], body
    assert (await (await client.get("/api/v1/me/tokens")).get_json())["items"] == []


async def test_tokens_need_sign_in(client, db_backend) -> None:
    assert (await client.get("/api/v1/me/tokens")).status_code == 401
    assert (await client.post("/api/v1/me/tokens", json={"name": "x"})).status_code == 401
    assert (await client.delete("/api/v1/me/tokens/1")).status_code == 401


async def test_a_revoked_token_is_refused_at_once_though_it_was_remembered(app) -> None:
    """Safe requests remember a token's owner for a few seconds; revoking forgets it."""
    client, _user = await signed_in_client(app)
    created = await create(client)
    headers = bearer(created["token"])
    script = app.test_client()
    assert (await script.get("/api/v1/me", headers=headers)).status_code == 200
    assert (await script.get("/api/v1/me", headers=headers)).status_code == 200  # remembered
    assert (await client.delete(f"/api/v1/me/tokens/{created['id']}")).status_code == 204
    assert (await script.get("/api/v1/me", headers=headers)).status_code == 401


async def test_a_profile_change_shows_at_once_on_safe_requests(app) -> None:
    client, _user = await signed_in_client(app)
    assert (await client.get("/api/v1/me")).status_code == 200
    response = await client.patch("/api/v1/me", json={"nickname": "Renamed"})
    assert response.status_code == 200
    assert (await (await client.get("/api/v1/me")).get_json())["nickname"] == "Renamed"
