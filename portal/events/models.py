"""The event log: one row per change, written in the change's own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, utcnow

# BIGINT on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    """A change others may want to see live; also the outbox until ``published_at`` is set.

    ``channel`` is ``jobs``, ``uploads`` or ``user:<id>`` (what a websocket's ``me`` means).
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_channel_id", "channel", "id"),
        Index(
            "ix_events_unpublished",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WorkItem(Base):
    """A message for a durable work queue, written in the transaction that causes it.

    The outbox of work queues, apart from the event log: work is neither replayed to browsers
    nor part of the log's id order, so its ids never leave gaps in the events' sequence.
    ``queue`` is the purpose (``clicks``, ``media``); the bus adds the configured prefix.
    """

    __tablename__ = "work_outbox"
    __table_args__ = (
        Index(
            "ix_work_outbox_unpublished",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    queue: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
