"""Uploads and videos in the database: every change with its events, in one transaction."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import User
from portal.db import MAX_ID, begin_write, utcnow
from portal.domain_errors import NotFound
from portal.events import channels
from portal.events.log import append_event, append_work
from portal.i18n import gettext as _
from portal.jobs.models import Job
from portal.jobs.schemas import JobSummary, VideoPublic
from portal.media.models import Upload, Video, VideoStatus
from portal.media.signature import Container
from portal.media.tus import OPTIONAL_WHITESPACE, TusError

MAX_FILENAME = 255
MAX_FILETYPE = 100
# ASCII digits only: str.isdigit takes "²" and "٣" too.
JOB_ID = re.compile(r"[0-9]{1,20}")


@dataclass(frozen=True)
class NewUpload:
    job_id: int
    length: int
    filename: str
    filetype: str


def clean_filename(raw: str) -> str:
    """The last path component, without control characters: a label, never a path."""
    name = PureWindowsPath(PurePosixPath(raw).name).name.strip()
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    if name in {"", ".", ".."}:
        return "video"
    return name[:MAX_FILENAME]


def new_upload_from_metadata(metadata: dict[str, str], length: int) -> NewUpload:
    raw_job = metadata.get("job_id", "").strip(OPTIONAL_WHITESPACE)
    if not JOB_ID.fullmatch(raw_job):
        raise TusError(400, "bad_request", _("Upload-Metadata must carry a job_id."))
    job_id = int(raw_job)
    if not 0 < job_id <= MAX_ID:
        # Beyond the column's range the driver would fail (a 500), not find nothing.
        raise TusError(
            400, "bad_request", f"The job_id in Upload-Metadata must be from 1 to {MAX_ID}."
        )
    filetype = metadata.get("filetype", "").strip()
    if len(filetype) > MAX_FILETYPE or any(unicodedata.category(c)[0] == "C" for c in filetype):
        raise TusError(400, "bad_request", _("The filetype in Upload-Metadata is not valid."))
    return NewUpload(
        job_id=job_id,
        length=length,
        filename=clean_filename(metadata.get("filename") or metadata.get("name") or "video"),
        filetype=filetype,
    )


def upload_data(upload: Upload, *, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "upload_id": upload.id,
        "job_id": upload.job_id,
        "filename": upload.filename,
        "offset": upload.offset,
        "length": upload.length,
        "status": status,
        **extra,
    }


async def _upload_event(
    session: AsyncSession, type: str, upload: Upload, *, status: str, **extra: Any
) -> None:
    await append_event(
        session,
        channel=channels.UPLOADS,
        type=type,
        data=upload_data(upload, status=status, **extra),
    )


async def create_upload(
    session: AsyncSession, actor: User, new: NewUpload, *, expires_in: timedelta
) -> Upload:
    await begin_write(session)
    if await session.get(Job, new.job_id) is None:
        raise NotFound(_("No such job."))
    now = utcnow()
    upload = Upload(
        id=secrets.token_urlsafe(16),
        job_id=new.job_id,
        filename=new.filename,
        filetype=new.filetype,
        length=new.length,
        offset=0,
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + expires_in,
    )
    session.add(upload)
    await session.flush()
    await _upload_event(session, "upload.progress", upload, status="uploading")
    await session.commit()
    return upload


async def get_upload(session: AsyncSession, upload_id: str) -> Upload:
    upload = await session.get(Upload, upload_id) if len(upload_id) <= 32 else None
    if upload is None or upload.expires_at <= utcnow():
        raise NotFound(_("No such upload."))
    return upload


async def record_progress(
    session: AsyncSession, upload_id: str, offset: int, *, expires_in: timedelta
) -> None:
    """A throttled progress mark: the dashboard's event and a later expiry."""
    await begin_write(session)
    upload = await session.get(Upload, upload_id, with_for_update=True)
    if upload is None or upload.offset >= upload.length or upload.expires_at <= utcnow():
        # Gone, finished (a late mark must not undo "processing"), or expired: clients get
        # 404 for it already, and a late mark must not bring it back before the sweep.
        await session.rollback()
        return
    upload.offset = offset
    upload.expires_at = utcnow() + expires_in
    await _upload_event(session, "upload.progress", upload, status="uploading")
    await session.commit()


