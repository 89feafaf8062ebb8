"""GatheringWriter: a body's chunks reach the partial file in order, in few writes, hashed."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from portal.media import receiver
from portal.media.receiver import GATHER_SECONDS, GatheringWriter
from portal.media.storage import MediaStorage, PartialFile


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(1) as pool:
        yield pool


@pytest.fixture
def partial(tmp_path: Path) -> Iterator[PartialFile]:
    storage = MediaStorage(tmp_path)
    storage.create_partial("upload")
    with storage.open_partial("upload") as opened:
        yield opened


class CountingPartial(PartialFile):
    def __init__(self, fd: int) -> None:
        super().__init__(fd)
        self.writes = 0

    def append_all(self, pieces: list[bytes | bytearray]) -> None:
        self.writes += 1
        super().append_all(pieces)


async def test_many_small_chunks_make_few_writes(partial, executor, tmp_path) -> None:
    counting = CountingPartial(partial.fd)
    digest = hashlib.sha256()
    writer = GatheringWriter(counting, 0, [digest], executor)
    chunks = [os.urandom(64 * 1024) for _ in range(64)]  # 4 MiB
    for chunk in chunks:
        await writer.add(chunk)
    await writer.drain()
    body = b"".join(chunks)
    assert (tmp_path / "uploads" / "upload").read_bytes() == body
    assert writer.written == len(body)
    assert digest.hexdigest() == hashlib.sha256(body).hexdigest()
    # One write per ~1 MiB gathered, not one per 64 KiB chunk.
    assert counting.writes <= 6


async def test_a_slow_clients_bytes_reach_the_disk_while_the_body_is_open(
    partial, executor, tmp_path
) -> None:
    writer = GatheringWriter(partial, 0, [], executor)
    await writer.add(b"first bytes")
    await asyncio.sleep(GATHER_SECONDS * 4)
    assert (tmp_path / "uploads" / "upload").read_bytes() == b"first bytes"
    assert writer.written == len(b"first bytes")
    await writer.add(b", then more")
    await writer.drain()
    assert (tmp_path / "uploads" / "upload").read_bytes() == b"first bytes, then more"


async def test_settle_keeps_or_drops_what_was_gathered(partial, executor, tmp_path) -> None:
    writer = GatheringWriter(partial, 0, [], executor)
    await writer.add(b"kept")
    writer.settle(keep=True)
    assert (tmp_path / "uploads" / "upload").read_bytes() == b"kept"
    await writer.add(b"dropped")
    writer.settle(keep=False)
    await asyncio.sleep(GATHER_SECONDS * 2)  # the timer was cancelled: nothing written late
    assert (tmp_path / "uploads" / "upload").read_bytes() == b"kept"
    assert writer.written == 4


async def test_a_failed_write_is_raised_by_the_next_add_or_drain(
    partial, executor, monkeypatch
) -> None:
    writer = GatheringWriter(partial, 0, [], executor)

    def disk_full(_batch) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "_write", disk_full)
    monkeypatch.setattr(receiver, "GATHER_BYTES", 10)
    await writer.add(b"x" * 10)  # submitted at once: a full batch
    with pytest.raises(OSError):
        await writer.drain()
