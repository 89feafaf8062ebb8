"""On the embedded default the media queue lives in memory: a video left ``processing`` by a
stopped process is queued again when the next one starts."""

from __future__ import annotations

from quart import Quart
from sqlalchemy import update

from portal.app import create_app
from portal.config import Settings
from portal.db import get_db
from portal.media.models import Video, VideoStatus
from tests.media.test_tus_api import (  # noqa: F401 - fixtures used by name
    admin,
    admin_client,
    create,
    job,
    patch,
    small_video,
    videos_of,
    wait_ready,
)


async def test_a_video_left_processing_is_processed_after_a_restart(
    app: Quart,
    settings: Settings,
    admin_client,  # noqa: F811
    job,  # noqa: F811
    small_video,  # noqa: F811
) -> None:
    url = await create(admin_client, job.id, len(small_video))
    assert (await patch(admin_client, url, 0, small_video)).status_code == 204
    [video] = await videos_of(app)
    await wait_ready(app, video.id)

    # As if the process had stopped before its worker got to the video.
    async with get_db(app).session_scope() as session:
        await session.execute(
            update(Video)
            .where(Video.id == video.id)
            .values(status=VideoStatus.PROCESSING.value, poster_name=None)
        )
        await session.commit()
    # The next process: a second app on the same database and media root.
    restarted = create_app(settings)
    await restarted.startup()
    try:
        ready = await wait_ready(restarted, video.id)
    finally:
        await restarted.shutdown()
    assert ready.poster_name is not None
