"""Removing media files that no row refers to any more.

Deleting a job deletes its videos and uploads by cascade, in the database only; the files go
here, soon after (the extension runs this when it sees ``job.deleted``) and periodically. Rows
are always committed before their files appear, and the directories are listed before the
database is asked, so a file that is young enough to lack its row is never taken for an orphan.
"""

from __future__ import annotations

import time
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.media.models import Upload, Video
from portal.media.storage import MediaStorage

# A poster still being written by a probe carries a ``.part.jpg`` suffix; the probe is killed
# after two minutes, so a part file older than this is left over from a killed consumer.
PART_FILE_MAX_AGE = 600.0


def _names(folder: object) -> list[str]:
    try:
        return [path.name for path in folder.iterdir() if path.is_file()]  # type: ignore[attr-defined]
    except FileNotFoundError:
        return []


async def remove_orphans(
    storage: MediaStorage, sessionmaker: async_sessionmaker[AsyncSession]
) -> int:
    """Delete videos, posters and partial uploads without a row; returns how many."""
    videos, posters, partials = (
        _names(storage.videos),
        _names(storage.posters),
        _names(storage.uploads),
    )
    if not (videos or posters or partials):
        return 0
    async with sessionmaker() as session:
        stored = set((await session.execute(select(Video.storage_name))).scalars())
        uploads = set((await session.execute(select(Upload.id))).scalars())
    stems = {PurePosixPath(name).stem for name in stored}
    now = time.time()
    doomed = [storage.video_path(name) for name in videos if name not in stored]
    doomed += [storage.partial_path(name) for name in partials if name not in uploads]
    for name in posters:
        path = storage.poster_path(name)
        if name.endswith(".part.jpg"):
            if now - path.stat().st_mtime > PART_FILE_MAX_AGE:
                doomed.append(path)
        elif PurePosixPath(name).stem not in stems:
            doomed.append(path)
    for path in doomed:
        storage.remove(path)
    return len(doomed)
