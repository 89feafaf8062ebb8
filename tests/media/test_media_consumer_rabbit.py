"""The media work queue and the media consumer process across the real RabbitMQ broker.

The web app (in this process) receives a tus upload, records the video as ``processing`` and,
through the outbox, puts ``{"video_id": ...}`` on the durable queue ``<prefix>.media``. The
consumer runs as its own process (``python -m consumers.media`` / ``portal consumer media``)
with the same database and media root: it probes the file, writes the poster, marks the video
``ready`` and publishes ``upload.finished`` (and ``job.updated``) on the events exchange. A
consumer killed before its ack leaves the message to be redelivered and the video ends ready
once; a file that is not playable ends ``failed`` with its bytes removed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy import select

from portal.accounts.models import Role
from portal.app import create_app
from portal.config import Settings
from portal.db import get_db
from portal.events.models import Event, WorkItem
from portal.jobs import service as jobs_service
from portal.jobs.models import Job
from portal.jobs.schemas import JobData
from portal.media.models import Upload, Video, VideoStatus
from portal.media.storage import MediaStorage
from tests.events import conftest as events_conftest
from tests.events.conftest import AMQP_URL
from tests.factories import signed_in_client
from tests.media.conftest import ConsumerProcess, Consumers
from tests.utils.broker import QueueWatcher
from tests.utils.consumers import database_write_locked

# A unique exchange/queue prefix for the test, deleted from the broker afterwards.
amqp_prefix = events_conftest.amqp_prefix
TIMEOUT = 20.0
# Probing runs FFmpeg in a child process; the machine may be busy.
READY_TIMEOUT = 60.0
JOB: dict[str, Any] = {
    "title": "Video editor",
    "content": "Cut training films.",
    "category": "engineering",
    "status": "published",
    "apply_email": "jobs@example.com",
}


# --- set-up --------------------------------------------------------------------------------


@pytest.fixture
def broker_settings(settings: Settings, amqp_prefix: str, tmp_path: Path) -> Settings:
    """This test's database, on the real broker under its own prefix, media in its own root."""
    return settings.model_copy(
        update={
            "amqp_url": AMQP_URL,
            "amqp_prefix": amqp_prefix,
            "media_root": tmp_path / "media-root",
        }
    )


class Broker(QueueWatcher):
    """A side connection that watches the media queue and the events exchange."""

    def __init__(self, connection: aio_pika.abc.AbstractConnection, prefix: str) -> None:
        super().__init__(connection, f"{prefix}.media", TIMEOUT)
        self.exchange = f"{prefix}.events"
        self.events: list[dict[str, Any]] = []

    async def observe_events(self) -> None:
        """Bind a queue of our own to the events exchange and keep every event it carries."""
        channel = await self.connection.channel()
        exchange = await channel.declare_exchange(
            self.exchange, aio_pika.ExchangeType.FANOUT, durable=True
        )
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange)

        async def keep(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            self.events.append(json.loads(message.body))

        await queue.consume(keep, no_ack=True)

    def seen(self, type_: str, video_id: int) -> list[dict[str, Any]]:
        return [
            e for e in self.events if e["type"] == type_ and e["data"].get("video_id") == video_id
        ]


@pytest.fixture
async def broker(amqp_prefix: str) -> AsyncIterator[Broker]:
    assert AMQP_URL
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        watcher = Broker(connection, amqp_prefix)
        await watcher.observe_events()
        yield watcher


class Site:
    app: Quart
    admin: Client
    job: Job
    storage: MediaStorage


@asynccontextmanager
async def site(settings: Settings) -> AsyncIterator[Site]:
    """The web app (no media worker of its own: a broker is configured), an admin, a job."""
    app = create_app(settings)
    async with app.test_app():
        result = Site()
        result.app = app
        result.admin, admin = await signed_in_client(app, role=Role.ADMIN)
        async with get_db(app).session_scope() as session:
            result.job = await jobs_service.create_job(session, admin, JobData(**JOB))
        result.storage = MediaStorage(settings.resolved_media_root)
        yield result


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


async def upload(s: Site, data: bytes, filename: str) -> Video:
    """A whole file in one tus request (creation-with-upload); the video it became."""
    response = await s.admin.post(
        "/api/v1/uploads",
        data=data,
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(data)),
            "Upload-Metadata": (
                f"filename {_b64(filename)},filetype {_b64('video/mp4')},"
                f"job_id {_b64(str(s.job.id))}"
            ),
            "Content-Type": "application/offset+octet-stream",
        },
    )
    assert response.status_code == 201, await response.get_data(as_text=True)
    assert response.headers["Upload-Offset"] == str(len(data))
    upload_id = response.headers["Location"].rsplit("/", 1)[1]
    async with get_db(s.app).session_scope() as session:
        assert await session.get(Upload, upload_id) is not None
        video = await session.scalar(select(Video).where(Video.upload_id == upload_id))
    assert video is not None and video.status == VideoStatus.PROCESSING.value
    return video


