"""POST /api/v1/auth/register and /api/v1/auth/login."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from portal.accounts.models import User
from portal.accounts.passwords import needs_rehash
from portal.db import get_db
from tests.accounts.helpers import AUTH_COOKIE, PASSWORD, api_login, error_of, register, set_cookie
from tests.factories import make_user

pytestmark = pytest.mark.both_databases

# ------------------------------------------------------------------------------------ register


@pytest.mark.parametrize(
    ("identifiers", "stored"),
    [
        ({"email": "Alice@Example.COM"}, {"email": "Alice@example.com"}),
        ({"phone": "138 0013 8000"}, {"phone": "+8613800138000"}),
        ({"username": "Alice_1"}, {"username": "Alice_1"}),
        (
            {"username": "bob", "email": "bob@example.com", "phone": "+8613900139000"},
            {"username": "bob", "email": "bob@example.com", "phone": "+8613900139000"},
        ),
    ],
)
async def test_register_by_each_identifier(client, db_backend, identifiers, stored) -> None:
    response = await register(client, nickname="小明", **identifiers)
    assert response.status_code == 201
    user = await response.get_json()
    assert set(user) == {
        "id", "username", "email", "phone", "nickname", "bio", "role", "created_at",
        "email_verified", "phone_verified",
    }  # fmt: skip
    assert user["email_verified"] is False and user["phone_verified"] is False
    assert "password" not in str(user) and "hash" not in str(user)
    expected = {"username": None, "email": None, "phone": None, **stored}
    assert {k: user[k] for k in expected} == expected
    assert user["nickname"] == "小明"
    assert user["role"] == "user"
    assert user["bio"] == ""
    # Registering signs in: the cookie is set and /me answers.
    assert set_cookie(response, AUTH_COOKIE) is not None
    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    assert (await me.get_json())["id"] == user["id"]


@pytest.mark.parametrize("settings_update", [{"default_phone_region": "US"}])
async def test_phone_without_country_code_uses_the_configured_region(client, db_backend) -> None:
    response = await register(client, phone="(201) 555-0123")
    assert response.status_code == 201
    assert (await response.get_json())["phone"] == "+12015550123"
    # The same default applies at sign-in; a Chinese number needs its +86 here.
    assert (await api_login(client, "201-555-0123")).status_code == 200
    assert (await register(client, phone="13800138000")).status_code == 422
    assert (await register(client, phone="+86 13800138000")).status_code == 201


async def test_register_needs_an_identifier(client, db_backend) -> None:
    response = await register(client, nickname="Nobody")
    assert response.status_code == 422
    error = await error_of(response)
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) == {"username", "email", "phone"}
    # Empty strings are the same as leaving them out.
    response = await register(client, username="", email="", phone="")
    assert response.status_code == 422
    assert set((await error_of(response))["fields"]) == {"username", "email", "phone"}
    assert (await client.get("/api/v1/me")).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "a"}, "username"),
        ({"username": "admin"}, "username"),
        ({"username": "123456"}, "username"),
        ({"username": "has space"}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "12345"}, "phone"),
        ({"username": "carol", "password": "short"}, "password"),
        ({"username": "carol", "password": "password123"}, "password"),
        ({"username": "carol", "nickname": "   "}, "nickname"),
        ({"username": "carol", "nickname": "n" * 65}, "nickname"),
    ],
)
async def test_register_bad_value_names_the_field(client, db_backend, body, field) -> None:
    response = await register(client, **body)
    assert response.status_code == 422
    error = await error_of(response)
    assert error["code"] == "validation_failed"
    assert field in error["fields"]
    assert error["fields"][field]


async def test_register_reports_every_bad_field_at_once(client, db_backend) -> None:
    response = await register(client, username="a", email="nope", phone="1", password="x")
    error = await error_of(response)
    assert set(error["fields"]) >= {"username", "email", "phone", "password"}


@pytest.mark.parametrize(
    ("first", "second", "field"),
    [
        ({"username": "Alice"}, {"username": "aLICE"}, "username"),
        ({"email": "alice@example.com"}, {"email": "ALICE@Example.com"}, "email"),
        ({"phone": "13800138000"}, {"phone": "+86 138 0013 8000"}, "phone"),
        ({"phone": "+8613800138000"}, {"phone": "138-0013-8000"}, "phone"),
    ],
)
async def test_register_duplicate_is_409(client, db_backend, first, second, field) -> None:
    assert (await register(client, **first)).status_code == 201
    response = await register(client, **second)
    assert response.status_code == 409
    error = await error_of(response)
    assert error["code"] == "conflict"
    assert set(error["fields"]) == {field}


async def test_register_duplicate_names_every_taken_field(app, client, db_backend) -> None:
    await make_user(app, username="dave", email="dave@example.com")
    response = await register(
        client, username="Dave", email="DAVE@example.com", phone="13800138000"
    )
    assert response.status_code == 409
    assert set((await error_of(response))["fields"]) == {"username", "email"}


async def test_register_malformed_json_is_400(client, db_backend) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        data=b'{"username": "x", ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert (await error_of(response))["code"] == "bad_request"


@pytest.mark.parametrize("body", [b"\xff\xfe{}", b'{"username": "\xff"}'])
async def test_body_that_is_not_utf8_is_400(client, db_backend, body) -> None:
    response = await client.post(
        "/api/v1/auth/register", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert (await error_of(response))["code"] == "bad_request"


async def test_oversized_body_is_413(client, db_backend) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        data=b'{"nickname": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert (await error_of(response))["code"] == "too_large"


async def test_wrong_method_is_405_with_allow(client, db_backend) -> None:
    response = await client.get("/api/v1/auth/login")
    assert response.status_code == 405
    assert (await error_of(response))["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


async def test_register_unknown_field_is_422(client, db_backend) -> None:
    response = await register(client, username="eve", role="admin")
    assert response.status_code == 422
    error = await error_of(response)
    assert error["code"] == "validation_failed"
    assert "role" in error["fields"]


async def test_register_wrong_shapes_are_422(client, db_backend) -> None:
    for body in [
        [],
        "just a string",
        {"username": 5, "nickname": "x", "password": PASSWORD},
        {"username": "frank"},  # nickname and password missing
        {"username": "frank", "nickname": "x" * 201, "password": PASSWORD},
    ]:
        response = await client.post("/api/v1/auth/register", json=body)
        assert response.status_code == 422, body
        assert (await error_of(response))["code"] == "validation_failed"


async def test_register_cannot_choose_admin_role(client, db_backend) -> None:
    response = await register(client, username="mallory")
    assert (await response.get_json())["role"] == "user"


# ------------------------------------------------------------------------------------ login


async def test_login_by_each_identifier(app, db_backend) -> None:
    user = await make_user(app, username="grace", email="grace@example.com", phone="13800138000")
    for login in [
        "grace",
        "GRACE",
        "  Grace ",
        "grace@example.com",
        "Grace@EXAMPLE.com",
        "13800138000",
        "+86 138 0013 8000",
        "138-0013-8000",
    ]:
        client = app.test_client()
        response = await api_login(client, login)
        assert response.status_code == 200, login
        assert (await response.get_json())["id"] == user.id
        assert set_cookie(response, AUTH_COOKIE) is not None
        assert (await (await client.get("/api/v1/me")).get_json())["username"] == "grace"


async def test_login_by_username_typed_in_full_width(app, client, db_backend) -> None:
    # Registration folds full-width letters; sign-in must fold them the same way.
    await make_user(app, username="ＨＥＩＤＩ")
    assert (await api_login(client, "heidi")).status_code == 200
    assert (await api_login(client, "ｈｅｉｄｉ")).status_code == 200


async def test_wrong_password_and_unknown_user_look_the_same(app, client, db_backend) -> None:
    await make_user(app, username="ivan", email="ivan@example.com")
    answers = []
    for login, password in [
        ("ivan", "wrong password"),
        ("ivan@example.com", "wrong password"),
        ("nobody", PASSWORD),
        ("nobody@example.com", PASSWORD),
        ("13900139000", PASSWORD),
        ("not a valid login !", PASSWORD),
    ]:
        response = await api_login(client, login, password)
        assert response.status_code == 401
        error = await error_of(response)
        answers.append((error["code"], error["message"], tuple(error["fields"])))
        assert set_cookie(response, AUTH_COOKIE) is None
    assert len(set(answers)) == 1
    assert answers[0][0] == "invalid_credentials"
    assert (await client.get("/api/v1/me")).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"login": "", "password": PASSWORD},
        {"login": "ivan"},
        {"login": "ivan", "password": PASSWORD, "extra": 1},
        {"login": "ivan", "password": PASSWORD, "remember": "maybe"},
    ],
)
async def test_login_bad_body_is_422(client, db_backend, body) -> None:
    response = await client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 422
    assert (await error_of(response))["code"] == "validation_failed"


async def test_login_malformed_json_is_400(client, db_backend) -> None:
    response = await client.post(
        "/api/v1/auth/login", data=b"{login", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert (await error_of(response))["code"] == "bad_request"


async def test_login_with_nul_characters_is_a_clean_401(app, client, db_backend) -> None:
    # PostgreSQL refuses NUL in text; odd input must still be a 401, never a 500.
    await make_user(app, username="judy")
    for login in ["ju\x00dy", "judy\x00@example.com", "138\x0000138000"]:
        response = await api_login(client, login)
        assert response.status_code == 401, login
        assert (await error_of(response))["code"] == "invalid_credentials"


async def test_login_upgrades_a_weak_hash(app, client, db_backend) -> None:
    from argon2 import PasswordHasher

    user = await make_user(app, username="karl")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    async with get_db(app).session_scope() as session:
        await session.execute(update(User).where(User.id == user.id).values(password_hash=weak))
        await session.commit()
    assert (await api_login(client, "karl")).status_code == 200
    async with get_db(app).session_scope() as session:
        stored = (await session.execute(select(User.password_hash))).scalar_one()
    assert stored != weak
    assert not needs_rehash(stored)
    assert (await api_login(app.test_client(), "karl")).status_code == 200


async def test_register_then_login_with_new_client(app, client, db_backend) -> None:
    assert (await register(client, email="leo@example.com")).status_code == 201
    other = app.test_client()
    assert (await other.get("/api/v1/me")).status_code == 401
    assert (await api_login(other, "LEO@example.com")).status_code == 200
    assert (await other.get("/api/v1/me")).status_code == 200


async def test_api_responses_are_not_cached(client, db_backend) -> None:
    response = await register(client, username="mia")
    assert response.headers["Cache-Control"] == "no-store"


def test_user_model_has_no_plain_password() -> None:
    assert "password" not in {c.name for c in User.__table__.columns}
