"""tuspy (``tusclient``), unmodified, against a real ``portal demo`` server process.

A real video made by ffmpeg goes up in 64 KiB chunks, stops halfway, resumes from the offset
the server reports (HEAD), finishes, turns ``ready`` (the in-process media worker of the
embedded default) and comes back byte for byte, whole and in 64 KiB ranges. Also: tuspy's
default single PATCH (larger than Quart's 16 MB body limit), a cut connection, a renamed text
file refused and removed, and two PATCHes racing on one upload.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from tusclient.client import TusClient
from tusclient.exceptions import TusUploadFailed
from tusclient.uploader import Uploader
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as websockets_connect

from portal.accounts.models import Role
from portal.config import Settings
from tests.events import conftest as events_conftest
from tests.events.conftest import AMQP_URL
from tests.factories import PASSWORD
from tests.media.conftest import Consumers, LiveServer, make_video

pytestmark = pytest.mark.slow

# A unique exchange/queue prefix for a broker test, deleted from the broker afterwards.
amqp_prefix = events_conftest.amqp_prefix
CHUNK = 64 * 1024
READY_SECONDS = 60.0
TIMEOUT = 30.0  # for every request
JOB = {
    "title": "Camera operator",
    "content": "Film the training videos.",
    "status": "published",
    "apply_email": "jobs@example.com",
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Site:
    """A running server, an admin's bearer token, a job, and a signed-in viewer.

    On ``portal demo`` the admin is the demo's (its password is in the data dir, as the
    server printed it) and the job one of the demo's; on ``portal serve`` both are made here.
    """

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.files_open = contextlib.ExitStack()
        self.url = server.url
        self.uploads_url = server.url + "/api/v1/uploads"
        self.media = server.settings.resolved_media_root
        demo = "demo" in server.command
        if demo:
            login, password = "admin", server.demo_admin_password
        else:
            login, password = "boss", PASSWORD
            server.create_user(role=Role.ADMIN, username=login)
        admin = self.session()
        signed_in = admin.post(
            self.url + "/api/v1/auth/login", json={"login": login, "password": password}
        )
        assert signed_in.status_code == 200, signed_in.text
        created = admin.post(self.url + "/api/v1/me/tokens", json={"name": "tuspy"})
        assert created.status_code == 201, created.text
        self.token: str = created.json()["token"]
        if demo:
            jobs = admin.get(self.url + "/api/v1/jobs").json()["items"]
            assert jobs, "the demo data has jobs"
            self.job_id: int = jobs[0]["id"]
        else:
            job = admin.post(self.url + "/api/v1/jobs", json=JOB)
            assert job.status_code == 201, job.text
            self.job_id = job.json()["id"]
        viewer = server.create_user()
        self.viewer = self.session()
        response = self.viewer.post(
            self.url + "/api/v1/auth/login",
            json={"login": viewer.username, "password": PASSWORD},
        )
        assert response.status_code == 200, response.text

    def close(self) -> None:
        self.files_open.close()

    def session(self) -> requests.Session:
        session = self.files_open.enter_context(requests.Session())
        session.trust_env = False  # never a proxy for the local server
        return session

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def tus(self) -> TusClient:
        return TusClient(self.uploads_url, headers=self.auth)

    def uploader(self, path: Path, *, url: str | None = None, **options: Any) -> Uploader:
        """A tuspy uploader for ``path``: a new upload, or resuming the one at ``url``."""
        if url is None:
            options.setdefault(
                "metadata",
                {"filename": path.name, "filetype": "video/mp4", "job_id": str(self.job_id)},
            )
        # tuspy opens a file_path again for every request and never closes it: give it a
        # stream of ours instead (it seeks, and leaves closing to us).
        stream = self.files_open.enter_context(path.open("rb"))
        return self.tus().uploader(file_stream=stream, url=url, **options)

    def head(self, upload_url: str) -> requests.Response:
        return requests.head(
            upload_url, headers=self.auth | {"Tus-Resumable": "1.0.0"}, timeout=TIMEOUT
        )

    def patch_headers(self, offset: int) -> dict[str, str]:
        """A tus PATCH's headers (this site's token) claiming ``offset``."""
        return self.auth | {
            "Tus-Resumable": "1.0.0",
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": str(offset),
        }

    def patch(self, upload_url: str, data: bytes, offset: int) -> requests.Response:
        """One plain PATCH of ``data`` at ``offset`` (not through tuspy)."""
        return requests.patch(
            upload_url, data=data, headers=self.patch_headers(offset), timeout=TIMEOUT
        )

    def offset(self, upload_url: str) -> int:
        response = self.head(upload_url)
        assert response.status_code == 200, response.text
        return int(response.headers["Upload-Offset"])

    def job(self) -> dict[str, Any]:
        response = self.viewer.get(f"{self.url}/api/v1/jobs/{self.job_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def wait_ready(self, filename: str) -> dict[str, Any]:
        """The job's video of that name, once the media worker made it ``ready``."""
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            for video in self.job()["videos"]:
                if video["filename"] == filename:
                    return video  # type: ignore[no-any-return]
            time.sleep(0.2)
        raise AssertionError(f"{filename} never became ready\n{self.server.log_tail(80)}")

    def download(self, video: dict[str, Any]) -> requests.Response:
        response = self.viewer.get(self.url + video["url"])
        assert response.status_code == 200, response.text
        return response

    def download_in_ranges(self, video: dict[str, Any], step: int = CHUNK) -> bytes:
        size = video["size"]
        parts = []
        for start in range(0, size, step):
            end = min(start + step, size) - 1
            response = self.viewer.get(
                self.url + video["url"], headers={"Range": f"bytes={start}-{end}"}
            )
            assert response.status_code == 206, response.text
            assert response.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
            assert len(response.content) == end - start + 1
            parts.append(response.content)
        return b"".join(parts)

    def files(self, folder: str) -> list[Path]:
        path = self.media / folder
        return sorted(path.iterdir()) if path.exists() else []


