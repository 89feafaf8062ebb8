"""Migration 0010 (the delivery lease, the admins' opt-in) goes down to 0009 and up again on
SQLite and PostgreSQL, keeping the rows it does not own."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url

from portal.db import make_engine
from portal.migrate import alembic_config, upgrade
from tests.conftest import POSTGRES_URL, _async_pg_url


async def _downgrade(url: str, revision: str) -> None:
    engine = make_engine(url)

    def run(connection: Connection) -> None:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    try:
        async with engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()


async def _columns(url: str, table: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: {column["name"] for column in inspect(sync).get_columns(table)}
            )
    finally:
        await engine.dispose()


async def _round_trip(url: str) -> None:
    await upgrade(url)
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO mail_deliveries (event_id, kind, channel, recipient, status,"
                    " attempts, reason, updated_at) VALUES (7, 'reset', 'email', 'a@b.c',"
                    " 'sent', 1, '', CURRENT_TIMESTAMP)"
                )
            )
    finally:
        await engine.dispose()
    assert {"claimed_by", "lease_until"} <= await _columns(url, "mail_deliveries")
    await _downgrade(url, "0009")
    assert "claimed_by" not in await _columns(url, "mail_deliveries")
    assert "mail_new_applications" not in await _columns(url, "users")
    await upgrade(url)
    assert "mail_new_applications" in await _columns(url, "users")
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            kept = (await connection.execute(text("SELECT event_id FROM mail_deliveries"))).all()
    finally:
        await engine.dispose()
    assert [row[0] for row in kept] == [7]


async def test_0010_down_and_up_on_sqlite(tmp_path: Path) -> None:
    await _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")


async def test_0010_down_and_up_on_postgres() -> None:
    if not POSTGRES_URL:
        pytest.skip("PORTAL_TEST_POSTGRES_URL is not set")
    admin_url = _async_pg_url(POSTGRES_URL)
    name = f"portal_migration_{uuid.uuid4().hex[:10]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        await _round_trip(url)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