async def complete_upload(
    session: AsyncSession,
    upload_id: str,
    *,
    container: Container,
    sha256: str,
    storage_name: str,
) -> Video:
    """The last byte arrived: record the video and hand it to the media consumer."""
    await begin_write(session)
    upload = await session.get(Upload, upload_id, with_for_update=True)
    if upload is None:
        raise NotFound(_("No such upload."))
    existing = await session.scalar(select(Video).where(Video.upload_id == upload_id))
    if existing is not None:
        await session.rollback()
        return existing
    upload.offset = upload.length
    now = utcnow()
    title = upload.filename.rsplit(".", 1)[0] if "." in upload.filename else upload.filename
    video = Video(
        job_id=upload.job_id,
        upload_id=upload.id,
        title=title[:200] or upload.filename[:200],
        original_filename=upload.filename,
        content_type=container.content_type,
        size=upload.length,
        sha256=sha256,
        storage_name=storage_name,
        status=VideoStatus.PROCESSING.value,
        created_by_id=upload.created_by_id,
        created_at=now,
        updated_at=now,
    )
    session.add(video)
    await session.flush()
    await _upload_event(session, "upload.progress", upload, status="processing", video_id=video.id)
    await append_work(session, "media", [{"video_id": video.id}])
    await session.commit()
    return video


async def drop_upload(session: AsyncSession, upload_id: str, *, reason: str, code: str) -> None:
    """Forget an upload that was cancelled, expired or refused; the caller removes its bytes."""
    await begin_write(session)
    upload = await session.get(Upload, upload_id, with_for_update=True)
    if upload is None:
        await session.rollback()
        return
    await _upload_event(session, "upload.failed", upload, status="failed", code=code, reason=reason)
    await session.delete(upload)
    await session.commit()


async def expired_uploads(session: AsyncSession, now: datetime, limit: int = 100) -> list[Upload]:
    rows = await session.execute(
        select(Upload).where(Upload.expires_at <= now).order_by(Upload.expires_at).limit(limit)
    )
    return list(rows.scalars())


async def uploads_in_flight(session: AsyncSession, limit: int = 50) -> list[Upload]:
    rows = await session.execute(
        select(Upload)
        .where(Upload.offset < Upload.length, Upload.expires_at > utcnow())
        .order_by(Upload.created_at.desc())
        .limit(limit)
    )
    return list(rows.scalars())


async def forget_finished_uploads(session: AsyncSession, now: datetime) -> None:
    """Finished uploads keep their row until expiry (a client's HEAD then sees it complete)."""
    await session.execute(
        delete(Upload).where(Upload.expires_at <= now, Upload.offset >= Upload.length)
    )
    await session.commit()


# --- videos -------------------------------------------------------------------------------


def video_data(video: Video, job_title: str | None = None) -> dict[str, Any]:
    return {
        "video_id": video.id,
        "upload_id": video.upload_id,
        "job_id": video.job_id,
        "job_title": job_title,
        "filename": video.original_filename,
        "title": video.title,
        "status": video.status,
        "reason": video.failure_reason,
        "size": video.size,
        "duration_seconds": video.duration_seconds,
        "width": video.width,
        "height": video.height,
        "url": video_url(video),
        "poster_url": poster_url(video),
    }


def video_url(video: Video) -> str:
    return f"/videos/{video.id}"


def poster_url(video: Video) -> str | None:
    return f"/videos/{video.id}/poster" if video.poster_name else None


async def get_video(session: AsyncSession, video_id: int, *, ready_only: bool = True) -> Video:
    video = await session.get(Video, video_id)
    if video is None or (ready_only and video.status != VideoStatus.READY.value):
        raise NotFound(_("No such video."))
    return video


async def readable_video(
    session: AsyncSession, video_id: int, *, include_hidden: bool
) -> tuple[Video, Job]:
    """A ready video and its job, when the caller may read that job (the jobs' rule: drafts
    for admins only, ``include_hidden``); otherwise the 404 of a missing video, so sequential
    ids reveal nothing."""
    video = await get_video(session, video_id)
    job = await session.get(Job, video.job_id)
    if job is None or not job.is_readable(include_hidden=include_hidden):
        raise NotFound(_("No such video."))
    return video, job


