"""Appending a PATCH body to a partial upload, and turning the finished file into a video.

The partial file is held under its exclusive lock for the whole request, so its size is the
upload's offset and nobody else moves it. Bytes are written as they arrive (memory stays
flat), a running sha256 is kept per upload in this process so finishing a file does not read
it again, and progress is recorded at most every :data:`PROGRESS_INTERVAL` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.cache import BoundedMap
from portal.db import utcnow
from portal.i18n import gettext as _
from portal.media import service
from portal.media.models import Upload, Video
from portal.media.signature import HEAD_BYTES, sniff
from portal.media.storage import MediaStorage, PartialFile, UploadBusyError, sha256_of
from portal.media.tus import Checksum, TusError

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.25
GATHER_BYTES = 1024 * 1024
GATHER_SECONDS = 0.05
WRITER_THREADS = 4
# Uploads this process keeps a running hash and a progress time for (a few hundred bytes each).
MAX_TRACKED_UPLOADS = 256


class GatheringWriter:
    """Appends a body to the partial file from a thread, in ~1 MiB writes, in order.

    File writes and hashing both release the GIL, so while one gathered batch is written and
    hashed the event loop goes on receiving the next: the two overlap instead of taking turns.
    At most one write is in flight; ``written`` is what is on disk (and in the hashes).
    Chunks arrive in 64 KiB or less, and handing each to the thread would cost a thread
    wake-up (and a loop wake-up) per chunk: a batch goes when it reaches ~1 MiB, or once its
    oldest bytes have waited :data:`GATHER_SECONDS` (so a slow client's bytes reach the disk
    soon after they come, and a HEAD from elsewhere sees them).
    """

    def __init__(
        self, partial: PartialFile, start: int, hashers: list[Any], executor: ThreadPoolExecutor
    ) -> None:
        self.partial = partial
        self.hashers = hashers
        self.executor = executor
        self.written = start
        self._pending: list[bytes | bytearray] = []
        self._pending_size = 0
        self._timer: asyncio.TimerHandle | None = None
        self._inflight: Future[None] | None = None

    async def add(self, chunk: bytes | bytearray) -> None:
        """Take a chunk: gathered, and the batch written once it is big (waiting for the
        write in flight first: that is the back-pressure) or has waited long enough."""
        if not self._pending:
            self._timer = asyncio.get_running_loop().call_later(GATHER_SECONDS, self._due)
        self._pending.append(chunk)
        self._pending_size += len(chunk)
        if self._pending_size >= GATHER_BYTES:
            # A loop (not an if): the timer may have started another write meanwhile.
            while self._inflight is not None and not self._inflight.done():
                await asyncio.wrap_future(self._inflight)
            self._submit()

    def _due(self) -> None:
        """The gathered bytes waited GATHER_SECONDS: write them once the thread is free."""
        self._timer = None
        if not self._pending:
            return
        if self._inflight is None or (self._inflight.done() and self._inflight.exception() is None):
            self._submit()
        elif not self._inflight.done():
            self._timer = asyncio.get_running_loop().call_later(GATHER_SECONDS, self._due)
        # else the last write failed: the next add or drain raises its error

    def _submit(self) -> None:
        self._cancel_timer()
        if self._inflight is not None:
            self._inflight.result()  # raises the write's error, if any
            self._inflight = None
        if self._pending:
            batch = self._pending
            self._pending, self._pending_size = [], 0
            self._inflight = self.executor.submit(self._write, batch)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def drain(self) -> None:
        """Write what is gathered and wait for it; raises a failed write's error."""
        self._cancel_timer()
        while self._inflight is not None or self._pending:
            if self._inflight is not None and not self._inflight.done():
                await asyncio.wrap_future(self._inflight)
            self._submit()

    def settle(self, *, keep: bool) -> None:
        """On the way out: wait for the write in flight; ``keep`` writes what was gathered too
        (the client went away: keep every byte that arrived), else it is dropped (refused).

        Synchronous on purpose: the file's descriptor closes right after, and a thread still
        writing to it must not be raced (a second cancellation cannot interrupt this).
        """
        self._cancel_timer()
        if self._inflight is not None:
            with contextlib.suppress(Exception):
                self._inflight.result()
            self._inflight = None
        if keep and self._pending:
            with contextlib.suppress(Exception):
                self._write(self._pending)
        self._pending, self._pending_size = [], 0

    def _write(self, batch: list[bytes | bytearray]) -> None:
        # One writev for the whole batch: no joined copy of it.
        self.partial.append_all(batch)
        for hasher in self.hashers:
            for data in batch:
                hasher.update(data)
        self.written += sum(len(data) for data in batch)


@dataclass
class PatchResult:
    offset: int
    video: Video | None = None


