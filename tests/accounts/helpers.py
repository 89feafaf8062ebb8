"""Small helpers shared by the accounts tests."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

from quart import Quart
from quart.typing import TestClientProtocol
from quart.wrappers import Response

from portal.db import get_db

# The Quart test client sends "Host: localhost", so this is the site's own origin.
SAME_ORIGIN = "http://localhost"
AUTH_COOKIE = "portal_auth"
PASSWORD = "correct horse battery"


async def error_of(response: Response) -> dict[str, Any]:
    """The error object of an API error envelope, checking its shape on the way."""
    body = await response.get_json()
    assert body is not None, await response.get_data(as_text=True)
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    return body["error"]


async def register(client: TestClientProtocol, **body: Any) -> Response:
    body.setdefault("nickname", "Someone")
    body.setdefault("password", PASSWORD)
    return await client.post("/api/v1/auth/register", json=body)


async def api_login(
    client: TestClientProtocol, login: str, password: str = PASSWORD, **extra: Any
) -> Response:
    return await client.post(
        "/api/v1/auth/login", json={"login": login, "password": password, **extra}
    )


def set_cookie(response: Response, name: str) -> SimpleCookie | None:
    """The ``Set-Cookie`` for ``name`` in a response, parsed, or None."""
    for header in response.headers.getlist("Set-Cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        if name in cookie:
            return cookie
    return None


async def run_sql(app: Quart, statement: Any) -> None:
    """Change rows behind the app's back (expire a token, weaken a hash)."""
    async with get_db(app).session_scope() as session:
        await session.execute(statement)
        await session.commit()


def cookie_value(client: TestClientProtocol, name: str = AUTH_COOKIE) -> str | None:
    """The value of a cookie in the test client's jar."""
    for cookie in client.cookie_jar or ():
        if cookie.name == name:
            return cookie.value
    return None


def client_with_cookie(app: Quart, value: str, name: str = AUTH_COOKIE) -> TestClientProtocol:
    """A fresh client that replays a captured cookie, as a thief would."""
    client = app.test_client()
    client.set_cookie("localhost", name, value)
    return client


async def csrf_header(client: TestClientProtocol) -> dict[str, str]:
    """The header a page's script sends on a bodyless POST (its token, read from a page)."""
    from tests.factories import csrf_token_for

    return {"X-CSRF-Token": await csrf_token_for(client, "/profile")}


def peer(address: str) -> dict[str, Any]:
    """``scope_base`` for a request arriving from ``address``."""
    return {"client": (address, 40000)}
