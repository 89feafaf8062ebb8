"""The media worker: probes each uploaded video, makes its poster and marks it ready or failed.

Idempotent: a redelivered message for a video that is no longer ``processing`` does nothing,
and a half-made poster is written under a temporary name first. The poster's name follows from
the video's storage name, so a consumer killed between writing the poster and marking the video
ready leaves nothing behind: the redelivered message writes the same file again.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import logging
import os
import secrets
import sys
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.media import service
from portal.media.models import Video, VideoStatus
from portal.media.receiver import locate_video_file
from portal.media.storage import MediaStorage, poster_name_for

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 120.0
UNDECODABLE = {"error": "the video could not be decoded"}


class MediaToolsMissingError(RuntimeError):
    pass


def check_prerequisites() -> None:
    """Say at start-up, not at the first upload, that videos cannot be processed here."""
    if importlib.util.find_spec("av") is None:
        raise MediaToolsMissingError(
            "PyAV (the `av` package, which carries FFmpeg) is not installed: the media "
            "consumer cannot probe videos. Install Portal's dependencies: pip install -e ."
        )


class MediaWorker:
    def __init__(
        self, storage: MediaStorage, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        self.storage = storage
        self.sessionmaker = sessionmaker
        # Videos being handled here: a duplicate delivery (the outbox is at-least-once) that
        # arrives meanwhile is acknowledged at once instead of probing the same file twice.
        self._busy: set[int] = set()

    async def handle(self, body: dict[str, Any]) -> None:
        try:
            video_id = int(body["video_id"])
        except (KeyError, TypeError, ValueError):
            # Acknowledged and dropped: requeueing it would only bring it back at once, forever.
            log.error("dropping a media message without a video id: %r", body)
            return
        if video_id in self._busy:
            return
        self._busy.add(video_id)
        try:
            await self._handle(video_id)
        finally:
            self._busy.discard(video_id)

    async def _handle(self, video_id: int) -> None:
        async with self.sessionmaker() as session:
            video = await session.get(Video, video_id)
        if video is None or video.status != VideoStatus.PROCESSING.value:
            return  # deleted meanwhile, or a redelivery of a video already done
        path = locate_video_file(self.storage, video)
        if path is None:
            await self._fail(video, "the uploaded file is missing")
            return
        self.storage.ensure()
        poster_name = poster_name_for(video.storage_name)
        poster = self.storage.poster_path(poster_name)
        # Per attempt: a probe orphaned by a killed consumer may still be writing its own.
        partial_poster = poster.with_suffix(f".{secrets.token_hex(4)}.part.jpg")
        try:
            result = await run_probe(path, str(partial_poster))
        except asyncio.CancelledError:
            self.storage.remove(partial_poster)
            raise
        if "error" in result:
            self.storage.remove(partial_poster)
            await self._fail(video, str(result["error"]))
            return
        has_poster = partial_poster.exists()
        if has_poster:
            os.replace(partial_poster, poster)
        probe = service.ProbeResult(
            duration_seconds=float(result["duration_seconds"]),
            width=int(result["width"]),
            height=int(result["height"]),
            video_codec=str(result["video_codec"]),
            audio_codec=result.get("audio_codec"),
        )
        async with self.sessionmaker() as session:
            done = await service.mark_ready(
                session, video.id, probe, poster_name if has_poster else None
            )
        if done is None and has_poster:
            await self._drop_unused_poster(video.id, poster_name)

    async def _drop_unused_poster(self, video_id: int, poster_name: str) -> None:
        async with self.sessionmaker() as session:
            current = await session.get(Video, video_id)
        # Deleted while we probed: the poster goes. Made ready by another delivery meanwhile
        # (from another consumer): the poster has the same name and is that video's: it stays.
        if current is None or current.poster_name != poster_name:
            self.storage.remove(self.storage.poster_path(poster_name))

    async def _fail(self, video: Video, reason: str) -> None:
        async with self.sessionmaker() as session:
            failed = await service.mark_failed(session, video.id, reason)
        if failed is not None:
            # Nothing unplayable is kept.
            self.storage.remove_video(video.storage_name, video.upload_id, poster_name=None)


async def run_probe(path: str, poster_path: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "portal.media.probe",
        path,
        poster_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), PROBE_TIMEOUT)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        return {"error": "probing the video timed out"}
    except asyncio.CancelledError:
        # The consumer is stopping: the message goes back to the queue, the child goes too
        # (left alone it would go on writing a poster nobody uses).
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await asyncio.shield(process.wait())
        raise
    if process.returncode != 0:
        log.warning("video probe failed (%s): %s", process.returncode, stderr[-2000:])
        return UNDECODABLE
    try:
        result = json.loads(stdout)
    except ValueError:
        return UNDECODABLE
    return result if isinstance(result, dict) else UNDECODABLE
