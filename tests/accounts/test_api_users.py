"""The user admin API: GET /api/v1/users and PATCH /api/v1/users/<id>."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.db import get_db
from tests.accounts.helpers import error_of
from tests.factories import make_user, signed_in_client

pytestmark = pytest.mark.both_databases


@pytest.fixture
async def admin(app):
    client, user = await signed_in_client(app, role=Role.ADMIN, username="root")
    return client, user


async def test_anonymous_is_401(client, db_backend) -> None:
    for response in [
        await client.get("/api/v1/users"),
        await client.patch("/api/v1/users/1", json={"role": "admin"}),
    ]:
        assert response.status_code == 401
        assert (await error_of(response))["code"] == "unauthorized"


async def test_user_is_403(app, db_backend) -> None:
    client, user = await signed_in_client(app)
    for response in [
        await client.get("/api/v1/users"),
        await client.patch(f"/api/v1/users/{user.id}", json={"role": "admin"}),
    ]:
        assert response.status_code == 403
        assert (await error_of(response))["code"] == "forbidden"
    assert (await (await client.get("/api/v1/me")).get_json())["role"] == "user"


async def test_admin_lists_users(app, admin, db_backend) -> None:
    client, root = admin
    alice = await make_user(app, username="alice", email="Alice@Example.com", nickname="Wonder")
    bob = await make_user(app, phone="13800138000", nickname="Bob 小明")
    response = await client.get("/api/v1/users")
    assert response.status_code == 200
    body = await response.get_json()
    assert body["total"] == 3 and body["page"] == 1 and body["per_page"] == 50
    assert [u["id"] for u in body["items"]] == [root.id, alice.id, bob.id]
    assert all("password" not in str(u) for u in body["items"])


FILTERS = [
    ({"q": "alice"}, ["alice"]),
    ({"q": "ALI"}, ["alice"]),
    ({"q": "example.com"}, ["alice"]),
    ({"q": "wonder"}, ["alice"]),
    ({"q": "138001"}, ["bob"]),
    ({"q": "+86138"}, ["bob"]),
    ({"q": "小明"}, ["bob"]),
    ({"q": "nothing-matches"}, []),
    # LIKE wildcards in the search are literal characters.
    ({"q": "%"}, []),
    ({"q": "_"}, ["under_score"]),
    ({"q": ""}, ["root", "alice", "bob", "under_score"]),
    ({"role": "admin"}, ["root"]),
    ({"role": "user"}, ["alice", "bob", "under_score"]),
    ({"role": "user", "q": "score"}, ["under_score"]),
    ({"role": "admin", "q": "score"}, []),
]


async def test_admin_filters_users(app, admin, db_backend) -> None:
    client, _root = admin
    await make_user(app, username="alice", email="Alice@Example.com", nickname="Wonder")
    await make_user(app, username="bob", phone="13800138000", nickname="Bob 小明")
    await make_user(app, username="under_score")
    for query, expected in FILTERS:
        response = await client.get("/api/v1/users", query_string=query)
        assert response.status_code == 200
        body = await response.get_json()
        assert [u["username"] for u in body["items"]] == expected, query
        assert body["total"] == len(expected)


async def test_admin_pages_through_users(app, admin, db_backend) -> None:
    client, _root = admin
    for index in range(4):
        await make_user(app, username=f"member{index}")
    names = []
    for page in (1, 2, 3):
        body = await (await client.get(f"/api/v1/users?per_page=2&page={page}")).get_json()
        assert body["total"] == 5 and body["page"] == page and body["per_page"] == 2
        names += [u["username"] for u in body["items"]]
    assert names == ["root", "member0", "member1", "member2", "member3"]
    body = await (await client.get("/api/v1/users?per_page=2&page=9")).get_json()
    assert body["items"] == [] and body["total"] == 5


async def test_bad_filters_are_422(app, admin, db_backend) -> None:
    client, _root = admin
    for query, field in [
        ("role=boss", "role"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("per_page=201", "per_page"),
        ("q=" + "x" * 101, "q"),
    ]:
        response = await client.get(f"/api/v1/users?{query}")
        assert response.status_code == 422, query
        error = await error_of(response)
        assert error["code"] == "validation_failed"
        assert field in error["fields"], query


async def test_search_with_control_characters_finds_nothing(app, admin, db_backend) -> None:
    # No name can contain them; and PostgreSQL refuses NUL in text: never a 500.
    client, _root = admin
    for q in ["a\x00b", "\x07", "root\u200b"]:
        response = await client.get("/api/v1/users", query_string={"q": q})
        assert response.status_code == 200
        assert await response.get_json() == {"items": [], "total": 0, "page": 1, "per_page": 50}


async def test_promote_and_demote(app, admin, db_backend) -> None:
    client, _root = admin
    member_client, member = await signed_in_client(app, username="carol")
    response = await client.patch(f"/api/v1/users/{member.id}", json={"role": "admin"})
    assert response.status_code == 200
    body = await response.get_json()
    assert body["id"] == member.id and body["role"] == "admin"
    assert (await member_client.get("/api/v1/users")).status_code == 200
    # The new admin can demote the old one (two admins, so it is not the last).
    response = await member_client.patch(f"/api/v1/users/{_root.id}", json={"role": "user"})
    assert response.status_code == 200
    assert (await response.get_json())["role"] == "user"
    assert (await client.get("/api/v1/users")).status_code == 403
    # Setting the role a user already has is fine.
    response = await member_client.patch(f"/api/v1/users/{member.id}", json={"role": "admin"})
    assert response.status_code == 200


async def test_last_admin_cannot_be_demoted(app, admin, db_backend) -> None:
    client, root = admin
    response = await client.patch(f"/api/v1/users/{root.id}", json={"role": "user"})
    assert response.status_code == 409
    error = await error_of(response)
    assert error["code"] == "last_admin"
    assert "role" in error["fields"]
    assert (await (await client.get("/api/v1/me")).get_json())["role"] == "admin"
    # With a second admin, stepping down is allowed.
    other = await make_user(app, role=Role.ADMIN, username="deputy")
    assert (
        await client.patch(f"/api/v1/users/{root.id}", json={"role": "user"})
    ).status_code == 200
    deputy_client, _ = await signed_in_client_for(app, "deputy")
    response = await deputy_client.patch(f"/api/v1/users/{other.id}", json={"role": "user"})
    assert response.status_code == 409


async def signed_in_client_for(app, login: str):
    client = app.test_client()
    response = await client.post(
        "/api/v1/auth/login", json={"login": login, "password": "correct horse battery"}
    )
    assert response.status_code == 200
    return client, await response.get_json()


async def test_unknown_user_is_404(app, admin, db_backend) -> None:
    client, _root = admin
    response = await client.patch("/api/v1/users/999999", json={"role": "admin"})
    assert response.status_code == 404
    assert (await error_of(response))["code"] == "not_found"


async def test_invalid_role_is_422(app, admin, db_backend) -> None:
    client, _root = admin
    member = await make_user(app)
    for body in [{"role": "superuser"}, {"role": ""}, {}, {"role": "admin", "nickname": "x"}]:
        response = await client.patch(f"/api/v1/users/{member.id}", json=body)
        assert response.status_code == 422, body
        assert (await error_of(response))["code"] == "validation_failed"
    assert (await client.get("/api/v1/users?role=admin")).status_code == 200
    body = await (await client.get("/api/v1/users", query_string={"role": "admin"})).get_json()
    assert body["total"] == 1


@pytest.mark.parametrize("attempt", range(3))
async def test_two_admins_demoting_each_other_leave_one(app, db_backend, attempt) -> None:
    first, one = await signed_in_client(app, role=Role.ADMIN, username="adminone")
    second, two = await signed_in_client(app, role=Role.ADMIN, username="admintwo")
    responses = await asyncio.gather(
        first.patch(f"/api/v1/users/{two.id}", json={"role": "user"}),
        second.patch(f"/api/v1/users/{one.id}", json={"role": "user"}),
    )
    statuses = sorted(r.status_code for r in responses)
    # The loser was either demoted first (403) or is now the last admin (409).
    assert statuses[0] == 200 and statuses[1] in {403, 409}, statuses
    async with get_db(app).session_scope() as session:
        admins = (await session.execute(select(User.id).where(User.role == "admin"))).all()
    assert len(admins) == 1
