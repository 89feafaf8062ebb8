"""Request and response models of applications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator
from quart_schema.pydantic import File

from portal.accounts.models import User
from portal.applications.models import Application, ApplicationStatus, Resume
from portal.companies.models import Company
from portal.companies.schemas import CompanyRef
from portal.db import MAX_ID
from portal.jobs.models import Job
from portal.jobs.schemas import job_path
from portal.web.text import MULTI_LINE_SCHEMA, multi_line

MAX_COVER_LETTER = 5000
MAX_NOTE = 5000


@dataclass(frozen=True)
class ApplicationView:
    """An application with what its pages show: the job (None once deleted), its company,
    the résumé and the applicant."""

    application: Application
    job: Job | None
    company: Company | None
    resume: Resume | None
    applicant: User


class ApplyForm(BaseModel):
    """The text fields of ``multipart/form-data`` applying (the file is the ``resume`` part).

    ``use_saved_resume`` sends the résumé kept on the profile instead of a file;
    ``keep_resume`` keeps an uploaded one on the profile for next time.
    """

    model_config = ConfigDict(extra="ignore")

    cover_letter: str = Field(
        default="", max_length=MAX_COVER_LETTER, json_schema_extra=MULTI_LINE_SCHEMA
    )
    use_saved_resume: bool = False
    keep_resume: bool = False

    _plain = field_validator("cover_letter")(staticmethod(multi_line))

    @field_validator("cover_letter")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()


class ApplyMultipart(BaseModel):
    """What OpenAPI shows of the form: ``resume`` is a PDF file of at most 10 MiB, required
    unless ``use_saved_resume`` sends the one kept on the profile; ``keep_resume`` keeps an
    uploaded one there for next time."""

    cover_letter: str = Field(default="", max_length=MAX_COVER_LETTER)
    resume: File | None = None
    use_saved_resume: bool = False
    keep_resume: bool = False


class ApplicationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ApplicationStatus | None = None
    note: str | None = Field(default=None, max_length=MAX_NOTE, json_schema_extra=MULTI_LINE_SCHEMA)

    _plain = field_validator("note")(staticmethod(multi_line))


class BulkMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[int] = Field(min_length=1, max_length=500)
    status: ApplicationStatus

    @field_validator("ids")
    @classmethod
    def _ids_in_range(cls, value: list[int]) -> list[int]:
        if any(not 0 < i <= MAX_ID for i in value):
            raise ValueError("ids are between 1 and 2147483647")
        return value


class ApplicationFilter(BaseModel):
    job_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    status: ApplicationStatus | None = None
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=50, ge=1, le=200)


class JobRef(BaseModel):
    """The job applied to; ``id`` and ``url`` are null once it was deleted."""

    id: int | None
    title: str
    url: str | None
    status: str | None
    company: CompanyRef | None


class ResumeRef(BaseModel):
    filename: str
    size: int
    url: str


class Applicant(BaseModel):
    id: int
    nickname: str
    username: str | None
    email: str | None
    phone: str | None


class ApplicationPublic(BaseModel):
    """An application as its applicant sees it; admins also get ``applicant`` and ``note``."""

    id: int
    status: ApplicationStatus
    job: JobRef
    cover_letter: str
    resume: ResumeRef | None
    created_at: datetime
    updated_at: datetime
    applicant: Applicant | None = None
    note: str | None = None

    @classmethod
    def of(cls, view: ApplicationView, *, for_admins: bool) -> ApplicationPublic:
        application, job, user = view.application, view.job, view.applicant
        return cls(
            id=application.id,
            status=ApplicationStatus(application.status),
            job=JobRef(
                id=job.id if job else None,
                title=job.title if job else application.job_title,
                url=job_path(job) if job else None,
                status=job.status if job else None,
                company=CompanyRef.of(view.company) if view.company else None,
            ),
            cover_letter=application.cover_letter,
            resume=ResumeRef(
                filename=view.resume.filename,
                size=view.resume.size,
                url=resume_path(application.id),
            )
            if view.resume
            else None,
            created_at=application.created_at,
            updated_at=application.updated_at,
            applicant=Applicant(
                id=user.id,
                nickname=user.nickname,
                username=user.username,
                email=user.email,
                phone=user.phone,
            )
            if for_admins
            else None,
            note=application.note if for_admins else None,
        )


def resume_path(application_id: int) -> str:
    return f"/applications/{application_id}/resume"


class ApplicationList(BaseModel):
    items: list[ApplicationPublic]
    total: int
    counts: dict[str, int] = {}


class BulkResult(BaseModel):
    moved: list[int]
    skipped: dict[str, str]


class SavedResume(BaseModel):
    filename: str
    size: int
    created_at: datetime

    @classmethod
    def of(cls, resume: Resume) -> SavedResume:
        return cls(filename=resume.filename, size=resume.size, created_at=resume.created_at)
