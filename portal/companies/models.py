"""Tables of the companies capability."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, utcnow


class Company(Base):
    """An employer, managed by admins; jobs may belong to one (``Job.company_id``)."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120), index=True)
    website: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown as typed
    description_html: Mapped[str] = mapped_column(Text, default="")  # sanitised
    # The logo's file under the media root, its type (image/png, image/jpeg, image/webp) and
    # its SHA-256 (ETag); all None without a logo.
    logo_name: Mapped[str | None] = mapped_column(String(64))
    logo_type: Mapped[str | None] = mapped_column(String(16))
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
