"""GET and PATCH /api/v1/me."""

from __future__ import annotations

import pytest

from tests.accounts.helpers import PASSWORD, api_login, error_of
from tests.factories import make_user, signed_in_client

pytestmark = pytest.mark.both_databases

NEW_PASSWORD = "a much better passphrase"


async def test_me_needs_sign_in(client, db_backend) -> None:
    for response in [
        await client.get("/api/v1/me"),
        await client.patch("/api/v1/me", json={"nickname": "x"}),
    ]:
        assert response.status_code == 401
        assert (await error_of(response))["code"] == "unauthorized"


async def test_edit_nickname_and_bio(app, db_backend) -> None:
    client, user = await signed_in_client(app, username="alice", email="alice@example.com")
    response = await client.patch(
        "/api/v1/me", json={"nickname": "  Alice W. ", "bio": " Hello\r\nworld \n"}
    )
    assert response.status_code == 200
    body = await response.get_json()
    assert body["nickname"] == "Alice W."
    assert body["bio"] == "Hello\nworld"
    # Fields left out keep their values.
    assert body["username"] == "alice" and body["email"] == "alice@example.com"
    again = await (await client.get("/api/v1/me")).get_json()
    assert again == body
    assert again["id"] == user.id


BAD_VALUES = [
    ({"nickname": ""}, "nickname"),
    ({"nickname": "n" * 65}, "nickname"),
    ({"bio": "b" * 501}, "bio"),
    ({"bio": "bell\x07"}, "bio"),
    ({"bio": "nul\x00"}, "bio"),
    ({"username": "no spaces"}, "username"),
    ({"username": "admin"}, "username"),
    ({"email": "nope"}, "email"),
    ({"phone": "12345"}, "phone"),
]


async def test_bad_values_are_422_with_the_field(app, db_backend) -> None:
    client, _user = await signed_in_client(app)
    for body, field in BAD_VALUES:
        response = await client.patch("/api/v1/me", json=body)
        assert response.status_code == 422, body
        error = await error_of(response)
        assert error["code"] == "validation_failed"
        assert field in error["fields"], body
    assert (await (await client.get("/api/v1/me")).get_json())["bio"] == ""


async def test_unknown_field_is_422(app, db_backend) -> None:
    client, _user = await signed_in_client(app)
    response = await client.patch("/api/v1/me", json={"role": "admin"})
    assert response.status_code == 422
    assert "role" in (await error_of(response))["fields"]
    assert (await (await client.get("/api/v1/me")).get_json())["role"] == "user"


async def test_change_and_clear_identifiers(app, db_backend) -> None:
    client, _user = await signed_in_client(app, username="bob", email="bob@example.com")
    response = await client.patch("/api/v1/me", json={"phone": "+86 139 0013 9000"})
    assert (await response.get_json())["phone"] == "+8613900139000"
    response = await client.patch("/api/v1/me", json={"email": "", "username": "Bobby"})
    body = await response.get_json()
    assert response.status_code == 200
    assert body["email"] is None and body["username"] == "Bobby"
    # The old name no longer signs in; the new one and the phone do.
    fresh = app.test_client()
    assert (await api_login(fresh, "bob")).status_code == 401
    assert (await api_login(fresh, "bobby")).status_code == 200
    assert (await api_login(fresh, "13900139000")).status_code == 200
    # The cleared email is free for someone else.
    assert (await make_user(app, email="BOB@example.com")).email == "BOB@example.com"


async def test_change_case_of_own_username(app, db_backend) -> None:
    client, _user = await signed_in_client(app, username="carol")
    response = await client.patch("/api/v1/me", json={"username": "Carol"})
    assert response.status_code == 200
    assert (await response.get_json())["username"] == "Carol"


async def test_cannot_clear_the_last_identifier(app, db_backend) -> None:
    client, _user = await signed_in_client(app, username="dave")
    response = await client.patch("/api/v1/me", json={"username": ""})
    assert response.status_code == 422
    error = await error_of(response)
    assert set(error["fields"]) == {"username"}
    # Swapping the only identifier for another in one request is fine.
    response = await client.patch("/api/v1/me", json={"username": "", "email": "dave@example.com"})
    assert response.status_code == 200
    body = await response.get_json()
    assert body["username"] is None and body["email"] == "dave@example.com"
    response = await client.patch("/api/v1/me", json={"email": "", "phone": ""})
    assert response.status_code == 422
    assert set((await error_of(response))["fields"]) == {"email", "phone"}


