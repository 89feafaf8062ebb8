"""Request and response models of the jobs API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from pydantic.config import JsonDict

from portal.companies.schemas import CompanyRef
from portal.db import MAX_ID
from portal.i18n import gettext as _
from portal.jobs.models import Category, EmploymentType, Job, JobAudit, JobStatus, SalaryPeriod
from portal.web.text import MULTI_LINE_SCHEMA, ONE_LINE_SCHEMA, multi_line, one_line

SALARY_MAX = 1_000_000_000
# A company id is looked up by the service, which says "No such company." in the reader's
# language for any id that is not a company's; the schema states the range.
COMPANY_ID_SCHEMA: JsonDict = {"minimum": 1, "maximum": MAX_ID, "description": "null: no company"}


def _in_utc(value: datetime | None) -> datetime | None:
    # "9999-12-31T23:59:59-12:00" is a valid timestamp whose UTC time is past year 9999.
    if value is None:
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(_("Give a date between the years 1 and 9999.")) from None


ONE_LINE = ("title", "location", "salary_currency", "apply_url", "apply_email")
# Fields of a job that a patch may leave out but not clear with ``null``.
NOT_NULLABLE = ("title", "content", "category", "employment_type", "location", "remote", "status")


def _not_nullable_schema(schema: dict[str, Any]) -> None:
    """Advertise only the non-null alternative of the fields that refuse ``null``."""
    for name in NOT_NULLABLE:
        field = schema["properties"][name]
        options = [option for option in field.pop("anyOf", []) if option.get("type") != "null"]
        if len(options) == 1:
            field.update(options[0])
        field.pop("default", None)


class JobData(BaseModel):
    """A new job. Cross-field rules (salary range, how to apply) and the company are checked by
    the service."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=3, max_length=200, json_schema_extra=ONE_LINE_SCHEMA)
    content: str = Field(
        min_length=1, max_length=20_000, description="Markdown", json_schema_extra=MULTI_LINE_SCHEMA
    )
    category: Category = Category.OTHER
    employment_type: EmploymentType = EmploymentType.FULL_TIME
    location: str = Field(default="", max_length=120, json_schema_extra=ONE_LINE_SCHEMA)
    remote: bool = False
    salary_min: int | None = Field(default=None, ge=0, le=SALARY_MAX)
    salary_max: int | None = Field(default=None, ge=0, le=SALARY_MAX)
    salary_currency: str | None = Field(
        default=None, min_length=3, max_length=3, json_schema_extra=ONE_LINE_SCHEMA
    )
    salary_period: SalaryPeriod | None = None
    company_id: int | None = Field(default=None, json_schema_extra=COMPANY_ID_SCHEMA)
    apply_url: str | None = Field(default=None, max_length=500, json_schema_extra=ONE_LINE_SCHEMA)
    apply_email: str | None = Field(default=None, max_length=254, json_schema_extra=ONE_LINE_SCHEMA)
    status: JobStatus = JobStatus.DRAFT
    expires_at: AwareDatetime | None = None

    _checkone_line = field_validator(*ONE_LINE)(staticmethod(one_line))
    _checkmulti_line = field_validator("content")(staticmethod(multi_line))
    _check_expiry = field_validator("expires_at")(staticmethod(_in_utc))


