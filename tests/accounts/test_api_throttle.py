"""Failed sign-ins are limited per account and per client address."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from portal.accounts import service
from portal.accounts.models import LoginThrottle
from portal.db import get_db, utcnow
from tests.accounts.helpers import api_login, error_of, peer, run_sql
from tests.factories import make_user

pytestmark = pytest.mark.both_databases

WINDOW = 600


@pytest.fixture
def settings_update() -> dict[str, Any]:
    return {
        "login_failures_per_account": 3,
        "login_failures_per_address": 5,
        "login_failure_window_seconds": WINDOW,
    }


async def login_from(client, address: str, login: str, password: str = "wrong password", **kw):
    return await client.post(
        "/api/v1/auth/login",
        json={"login": login, "password": password},
        scope_base=peer(address),
        **kw,
    )


async def assert_rate_limited(response) -> int:
    assert response.status_code == 429
    error = await error_of(response)
    assert error["code"] == "rate_limited"
    retry = int(response.headers["Retry-After"])
    assert 1 <= retry <= WINDOW + 1
    # In words, never a count of seconds ("Try again in 893 seconds").
    assert re.fullmatch(
        r"Too many failed sign-ins\. Try again in \d+ (minutes?|seconds?)\.", error["message"]
    )
    return retry


async def test_per_account_limit(app, client, db_backend) -> None:
    await make_user(app, username="alice")
    for _ in range(3):
        assert (await api_login(client, "alice", "wrong password")).status_code == 401
    # The limit holds even for the right password, so guessing on is pointless.
    await assert_rate_limited(await api_login(client, "alice"))
    await assert_rate_limited(await api_login(client, "ALICE", "wrong password"))
    # Another account from the same address is not affected (the address limit is higher).
    await make_user(app, username="bob")
    assert (await api_login(client, "bob")).status_code == 200


async def test_per_account_limit_follows_the_account_not_the_spelling(app, db_backend) -> None:
    await make_user(app, phone="13800138000", email="carol@example.com")
    client = app.test_client()
    spellings = ["13800138000", "+86 138 0013 8000", "138-0013-8000"]
    for index, spelling in enumerate(spellings):
        response = await login_from(client, f"198.51.100.{index}", spelling)
        assert response.status_code == 401
    # Rewriting the number (or the email's case) from yet another address does not reset it.
    await assert_rate_limited(await login_from(client, "198.51.100.9", "+8613800138000"))
    await assert_rate_limited(await login_from(client, "198.51.100.9", "13800138000", "x"))


async def test_per_address_limit_across_accounts(app, client, db_backend) -> None:
    await make_user(app, username="dave")
    for index in range(5):
        response = await login_from(client, "203.0.113.7", f"nobody{index}")
        assert response.status_code == 401
    # This address is done for now, even with a real account and the right password ...
    await assert_rate_limited(
        await login_from(client, "203.0.113.7", "dave", "correct horse battery")
    )
    # ... while another address signs in as usual.
    response = await login_from(client, "203.0.113.8", "dave", "correct horse battery")
    assert response.status_code == 200


async def test_successful_logins_do_not_count(app, client, db_backend) -> None:
    await make_user(app, username="erin")
    for _ in range(6):
        assert (await api_login(client, "erin")).status_code == 200


async def test_success_resets_the_account_count(app, client, db_backend) -> None:
    await make_user(app, username="frank")
    for _ in range(2):
        assert (await api_login(client, "frank", "wrong password")).status_code == 401
    assert (await api_login(client, "frank")).status_code == 200
    for _ in range(2):
        assert (await api_login(client, "frank", "wrong password")).status_code == 401
    assert (await api_login(client, "frank")).status_code == 200


async def test_concurrent_failures_all_count(app, db_backend) -> None:
    user = await make_user(app, username="ivy")
    assert (await api_login(app.test_client(), "ivy", "wrong password")).status_code == 401
    responses = await asyncio.gather(
        *(api_login(app.test_client(), "ivy", "wrong password") for _ in range(4))
    )
    # Two more guesses fit under the limit of three; the other two are refused unchecked.
    assert sorted(r.status_code for r in responses) == [401, 401, 429, 429]
    async with get_db(app).session_scope() as session:
        counts = dict(
            (await session.execute(select(LoginThrottle.key, LoginThrottle.failures))).all()
        )
    assert counts == {f"user:{user.id}": 3, "addr:<local>": 3}
    await assert_rate_limited(await api_login(app.test_client(), "ivy"))


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password the sign-in checks, each check slowed as a busy server's would be."""
    checked: list[str] = []
    real = service.verify_password

    async def slow_verify(stored_hash: str | None, password: str) -> bool:
        checked.append(password)
        await asyncio.sleep(0.05)  # all racing requests are past their reservation by now
        return await real(stored_hash, password)

    monkeypatch.setattr(service, "verify_password", slow_verify)
    return checked


