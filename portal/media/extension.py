"""Wires media storage, the upload receiver, the expiry sweep and (without a broker) the media
worker into an app's lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from quart import Quart, current_app
from sqlalchemy.ext.asyncio import AsyncSession

from portal.cache import BoundedMap
from portal.config import get_settings
from portal.db import end_read, get_db, utcnow
from portal.events.extension import get_events
from portal.events.message import EventMessage
from portal.media import formatting, service
from portal.media.cleanup import remove_orphans
from portal.media.models import Video
from portal.media.receiver import UploadReceiver
from portal.media.storage import MediaStorage
from portal.media.worker import MediaWorker, check_prerequisites

log = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS = 600.0
READY_VIDEOS_REMEMBERED = 4096
FIRST_SWEEP_AFTER_SECONDS = 60.0


@dataclass(frozen=True)
class PublicVideo:
    """A ready video whose job was public when read, and when that job expires."""

    video: Video
    public_until: datetime | None


class Media:
    def __init__(self, app: Quart) -> None:
        settings = get_settings(app)
        self.storage = MediaStorage(settings.resolved_media_root)
        self.expires_in = timedelta(hours=settings.upload_expiry_hours)
        self.receiver: UploadReceiver | None = None
        self.worker: MediaWorker | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._kick = asyncio.Event()
        # A player's every range request need not ask the database. Remembered: ready videos
        # (immutable until video.deleted) whose job was public when read, until the job
        # expires or its next event (every change to a public job writes one, from any
        # process). Other jobs' videos (drafts, closed, expired) are read each time: a job
        # that is not public can become a draft without an event.
        self._public: BoundedMap[int, PublicVideo] = BoundedMap(READY_VIDEOS_REMEMBERED)
        # Job events seen: an answer read while one arrived is not remembered.
        self._job_events = 0
        app.extensions["portal.media"] = self
        get_events(app).add_listener(self._on_event)
        app.while_serving(self._lifespan)
        app.add_template_filter(formatting.duration, "duration")
        app.add_template_filter(formatting.filesize, "filesize")

    async def _lifespan(self) -> AsyncGenerator[None, None]:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        db = get_db()
        assert db.sessionmaker is not None
        self.storage.ensure()
        self.receiver = UploadReceiver(self.storage, db.sessionmaker, expires_in=self.expires_in)
        if get_settings(app).amqp_url is None:
            # With a broker, `portal consumer media` runs the worker as its own process.
            self.worker = await start_worker(app)
        self._sweeper = asyncio.create_task(self._sweep())
        yield
        self._sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._sweeper
        await self.receiver.close()

    def _on_event(self, event: EventMessage) -> None:
        data = event.data if isinstance(event.data, dict) else {}
        if event.type in ("job.updated", "job.deleted"):
            # job.deleted: deleted or back to draft; job.updated: closed, or its expiry moved.
            self._job_events += 1
            self._forget_job(data.get("id"))
            if event.type == "job.deleted":
                self._kick.set()  # if deleted, its videos' rows are gone: their files go now
        elif event.type == "video.deleted":
            self.forget_video(data.get("video_id"))

    async def readable_video(
        self, session_of: Callable[[], AsyncSession], video_id: int, *, admin: bool
    ) -> Video:
        """A ready video whose job the caller may read (404 otherwise), from memory when its
        job is public and it was asked for recently; ``session_of`` is called only to read."""
        remembered = self._public.get(video_id)
        if remembered is not None:
            if remembered.public_until is None or utcnow() < remembered.public_until:
                return remembered.video
            del self._public[video_id]  # expired: still readable, but no longer evented
        seen = self._job_events
        session = session_of()
        # A fresh snapshot, begun after `seen`: a change whose event came before is in it.
        await end_read(session)
        video, job = await service.readable_video(session, video_id, include_hidden=admin)
        if job.is_public(utcnow()) and seen == self._job_events:
            self._public[video_id] = PublicVideo(video, job.expires_at)
        return video

    def forget_video(self, video_id: object) -> None:
        if isinstance(video_id, int):
            self._public.pop(video_id, None)

    def _forget_job(self, job_id: object) -> None:
        if not isinstance(job_id, int):
            self._public.clear()
            return
        for video_id in [k for k, v in self._public.items() if v.video.job_id == job_id]:
            del self._public[video_id]

    async def _sweep(self) -> None:
        assert self.receiver is not None
        sessionmaker = self.receiver.sessionmaker
        # Not at start-up: short-lived processes (a consumer restarting, the CLI) skip it.
        wait = FIRST_SWEEP_AFTER_SECONDS
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), wait)
            self._kick.clear()
            wait = SWEEP_EVERY_SECONDS
            try:
                removed = await self.receiver.sweep_expired()
                if removed:
                    log.info("removed %d expired upload(s)", removed)
                orphans = await remove_orphans(self.storage, sessionmaker)
                if orphans:
                    log.info("removed %d media file(s) no row refers to", orphans)
            except Exception:
                log.exception("sweeping media files failed")


async def start_worker(app: Quart) -> MediaWorker:
    """Consume the media work queue on this app's bus."""
    check_prerequisites()
    db = get_db(app)
    assert db.sessionmaker is not None
    settings = get_settings(app)
    worker = MediaWorker(get_media(app).storage, db.sessionmaker)
    events = get_events(app)
    assert events.bus is not None
    queue = settings.queue_name("media")
    if settings.amqp_url is None:
        # The in-process queue died with the last process: what it held is the videos still
        # processing (a broker keeps its queue, so there is nothing to do then).
        async with db.sessionmaker() as session:
            pending = await service.processing_video_ids(session)
        for video_id in pending:
            await events.bus.send_work(
                queue, {"video_id": video_id}, message_id=f"requeue-{video_id}"
            )
    await events.bus.consume_work(queue, worker.handle, prefetch=2)
    return worker


def init_app(app: Quart) -> Media:
    # The routes reach the capability through get_media: imported once this module is loaded.
    from portal.media import tus_api, videos_api

    media = Media(app)
    app.register_blueprint(tus_api.blueprint)
    app.register_blueprint(videos_api.blueprint)
    return media


def get_media(app: Quart | None = None) -> Media:
    media: Media = (app or current_app).extensions["portal.media"]
    return media