@pytest.mark.parametrize(
    ("taken", "change", "field"),
    [
        ({"username": "erin"}, {"username": "ERIN"}, "username"),
        ({"email": "erin@example.com"}, {"email": "Erin@Example.com"}, "email"),
        ({"phone": "13800138000"}, {"phone": "+86 138-0013-8000"}, "phone"),
    ],
)
async def test_duplicate_identifier_is_409(app, db_backend, taken, change, field) -> None:
    await make_user(app, **taken)
    client, _user = await signed_in_client(app, username="frank")
    response = await client.patch("/api/v1/me", json=change)
    assert response.status_code == 409
    error = await error_of(response)
    assert error["code"] == "conflict"
    assert set(error["fields"]) == {field}
    assert (await (await client.get("/api/v1/me")).get_json())["username"] == "frank"


async def test_password_change_needs_the_current_password(app, db_backend) -> None:
    client, _user = await signed_in_client(app, username="grace")
    for body in [
        {"password": NEW_PASSWORD},
        {"password": NEW_PASSWORD, "current_password": "not my password"},
        {"password": NEW_PASSWORD, "current_password": ""},
    ]:
        response = await client.patch("/api/v1/me", json=body)
        assert response.status_code == 422
        error = await error_of(response)
        assert set(error["fields"]) == {"current_password"}
    assert (await api_login(app.test_client(), "grace")).status_code == 200


async def test_weak_new_password_is_422_on_the_password_field(app, db_backend) -> None:
    client, _user = await signed_in_client(app, username="heidi")
    response = await client.patch(
        "/api/v1/me", json={"password": "password1", "current_password": PASSWORD}
    )
    assert response.status_code == 422
    assert set((await error_of(response))["fields"]) == {"password"}


async def test_password_change_signs_out_other_sessions(app, db_backend) -> None:
    here, _user = await signed_in_client(app, username="ivan")
    elsewhere = app.test_client()
    assert (await api_login(elsewhere, "ivan")).status_code == 200
    response = await here.patch(
        "/api/v1/me", json={"password": NEW_PASSWORD, "current_password": PASSWORD}
    )
    assert response.status_code == 200
    assert "password" not in await response.get_json()
    assert (await here.get("/api/v1/me")).status_code == 200
    assert (await elsewhere.get("/api/v1/me")).status_code == 401
    fresh = app.test_client()
    assert (await api_login(fresh, "ivan", PASSWORD)).status_code == 401
    assert (await api_login(fresh, "ivan", NEW_PASSWORD)).status_code == 200


async def test_failed_edit_changes_nothing(app, db_backend) -> None:
    client, _user = await signed_in_client(app, username="judy")
    response = await client.patch("/api/v1/me", json={"nickname": "New Name", "email": "bad"})
    assert response.status_code == 422
    assert (await (await client.get("/api/v1/me")).get_json())["nickname"] == "judy"


async def test_malformed_json_is_400(app, db_backend) -> None:
    client, _user = await signed_in_client(app)
    response = await client.patch(
        "/api/v1/me", data=b"{nickname:", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert (await error_of(response))["code"] == "bad_request"


async def test_password_change_revokes_every_api_token(app, db_backend) -> None:
    here, _user = await signed_in_client(app, username="kate")
    tokens = []
    for name in ("laptop", "ci"):
        response = await here.post("/api/v1/me/tokens", json={"name": name})
        tokens.append((await response.get_json())["token"])
    script = app.test_client()
    for token in tokens:  # twice: the second answer comes from memory (principals)
        for _ in range(2):
            response = await script.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200
    response = await here.patch(
        "/api/v1/me", json={"password": NEW_PASSWORD, "current_password": PASSWORD}
    )
    assert response.status_code == 200
    for token in tokens:
        response = await script.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
    assert (await (await here.get("/api/v1/me/tokens")).get_json())["items"] == []
    assert (await here.get("/api/v1/me")).status_code == 200  # this browser stays signed in


async def test_password_change_by_token_ends_every_session_and_token(app, db_backend) -> None:
    browser, _user = await signed_in_client(app, username="liam")
    token = (await (await browser.post("/api/v1/me/tokens", json={"name": "cli"})).get_json())[
        "token"
    ]
    script = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    response = await script.patch(
        "/api/v1/me",
        json={"password": NEW_PASSWORD, "current_password": PASSWORD},
        headers=headers,
    )
    assert response.status_code == 200
    assert (await script.get("/api/v1/me", headers=headers)).status_code == 401
    assert (await browser.get("/api/v1/me")).status_code == 401


async def test_other_profile_edits_keep_the_tokens(app, db_backend) -> None:
    client, _user = await signed_in_client(app, username="mia")
    token = (await (await client.post("/api/v1/me/tokens", json={"name": "cli"})).get_json())[
        "token"
    ]
    assert (await client.patch("/api/v1/me", json={"bio": "hello"})).status_code == 200
    response = await app.test_client().get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
