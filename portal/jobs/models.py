"""Tables of the jobs capability."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.companies.models import Company
from portal.db import Base, UTCDateTime, utcnow


class JobStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


class EmploymentType(StrEnum):
    FULL_TIME = "full_time"
    PART_TIME = "part_time"
    CONTRACT = "contract"
    INTERNSHIP = "internship"


class SalaryPeriod(StrEnum):
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class Category(StrEnum):
    ENGINEERING = "engineering"
    DATA = "data"
    DESIGN = "design"
    PRODUCT = "product"
    MARKETING = "marketing"
    SALES = "sales"
    CUSTOMER_SUPPORT = "customer_support"
    OPERATIONS = "operations"
    FINANCE = "finance"
    HUMAN_RESOURCES = "human_resources"
    EDUCATION = "education"
    HEALTHCARE = "healthcare"
    HOSPITALITY = "hospitality"
    LOGISTICS = "logistics"
    MANUFACTURING = "manufacturing"
    OTHER = "other"


LISTING_FILTER_COLUMNS = ("expires_at", "remote", "employment_type")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        # The public list: published, newest first, optionally by category. The columns the
        # list filters on ride along, so counting matches reads the index, not every row.
        Index("ix_jobs_public", "status", "published_at", *LISTING_FILTER_COLUMNS, "location"),
        Index(
            "ix_jobs_category_public", "category", "status", "published_at", *LISTING_FILTER_COLUMNS
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    content_html: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(String(300), default="")
    category: Mapped[str] = mapped_column(String(32))
    employment_type: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(String(120), default="")
    remote: Mapped[bool] = mapped_column(Boolean, default=False)
    salary_min: Mapped[int | None] = mapped_column(Integer)
    salary_max: Mapped[int | None] = mapped_column(Integer)
    salary_currency: Mapped[str | None] = mapped_column(String(3))
    salary_period: Mapped[str | None] = mapped_column(String(8))
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True
    )
    # Loaded with every job (one query per batch, by id): cards, pages and events show it.
    company: Mapped[Company | None] = relationship(lazy="selectin")
    apply_url: Mapped[str | None] = mapped_column(String(500))
    apply_email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.DRAFT.value)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def is_public(self, now: datetime) -> bool:
        return self.status == JobStatus.PUBLISHED.value and (
            self.expires_at is None or self.expires_at > now
        )

    def is_readable(self, *, include_hidden: bool) -> bool:
        """Whether the job may be read at all: drafts only by admins (``include_hidden``)."""
        return include_hidden or self.status != JobStatus.DRAFT.value

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class JobAudit(Base):
    """Append-only record of admin actions on jobs; kept after the job is deleted."""

    __tablename__ = "job_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(Integer, index=True)
    job_title: Mapped[str] = mapped_column(String(200))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