@pytest.mark.parametrize(
    "settings_update",
    [
        {
            "login_failures_per_account": 5,
            "login_failures_per_address": 100,
            "login_failure_window_seconds": WINDOW,
        }
    ],
)
async def test_racing_guesses_get_no_more_checks_than_the_limit(
    app, db_backend, password_checks
) -> None:
    await make_user(app, username="judy")
    responses = await asyncio.gather(
        *(api_login(app.test_client(), "judy", f"guess {n}") for n in range(30))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [401] * 5 + [429] * 25  # never a 500 from two first failures at once
    assert len(password_checks) == 5
    await assert_rate_limited(await api_login(app.test_client(), "judy"))


@pytest.mark.parametrize(
    "settings_update",
    [
        {
            "login_failures_per_account": 5,
            "login_failures_per_address": 100,
            "login_failure_window_seconds": WINDOW,
        }
    ],
)
async def test_racing_first_failures_of_unknown_names_are_not_500(
    app, db_backend, password_checks
) -> None:
    responses = await asyncio.gather(
        *(api_login(app.test_client(), "nobody", f"guess {n}") for n in range(10))
    )
    assert sorted(r.status_code for r in responses) == [401] * 5 + [429] * 5
    assert len(password_checks) == 5


@pytest.mark.parametrize(
    "settings_update",
    [
        {
            "login_failures_per_account": 5,
            "login_failures_per_address": 100,
            "login_failure_window_seconds": WINDOW,
        }
    ],
)
async def test_the_limit_is_per_account_whichever_identifier_names_it(
    app, db_backend, password_checks
) -> None:
    await make_user(app, username="kim", email="kim@example.com", phone="13800138001")
    names = ["kim", "KIM@example.com", "+86 138 0013 8001"]
    responses = await asyncio.gather(
        *(
            login_from(app.test_client(), f"198.51.100.{n}", names[n % 3], f"guess {n}")
            for n in range(15)
        )
    )
    assert sorted(r.status_code for r in responses) == [401] * 5 + [429] * 10
    assert len(password_checks) == 5
    for name in names:
        await assert_rate_limited(await api_login(app.test_client(), name))


async def test_unknown_names_are_limited_each_on_its_own(app, client, db_backend) -> None:
    for _ in range(3):
        assert (await api_login(client, "ghost1", "wrong password")).status_code == 401
    await assert_rate_limited(await api_login(client, "ghost1"))
    assert (await api_login(client, "ghost2", "wrong password")).status_code == 401


async def test_limit_ends_with_the_window(app, client, db_backend) -> None:
    await make_user(app, username="grace")
    for _ in range(3):
        await api_login(client, "grace", "wrong password")
    await assert_rate_limited(await api_login(client, "grace"))
    # Let the window pass (moving its start back is the same as waiting).
    await run_sql(
        app,
        update(LoginThrottle).values(window_started_at=utcnow() - timedelta(seconds=WINDOW + 1)),
    )
    assert (await api_login(client, "grace")).status_code == 200
    # An expired window starts counting afresh instead of adding to the old count.
    for _ in range(2):
        assert (await api_login(client, "grace", "wrong password")).status_code == 401
    assert (await api_login(client, "grace")).status_code == 200


async def test_rate_limited_answer_for_unknown_account_too(app, client, db_backend) -> None:
    for _ in range(3):
        assert (await api_login(client, "ghost", "wrong password")).status_code == 401
    await assert_rate_limited(await api_login(client, "ghost"))


# ------------------------------------------------------------------------------------ proxies


async def test_forwarded_for_is_ignored_without_trusted_proxies(app, client, db_backend) -> None:
    for index in range(5):
        response = await login_from(
            client,
            "203.0.113.7",
            f"nobody{index}",
            headers={"X-Forwarded-For": f"192.0.2.{index}"},
        )
        assert response.status_code == 401
    # A fresh X-Forwarded-For does not make a fresh client.
    response = await login_from(
        client, "203.0.113.7", "nobody9", headers={"X-Forwarded-For": "192.0.2.99"}
    )
    await assert_rate_limited(response)


@pytest.mark.parametrize(
    "settings_update",
    [
        {
            "login_failures_per_account": 3,
            "login_failures_per_address": 5,
            "login_failure_window_seconds": WINDOW,
            "trusted_proxies": ["10.0.0.0/8"],
        }
    ],
)
async def test_forwarded_for_is_honoured_from_trusted_proxies(app, client, db_backend) -> None:
    await make_user(app, username="heidi")

    async def via_proxy(client_ip: str, login: str, password: str = "wrong password"):
        return await login_from(
            client,
            "10.1.2.3",
            login,
            password,
            # The client's own claim comes first; the proxies append what they saw.
            headers={"X-Forwarded-For": f"1.2.3.4, {client_ip}, 10.9.9.9"},
        )

    for index in range(5):
        assert (await via_proxy("192.0.2.1", f"nobody{index}")).status_code == 401
    await assert_rate_limited(await via_proxy("192.0.2.1", "heidi", "correct horse battery"))
    # Behind the same proxy, another client is someone else.
    response = await via_proxy("192.0.2.2", "heidi", "correct horse battery")
    assert response.status_code == 200
    sessions = await (await client.get("/api/v1/me/sessions")).get_json()
    assert [s["ip_address"] for s in sessions["items"]] == ["192.0.2.2"]

    # A peer that is not a trusted proxy cannot pick its address with the header. (A fresh
    # browser: the one above signed in as heidi, and a known browser passes the address limit.)
    stranger = app.test_client()
    for index in range(5):
        response = await login_from(
            stranger,
            "203.0.113.50",
            f"nobody{index}",
            headers={"X-Forwarded-For": f"192.0.2.{index + 10}"},
        )
        assert response.status_code == 401
    response = await login_from(
        stranger,
        "203.0.113.50",
        "heidi",
        "correct horse battery",
        headers={"X-Forwarded-For": "192.0.2.77"},
    )
    await assert_rate_limited(response)
