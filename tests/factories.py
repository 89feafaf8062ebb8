"""Factories for users and signed-in clients."""

from __future__ import annotations

import itertools
from typing import Any

from quart import Quart
from quart.typing import TestClientProtocol

from portal.accounts import service
from portal.accounts.models import Role, User
from portal.db import get_db

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


async def make_user(
    app: Quart, *, role: Role = Role.USER, password: str = PASSWORD, **identifiers: Any
) -> User:
    """A user with a unique user name unless identifiers are given."""
    if not identifiers:
        identifiers = {"username": f"user{next(_counter)}"}
    identifiers.setdefault("nickname", identifiers.get("username") or "Someone")
    async with get_db(app).session_scope() as session:
        return await service.register_user(
            session, password=password, role=role, region="CN", **identifiers
        )


async def login(client: TestClientProtocol, login_name: str, password: str = PASSWORD) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"login": login_name, "password": password}
    )
    assert response.status_code == 200, await response.get_data(as_text=True)


async def signed_in_client(
    app: Quart, *, role: Role = Role.USER, **identifiers: Any
) -> tuple[TestClientProtocol, User]:
    user = await make_user(app, role=role, **identifiers)
    client = app.test_client()
    await login(client, user.username or user.email or user.phone or "")
    return client, user


async def csrf_token_for(client: TestClientProtocol, path: str = "/login") -> str:
    """Load a form page and read its CSRF token, as a browser would."""
    import re

    html = await (await client.get(path)).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no csrf token on {path}"
    return match.group(1)
