"""The sign-in limit in words, and known browsers: an address's or an account's lock-out
slows guessing down without shutting out the people who always sign in from there."""

from __future__ import annotations

from typing import Any

import pytest

from tests.accounts.helpers import PASSWORD, csrf_header, error_of, peer, set_cookie
from tests.factories import make_user

pytestmark = pytest.mark.both_databases

OFFICE = "203.0.113.7"
DEVICE_COOKIE = "portal_device"


@pytest.fixture
def settings_update() -> dict[str, Any]:
    return {
        "login_failures_per_account": 3,
        "login_failures_per_address": 5,
        "login_failure_window_seconds": 900,
    }


async def login_from(client, login: str, password: str = "wrong password", **extra):
    return await client.post(
        "/api/v1/auth/login",
        json={"login": login, "password": password},
        scope_base=peer(OFFICE),
        **extra,
    )


async def known_browser(app, login: str):
    """A client that signed in as ``login`` once (from the office) and signed out again."""
    client = app.test_client()
    response = await login_from(client, login, PASSWORD)
    assert response.status_code == 200
    cookie = set_cookie(response, DEVICE_COOKIE)
    assert cookie is not None
    assert cookie[DEVICE_COOKIE]["httponly"] and cookie[DEVICE_COOKIE]["max-age"]
    signed_out = await client.post("/api/v1/auth/logout", headers=await csrf_header(client))
    assert signed_out.status_code == 204
    return client


async def lock_the_office(app) -> None:
    """Someone at the office address sprays guesses across accounts until it is locked."""
    attacker = app.test_client()
    for index in range(5):
        assert (await login_from(attacker, f"nobody{index}")).status_code == 401
    assert (await login_from(attacker, "nobody9")).status_code == 429


async def test_the_wait_is_said_in_minutes(app, client, db_backend) -> None:
    await make_user(app, username="alice")
    for _ in range(3):
        await login_from(client, "alice")
    response = await login_from(client, "alice")
    assert response.status_code == 429
    assert 890 <= int(response.headers["Retry-After"]) <= 901
    assert (await error_of(response))["message"] == (
        "Too many failed sign-ins. Try again in 15 minutes."
    )
    response = await login_from(client, "alice", headers={"Accept-Language": "zh-CN"})
    assert (await error_of(response))["message"] == "登录失败次数过多，请15分钟后再试。"


async def test_a_known_browser_signs_in_while_its_address_is_locked(app, db_backend) -> None:
    await make_user(app, username="dave")
    daves_browser = await known_browser(app, "dave")
    await lock_the_office(app)
    # A browser never used for the account stays locked out with the right password ...
    assert (await login_from(app.test_client(), "dave", PASSWORD)).status_code == 429
    # ... the one Dave always uses is not.
    assert (await login_from(daves_browser, "dave", PASSWORD)).status_code == 200


async def test_a_known_browser_survives_guesses_at_its_account(app, db_backend) -> None:
    await make_user(app, username="erin")
    erins_browser = await known_browser(app, "erin")
    attacker = app.test_client()
    for _ in range(3):
        assert (await login_from(attacker, "erin")).status_code == 401
    assert (await login_from(attacker, "erin", PASSWORD)).status_code == 429
    assert (await login_from(erins_browser, "erin", PASSWORD)).status_code == 200
    # The guesser is still held back: Erin's sign-in did not reset the count against them.
    assert (await login_from(attacker, "erin", PASSWORD)).status_code == 429


async def test_a_known_browser_is_limited_like_an_account(app, db_backend) -> None:
    await make_user(app, username="frank")
    browser = await known_browser(app, "frank")
    for _ in range(3):
        assert (await login_from(browser, "frank")).status_code == 401
    assert (await login_from(browser, "frank", PASSWORD)).status_code == 429


async def test_the_device_cookie_opens_only_its_own_account(app, db_backend) -> None:
    await make_user(app, username="grace")
    await make_user(app, username="heidi")
    graces_browser = await known_browser(app, "grace")
    await lock_the_office(app)
    # From Grace's browser a spray over other accounts is held by the address limit.
    assert (await login_from(graces_browser, "heidi", PASSWORD)).status_code == 429


async def test_a_forged_device_cookie_counts_for_nothing(app, db_backend) -> None:
    user = await make_user(app, username="ivan")
    daves_browser = await known_browser(app, "ivan")
    value = next(c.value for c in daves_browser.cookie_jar if c.name == DEVICE_COOKIE)
    user_part, device, _signature = value.split(".")
    assert user_part == str(user.id)
    await lock_the_office(app)
    for forged in (f"{user.id}.{device}.{'0' * 64}", f"{user.id}.{device}", "x", "1..", ""):
        forger = app.test_client()
        forger.set_cookie("localhost", DEVICE_COOKIE, forged)
        assert (await login_from(forger, "ivan", PASSWORD)).status_code == 429, forged
