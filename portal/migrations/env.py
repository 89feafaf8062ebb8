"""Alembic environment: runs on a connection handed in by portal.migrate, or its own engine."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from portal.db import Base, make_engine
from portal.models import import_all_models

import_all_models()
target_metadata = Base.metadata


def _include(obj: object, name: str | None, kind: str, reflected: bool, _other: object) -> bool:
    """Leave the search index alone: it is engine-specific SQL, not in the metadata."""
    if kind == "table" and name and name.startswith("job_search"):
        return False
    return not (kind == "column" and name == "search_vector")


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_with_own_engine(context.config.get_main_option("sqlalchemy.url") or ""))