async def load(s: Site, video_id: int) -> Video:
    async with get_db(s.app).session_scope() as session:
        video = await session.get(Video, video_id)
    assert video is not None
    return video


async def settled(
    s: Site, video_id: int, consumer: ConsumerProcess, timeout: float = READY_TIMEOUT
) -> Video:
    """The video once it is no longer ``processing``."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                video = await load(s, video_id)
                if video.status != VideoStatus.PROCESSING.value:
                    return video
                await asyncio.sleep(0.1)
    except TimeoutError:
        pytest.fail(f"video {video_id} is still processing\n{consumer.log()[-4000:]}")


async def events_of(s: Site, type_: str, video_id: int | None = None) -> list[Event]:
    async with get_db(s.app).session_scope() as session:
        rows = await session.execute(select(Event).where(Event.type == type_).order_by(Event.id))
        found = list(rows.scalars())
    return [e for e in found if video_id is None or e.data.get("video_id") == video_id]


async def media_work(s: Site) -> list[WorkItem]:
    async with get_db(s.app).session_scope() as session:
        rows = await session.execute(
            select(WorkItem).where(WorkItem.queue == "media").order_by(WorkItem.id)
        )
        return list(rows.scalars())


async def work_published(s: Site, timeout: float = TIMEOUT) -> None:
    """Wait until the outbox sent every media work row to the broker."""
    async with asyncio.timeout(timeout):
        while True:
            if all(work.published_at is not None for work in await media_work(s)):
                return
            await asyncio.sleep(0.05)


async def heard(broker: Broker, type_: str, video_id: int, timeout: float = TIMEOUT) -> None:
    async with asyncio.timeout(timeout):
        while not broker.seen(type_, video_id):
            await asyncio.sleep(0.05)


def files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []


async def queued(s: Site, broker: Broker, data: bytes, filename: str) -> Video:
    """Uploaded, and its work waiting in the queue with no consumer yet."""
    video = await upload(s, data, filename)
    await work_published(s)
    await broker.wait_for(ready=1, consumers=0)
    return video


async def ready_and_announced(
    s: Site, broker: Broker, video_id: int, consumer: ConsumerProcess
) -> Video:
    """The video, once ``consumer`` made it ready, announced it and acknowledged the work."""
    ready = await settled(s, video_id, consumer)
    assert ready.status == VideoStatus.READY.value, ready.failure_reason
    await heard(broker, "upload.finished", video_id)
    await broker.wait_for(ready=0, consumers=1)
    return ready


# --- tests ---------------------------------------------------------------------------------


@pytest.mark.both_databases
async def test_consumer_process_makes_the_video_ready_with_a_poster(
    db_backend: str,
    broker_settings: Settings,
    broker: Broker,
    consumers: Consumers,
    sample_video: Path,
) -> None:
    data = sample_video.read_bytes()
    async with site(broker_settings) as s:
        video = await upload(s, data, "welcome.mp4")
        # The bytes are stored under the media root; the work waits in the durable queue.
        assert files(s.storage.uploads) == []
        assert files(s.storage.videos) == [s.storage.video_path(video.storage_name)]
        await work_published(s)
        await broker.wait_for(ready=1, consumers=0)
        [work] = await media_work(s)
        assert work.data == {"video_id": video.id}

        consumer = consumers.spawn(broker_settings, how="cli")
        ready = await settled(s, video.id, consumer)
        assert ready.status == VideoStatus.READY.value, ready.failure_reason
        assert ready.duration_seconds == pytest.approx(4.0, abs=0.2)
        assert (ready.width, ready.height) == (320, 240)
        assert ready.video_codec == "h264" and ready.audio_codec == "aac"
        assert ready.poster_name is not None
        [poster] = files(s.storage.posters)
        assert poster == s.storage.poster_path(ready.poster_name)
        assert poster.read_bytes().startswith(b"\xff\xd8")  # a JPEG
        assert s.storage.video_path(ready.storage_name).read_bytes() == data

        # Published from the consumer's process onto the events exchange.
        await heard(broker, "upload.finished", video.id)
        [finished] = broker.seen("upload.finished", video.id)
        assert finished["channel"] == "uploads"
        assert finished["data"]["status"] == "ready"
        assert finished["data"]["job_id"] == s.job.id
        assert finished["data"]["poster_url"] == f"/videos/{video.id}/poster"
        [logged] = await events_of(s, "upload.finished", video.id)
        assert logged.id == finished["id"]
        updated = [e for e in broker.events if e["type"] == "job.updated"]
        assert any(e["data"]["id"] == s.job.id for e in updated)
        await broker.wait_for(ready=0, consumers=1)

        # The job's API lists it; the stored file streams.
        body = await (await s.admin.get(f"/api/v1/jobs/{s.job.id}")).get_json()
        assert [v["id"] for v in body["videos"]] == [video.id]
        response = await s.admin.get(f"/videos/{video.id}", headers={"Range": "bytes=0-99"})
        assert response.status_code == 206
        assert await response.get_data() == data[:100]

        assert await consumer.stop() == 0, consumer.log()
        await broker.wait_for(consumers=0)


async def test_consumer_killed_before_ack_redelivers_and_the_video_is_ready_once(
    broker_settings: Settings,
    broker: Broker,
    consumers: Consumers,
    sample_video: Path,
) -> None:
    data = sample_video.read_bytes()
    async with site(broker_settings) as s:
        video = await queued(s, broker, data, "lesson.mp4")

        # The consumer takes the message, probes the file and writes the poster, then waits to
        # mark the video ready (the database's write lock is held): delivered, not acked.
        with database_write_locked(broker_settings):
            doomed = consumers.spawn(broker_settings)
            try:
                await broker.wait_for(ready=0, consumers=1)
                async with asyncio.timeout(READY_TIMEOUT):
                    while not [p for p in files(s.storage.posters) if ".part." not in p.name]:
                        await asyncio.sleep(0.05)
            except TimeoutError:
                pytest.fail("the consumer never got to the poster:\n" + doomed.log())
            await asyncio.sleep(0.3)
            assert doomed.alive(), doomed.log()
            await doomed.kill()
            # The broker puts the unacknowledged message back.
            await broker.wait_for(ready=1, consumers=0)
        assert (await load(s, video.id)).status == VideoStatus.PROCESSING.value
        assert await events_of(s, "upload.finished") == []

        # A fresh consumer gets the redelivered message and finishes the job.
        again = consumers.spawn(broker_settings)
        ready = await ready_and_announced(s, broker, video.id, again)

        # Exactly once: one event, one poster (the killed attempt's file was the same one),
        # the video's bytes untouched.
        assert len(await events_of(s, "upload.finished", video.id)) == 1
        assert len(broker.seen("upload.finished", video.id)) == 1
        assert ready.poster_name is not None
        assert files(s.storage.posters) == [s.storage.poster_path(ready.poster_name)]
        assert files(s.storage.videos) == [s.storage.video_path(ready.storage_name)]
        assert s.storage.video_path(ready.storage_name).read_bytes() == data

        # Another copy of the message (the outbox is at-least-once) changes nothing.
        [work] = await media_work(s)
        channel = await broker.connection.channel(publisher_confirms=True)
        await channel.default_exchange.publish(
            aio_pika.Message(
                json.dumps({"video_id": video.id, "event_id": work.id}).encode(),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=str(work.id),
            ),
            routing_key=broker.queue,
        )
        await channel.close()
        await broker.wait_for(ready=0, consumers=1)
        await asyncio.sleep(0.5)
        assert len(await events_of(s, "upload.finished", video.id)) == 1
        assert files(s.storage.posters) == [s.storage.poster_path(ready.poster_name)]
        assert (await load(s, video.id)).status == VideoStatus.READY.value

        assert await again.stop() == 0, again.log()


async def test_consumer_stopped_mid_job_exits_cleanly_and_the_next_one_finishes(
    broker_settings: Settings,
    broker: Broker,
    consumers: Consumers,
    sample_video: Path,
) -> None:
    """SIGTERM (a deployment restarting it) as soon as the message is delivered, most likely
    while FFmpeg probes the file: the consumer exits at once and cleanly, its probe child goes
    with it, and whatever it did not acknowledge the next consumer does, once."""
    data = sample_video.read_bytes()
    async with site(broker_settings) as s:
        video = await queued(s, broker, data, "restart.mp4")
        first = consumers.spawn(broker_settings)
        await broker.wait_for(ready=0, consumers=1)
        assert await first.stop() == 0, first.log()
        await broker.wait_for(consumers=0)
        assert probes_running(broker_settings) == []
        assert [p for p in files(s.storage.posters) if ".part." in p.name] == []
        left = await load(s, video.id)
        if left.status == VideoStatus.PROCESSING.value:
            await broker.wait_for(ready=1)  # not acknowledged: back in the queue

        second = consumers.spawn(broker_settings, how="cli")
        ready = await ready_and_announced(s, broker, video.id, second)
        assert len(await events_of(s, "upload.finished", video.id)) == 1
        assert ready.poster_name is not None
        assert files(s.storage.posters) == [s.storage.poster_path(ready.poster_name)]
        assert await second.stop() == 0, second.log()


def probes_running(settings: Settings) -> list[str]:
    """Command lines of probe processes still working on this test's files."""
    root = str(settings.resolved_media_root)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "portal.media.probe" in command and root in command:
            found.append(command)
    return found


