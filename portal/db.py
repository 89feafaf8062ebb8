"""The database: declarative base, engine lifecycle and a session per request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from quart import Quart, current_app, g
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from portal.config import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, also on SQLite (which stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create an engine; SQLite gets WAL, foreign keys and real transactions."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    engine = create_async_engine(url, pool_pre_ping=not url.startswith("sqlite"), **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling skips BEGIN before SELECT, which breaks
        # read-then-write transactions; take over and emit BEGIN ourselves (SQLAlchemy recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database
WRITE_OPTION = "portal_write"


async def begin_write(session: AsyncSession) -> None:
    """Start a transaction that will write after reading.

    SQLite cannot upgrade a read transaction to a write one while another connection has
    written since it began (it fails at once with "database is locked", no waiting), so a
    read-then-write service takes the write lock up front with ``BEGIN IMMEDIATE``, which does
    wait (busy_timeout). PostgreSQL needs nothing here: services lock rows ``FOR UPDATE``.
    """
    await end_read(session)
    await session.connection(execution_options={WRITE_OPTION: True})


async def end_read(session: AsyncSession) -> None:
    """End ``session``'s read snapshot, if one is open; what it read stays loaded (commit with
    expire_on_commit off). What it reads next comes from a fresh snapshot."""
    if session.in_transaction():
        await session.commit()


class Database:
    """Owns the engine and sessionmaker for one app; created in before_serving."""

    def __init__(self, app: Quart | None = None) -> None:
        self.engine: AsyncEngine | None = None
        self.sessionmaker: async_sessionmaker[AsyncSession] | None = None
        # Copied into every new session's ``info``: how committed events reach the publisher.
        self.session_info: dict[str, Any] = {}
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Quart) -> None:
        app.extensions["portal.db"] = self
        app.while_serving(self._lifespan)
        app.teardown_request(self._close_session)
        app.teardown_websocket(self._close_session)

    async def _lifespan(self) -> AsyncGenerator[None, None]:
        # while_serving unwinds in reverse order: extensions set up after this one (the event
        # publisher) stop before the engine is disposed.
        await self.connect()
        yield
        await self.disconnect()

    async def connect(self) -> None:
        if self.engine is None:
            self.engine = make_engine(get_settings().resolved_database_url)
            self.sessionmaker = async_sessionmaker(
                self.engine, expire_on_commit=False, info=self.session_info
            )

    async def disconnect(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()
            self.engine = None
            self.sessionmaker = None

    def new_session(self) -> AsyncSession:
        if self.sessionmaker is None:
            raise RuntimeError("the database is not connected (before_serving has not run)")
        return self.sessionmaker()

    @asynccontextmanager
    async def session_scope(self) -> AsyncIterator[AsyncSession]:
        """A session outside a request (consumers, CLI); the caller commits."""
        async with self.new_session() as session:
            yield session

    async def _close_session(self, _exc: BaseException | None) -> None:
        await release_session()


def get_db(app: Quart | None = None) -> Database:
    return (app or current_app).extensions["portal.db"]


def get_session() -> AsyncSession:
    """The session of the current request or websocket, opened on first use."""
    if "db_session" not in g:
        g.db_session = get_db().new_session()
    return g.db_session


async def release_session() -> None:
    """Close the current request's or websocket's session now rather than at its teardown.

    A websocket lives for hours: it holds neither a connection nor a session between its
    reads. The next :func:`get_session` opens a new one. Closing does not expire what the
    session loaded (a rollback would), so objects read stay readable."""
    session: AsyncSession | None = g.pop("db_session", None)
    if session is None:
        return
    if not session.in_transaction():
        await session.close()  # no connection to give back: nothing a cancellation can cut
        return
    # A client that goes away cancels its request's task, often during this close: the pool
    # would then drop the connection halfway through its rollback (and log it). The close
    # finishes on its own (a task, so only where there is a connection); the cancellation
    # still reaches the caller.
    await asyncio.shield(session.close())
