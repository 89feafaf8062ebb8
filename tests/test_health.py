"""/healthz and /readyz on the embedded default."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

import pytest
from quart import Quart
from sqlalchemy.exc import OperationalError

from portal.web import health


async def test_healthz_answers_without_touching_anything(app: Quart) -> None:
    response = await app.test_client().get("/healthz")
    assert response.status_code == 200
    assert await response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


async def test_readyz_checks_the_database(app: Quart) -> None:
    response = await app.test_client().get("/readyz")
    assert response.status_code == 200
    assert await response.get_json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "in-process"},
    }


async def test_readyz_is_503_when_the_database_is_down(
    app: Quart, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Down:
        @asynccontextmanager
        async def session_scope(self) -> Any:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError())
            yield

    monkeypatch.setattr(health, "get_db", Down)
    response = await app.test_client().get("/readyz")
    assert response.status_code == 503
    body = await response.get_json()
    assert body == {
        "status": "unavailable",
        "checks": {"database": "OperationalError", "broker": "in-process"},
    }
    # Liveness does not depend on the database.
    assert (await app.test_client().get("/healthz")).status_code == 200