@pytest.mark.both_databases
async def test_an_unplayable_file_fails_with_a_reason_and_its_bytes_are_removed(
    db_backend: str,
    broker_settings: Settings,
    broker: Broker,
    consumers: Consumers,
) -> None:
    # An MP4 signature (the upload is accepted), then garbage no decoder can play.
    rng = random.Random(5)
    data = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + rng.randbytes(200_000)
    async with site(broker_settings) as s:
        video = await upload(s, data, "broken.mp4")
        assert files(s.storage.videos) == [s.storage.video_path(video.storage_name)]
        await work_published(s)

        consumer = consumers.spawn(broker_settings)
        failed = await settled(s, video.id, consumer)
        assert failed.status == VideoStatus.FAILED.value
        assert failed.failure_reason
        assert failed.poster_name is None

        await heard(broker, "upload.failed", video.id)
        [event] = broker.seen("upload.failed", video.id)
        assert event["channel"] == "uploads"
        assert event["data"]["status"] == "failed"
        assert event["data"]["code"] == "not_playable"
        assert event["data"]["reason"] == failed.failure_reason
        assert broker.seen("upload.finished", video.id) == []
        await broker.wait_for(ready=0, consumers=1)

        # Nothing unplayable is kept, and nothing half-made either.
        assert files(s.storage.videos) == []
        assert files(s.storage.uploads) == []
        assert files(s.storage.posters) == []
        body = await (await s.admin.get(f"/api/v1/jobs/{s.job.id}")).get_json()
        assert body["videos"] == []
        assert (await s.admin.get(f"/videos/{video.id}")).status_code == 404

        assert await consumer.stop() == 0, consumer.log()
