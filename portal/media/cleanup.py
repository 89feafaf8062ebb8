"""Removing media files that no row refers to any more.

Deleting a job deletes its videos and uploads by cascade, in the database only; the files go
here, soon after (the extension runs this when it sees ``job.deleted``) and periodically. Rows
are always committed before their files appear, and the directories are listed before the
database is asked, so a file that is young enough to lack its row is never taken for an orphan.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.media.models import Upload, Video
from portal.media.storage import MediaStorage, poster_name_for

# A poster still being written by a probe carries a ``.part.jpg`` suffix; the probe is killed
# after two minutes, so a part file older than this is left over from a killed consumer.
PART_FILE_MAX_AGE = 600.0


def _list(storage: MediaStorage) -> tuple[list[str], list[tuple[str, float]], list[str]]:
    """Video names, (poster name, mtime) and partial upload names on disk."""

    def files(folder: Path) -> list[Path]:
        try:
            return [path for path in folder.iterdir() if path.is_file()]
        except FileNotFoundError:
            return []

    posters = []
    for path in files(storage.posters):
        with contextlib.suppress(FileNotFoundError):
            posters.append((path.name, path.stat().st_mtime))
    return (
        [path.name for path in files(storage.videos)],
        posters,
        [path.name for path in files(storage.uploads)],
    )


async def remove_orphans(
    storage: MediaStorage, sessionmaker: async_sessionmaker[AsyncSession]
) -> int:
    """Delete videos, posters and partial uploads without a row; returns how many."""
    # Directory listings of thousands of files: not on the event loop.
    videos, posters, partials = await asyncio.to_thread(_list, storage)
    if not (videos or posters or partials):
        return 0
    async with sessionmaker() as session:
        stored = set((await session.execute(select(Video.storage_name))).scalars())
        uploads = set((await session.execute(select(Upload.id))).scalars())
    poster_names = {poster_name_for(name) for name in stored}
    now = time.time()
    doomed = [storage.video_path(name) for name in videos if name not in stored]
    doomed += [storage.partial_path(name) for name in partials if name not in uploads]
    for name, modified in posters:
        if name.endswith(".part.jpg"):
            if now - modified > PART_FILE_MAX_AGE:
                doomed.append(storage.poster_path(name))
        elif name not in poster_names:
            doomed.append(storage.poster_path(name))
    for path in doomed:
        storage.remove(path)
    return len(doomed)
