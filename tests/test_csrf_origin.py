"""The cross-origin check compares whole origins, and Sec-Fetch-Site has the last word."""

from __future__ import annotations

from typing import Any

import pytest

from portal.config import Settings
from portal.web.csrf import origin_allowed
from tests.accounts.helpers import PASSWORD, error_of, peer
from tests.factories import make_user

LOGIN = {"login": "alice", "password": PASSWORD}


@pytest.fixture
def settings_update() -> dict[str, Any]:
    return {"allowed_origins": ["https://app.example"]}


@pytest.fixture
def settings(settings: Settings, settings_update: dict[str, Any]) -> Settings:
    return Settings(**{**settings.model_dump(), **settings_update})


@pytest.fixture
async def alice(app):
    return await make_user(app, username="alice")


async def assert_csrf_refused(response) -> None:
    assert response.status_code == 403
    assert (await error_of(response))["code"] == "csrf_failed"


# ------------------------------------------------------------------------------ the pure rule


@pytest.mark.parametrize(
    ("origin", "scheme", "host", "fetch_site", "allowed"),
    [
        ("http://site.example", "http", "site.example", None, True),
        ("https://site.example", "https", "site.example", None, True),
        ("https://site.example", "http", "site.example", None, False),  # another scheme
        ("http://site.example", "https", "site.example", None, False),
        ("http://site.example:8080", "http", "site.example", None, False),  # another port
        ("http://site.example:80", "http", "site.example", None, True),  # the default port
        ("https://site.example", "https", "site.example:443", None, True),
        ("HTTP://Site.Example", "http", "site.example", None, True),
        ("http://site.example.evil", "http", "site.example", None, False),
        ("http://user@site.example", "http", "site.example", None, False),
        ("null", "http", "site.example", None, False),
        ("http://[::1", "http", "site.example", None, False),  # unparsable, not a 500
        ("http://site.example:99999", "http", "site.example", None, False),
        ("http://site.example/path", "http", "site.example", None, False),
        (None, "http", "site.example", None, True),  # not a browser
        # A browser's Sec-Fetch-Site decides, whatever the Origin says.
        ("http://site.example", "http", "site.example", "cross-site", False),
        ("http://site.example", "http", "site.example", "same-site", False),
        (None, "http", "site.example", "cross-site", False),
        ("http://site.example", "http", "site.example", "same-origin", True),
        (None, "http", "site.example", "none", True),
        # Configured origins pass even as cross-site, in any spelling of the same origin.
        ("https://app.example", "http", "site.example", "cross-site", True),
        ("https://APP.example:443", "http", "site.example", None, True),
        ("http://app.example", "http", "site.example", "cross-site", False),
        # The websocket handshake passes its own scheme: ws is http, wss is https.
        ("https://site.example", "wss", "site.example", None, True),
        ("http://site.example", "wss", "site.example", None, False),
        ("http://site.example", "ws", "site.example", None, True),
    ],
)
async def test_origin_allowed(app, origin, scheme, host, fetch_site, allowed) -> None:
    async with app.app_context():
        assert origin_allowed(origin, scheme=scheme, host=host, fetch_site=fetch_site) is allowed


# ------------------------------------------------------------------------------ requests


async def test_origin_of_another_scheme_is_refused(client, alice) -> None:
    # The test client speaks http to "localhost": an https page is another origin.
    response = await client.post(
        "/api/v1/auth/login", json=LOGIN, headers={"Origin": "https://localhost"}
    )
    await assert_csrf_refused(response)
    response = await client.post(
        "/api/v1/auth/login", json=LOGIN, headers={"Origin": "http://localhost"}, scheme="https"
    )
    await assert_csrf_refused(response)
    response = await client.post(
        "/api/v1/auth/login", json=LOGIN, headers={"Origin": "https://localhost"}, scheme="https"
    )
    assert response.status_code == 200


async def test_cross_site_fetch_is_refused_though_the_origin_matches(client, alice) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        json=LOGIN,
        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "cross-site"},
    )
    await assert_csrf_refused(response)
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_cross_site_fetch_from_an_allowed_origin_passes(client, alice) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        json=LOGIN,
        headers={"Origin": "https://app.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize("settings_update", [{"trusted_proxies": ["10.0.0.0/8"]}])
async def test_scheme_forwarded_by_a_trusted_proxy_counts(client, alice) -> None:
    # A proxy that ends TLS speaks http to us; its X-Forwarded-Proto says what the browser used.
    headers = {"Origin": "https://localhost", "X-Forwarded-Proto": "https"}
    response = await client.post(
        "/api/v1/auth/login", json=LOGIN, headers=headers, scope_base=peer("10.1.2.3")
    )
    assert response.status_code == 200
    # Anyone else's X-Forwarded-Proto is not believed.
    response = await client.post(
        "/api/v1/auth/login", json=LOGIN, headers=headers, scope_base=peer("203.0.113.9")
    )
    await assert_csrf_refused(response)
    response = await client.post(
        "/api/v1/auth/login",
        json=LOGIN,
        headers={"Origin": "http://localhost", "X-Forwarded-Proto": "https"},
        scope_base=peer("10.1.2.3"),
    )
    await assert_csrf_refused(response)
