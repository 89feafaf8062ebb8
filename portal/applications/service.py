"""Application services: each function owns its transaction, writes the job's audit log, the
live events and the applicant's notification.

Events (contract): ``application.created`` on the admin channel ``applications``;
``application.updated`` on the applicant's own channel and on ``applications``. The applicant's
copy never carries the admins' note.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import User
from portal.applications import pipeline
from portal.applications.labels import STATUS_LABELS
from portal.applications.models import Application, ApplicationStatus, Resume
from portal.applications.resumes import NotAPdfError, ResumeStore, TooLargeError
from portal.applications.schemas import MAX_COVER_LETTER, ApplicationView
from portal.companies.models import Company
from portal.db import MAX_ID, begin_write, utcnow
from portal.domain_errors import Conflict, Invalid, NotFound, TooLarge, Unsupported
from portal.events import channels, hooks
from portal.events.log import append_event
from portal.i18n import gettext as _
from portal.jobs.models import Job, JobAudit, JobStatus
from portal.jobs.schemas import job_path


@dataclass(frozen=True)
class NewResume:
    """A résumé file from a request: ``source`` is read once, ``filename`` as the user named it."""

    source: IO[bytes]
    filename: str


def _conflict(code: str, message: str) -> Conflict:
    return Conflict(message, code=code)


def not_a_pdf() -> Unsupported:
    return Unsupported(
        _("The résumé must be a PDF file."),
        {"resume": _("The résumé must be a PDF file.")},
        code="not_a_pdf",
    )


def missing_resume(use_saved_resume: bool) -> str:
    """The résumé field's message when an application comes without one."""
    if use_saved_resume:
        return _("There is no résumé on your profile; attach one (PDF).")
    return _("Attach your résumé (PDF).")


def resume_too_large() -> TooLarge:
    return TooLarge(
        _("The résumé is larger than 10 MiB."),
        {"resume": _("The résumé is larger than 10 MiB.")},
    )


def _clean_filename(name: str) -> str:
    name = "".join(ch for ch in name.replace("\\", "/").rsplit("/", 1)[-1] if ch.isprintable())
    name = name.strip()[:200] or "resume.pdf"
    return name if name.lower().endswith(".pdf") else name + ".pdf"


# ------------------------------------------------------------------------------ reading


# An application with its job, company, résumé and applicant, as ApplicationView takes them.
ViewsQuery = Select[Application, Job, Company, Resume, User]


def _views() -> ViewsQuery:
    return (
        select(Application, Job, Company, Resume, User)
        .join(User, User.id == Application.user_id)
        .outerjoin(Job, Job.id == Application.job_id)
        .outerjoin(Company, Company.id == Job.company_id)
        .outerjoin(Resume, Resume.id == Application.resume_id)
    )


async def _one(session: AsyncSession, application_id: int) -> ApplicationView | None:
    if not 0 < application_id <= MAX_ID:
        return None
    row = (await session.execute(_views().where(Application.id == application_id))).first()
    return ApplicationView(*row) if row else None


async def get_application(
    session: AsyncSession, viewer: User, application_id: int
) -> ApplicationView:
    """The applicant's own application, or any for an admin; 404 otherwise (ids leak nothing)."""
    view = await _one(session, application_id)
    if view is None or (not viewer.is_admin and view.application.user_id != viewer.id):
        raise NotFound(_("No such application."))
    return view


async def list_mine(session: AsyncSession, user: User) -> list[ApplicationView]:
    rows = await session.execute(
        _views().where(Application.user_id == user.id).order_by(Application.id.desc())
    )
    return [ApplicationView(*row) for row in rows.all()]


async def application_for(session: AsyncSession, user: User, job_id: int) -> Application | None:
    """The user's application to a job, if any (the job page says so instead of a form)."""
    return await session.scalar(
        select(Application).where(Application.user_id == user.id, Application.job_id == job_id)
    )