class JobPatch(BaseModel):
    """Changes to a job: omitted fields stay; ``null`` clears an optional field."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=_not_nullable_schema
    )

    title: str | None = Field(
        default=None, min_length=3, max_length=200, json_schema_extra=ONE_LINE_SCHEMA
    )
    content: str | None = Field(
        default=None, min_length=1, max_length=20_000, json_schema_extra=MULTI_LINE_SCHEMA
    )
    category: Category | None = None
    employment_type: EmploymentType | None = None
    location: str | None = Field(default=None, max_length=120, json_schema_extra=ONE_LINE_SCHEMA)
    remote: bool | None = None
    salary_min: int | None = Field(default=None, ge=0, le=SALARY_MAX)
    salary_max: int | None = Field(default=None, ge=0, le=SALARY_MAX)
    salary_currency: str | None = Field(
        default=None, min_length=3, max_length=3, json_schema_extra=ONE_LINE_SCHEMA
    )
    salary_period: SalaryPeriod | None = None
    company_id: int | None = Field(default=None, json_schema_extra=COMPANY_ID_SCHEMA)
    apply_url: str | None = Field(default=None, max_length=500, json_schema_extra=ONE_LINE_SCHEMA)
    apply_email: str | None = Field(default=None, max_length=254, json_schema_extra=ONE_LINE_SCHEMA)
    status: JobStatus | None = None
    expires_at: AwareDatetime | None = None

    _checkone_line = field_validator(*ONE_LINE)(staticmethod(one_line))
    _checkmulti_line = field_validator("content")(staticmethod(multi_line))
    _check_expiry = field_validator("expires_at")(staticmethod(_in_utc))

    @field_validator(*NOT_NULLABLE)
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError(_("This field cannot be cleared."))
        return value

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, mode="python")


class JobFilter(BaseModel):
    q: str = Field(default="", max_length=200, json_schema_extra=ONE_LINE_SCHEMA)
    category: Category | None = None
    type: EmploymentType | None = None
    remote: bool | None = None
    location: str = Field(default="", max_length=120, json_schema_extra=ONE_LINE_SCHEMA)
    company_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=20, ge=1, le=100)

    _checkone_line = field_validator("q", "location")(staticmethod(one_line))


class AdminJobFilter(JobFilter):
    status: JobStatus | None = None


class Salary(BaseModel):
    min: int | None
    max: int | None
    currency: str | None
    period: SalaryPeriod | None


class JobSummary(BaseModel):
    """What lists, feeds and live events show of a job."""

    id: int
    slug: str
    url: str
    title: str
    summary: str
    category: Category
    employment_type: EmploymentType
    location: str
    remote: bool
    salary: Salary | None
    company: CompanyRef | None
    status: JobStatus
    published_at: datetime | None
    expires_at: datetime | None
    updated_at: datetime

    @classmethod
    def of(cls, job: Job) -> JobSummary:
        salary = None
        if job.salary_min is not None or job.salary_max is not None:
            salary = Salary(
                min=job.salary_min,
                max=job.salary_max,
                currency=job.salary_currency,
                period=SalaryPeriod(job.salary_period) if job.salary_period else None,
            )
        return cls(
            id=job.id,
            slug=job.slug,
            url=job_path(job),
            title=job.title,
            summary=job.summary,
            category=Category(job.category),
            employment_type=EmploymentType(job.employment_type),
            location=job.location,
            remote=job.remote,
            salary=salary,
            company=CompanyRef.of(job.company) if job.company is not None else None,
            status=JobStatus(job.status),
            published_at=job.published_at,
            expires_at=job.expires_at,
            updated_at=job.updated_at,
        )


class VideoPublic(BaseModel):
    """A ready training video of a job; ``url`` streams it (signed-in users only)."""

    id: int
    title: str
    filename: str
    content_type: str
    size: int
    url: str
    download_url: str
    poster_url: str | None
    duration_seconds: float | None
    width: int | None
    height: int | None


class JobPublic(JobSummary):
    content: str
    content_html: str
    company_id: int | None
    apply_url: str | None
    apply_email: str | None
    created_at: datetime
    videos: list[VideoPublic] = []

    @classmethod
    def of(cls, job: Job, videos: list[VideoPublic] | None = None) -> JobPublic:  # type: ignore[override]
        return cls(
            **JobSummary.of(job).model_dump(),
            content=job.content,
            content_html=job.content_html,
            company_id=job.company_id,
            apply_url=job.apply_url,
            apply_email=job.apply_email,
            created_at=job.created_at,
            videos=videos or [],
        )


class JobList(BaseModel):
    items: list[JobSummary]
    # Matches, counted up to 1,000 past the page asked for (a search: its 300 best);
    # total_capped: there are more.
    total: int
    total_capped: bool = False
    page: int
    per_page: int


class AuditEntry(BaseModel):
    id: int
    job_id: int
    job_title: str
    actor_id: int | None
    actor_name: str
    action: str
    changes: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, row: JobAudit) -> AuditEntry:
        return cls(
            id=row.id,
            job_id=row.job_id,
            job_title=row.job_title,
            actor_id=row.actor_id,
            actor_name=row.actor_name,
            action=row.action,
            changes=row.changes,
            created_at=row.created_at,
        )


class AuditList(BaseModel):
    items: list[AuditEntry]


class AuditFilter(BaseModel):
    job_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    limit: int = Field(default=50, ge=1, le=500)


def job_path(job: Job) -> str:
    return f"/jobs/{job.id}-{job.slug}" if job.slug else f"/jobs/{job.id}"
