"""A request's session gives its connection back whole, even when the request is cancelled.

A browser that navigates away mid-request makes Quart cancel the request's task; when that
cancellation lands while the session is closing, SQLAlchemy's pool must not be left closing
a connection halfway (which it logs as "Exception closing connection", with a traceback).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest
from quart import Quart
from sqlalchemy import text

from portal.db import get_db, get_session, release_session


@pytest.mark.both_databases
async def test_a_cancelled_close_still_gives_the_connection_back(
    db_backend: str, app: Quart, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="sqlalchemy")
    engine = get_db(app).engine
    assert engine is not None
    for delay in range(12):  # land the cancellation at each step of the close
        async with app.test_request_context("/"):
            session = get_session()
            await session.execute(text("SELECT 1"))
            closing = asyncio.create_task(release_session())
            for _ in range(delay):
                await asyncio.sleep(0)
            closing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await closing
        for _ in range(100):
            if engine.pool.checkedout() == 0:  # type: ignore[attr-defined]
                break
            await asyncio.sleep(0.01)
        assert engine.pool.checkedout() == 0, f"a connection was kept, delay {delay}"  # type: ignore[attr-defined]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