def _admin_query(job_id: int | None, status: ApplicationStatus | None) -> ViewsQuery:
    query = _views()
    if job_id is not None:
        query = query.where(Application.job_id == job_id)
    if status is not None:
        query = query.where(Application.status == status.value)
    return query


async def list_for_admins(
    session: AsyncSession,
    *,
    job_id: int | None,
    status: ApplicationStatus | None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[ApplicationView], int]:
    query = _admin_query(job_id, status)
    total = await session.scalar(
        select(func.count()).select_from(query.with_only_columns(Application.id).subquery())
    )
    rows = await session.execute(
        query.order_by(Application.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return [ApplicationView(*row) for row in rows.all()], int(total or 0)


async def iter_for_export(
    session: AsyncSession, *, job_id: int | None, status: ApplicationStatus | None
) -> list[ApplicationView]:
    rows = await session.execute(_admin_query(job_id, status).order_by(Application.id))
    return [ApplicationView(*row) for row in rows.all()]


async def status_counts(session: AsyncSession, *, job_id: int | None) -> dict[str, int]:
    query = select(Application.status, func.count()).group_by(Application.status)
    if job_id is not None:
        query = query.where(Application.job_id == job_id)
    counts = {status.value: 0 for status in ApplicationStatus}
    counts.update({status: int(n) for status, n in (await session.execute(query)).all()})
    return counts


async def kept_resume(session: AsyncSession, user: User) -> Resume | None:
    return await session.scalar(
        select(Resume)
        .where(Resume.user_id == user.id, Resume.kept.is_(True))
        .order_by(Resume.id.desc())
        .limit(1)
    )


async def forget_kept_resume(session: AsyncSession, user: User) -> None:
    """Take the résumé off the profile; applications that were sent with it keep it."""
    await session.execute(
        update(Resume).where(Resume.user_id == user.id, Resume.kept.is_(True)).values(kept=False)
    )
    await session.commit()


# ------------------------------------------------------------------------------ events


def event_data(view: ApplicationView, *, for_admins: bool) -> dict[str, Any]:
    application = view.application
    data: dict[str, Any] = {
        "id": application.id,
        "status": application.status,
        "job_id": application.job_id,
        "job_title": application.job_title,
        "company": view.company.name if view.company else None,
        "updated_at": application.updated_at.isoformat(),
    }
    if for_admins:
        data["applicant"] = view.applicant.nickname
        data["created_at"] = application.created_at.isoformat()
    return data


async def _audit(
    session: AsyncSession, view: ApplicationView, actor: User, action: str, change: list[Any]
) -> None:
    application = view.application
    session.add(
        JobAudit(
            job_id=application.job_id or 0,
            job_title=application.job_title,
            actor_id=actor.id,
            actor_name=actor.nickname,
            action=action,
            changes={f"#{application.id} {view.applicant.nickname}": change},
        )
    )


async def _announce_update(session: AsyncSession, view: ApplicationView, *, notify: bool) -> None:
    application = view.application
    await append_event(
        session,
        channel=channels.APPLICATIONS,
        type="application.updated",
        data=event_data(view, for_admins=True),
    )
    await append_event(
        session,
        channel=channels.user(application.user_id),
        type="application.updated",
        data=event_data(view, for_admins=False),
    )
    if not notify:
        return
    await hooks.emit(
        session,
        hooks.APPLICATION_MOVED,
        user_id=application.user_id,
        application_id=application.id,
        title=application.job_title,
        status=application.status,
    )


# ------------------------------------------------------------------------------ writing


async def _open_job(session: AsyncSession, job_id: int, now: datetime) -> Job:
    job = await session.get(Job, job_id) if 0 < job_id <= MAX_ID else None
    if job is None:
        removed = (
            await session.scalar(
                select(JobAudit.id).where(JobAudit.job_id == job_id, JobAudit.action == "delete")
            )
            if 0 < job_id <= MAX_ID
            else None
        )
        if removed is not None:
            raise _conflict("job_closed", _("This job was removed; it takes no applications."))
        raise NotFound(_("No such job."))
    if job.status == JobStatus.DRAFT.value:
        raise NotFound(_("No such job."))
    if job.status == JobStatus.CLOSED.value or job.is_expired(now):
        raise _conflict("job_closed", _("This job is closed; it takes no more applications."))
    if job.apply_url or job.apply_email:
        raise _conflict(
            "apply_elsewhere", _("This employer takes applications on its own site or by e-mail.")
        )
    return job


def takes_applications_here(job: Job, now: datetime | None = None) -> bool:
    """Whether people apply to ``job`` on Portal now (an open job without its own link)."""
    return job.is_public(now or utcnow()) and not job.apply_url and not job.apply_email


def _store_resume(store: ResumeStore, upload: NewResume) -> tuple[str, int, str]:
    try:
        return store.save(upload.source)
    except NotAPdfError:
        raise not_a_pdf() from None
    except TooLargeError:
        raise resume_too_large() from None


async def apply(
    session: AsyncSession,
    store: ResumeStore,
    user: User,
    job_id: int,
    *,
    cover_letter: str,
    resume: NewResume | None,
    use_saved_resume: bool,
    keep_resume: bool,
) -> ApplicationView:
    """Send ``user``'s application to a job: one per user and job."""
    now = utcnow()
    await _open_job(session, job_id, now)  # fail fast, before a file is written
    if await application_for(session, user, job_id) is not None:
        raise _already_applied()
    if len(cover_letter) > MAX_COVER_LETTER:
        raise Invalid(
            {"cover_letter": _("Keep the cover letter under %(n)s characters.", n=MAX_COVER_LETTER)}
        )
    saved = await kept_resume(session, user) if use_saved_resume and resume is None else None
    if resume is None and saved is None:
        raise Invalid({"resume": missing_resume(use_saved_resume)})
    # Up to 10 MiB copied and fsynced: off the event loop.
    stored = await asyncio.to_thread(_store_resume, store, resume) if resume is not None else None
    try:
        return await _insert(
            session, user, job_id, cover_letter, saved, stored, resume, keep_resume, now
        )
    except BaseException:
        if stored is not None:
            store.remove(stored[0])
        raise


def _already_applied() -> Conflict:
    return _conflict("already_applied", _("You have already applied to this job."))


async def _insert(
    session: AsyncSession,
    user: User,
    job_id: int,
    cover_letter: str,
    saved: Resume | None,
    stored: tuple[str, int, str] | None,
    upload: NewResume | None,
    keep_resume: bool,
    now: datetime,
) -> ApplicationView:
    await begin_write(session)
    job = await _open_job(session, job_id, now)  # again, inside the transaction
    resume = saved
    if stored is not None and upload is not None:
        if keep_resume:
            await session.execute(
                update(Resume)
                .where(Resume.user_id == user.id, Resume.kept.is_(True))
                .values(kept=False)
            )
        name, size, sha256 = stored
        resume = Resume(
            user_id=user.id,
            storage_name=name,
            filename=_clean_filename(upload.filename),
            size=size,
            sha256=sha256,
            kept=keep_resume,
            created_at=now,
        )
        session.add(resume)
        await session.flush()
    assert resume is not None
    application = Application(
        job_id=job.id,
        job_title=job.title,
        user_id=user.id,
        resume_id=resume.id,
        cover_letter=cover_letter,
        status=ApplicationStatus.SUBMITTED.value,
        note="",
        created_at=now,
        updated_at=now,
    )
    session.add(application)
    try:
        await session.flush()
    except IntegrityError:
        # Another request of the same user won the race for the unique (job, user) pair.
        await session.rollback()
        raise _already_applied() from None
    company = await session.get(Company, job.company_id) if job.company_id else None
    view = ApplicationView(application, job, company, resume, user)
    await _audit(session, view, user, "apply", [None, application.status])
    await append_event(
        session,
        channel=channels.APPLICATIONS,
        type="application.created",
        data=event_data(view, for_admins=True),
    )
    await hooks.emit(
        session,
        hooks.APPLICATION_CREATED,
        application_id=application.id,
        title=application.job_title,
        applicant=user.nickname,
    )
    await session.commit()
    return view


async def _locked(session: AsyncSession, application_id: int) -> Application | None:
    if not 0 < application_id <= MAX_ID:
        return None
    return await session.get(Application, application_id, with_for_update=True)


async def update_application(
    session: AsyncSession,
    actor: User,
    application_id: int,
    *,
    status: ApplicationStatus | None,
    note: str | None,
) -> ApplicationView:
    """An admin moves an application along the pipeline and/or rewrites its note."""
    await begin_write(session)
    application = await _locked(session, application_id)
    if application is None:
        raise NotFound(_("No such application."))
    view = await _one(session, application_id)
    assert view is not None
    current = ApplicationStatus(application.status)
    target = status if status is not None and status != current else None
    if target is not None and not pipeline.can_admin_move(current, target):
        raise _conflict(
            "invalid_transition",
            _(
                "An application that is %(current)s cannot be moved to %(target)s.",
                current=STATUS_LABELS[current.value],
                target=STATUS_LABELS[target.value],
            ),
        )
    new_note = note.strip() if note is not None else None
    noted = new_note is not None and new_note != application.note
    if target is None and not noted:
        return view
    if target is not None:
        await _audit(session, view, actor, "application", [current.value, target.value])
        application.status = target.value
    if new_note is not None and noted:
        await _audit(session, view, actor, "note", [None, ""])
        application.note = new_note
    application.updated_at = utcnow()
    moved = target is not None
    await _announce_update(session, view, notify=moved)
    await session.commit()
    return view


async def withdraw(session: AsyncSession, user: User, application_id: int) -> ApplicationView:
    """The applicant withdraws; only their own, only while it is open."""
    await begin_write(session)
    application = await _locked(session, application_id)
    if application is None or application.user_id != user.id:
        raise NotFound(_("No such application."))
    view = await _one(session, application_id)
    assert view is not None
    current = ApplicationStatus(application.status)
    if current == ApplicationStatus.WITHDRAWN:
        return view
    if not pipeline.can_withdraw(current):
        raise _conflict(
            "invalid_transition",
            _(
                "An application that is %(current)s can no longer be withdrawn.",
                current=STATUS_LABELS[current.value],
            ),
        )
    await _audit(
        session, view, user, "withdraw", [current.value, ApplicationStatus.WITHDRAWN.value]
    )
    application.status = ApplicationStatus.WITHDRAWN.value
    application.updated_at = utcnow()
    await _announce_update(session, view, notify=False)
    await session.commit()
    return view


async def move_many(
    session: AsyncSession, actor: User, ids: list[int], status: ApplicationStatus
) -> tuple[list[int], dict[int, str]]:
    """Bulk move: those that may move, move (one transaction); the others are reported."""
    await begin_write(session)
    moved: list[int] = []
    skipped: dict[int, str] = {}
    for application_id in dict.fromkeys(ids):
        application = await _locked(session, application_id)
        if application is None:
            skipped[application_id] = "not_found"
            continue
        current = ApplicationStatus(application.status)
        if current == status:
            continue
        if not pipeline.can_admin_move(current, status):
            skipped[application_id] = "invalid_transition"
            continue
        view = await _one(session, application_id)
        assert view is not None
        await _audit(session, view, actor, "application", [current.value, status.value])
        application.status = status.value
        application.updated_at = utcnow()
        await _announce_update(session, view, notify=True)
        moved.append(application_id)
    await session.commit()
    return moved, skipped


def job_url(job: Job | None) -> str | None:
    return job_path(job) if job is not None else None
