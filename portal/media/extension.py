"""Wires media storage, the upload receiver, the expiry sweep and (without a broker) the media
worker into an app's lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from quart import Quart, current_app
from sqlalchemy.ext.asyncio import AsyncSession

from portal.db import get_db
from portal.events.extension import get_events
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


class Media:
    def __init__(self, app: Quart) -> None:
        settings = app.config["PORTAL_SETTINGS"]
        self.storage = MediaStorage(settings.resolved_media_root)
        self.expires_in = timedelta(hours=settings.upload_expiry_hours)
        self.receiver: UploadReceiver | None = None
        self.worker: MediaWorker | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._kick = asyncio.Event()
        # Ready videos are immutable until deleted: a player's every range request need not
        # ask the database (video.deleted, from any process, forgets one).
        self._ready: OrderedDict[int, Video] = OrderedDict()
        app.extensions["portal.media"] = self
        get_events(app).add_listener(self._on_event)
        app.while_serving(self._lifespan)
        app.add_template_filter(formatting.duration, "duration")
        app.add_template_filter(formatting.filesize, "filesize")

    async def _lifespan(self) -> AsyncIterator[None]:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        db = get_db()
        assert db.sessionmaker is not None
        self.storage.ensure()
        self.receiver = UploadReceiver(self.storage, db.sessionmaker, expires_in=self.expires_in)
        if app.config["PORTAL_SETTINGS"].amqp_url is None:
            # With a broker, `portal consumer media` runs the worker as its own process.
            self.worker = await start_worker(app)
        self._sweeper = asyncio.create_task(self._sweep())
        yield
        self._sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._sweeper
        await self.receiver.close()

    def _on_event(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "job.deleted":
            self._kick.set()  # its videos' rows are gone: their files go now
            self._ready.clear()
        elif kind == "video.deleted":
            self.forget_video((message.get("data") or {}).get("video_id"))

    async def ready_video(self, session: AsyncSession, video_id: int) -> Video:
        """A ready video's row (404 otherwise), from memory when it was asked for recently."""
        video = self._ready.get(video_id)
        if video is None:
            video = await service.get_video(session, video_id)
            self._ready[video_id] = video
            while len(self._ready) > READY_VIDEOS_REMEMBERED:
                self._ready.popitem(last=False)
        return video

    def forget_video(self, video_id: object) -> None:
        if isinstance(video_id, int):
            self._ready.pop(video_id, None)

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
    settings = app.config["PORTAL_SETTINGS"]
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


def get_media(app: Quart | None = None) -> Media:
    media: Media = (app or current_app).extensions["portal.media"]
    return media