@pytest.fixture
def site(live_server: LiveServer) -> Iterator[Site]:
    with contextlib.closing(Site(live_server)) as site:
        yield site


def assert_served_whole_and_in_ranges(site: Site, video: dict[str, Any], data: bytes) -> None:
    whole = site.download(video)
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["Content-Type"] == "video/mp4"
    assert whole.headers["ETag"] == f'"{sha256(data)[:40]}"'  # the server's own sha256
    assert sha256(whole.content) == sha256(data)
    assert sha256(site.download_in_ranges(video)) == sha256(data)
    # An open-ended range from the middle, as a player seeking does.
    middle = len(data) // 2
    tail = site.viewer.get(site.url + video["url"], headers={"Range": f"bytes={middle}-"})
    assert tail.status_code == 206
    assert tail.content == data[middle:]


# --- tests ---------------------------------------------------------------------------------


def test_chunked_upload_interrupted_resumed_then_downloaded_byte_for_byte(
    site: Site, sample_video: Path
) -> None:
    data = sample_video.read_bytes()
    assert len(data) > 6 * CHUNK, "the sample must span several chunks"

    # Three chunks, then this client goes away.
    first = site.uploader(sample_video, chunk_size=CHUNK)
    for _ in range(3):
        first.upload_chunk()
    assert first.offset == 3 * CHUNK
    upload_url = first.url
    assert upload_url is not None and upload_url.startswith(site.uploads_url + "/")
    del first

    head = site.head(upload_url)
    assert head.status_code == 200
    assert head.headers["Upload-Offset"] == str(3 * CHUNK)
    assert head.headers["Upload-Length"] == str(len(data))
    assert head.headers["Cache-Control"] == "no-store"
    assert head.headers["Tus-Resumable"] == "1.0.0"
    [partial] = site.files("uploads")
    assert partial.stat().st_size == 3 * CHUNK
    assert site.files("videos") == []
    # Nothing is watchable yet.
    assert site.job()["videos"] == []

    # A new uploader for the stored URL starts from the server's offset and finishes.
    second = site.uploader(sample_video, url=upload_url, chunk_size=CHUNK)
    assert second.offset == 3 * CHUNK
    second.upload()
    assert second.offset == len(data)
    assert site.offset(upload_url) == len(data)  # a finished upload still answers HEAD

    video = site.wait_ready(sample_video.name)
    assert video["size"] == len(data)
    assert video["content_type"] == "video/mp4"
    assert video["width"] == 320 and video["height"] == 240
    assert video["duration_seconds"] == pytest.approx(4.0, abs=0.2)
    assert video["poster_url"] is not None
    assert_served_whole_and_in_ranges(site, video, data)

    poster = site.viewer.get(site.url + video["poster_url"])
    assert poster.status_code == 200
    assert poster.headers["Content-Type"] == "image/jpeg"
    assert poster.content.startswith(b"\xff\xd8")
    # The partial file became the video: nothing left among the uploads.
    assert site.files("uploads") == []
    [stored] = site.files("videos")
    assert sha256(stored.read_bytes()) == sha256(data)
    # Signed-in users only (a browser without a session is sent to the login page).
    anonymous = requests.get(site.url + video["url"], allow_redirects=False, timeout=TIMEOUT)
    assert anonymous.status_code in (302, 401)
    if anonymous.status_code == 302:
        assert urlsplit(anonymous.headers["Location"]).path == "/login"


