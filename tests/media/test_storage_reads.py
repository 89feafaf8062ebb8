"""read_span: the page-cache read on the event loop and its fall-back to a thread."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.media import storage
from portal.media.storage import read_span

CONTENT = os.urandom(3 * 1024 * 1024 + 17)


@pytest.fixture
def fd(tmp_path: Path) -> Iterator[int]:
    path = tmp_path / "video.bin"
    path.write_bytes(CONTENT)
    descriptor = os.open(path, os.O_RDONLY)
    yield descriptor
    os.close(descriptor)


@pytest.mark.parametrize(
    ("position", "count"),
    [(0, 1), (0, 1024 * 1024), (12345, 1024 * 1024), (len(CONTENT) - 1, 1), (5, 0)],
)
async def test_reads_exactly_the_span(fd: int, position: int, count: int) -> None:
    assert await read_span(fd, position, count) == CONTENT[position : position + count]


async def test_past_the_end_is_short(fd: int) -> None:
    assert await read_span(fd, len(CONTENT) - 10, 100) == CONTENT[-10:]
    assert await read_span(fd, len(CONTENT) + 10, 100) == b""


@pytest.mark.skipif(storage._NOWAIT is None, reason="no RWF_NOWAIT on this platform")
async def test_a_span_the_page_cache_lacks_is_read_in_a_thread(fd, monkeypatch) -> None:
    """RWF_NOWAIT says the disk would be needed (EAGAIN) or gives part: the thread reads."""
    threads: list[int] = []
    real_to_thread = storage.asyncio.to_thread

    async def counted(*args, **kwargs):
        threads.append(1)
        return await real_to_thread(*args, **kwargs)

    monkeypatch.setattr(storage.asyncio, "to_thread", counted)

    def would_block(*_args):
        raise BlockingIOError(errno.EAGAIN, "would block")

    monkeypatch.setattr(storage.os, "preadv", would_block)
    assert await read_span(fd, 100, 5000) == CONTENT[100:5100]

    def partly(descriptor, buffers, position, flags):
        buffers[0][:10] = os.pread(descriptor, 10, position)
        return 10

    monkeypatch.setattr(storage.os, "preadv", partly)
    assert await read_span(fd, 100, 5000) == CONTENT[100:5100]
    assert len(threads) == 2


@pytest.mark.skipif(storage._NOWAIT is None, reason="no RWF_NOWAIT on this platform")
async def test_a_cached_span_needs_no_thread(fd, monkeypatch) -> None:
    await read_span(fd, 0, 4096)  # now in the page cache

    async def no_thread(*_args, **_kwargs):
        raise AssertionError("read in a thread")

    monkeypatch.setattr(storage.asyncio, "to_thread", no_thread)
    assert await read_span(fd, 0, 4096) == CONTENT[:4096]


async def test_a_file_system_without_nowait_falls_back_for_good(fd, monkeypatch) -> None:
    calls: list[int] = []

    def unsupported(*_args):
        calls.append(1)
        raise OSError(errno.EOPNOTSUPP, "not supported")

    monkeypatch.setattr(storage, "_NOWAIT", 8)
    monkeypatch.setattr(storage.os, "preadv", unsupported)
    assert await read_span(fd, 7, 70) == CONTENT[7:77]
    assert await read_span(fd, 7, 70) == CONTENT[7:77]
    assert calls == [1]
    assert storage._NOWAIT is None


async def test_other_read_errors_are_raised(monkeypatch) -> None:
    with pytest.raises(OSError) as error:
        await read_span(987654, 0, 10)  # not an open descriptor
    assert error.value.errno == errno.EBADF


# ------------------------------------------------------------------------ appending uploads


def test_append_all_survives_short_writes(tmp_path: Path, monkeypatch) -> None:
    """writev may take part of a batch (a signal, a full disk's last bytes): the rest follows."""
    store = storage.MediaStorage(tmp_path)
    store.create_partial("partial")
    real = os.writev

    def at_most_seven(fd: int, buffers) -> int:
        return real(fd, [b"".join(bytes(piece) for piece in buffers)[:7]])

    monkeypatch.setattr(storage.os, "writev", at_most_seven)
    pieces = [b"abc", b"", bytearray(b"defghij"), b"k" * 20, b"lmn"]
    with store.open_partial("partial") as partial:
        partial.append_all(pieces)
    assert store.partial_path("partial").read_bytes() == b"".join(pieces)


def test_append_all_splits_batches_beyond_iov_max(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(storage, "IOV_MAX", 3)
    store = storage.MediaStorage(tmp_path)
    store.create_partial("partial")
    pieces = [bytes([i]) * (i + 1) for i in range(10)]
    with store.open_partial("partial") as partial:
        partial.append_all(pieces)
    assert store.partial_path("partial").read_bytes() == b"".join(pieces)
