"""Where video bytes live: partial uploads, finished videos and posters, under the media root.

Names on disk are generated here (upload ids, random storage names); nothing a client sends
becomes part of a path. A partial upload is appended to only under an exclusive ``flock``, so
two PATCH requests for one upload (in two workers) can never interleave their bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

HASH_BLOCK = 1024 * 1024
# The most buffers one writev takes (POSIX guarantees at least 16).
IOV_MAX = max(16, os.sysconf("SC_IOV_MAX")) if "SC_IOV_MAX" in os.sysconf_names else 16
# Linux's preadv2 flag: fail with EAGAIN rather than wait for the disk (None elsewhere).
_NOWAIT: int | None = getattr(os, "RWF_NOWAIT", None)


class UploadBusyError(Exception):
    """Another request holds this upload's lock (it is appending to it right now)."""


class MediaStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.uploads = root / "uploads"
        self.videos = root / "videos"
        self.posters = root / "posters"

    def ensure(self) -> None:
        for folder in (self.uploads, self.videos, self.posters):
            folder.mkdir(parents=True, exist_ok=True)

    def partial_path(self, upload_id: str) -> Path:
        return self.uploads / upload_id

    def video_path(self, storage_name: str) -> Path:
        return self.videos / storage_name

    def poster_path(self, poster_name: str) -> Path:
        return self.posters / poster_name

    @staticmethod
    def new_name(extension: str) -> str:
        return secrets.token_hex(16) + extension

    def create_partial(self, upload_id: str) -> None:
        self.ensure()
        # "x": an id collision must fail loudly, never share a file.
        with open(self.partial_path(upload_id), "xb"):
            pass

    def partial_size(self, upload_id: str) -> int | None:
        try:
            return self.partial_path(upload_id).stat().st_size
        except FileNotFoundError:
            return None

    @contextlib.contextmanager
    def open_partial(self, upload_id: str) -> Iterator[PartialFile]:
        """The partial file, locked for appending; raises UploadBusyError if it is taken."""
        fd = os.open(self.partial_path(upload_id), os.O_RDWR)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                if error.errno in (errno.EAGAIN, errno.EACCES):
                    raise UploadBusyError(upload_id) from None
                raise
            yield PartialFile(fd)
        finally:
            os.close(fd)  # releases the lock

    def remove(self, path: Path | None) -> None:
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def remove_partial(self, upload_id: str) -> None:
        """Remove a partial upload under its lock (UploadBusyError while a request appends):
        a request starting meanwhile finds no file rather than one about to disappear."""
        with contextlib.suppress(FileNotFoundError), self.open_partial(upload_id):
            self.remove(self.partial_path(upload_id))

    def remove_video(self, storage_name: str, upload_id: str, poster_name: str | None) -> None:
        """Every file a video may have: its bytes (at either place) and its poster."""
        self.remove(self.video_path(storage_name))
        self.remove(self.partial_path(upload_id))
        if poster_name is not None:
            self.remove(self.poster_path(poster_name))


def poster_name_for(storage_name: str) -> str:
    """A poster's file name follows from its video's random storage name (``<stem>.jpg``), so
    a redelivered probe writes the same file and the orphan sweep can pair them."""
    return PurePosixPath(storage_name).stem + ".jpg"


class PartialFile:
    """An open, locked partial upload: its size is the upload's offset."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def append(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    def append_all(self, pieces: list[bytes | bytearray]) -> None:
        """Append ``pieces`` in order with as few writev calls as the kernel allows."""
        views = [memoryview(piece) for piece in pieces if piece]
        while views:
            written = os.writev(self.fd, views[:IOV_MAX])
            while views and written >= len(views[0]):
                written -= len(views[0])
                views.pop(0)
            if written:
                views[0] = views[0][written:]

    def seek_end(self) -> int:
        return os.lseek(self.fd, 0, os.SEEK_END)

    def truncate(self, size: int) -> None:
        os.ftruncate(self.fd, size)
        os.lseek(self.fd, size, os.SEEK_SET)

    def read_head(self, count: int) -> bytes:
        return os.pread(self.fd, count, 0)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


async def read_span(fd: int, position: int, count: int) -> bytes:
    """Up to ``count`` bytes of ``fd`` at ``position`` (fewer only at the end of the file).

    From the page cache right on the event loop when it holds the whole span (RWF_NOWAIT
    never waits for the disk), which spares a thread hop per read; otherwise in a thread, so
    a cold disk never stalls the loop.
    """
    global _NOWAIT
    if _NOWAIT is not None and count > 0:
        buffer = bytearray(count)
        try:
            got = os.preadv(fd, [buffer], position, _NOWAIT)
        except BlockingIOError:
            got = -1
        except OSError as error:
            if error.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                raise
            _NOWAIT = None  # this kernel or file system cannot: always use the thread
            got = -1
        if got == count:
            return bytes(buffer)
    # Not (all) cached, or at the end of the file: the thread tells short from slow.
    return await asyncio.to_thread(os.pread, fd, count, position)
