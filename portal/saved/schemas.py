"""Response models of the saved-jobs API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from portal.jobs.schemas import JobSummary
from portal.saved.service import SavedEntry


class SavedFilter(BaseModel):
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=50, ge=1, le=100)


class SavedJobPublic(BaseModel):
    """A saved job: the job as the jobs API shows it in lists, when it was saved, and
    whether it is still open (published and not expired)."""

    job: JobSummary
    saved_at: datetime
    open: bool

    @classmethod
    def of(cls, entry: SavedEntry) -> SavedJobPublic:
        return cls(job=JobSummary.of(entry.job), saved_at=entry.saved_at, open=entry.open)


class SavedJobList(BaseModel):
    items: list[SavedJobPublic]
    total: int
    page: int
    per_page: int