class NotAVideoError(TusError):
    def __init__(self) -> None:
        super().__init__(
            415,
            "not_a_video",
            _("This file is not a video we can play (MP4, MOV, WebM, MKV or Ogg)."),
        )


class UploadReceiver:
    def __init__(
        self,
        storage: MediaStorage,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        expires_in: timedelta,
    ) -> None:
        self.storage = storage
        self.sessionmaker = sessionmaker
        self.expires_in = expires_in
        self._hashes: BoundedMap[str, tuple[int, Any]] = BoundedMap(MAX_TRACKED_UPLOADS)
        # When each upload last recorded progress (monotonic), to throttle across requests.
        self._last_progress: BoundedMap[str, float] = BoundedMap(MAX_TRACKED_UPLOADS)
        # Where requests ended, for a trailing progress mark that is due (one task each).
        self._latest: dict[str, int] = {}
        # Removing a refused upload must finish even if the request is cancelled meanwhile.
        self._background: set[asyncio.Task[None]] = set()
        self._executor = ThreadPoolExecutor(WRITER_THREADS, thread_name_prefix="upload-writer")

    def _running_hash(self, upload_id: str, offset: int) -> Any | None:
        entry = self._hashes.pop(upload_id, None)
        if offset == 0:
            return hashlib.sha256()
        if entry is not None and entry[0] == offset:
            return entry[1]
        return None

    async def _read_head(self, partial: PartialFile, count: int) -> bytes:
        """The file's first bytes, read by a writer thread (not on the event loop)."""
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, partial.read_head, count
        )

    def _keep_hash(self, upload_id: str, offset: int, digest: Any | None) -> None:
        if digest is None:
            return
        self._hashes[upload_id] = (offset, digest)

    async def append(
        self,
        upload: Upload,
        offset: int,
        chunks: AsyncIterator[bytes],
        *,
        content_length: int | None,
        checksum: Checksum | None,
    ) -> PatchResult:
        try:
            with self.storage.open_partial(upload.id) as partial:
                return await self._append_locked(
                    upload, partial, offset, chunks, content_length, checksum
                )
        except FileNotFoundError:
            # Finished (and moved to storage) by another request since this one looked, or
            # terminated: the first is a conflict the client can read with HEAD.
            async with self.sessionmaker() as session:
                current = await session.get(Upload, upload.id)
            if current is not None and current.offset >= current.length:
                raise upload_complete() from None
            raise upload_gone() from None
        except UploadBusyError:
            raise upload_locked() from None

    async def _append_locked(
        self,
        upload: Upload,
        partial: PartialFile,
        offset: int,
        chunks: AsyncIterator[bytes],
        content_length: int | None,
        checksum: Checksum | None,
    ) -> PatchResult:
        start = partial.seek_end()
        if offset != start:
            raise TusError(
                409,
                "offset_mismatch",
                _("Upload-Offset does not match: the server has %(n)s bytes.", n=start),
            )
        remaining = upload.length - start
        if content_length is not None and content_length > remaining:
            raise TusError(413, "too_large", _("The body is longer than the rest of the upload."))
        running = self._running_hash(upload.id, start)
        body_hash = checksum.hasher() if checksum is not None else None
        writer = GatheringWriter(
            partial, start, [h for h in (running, body_hash) if h is not None], self._executor
        )
        received = start
        # The first bytes of the file, for the signature check (before anything is kept).
        head = await self._read_head(partial, start) if start < HEAD_BYTES else b""
        last_progress = self._last_progress.get(upload.id, 0.0)
        try:
            async for chunk in chunks:
                if received + len(chunk) > upload.length:
                    raise TusError(
                        413, "too_large", _("The body is longer than the rest of the upload.")
                    )
                received += len(chunk)
                if len(head) < HEAD_BYTES and start < HEAD_BYTES:
                    head += bytes(chunk[: HEAD_BYTES - len(head)])
                    if len(head) >= min(HEAD_BYTES, upload.length) and (
                        sniff(head, upload.length) is None
                    ):
                        raise NotAVideoError()
                await writer.add(chunk)
                now = time.monotonic()
                if now - last_progress >= PROGRESS_INTERVAL and received < upload.length:
                    last_progress = now
                    # What arrived: the write thread may be a moment behind.
                    await self._progress(upload.id, received, now)
            await writer.drain()
        except NotAVideoError:
            writer.settle(keep=False)
            self._refuse(upload.id)
            raise
        except TusError:
            writer.settle(keep=False)
            # Keep nothing of a refused body: the client sends it again.
            partial.truncate(start)
            raise
        except BaseException:
            # Cancelled (the client went away) or failed: what was written stays, the client
            # resumes from the size HEAD reports; the running hash matches that size.
            writer.settle(keep=True)
            self._keep_hash(upload.id, writer.written, running)
            raise
        size = writer.written
        if body_hash is not None and body_hash.digest() != checksum.digest:  # type: ignore[union-attr]
            partial.truncate(start)
            raise TusError(460, "checksum_mismatch", _("The body does not match Upload-Checksum."))
        if size < upload.length:
            self._keep_hash(upload.id, size, running)
            if size > start:
                await self._progress_soon(upload.id, size, last_progress)
            return PatchResult(size)
        return PatchResult(size, await self._finish(upload, partial, running))

    async def _progress_soon(self, upload_id: str, size: int, last: float) -> None:
        """Where a request ends: record progress now, or (throttled across requests, so a
        client sending small chunks does not cost a write transaction each) a moment later."""
        wait = last + PROGRESS_INTERVAL - time.monotonic()
        if wait <= 0:
            await self._progress(upload_id, size, time.monotonic())
            return
        if upload_id not in self._latest:
            self._spawn(self._trailing_progress(upload_id, wait))
        self._latest[upload_id] = size

    async def _trailing_progress(self, upload_id: str, wait: float) -> None:
        await asyncio.sleep(wait)
        size = self._latest.pop(upload_id, None)
        if size is not None:
            await self._progress(upload_id, size, time.monotonic())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _progress(self, upload_id: str, size: int, now: float) -> None:
        self._last_progress[upload_id] = now
        try:
            async with self.sessionmaker() as session:
                await service.record_progress(session, upload_id, size, expires_in=self.expires_in)
        except Exception:
            # Progress is for the dashboard; the upload itself must not fail for it.
            log.exception("could not record upload progress")

    async def _finish(self, upload: Upload, partial: PartialFile, running: Any | None) -> Video:
        container = sniff(await self._read_head(partial, HEAD_BYTES), upload.length)
        if container is None:
            self._refuse(upload.id)
            raise NotAVideoError()
        # No trailing progress mark after this: the upload is done.
        self._latest.pop(upload.id, None)
        self._last_progress.pop(upload.id, None)
        path = self.storage.partial_path(upload.id)
        digest = (
            running.hexdigest() if running is not None else await asyncio.to_thread(sha256_of, path)
        )
        storage_name = self.storage.new_name(container.extension)
        async with self.sessionmaker() as session:
            video = await service.complete_upload(
                session, upload.id, container=container, sha256=digest, storage_name=storage_name
            )
        # After the commit: if this process dies before the move, the media consumer finds
        # the bytes still at the upload's path and moves them itself (see locate_video_file).
        self.storage.ensure()
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, self.storage.video_path(video.storage_name))
        return video

    def _refuse(self, upload_id: str) -> None:
        self._hashes.pop(upload_id, None)
        self._spawn(self._drop(upload_id))

    async def _drop(self, upload_id: str) -> None:
        self.storage.remove(self.storage.partial_path(upload_id))
        async with self.sessionmaker() as session:
            await service.drop_upload(
                session,
                upload_id,
                code="not_a_video",
                reason=_("Not a video file (MP4, MOV, WebM, MKV or Ogg)."),
            )

    async def terminate(self, upload: Upload) -> None:
        try:
            self.storage.remove_partial(upload.id)
        except UploadBusyError:
            raise upload_locked() from None
        self._hashes.pop(upload.id, None)
        async with self.sessionmaker() as session:
            await service.drop_upload(
                session, upload.id, code="cancelled", reason=_("Cancelled by the uploader.")
            )

    async def sweep_expired(self) -> int:
        """Remove expired uploads and their bytes; uploads being written to are left alone."""
        now = utcnow()
        async with self.sessionmaker() as session:
            expired = await service.expired_uploads(session, now)
        removed = 0
        for upload in expired:
            if upload.offset >= upload.length:
                continue
            try:
                self.storage.remove_partial(upload.id)
            except UploadBusyError:
                continue
            async with self.sessionmaker() as session:
                await service.drop_upload(
                    session, upload.id, code="expired", reason=_("The upload expired.")
                )
            removed += 1
        async with self.sessionmaker() as session:
            await service.forget_finished_uploads(session, now)
        return removed

    async def close(self) -> None:
        if self._background:
            await asyncio.wait(self._background, timeout=5)
        self._executor.shutdown(wait=True)


def upload_gone() -> TusError:
    return TusError(404, "not_found", _("No such upload."))


def upload_complete() -> TusError:
    return TusError(409, "offset_mismatch", _("This upload is complete."))


def upload_locked() -> TusError:
    return TusError(423, "locked", _("Another request is uploading to this file right now."))


def locate_video_file(storage: MediaStorage, video: Video) -> str | None:
    """The video's bytes, finishing a move its web worker did not get to."""
    target = storage.video_path(video.storage_name)
    if not target.exists():
        with contextlib.suppress(FileNotFoundError):
            os.replace(storage.partial_path(video.upload_id), target)
    return str(target) if target.exists() else None