@pytest.mark.parametrize("mode", ["demo", "serve"])
def test_tuspys_default_single_patch_over_16_mb(
    mode: str,
    live_server_factory: Callable[..., LiveServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both ways of serving (the embedded demo, and Hypercorn with hypercorn.toml)."""
    with contextlib.closing(Site(live_server_factory(mode))) as site:
        single_patch_upload(site, tmp_path, monkeypatch)


def single_patch_upload(site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Larger than Quart's default MAX_CONTENT_LENGTH (16 MB), in one request body.
    path = make_video(tmp_path / "one go.mp4", seconds=6, noise=40, size="640x480")
    data = path.read_bytes()
    assert len(data) > 17 * 1024 * 1024

    patches: list[int] = []
    real_patch = requests.patch

    def counting_patch(*args: Any, **kwargs: Any) -> requests.Response:
        patches.append(len(kwargs.get("data") or b""))
        return real_patch(*args, **kwargs)

    monkeypatch.setattr("tusclient.request.requests.patch", counting_patch)
    uploader = site.uploader(path)  # no chunk size: the whole file in one PATCH
    uploader.upload()
    assert patches == [len(data)]
    assert uploader.offset == len(data)

    video = site.wait_ready("one go.mp4")
    assert video["width"] == 640 and video["height"] == 480
    whole = site.download(video)
    assert sha256(whole.content) == sha256(data)
    assert whole.headers["ETag"] == f'"{sha256(data)[:40]}"'


def test_a_connection_cut_mid_patch_keeps_what_arrived_and_tuspy_resumes(
    site: Site, sample_video: Path
) -> None:
    data = sample_video.read_bytes()
    upload_url = site.uploader(sample_video).create_url()
    half = len(data) // 2

    # A PATCH announcing the whole file; half of it is sent, then the socket closes.
    target = urlsplit(upload_url)
    connection = http.client.HTTPConnection(target.netloc, timeout=10)
    connection.putrequest("PATCH", target.path)
    for name, value in (
        site.auth
        | {
            "Tus-Resumable": "1.0.0",
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": "0",
            "Content-Length": str(len(data)),
        }
    ).items():
        connection.putheader(name, value)
    connection.endheaders()
    for start in range(0, half, 16 * 1024):
        connection.send(data[start : min(start + 16 * 1024, half)])
    time.sleep(0.5)
    connection.close()

    # The server keeps every byte that arrived and reports it; the lock is released.
    offset = wait_for(lambda: stable_offset(site, upload_url), "a stable offset")
    assert 0 < offset <= half

    # This time with tuspy's Upload-Checksum (sha1) on every chunk.
    resumed = site.uploader(
        sample_video, url=upload_url, chunk_size=256 * 1024, upload_checksum=True
    )
    assert resumed.offset == offset
    resumed.upload()
    video = site.wait_ready(sample_video.name)
    # The running sha256 kept across the cut matches the file.
    assert_served_whole_and_in_ranges(site, video, data)


def stable_offset(site: Site, upload_url: str) -> int | None:
    """The upload's offset once nothing writes to it any more (a zero-byte PATCH succeeds:
    it would get 423 while the cut request still held the upload's lock)."""
    offset = site.offset(upload_url)
    probe = site.patch(upload_url, b"", offset)
    if probe.status_code in (409, 423):
        return None
    assert probe.status_code == 204, probe.text
    assert probe.headers["Upload-Offset"] == str(offset)
    return offset


def wait_for(check: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result is not None:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_renamed_text_file_is_refused_and_removed(site: Site, tmp_path: Path) -> None:
    fake = tmp_path / "lecture.mp4"
    fake.write_text("These are my lecture notes, not a video.\n" * 200)

    uploader = site.uploader(fake)
    upload_url = uploader.create_url()
    uploader.set_url(upload_url)
    with pytest.raises(TusUploadFailed) as refused:
        uploader.upload()
    assert refused.value.status_code == 415
    assert b"not_a_video" in refused.value.response_content

    # The upload is gone: HEAD says 404 (the removal may finish just after the answer).
    wait_for(
        lambda: True if site.head(upload_url).status_code == 404 else None,
        "the refused upload to be forgotten",
    )
    assert site.files("uploads") == []
    assert site.files("videos") == []
    assert site.job()["videos"] == []
    # Resuming it is refused too.
    again = site.patch(upload_url, b"0123", 0)
    assert again.status_code == 404


class SlowPatch(threading.Thread):
    """A PATCH whose body trickles in (8 KiB every 50 ms), on its own connection."""

    def __init__(self, site: Site, upload_url: str, offset: int, body: bytes) -> None:
        super().__init__(daemon=True)
        self.site, self.upload_url, self.offset, self.body = site, upload_url, offset, body
        self.sent = threading.Event()  # set once the first piece went out
        self.status: int | None = None
        self.upload_offset: str | None = None
        self.error: BaseException | None = None

    def pieces(self) -> Iterator[bytes]:
        for start in range(0, len(self.body), 8 * 1024):
            yield self.body[start : start + 8 * 1024]

    def run(self) -> None:
        target = urlsplit(self.upload_url)
        connection = http.client.HTTPConnection(target.netloc, timeout=30)
        try:
            connection.putrequest("PATCH", target.path)
            headers = self.site.patch_headers(self.offset) | {"Content-Length": str(len(self.body))}
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders()
            for piece in self.pieces():
                connection.send(piece)
                self.sent.set()
                time.sleep(0.05)
            response = connection.getresponse()
            response.read()
            self.status = response.status
            self.upload_offset = response.getheader("Upload-Offset")
        except BaseException as error:  # reported by the test
            self.error = error
            self.sent.set()
        finally:
            connection.close()


def test_two_concurrent_patches_on_one_upload_do_not_corrupt_it(
    site: Site, sample_video: Path
) -> None:
    race_patches(site, sample_video)


def race_patches(site: Site, sample_video: Path) -> list[int]:
    """A slow PATCH, others racing it with garbage, then two tuspy clients resuming at once;
    the video must end whole. The racers' statuses."""
    data = sample_video.read_bytes()
    upload_url = site.uploader(sample_video).create_url()
    first_part = 384 * 1024  # 48 pieces: the slow PATCH takes 2.4 s or more
    assert len(data) > first_part + 128 * 1024

    slow = SlowPatch(site, upload_url, 0, data[:first_part])
    slow.start()
    assert slow.sent.wait(10)
    wait_for(lambda: True if site.offset(upload_url) > 0 else None, "the slow PATCH to write")

    # While the slow one writes, other PATCHes carrying garbage are refused, whatever offset
    # they claim: 423 while the upload is locked, or 409 for a stale offset. None is written.
    # (They never claim the slow one's final offset: once it is done, that is the truth.)
    garbage = bytes(range(256)) * 256
    racers: list[int] = []
    while slow.is_alive() or len(racers) < 2:
        claimed = 0 if len(racers) % 2 == 0 else min(site.offset(upload_url), first_part - 1)
        response = site.patch(upload_url, garbage, claimed)
        racers.append(response.status_code)
        time.sleep(0.05)
    assert set(racers) <= {409, 423}, racers
    assert 423 in racers, "the slow PATCH was still writing: its lock must have been seen"

    slow.join(30)
    assert not slow.is_alive()
    assert slow.error is None, slow.error
    assert slow.status == 204
    assert slow.upload_offset == str(first_part)
    assert site.offset(upload_url) == first_part

    # A late racer at the old offset: 409, not an overwrite.
    late = site.patch(upload_url, garbage, 0)
    assert late.status_code == 409

    # Two tuspy clients resume at once: one gets the lock, the other is refused or finds
    # nothing left to do; the file ends whole.
    results: list[BaseException | None] = [None, None]

    def resume(index: int) -> None:
        try:
            site.uploader(sample_video, url=upload_url, chunk_size=128 * 1024).upload()
        except BaseException as error:  # compared below
            results[index] = error

    threads = [threading.Thread(target=resume, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for error in results:
        if error is not None:
            assert isinstance(error, TusUploadFailed), error
            assert error.status_code in (409, 423), error
    if all(error is not None for error in results):
        site.uploader(sample_video, url=upload_url, chunk_size=128 * 1024).upload()

    video = site.wait_ready(sample_video.name)
    assert_served_whole_and_in_ranges(site, video, data)
    assert len(site.job()["videos"]) == 1
    return racers


def test_two_serve_workers_on_the_broker_serialise_racing_patches(
    settings: Settings,
    amqp_prefix: str,
    consumers: Consumers,
    sample_video: Path,
    tmp_path: Path,
) -> None:
    """The production shape: ``portal serve --workers 2`` sharing RabbitMQ, the media consumer
    as its own process. Racing PATCHes land in both worker processes; the upload's lock is a
    file lock, so it holds across them."""
    assert AMQP_URL
    on_broker = settings.model_copy(update={"amqp_url": AMQP_URL, "amqp_prefix": amqp_prefix})
    server = LiveServer(
        settings=on_broker,
        workdir=tmp_path / "serve-2",
        command=("serve", "--workers", "2"),
        extra_env={"PORTAL_AMQP_URL": AMQP_URL, "PORTAL_AMQP_PREFIX": amqp_prefix},
    )
    server.start()
    try:
        consumer = consumers.spawn(on_broker)
        with contextlib.closing(Site(server)) as site:
            racers = race_patches(site, sample_video)
        assert consumer.alive(), consumer.log()
        assert consumer.stop_now() == 0, consumer.log()
    except BaseException:
        print(f"---- serve --workers 2 at {server.url}\n{server.log_tail(100)}")
        print(f"---- media consumer\n{consumers.started[-1].log()[-3000:]}")
        raise
    finally:
        server.stop()
    # Which worker answered which PATCH: Hypercorn's access log names the process.
    patch_line = r"\[(\d+)\] \[INFO\] [\d.:]+ - - \[[^]]*\] \"PATCH "
    workers = set(re.findall(patch_line, server.log_text()))
    assert len(racers) >= 2
    assert len(workers) == 2, f"every PATCH went to one worker: {workers}"


class UploadsChannel(threading.Thread):
    """An admin's websocket subscribed to ``uploads``, keeping every event it hears: what
    the dashboard shows."""

    def __init__(self, connection: ClientConnection) -> None:
        super().__init__(daemon=True)
        self.connection = connection
        self.connection.send(json.dumps({"type": "subscribe", "channel": "uploads"}))
        answer = json.loads(self.connection.recv(timeout=TIMEOUT))
        assert answer["type"] == "subscribed" and answer["channel"] == "uploads", answer
        self.events: list[dict[str, Any]] = []
        self.start()

    def run(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            for raw in self.connection:
                frame = json.loads(raw)
                for message in frame["messages"] if frame["type"] == "batch" else [frame]:
                    if message["type"] == "event":
                        self.events.append(message)

    def of(self, upload_id: str) -> list[dict[str, Any]]:
        return [e for e in list(self.events) if e["data"].get("upload_id") == upload_id]


def test_the_uploads_channel_follows_a_tuspy_upload_live(site: Site, sample_video: Path) -> None:
    """Server-side progress: a command-line upload shows on every admin's dashboard."""
    data = sample_video.read_bytes()
    ws_url = site.url.replace("http://", "ws://", 1) + "/ws"
    # A bearer token and no Origin: a command-line client, not a browser.
    with websockets_connect(ws_url, additional_headers=site.auth, open_timeout=TIMEOUT) as ws:
        channel = UploadsChannel(ws)
        uploader = site.uploader(sample_video, chunk_size=CHUNK)
        uploader.upload()
        assert uploader.url is not None
        upload_id = uploader.url.rsplit("/", 1)[1]
        video = site.wait_ready(sample_video.name)
        wait_for(
            lambda: (
                True
                if any(e["event"] == "upload.finished" for e in channel.of(upload_id))
                else None
            ),
            "upload.finished on the uploads channel",
        )
        events = channel.of(upload_id)
    channel.join(10)
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    uploading = [e["data"] for e in events if e["data"]["status"] == "uploading"]
    offsets = [d["offset"] for d in uploading]
    assert offsets[0] == 0  # created
    # Marks are throttled (at most four a second, across PATCHes): a quick local upload gets
    # few, but at least one with bytes in it before "processing".
    assert offsets == sorted(offsets) and len(offsets) >= 2 and offsets[-1] > 0, offsets
    assert all(d["length"] == len(data) and d["job_id"] == site.job_id for d in uploading)
    assert all(d["filename"] == sample_video.name for d in uploading)
    [processing] = [e["data"] for e in events if e["data"]["status"] == "processing"]
    assert processing["offset"] == len(data) and processing["video_id"] == video["id"]
    [finished] = [e for e in events if e["event"] == "upload.finished"]
    assert finished["channel"] == "uploads"
    assert finished["data"]["status"] == "ready"
    assert finished["data"]["video_id"] == video["id"]
    assert finished["data"]["poster_url"] == video["poster_url"]
    assert events[-1] is finished