def video_public(video: Video) -> VideoPublic:
    return VideoPublic(
        id=video.id,
        title=video.title,
        filename=video.original_filename,
        content_type=video.content_type,
        size=video.size,
        url=video_url(video),
        download_url=video_url(video) + "?download=1",
        poster_url=poster_url(video),
        duration_seconds=video.duration_seconds,
        width=video.width,
        height=video.height,
    )


async def public_videos_of_job(session: AsyncSession, job_id: int) -> list[VideoPublic]:
    return [video_public(video) for video in await videos_of_job(session, job_id)]


async def videos_of_job(session: AsyncSession, job_id: int) -> list[Video]:
    rows = await session.execute(
        select(Video)
        .where(Video.job_id == job_id, Video.status == VideoStatus.READY.value)
        .order_by(Video.created_at, Video.id)
    )
    return list(rows.scalars())


async def jobs_for_upload(session: AsyncSession, limit: int = 500) -> list[tuple[int, str, str]]:
    """(id, title, status) of the jobs an admin may attach videos to, recently changed first."""
    rows = await session.execute(
        select(Job.id, Job.title, Job.status).order_by(Job.updated_at.desc()).limit(limit)
    )
    return [(job_id, title, status) for job_id, title, status in rows.all()]


async def processing_video_ids(session: AsyncSession) -> list[int]:
    rows = await session.execute(
        select(Video.id).where(Video.status == VideoStatus.PROCESSING.value).order_by(Video.id)
    )
    return list(rows.scalars())


async def recent_videos(session: AsyncSession, limit: int = 20) -> list[tuple[Video, str]]:
    rows = await session.execute(
        select(Video, Job.title)
        .join(Job, Job.id == Video.job_id)
        .order_by(Video.created_at.desc(), Video.id.desc())
        .limit(limit)
    )
    return [(video, title) for video, title in rows.all()]


async def _job_changed(session: AsyncSession, job_id: int) -> Job | None:
    """Tell open job pages (and lists) that a public job's videos changed."""
    job = await session.get(Job, job_id)
    if job is not None and job.is_public(utcnow()):
        summary = JobSummary.of(job).model_dump(mode="json")
        await append_event(session, channel=channels.JOBS, type="job.updated", data=summary)
    return job


@dataclass(frozen=True)
class ProbeResult:
    duration_seconds: float
    width: int
    height: int
    video_codec: str
    audio_codec: str | None


async def mark_ready(
    session: AsyncSession, video_id: int, probe: ProbeResult, poster_name: str | None
) -> Video | None:
    await begin_write(session)
    video = await session.get(Video, video_id, with_for_update=True)
    if video is None or video.status != VideoStatus.PROCESSING.value:
        await session.rollback()
        return None
    video.status = VideoStatus.READY.value
    video.duration_seconds = probe.duration_seconds
    video.width, video.height = probe.width, probe.height
    video.video_codec, video.audio_codec = probe.video_codec, probe.audio_codec
    video.poster_name = poster_name
    video.updated_at = utcnow()
    job = await _job_changed(session, video.job_id)
    await append_event(
        session,
        channel=channels.UPLOADS,
        type="upload.finished",
        data=video_data(video, job.title if job else None),
    )
    await session.commit()
    return video


async def mark_failed(session: AsyncSession, video_id: int, reason: str) -> Video | None:
    await begin_write(session)
    video = await session.get(Video, video_id, with_for_update=True)
    if video is None or video.status != VideoStatus.PROCESSING.value:
        await session.rollback()
        return None
    video.status = VideoStatus.FAILED.value
    video.failure_reason = reason[:300]
    video.updated_at = utcnow()
    job = await session.get(Job, video.job_id)
    await append_event(
        session,
        channel=channels.UPLOADS,
        type="upload.failed",
        data=video_data(video, job.title if job else None) | {"code": "not_playable"},
    )
    await session.commit()
    return video


async def delete_video(session: AsyncSession, actor: User, video_id: int) -> Video:
    await begin_write(session)
    video = await session.get(Video, video_id, with_for_update=True)
    if video is None:
        raise NotFound(_("No such video."))
    was_ready = video.status == VideoStatus.READY.value
    await session.delete(video)
    await append_event(
        session,
        channel=channels.UPLOADS,
        type="video.deleted",
        data={"video_id": video.id, "job_id": video.job_id, "deleted_by": actor.id},
    )
    if was_ready:
        await _job_changed(session, video.job_id)
    await session.commit()
    return video
