"""The tus 1.0.0 endpoint and video downloads, through the Quart test client.

Every header and status rule of the "Training videos" issue: OPTIONS, creation (with upload),
HEAD, PATCH, checksums, termination, expiry, method override, who may do what, hostile input;
then ``GET /videos/<id>`` with ranges and conditions, and ``DELETE /api/v1/videos/<id>``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy import event, func, select, update
from werkzeug.datastructures import Headers

from portal.accounts.models import Role, User
from portal.db import get_db, utcnow
from portal.events.message import EventMessage
from portal.events.models import WorkItem
from portal.jobs import service as jobs_service
from portal.jobs.models import Job
from portal.jobs.schemas import MAX_ID, JobData
from portal.media import service as media_service
from portal.media import videos_api
from portal.media.extension import get_media
from portal.media.models import Upload, Video, VideoStatus
from portal.media.storage import MediaStorage
from tests.factories import signed_in_client
from tests.jobs.helpers import JOB_DEFAULTS, error_of, events_of, set_job_columns

UPLOADS = "/api/v1/uploads"
TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"
# A valid MP4 head (an ftyp box), so sniffing accepts the first bytes of a body.
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def small_video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real 2-second 160x120 MP4 (a few KB), made once per run by ffmpeg."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is not installed")
    path = tmp_path_factory.mktemp("tus-videos") / "out.mp4"
    subprocess.run(
        [
            ffmpeg,
            *("-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10"),
            *("-t", "2", "-pix_fmt", "yuv420p", str(path)),
        ],
        check=True,
        timeout=120,
    )
    return path.read_bytes()


@pytest.fixture
async def admin(app: Quart) -> tuple[Client, User]:
    return await signed_in_client(app, role=Role.ADMIN)


@pytest.fixture
def admin_client(admin: tuple[Client, User]) -> Client:
    return admin[0]


@pytest.fixture
async def user_client(app: Quart) -> Client:
    client, _user = await signed_in_client(app, role=Role.USER)
    return client


@pytest.fixture
def anonymous(app: Quart) -> Client:
    return app.test_client()


@pytest.fixture
async def job(app: Quart, admin: tuple[Client, User]) -> Job:
    data = JobData.model_validate({**JOB_DEFAULTS, "title": "Forklift driver"})
    async with get_db(app).session_scope() as session:
        return await jobs_service.create_job(session, admin[1], data)


@pytest.fixture
def storage(app: Quart) -> MediaStorage:
    return get_media(app).storage


# ------------------------------------------------------------------------------ helpers


def b64(value: str | bytes) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode()


def metadata(job_id: int | str, filename: str = "clip.mp4", filetype: str = "video/mp4") -> str:
    return f"filename {b64(filename)},filetype {b64(filetype)},job_id {b64(str(job_id))}"


async def create(
    client: Client,
    job_id: int | str,
    length: int,
    *,
    filename: str = "clip.mp4",
    body: bytes | None = None,
    expect: int = 201,
    **headers: str,
) -> str:
    """POST a new upload; its URL (the Location header)."""
    sent = {**TUS, "Upload-Length": str(length), "Upload-Metadata": metadata(job_id, filename)}
    if body is not None:
        sent["Content-Type"] = OCTETS
    sent |= {key.replace("_", "-"): value for key, value in headers.items()}
    response = await client.post(UPLOADS, headers=sent, data=body)
    assert response.status_code == expect, await response.get_data(as_text=True)
    assert response.headers["Tus-Resumable"] == "1.0.0"
    if expect != 201:
        return ""
    location = response.headers["Location"]
    assert location.startswith(f"{UPLOADS}/")
    return location


async def patch(client: Client, url: str, offset: int, data: bytes, **headers: str) -> Any:
    sent = {**TUS, "Content-Type": OCTETS, "Upload-Offset": str(offset)}
    sent |= {key.replace("_", "-"): value for key, value in headers.items()}
    return await client.patch(url, headers=sent, data=data)


async def head(client: Client, url: str) -> Any:
    return await client.head(url, headers=TUS)


async def offset_of(client: Client, url: str) -> int:
    response = await head(client, url)
    assert response.status_code == 200
    return int(response.headers["Upload-Offset"])


def upload_id(url: str) -> str:
    return url.rsplit("/", 1)[1]


async def load_upload(app: Quart, upload: str) -> Upload | None:
    async with get_db(app).session_scope() as session:
        return await session.get(Upload, upload)


async def count_uploads(app: Quart) -> int:
    async with get_db(app).session_scope() as session:
        return int(await session.scalar(select(func.count()).select_from(Upload)) or 0)


async def videos_of(app: Quart) -> list[Video]:
    async with get_db(app).session_scope() as session:
        return list((await session.execute(select(Video).order_by(Video.id))).scalars())


async def load_video(app: Quart, video_id: int) -> Video | None:
    async with get_db(app).session_scope() as session:
        return await session.get(Video, video_id)


async def eventually(
    check: Callable[[], Awaitable[Any]], *, timeout: float = 30.0, what: str = ""
) -> Any:
    """Poll until ``check()`` is truthy (background work: removal, the media worker)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.05)


async def upload_events(app: Quart, type_: str) -> list[dict[str, Any]]:
    return [event.data for event in await events_of(app, "uploads") if event.type == type_]


def partial_files(storage: MediaStorage) -> list[str]:
    return sorted(os.listdir(storage.uploads)) if storage.uploads.exists() else []


# ------------------------------------------------------------------------------ OPTIONS


@pytest.mark.parametrize("path", [UPLOADS, f"{UPLOADS}/whatever"])
async def test_options_advertises_the_protocol(app, anonymous, settings, path) -> None:
    response = await anonymous.options(path)
    assert response.status_code in (200, 204)
    headers = response.headers
    assert headers["Tus-Resumable"] == "1.0.0"
    assert headers["Tus-Version"] == "1.0.0"
    extensions = [item.strip() for item in headers["Tus-Extension"].split(",")]
    for name in ("creation", "creation-with-upload", "termination", "expiration", "checksum"):
        assert name in extensions
    assert int(headers["Tus-Max-Size"]) == settings.max_upload_bytes
    assert "sha1" in [item.strip() for item in headers["Tus-Checksum-Algorithm"].split(",")]
    # tus-js-client reads these across origins.
    assert "Upload-Offset" in headers["Access-Control-Expose-Headers"]


async def test_options_follows_the_configured_limit(app, anonymous) -> None:
    app.config["PORTAL_SETTINGS"].max_upload_bytes = 12345
    response = await anonymous.options(UPLOADS)
    assert response.headers["Tus-Max-Size"] == "12345"


# ------------------------------------------------------------------------------ Tus-Resumable


@pytest.mark.parametrize("version", [None, "0.2.2", "2.0.0", ""])
async def test_unsupported_version_is_412(app, admin_client, job, storage, version) -> None:
    url = await create(admin_client, job.id, 100)
    headers = {} if version is None else {"Tus-Resumable": version}
    post = await admin_client.post(
        UPLOADS,
        headers=headers | {"Upload-Length": "10", "Upload-Metadata": metadata(job.id)},
    )
    if version is None:
        # Bodyless, no Tus-Resumable, the session cookie: a form on another site could send
        # just that, so the CSRF check answers before tus does.
        assert (await error_of(post, 403))["code"] == "csrf_failed"
    else:
        assert (await error_of(post, 412))["code"] == "unsupported_version"
        assert post.headers["Tus-Resumable"] == "1.0.0"
        assert post.headers["Tus-Version"] == "1.0.0"  # what we speak instead
    response = await admin_client.head(url, headers=headers)
    assert response.status_code == 412
    assert response.headers["Tus-Version"] == "1.0.0"
    response = await admin_client.patch(
        url, headers=headers | {"Content-Type": OCTETS, "Upload-Offset": "0"}, data=MP4_HEAD
    )
    await error_of(response, 412)
    await error_of(await admin_client.delete(url, headers=headers), 412)
    assert await offset_of(admin_client, url) == 0
    assert await count_uploads(app) == 1  # the refused POST created nothing


# ------------------------------------------------------------------------------ who may


@pytest.mark.both_databases
async def test_anonymous_401_and_users_403_on_every_method(
    app, db_backend, admin_client, user_client, anonymous, job
) -> None:
    url = await create(admin_client, job.id, 100)
    for client, status in ((anonymous, 401), (user_client, 403)):
        post = await client.post(
            UPLOADS, headers=TUS | {"Upload-Length": "10", "Upload-Metadata": metadata(job.id)}
        )
        await error_of(post, status)
        assert (await head(client, url)).status_code == status
        await error_of(await patch(client, url, 0, MP4_HEAD), status)
        await error_of(await client.delete(url, headers=TUS), status)
        for override in ("PATCH", "DELETE"):
            response = await client.post(
                url,
                headers=TUS
                | {"X-HTTP-Method-Override": override, "Content-Type": OCTETS}
                | {"Upload-Offset": "0"},
                data=MP4_HEAD,
            )
            await error_of(response, status)
    assert await count_uploads(app) == 1
    assert await offset_of(admin_client, url) == 0


async def test_cross_site_requests_are_refused(app, admin_client, job) -> None:
    url = await create(admin_client, job.id, 100)
    evil = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    post = await admin_client.post(
        UPLOADS, headers=TUS | evil | {"Upload-Length": "10", "Upload-Metadata": metadata(job.id)}
    )
    assert (await error_of(post, 403))["code"] == "csrf_failed"
    response = await admin_client.patch(url, headers=patch_headers(0) | evil, data=MP4_HEAD)
    await error_of(response, 403)
    await error_of(await admin_client.delete(url, headers=TUS | evil), 403)
    assert await offset_of(admin_client, url) == 0
    # The page's own tus-js-client: same origin.
    same = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    response = await admin_client.patch(url, headers=patch_headers(0) | same, data=MP4_HEAD)
    assert response.status_code == 204


async def test_bearer_token_admin_may_upload(app, admin_client, job) -> None:
    response = await admin_client.post("/api/v1/me/tokens", json={"name": "tuspy"})
    assert response.status_code == 201, await response.get_data(as_text=True)
    token = (await response.get_json())["token"]
    bare = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    url = await create(bare, job.id, 100, **auth)
    response = await bare.patch(
        url, headers=TUS | auth | {"Content-Type": OCTETS, "Upload-Offset": "0"}, data=MP4_HEAD
    )
    assert response.status_code == 204
    assert response.headers["Upload-Offset"] == str(len(MP4_HEAD))


# ------------------------------------------------------------------------------ creation


@pytest.mark.both_databases
async def test_creation(app, db_backend, admin, job, storage) -> None:
    client, actor = admin
    before = utcnow()
    url = await create(client, job.id, 5000, filename="第一课.mp4")
    upload = await load_upload(app, upload_id(url))
    assert upload is not None
    assert upload.job_id == job.id and upload.length == 5000 and upload.offset == 0
    assert upload.filename == "第一课.mp4" and upload.filetype == "video/mp4"
    assert upload.created_by_id == actor.id
    assert upload.expires_at > before + timedelta(hours=1)
    assert partial_files(storage) == [upload.id]
    assert storage.partial_path(upload.id).stat().st_size == 0
    [event] = await upload_events(app, "upload.progress")
    assert event["upload_id"] == upload.id and event["status"] == "uploading"
    assert event["length"] == 5000 and event["offset"] == 0


async def test_creation_answers_offset_and_expiry(app, admin_client, job) -> None:
    response = await admin_client.post(
        UPLOADS, headers=TUS | {"Upload-Length": "10", "Upload-Metadata": metadata(job.id)}
    )
    assert response.status_code == 201
    assert response.headers["Tus-Resumable"] == "1.0.0"
    expires = parsedate_to_datetime(response.headers["Upload-Expires"])
    assert expires > datetime.now(UTC)


async def test_empty_metadata_header_needs_a_job(app, admin_client, job) -> None:
    # tuspy sends an empty Upload-Metadata when given none: parsed, then refused for no job.
    response = await admin_client.post(
        UPLOADS, headers=TUS | {"Upload-Length": "10", "Upload-Metadata": ""}
    )
    assert "job_id" in (await error_of(response, 400))["message"]


@pytest.mark.both_databases
async def test_unknown_job_is_404_at_creation(app, db_backend, admin_client, storage) -> None:
    response = await admin_client.post(
        UPLOADS, headers=TUS | {"Upload-Length": "10", "Upload-Metadata": metadata(987654)}
    )
    await error_of(response, 404)
    assert await count_uploads(app) == 0
    assert partial_files(storage) == []


@pytest.mark.both_databases
@pytest.mark.parametrize("job_id", [2**31, 2**32 + 1, 9_999_999_999, 2**63, 0])
async def test_job_id_beyond_the_column_is_400(
    app, db_backend, admin_client, job, storage, job_id
) -> None:
    """jobs.id is 32-bit: a larger id made the driver fail on PostgreSQL (a 500)."""
    response = await admin_client.post(
        UPLOADS, headers=TUS | {"Upload-Length": "10", "Upload-Metadata": metadata(job_id)}
    )
    error = await error_of(response, 400)
    assert error["code"] == "bad_request" and "job_id" in error["message"]
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert await count_uploads(app) == 0
    assert partial_files(storage) == []
    # The largest id the column holds is only unknown.
    response = await admin_client.post(
        UPLOADS, headers=TUS | {"Upload-Length": "10", "Upload-Metadata": metadata(MAX_ID)}
    )
    await error_of(response, 404)


# Digits to str.isdigit, not to HTTP; NBSP and NEL are whitespace to str.strip only.
NOT_ASCII_NUMBERS = ["1²", "²", "¹0", "10\xa0", "\x8510"]


@pytest.mark.parametrize("value", NOT_ASCII_NUMBERS)
async def test_upload_length_is_ascii_digits_only(app, admin_client, job, storage, value) -> None:
    response = await admin_client.post(
        UPLOADS, headers=TUS | {"Upload-Length": value, "Upload-Metadata": metadata(job.id)}
    )
    assert "Upload-Length" in (await error_of(response, 400))["message"]
    assert await count_uploads(app) == 0


@pytest.mark.parametrize("value", NOT_ASCII_NUMBERS)
async def test_upload_offset_is_ascii_digits_only(app, admin_client, job, value) -> None:
    url = await create(admin_client, job.id, 100)
    response = await admin_client.patch(
        url, headers=TUS | {"Content-Type": OCTETS, "Upload-Offset": value}, data=MP4_HEAD
    )
    assert "Upload-Offset" in (await error_of(response, 400))["message"]
    assert await offset_of(admin_client, url) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no Upload-Length
        {"Upload-Length": "ten"},
        {"Upload-Length": "-1"},
        {"Upload-Length": "1.5"},
        {"Upload-Length": "0"},
        {"Upload-Length": "10", "Upload-Defer-Length": "1"},
        {"Upload-Length": "10", "Upload-Metadata": "job_id !!!"},  # bad base64
        {"Upload-Length": "10", "Upload-Metadata": "job_id " + b64(b"\xff\xfe")},
        {"Upload-Length": "10", "Upload-Metadata": "filename " + b64("a.mp4")},  # no job_id
        {"Upload-Length": "10", "Upload-Metadata": "job_id " + b64("abc")},
        {"Upload-Length": "10", "Upload-Metadata": "job_id " + b64("-1")},
        {"Upload-Length": "10", "Upload-Metadata": "job_id " + b64("1; drop table jobs")},
        {"Upload-Length": "10", "Upload-Metadata": "job_id " + b64("9" * 40)},
        {"Upload-Length": "10", "Upload-Metadata": "job_id " + b64("١٢")},
        {"Upload-Length": "10", "Upload-Metadata": "job_id " + b64("1") + ",job_id " + b64("1")},
        {"Upload-Length": "10", "Upload-Metadata": "filename " + b64("x" * 5000)},
        {"Upload-Length": "10", "Upload-Metadata": ",".join(f"k{i}" for i in range(40))},
        {"Upload-Length": "10", "Upload-Metadata": "file name " + b64("a")},
        {"Upload-Length": "10", "Upload-Metadata": "job_id MQ==,filetype " + b64("video/\x00")},
        {"Upload-Length": "10", "Upload-Metadata": "job_id MQ==,filetype " + b64("v" * 200)},
        {"Upload-Length": "10", "Upload-Metadata": "job_id MQ==", "Upload-Checksum": "sha1 x"},
    ],
)
async def test_bad_creation_is_400(app, admin_client, job, storage, headers) -> None:
    if "Upload-Metadata" not in headers:
        headers = headers | {"Upload-Metadata": metadata(job.id)}
    if "Upload-Checksum" in headers:
        headers = headers | {"Content-Type": OCTETS}
        response = await admin_client.post(UPLOADS, headers=TUS | headers, data=MP4_HEAD)
    else:
        response = await admin_client.post(UPLOADS, headers=TUS | headers)
    await error_of(response, 400)
    assert response.headers["Tus-Resumable"] == "1.0.0"
    if "Upload-Checksum" not in headers:
        assert await count_uploads(app) == 0
        assert partial_files(storage) == []


async def test_over_max_size_is_413(app, admin_client, job, storage) -> None:
    app.config["PORTAL_SETTINGS"].max_upload_bytes = 1000
    response = await admin_client.post(
        UPLOADS, headers=TUS | {"Upload-Length": "1001", "Upload-Metadata": metadata(job.id)}
    )
    assert (await error_of(response, 413))["code"] == "too_large"
    response = await admin_client.post(
        UPLOADS,
        headers=TUS | {"Upload-Length": "9" * 19, "Upload-Metadata": metadata(job.id)},
    )
    await error_of(response, 413)
    assert await count_uploads(app) == 0
    await create(admin_client, job.id, 1000)  # exactly the limit is fine


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd.mp4", "passwd.mp4"),
        ("/var/www/static/evil.mp4", "evil.mp4"),
        ("C:\\Users\\me\\Videos\\lesson.mp4", "lesson.mp4"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("a/b/..", "video"),
        ("..", "video"),
        ("", "video"),
        ("line\nbreak\r\n.mp4", "linebreak.mp4"),
        ("名字/培训.mov", "培训.mov"),
    ],
)
async def test_filenames_become_bare_names(app, admin_client, job, storage, raw, expected) -> None:
    url = await create(admin_client, job.id, 100, filename=raw)
    upload = await load_upload(app, upload_id(url))
    assert upload is not None and upload.filename == expected
    # Nothing the client sent names a file on disk.
    assert partial_files(storage) == [upload.id]
    response = await head(admin_client, url)
    sent_back = dict(
        pair.split(" ") for pair in response.headers["Upload-Metadata"].split(",") if " " in pair
    )
    assert base64.b64decode(sent_back["filename"]).decode() == expected


# ------------------------------------------------------------------------------ HEAD


async def test_head_reports_the_upload(app, admin_client, job) -> None:
    url = await create(admin_client, job.id, 4096, filename="课程.mp4")
    response = await head(admin_client, url)
    assert response.status_code == 200
    assert response.headers["Upload-Offset"] == "0"
    assert response.headers["Upload-Length"] == "4096"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Tus-Resumable"] == "1.0.0"
    expires = parsedate_to_datetime(response.headers["Upload-Expires"])
    assert datetime.now(UTC) < expires < datetime.now(UTC) + timedelta(days=2)
    assert await response.get_data() == b""
    response = await patch(admin_client, url, 0, MP4_HEAD + b"\0" * 100)
    assert response.status_code == 204
    assert response.headers["Upload-Offset"] == str(len(MP4_HEAD) + 100)
    assert await offset_of(admin_client, url) == len(MP4_HEAD) + 100


@pytest.mark.both_databases
@pytest.mark.parametrize(
    "bad_id",
    [
        "nope",
        "A" * 32,
        "A" * 33,
        "x" * 5000,
        "..",
        "...",
        "%2E%2E%2Fportal.db",
        "..%2F..%2Fsecret_key",
        "a%00b",
        "%E2%80%AE",
        "%FF%FE",
        "uploads",
    ],
)
async def test_unknown_upload_ids_are_404(app, db_backend, admin_client, job, bad_id) -> None:
    await create(admin_client, job.id, 100)  # a real one exists beside
    url = f"{UPLOADS}/{bad_id}"
    assert (await head(admin_client, url)).status_code == 404
    assert (await patch(admin_client, url, 0, MP4_HEAD)).status_code == 404
    assert (await admin_client.delete(url, headers=TUS)).status_code == 404
    response = await admin_client.post(
        url, headers=TUS | {"X-HTTP-Method-Override": "DELETE"}, data=b""
    )
    assert response.status_code == 404
    assert await count_uploads(app) == 1


# ------------------------------------------------------------------------------ PATCH


@pytest.mark.parametrize(
    "content_type", [None, "application/octet-stream", "video/mp4", "application/json"]
)
async def test_patch_needs_offset_octet_stream(app, admin_client, job, content_type) -> None:
    url = await create(admin_client, job.id, 100)
    headers = TUS | {"Upload-Offset": "0"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = await admin_client.patch(url, headers=headers, data=MP4_HEAD)
    assert (await error_of(response, 415))["code"] == "unsupported_media_type"
    assert await offset_of(admin_client, url) == 0


@pytest.mark.both_databases
async def test_offset_mismatch_is_409(app, db_backend, admin_client, job) -> None:
    url = await create(admin_client, job.id, 1000)
    assert (await error_of(await patch(admin_client, url, 5, MP4_HEAD), 409))[
        "code"
    ] == "offset_mismatch"
    assert (await patch(admin_client, url, 0, MP4_HEAD)).status_code == 204
    await error_of(await patch(admin_client, url, 0, b"again"), 409)
    await error_of(await patch(admin_client, url, len(MP4_HEAD) + 1, b"x"), 409)
    assert await offset_of(admin_client, url) == len(MP4_HEAD)


@pytest.mark.parametrize("offset", [None, "", "abc", "-1", "1e3", "9" * 30])
async def test_bad_offset_header_is_400(app, admin_client, job, offset) -> None:
    url = await create(admin_client, job.id, 100)
    headers = TUS | {"Content-Type": OCTETS}
    if offset is not None:
        headers["Upload-Offset"] = offset
    await error_of(await admin_client.patch(url, headers=headers, data=MP4_HEAD), 400)
    assert await offset_of(admin_client, url) == 0


async def test_body_longer_than_the_rest_is_413(app, admin_client, job) -> None:
    url = await create(admin_client, job.id, 100)
    body = MP4_HEAD + b"\0" * 200
    # Announced by Content-Length…
    response = await patch(admin_client, url, 0, body, Content_Length=str(len(body)))
    assert (await error_of(response, 413))["code"] == "too_large"
    assert await offset_of(admin_client, url) == 0
    # …or only found out while reading.
    await error_of(await patch(admin_client, url, 0, body), 413)
    assert await offset_of(admin_client, url) == 0
    assert (await patch(admin_client, url, 0, MP4_HEAD + b"\0" * 50)).status_code == 204
    await error_of(await patch(admin_client, url, len(MP4_HEAD) + 50, b"\0" * 100), 413)
    assert await offset_of(admin_client, url) == len(MP4_HEAD) + 50


@pytest.mark.both_databases
async def test_checksum(app, db_backend, admin_client, job) -> None:
    url = await create(admin_client, job.id, 1000)
    chunk = MP4_HEAD + b"\1" * (100 - len(MP4_HEAD))
    good = "sha1 " + b64(hashlib.sha1(chunk).digest())  # noqa: S324 - the protocol's algorithm
    response = await patch(admin_client, url, 0, chunk, Upload_Checksum=good)
    assert response.status_code == 204
    assert response.headers["Upload-Offset"] == "100"

    second = b"\2" * 100
    wrong = "sha1 " + b64(hashlib.sha1(b"something else").digest())  # noqa: S324
    response = await patch(admin_client, url, 100, second, Upload_Checksum=wrong)
    assert response.status_code == 460
    assert (await response.get_json())["error"]["code"] == "checksum_mismatch"
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert await offset_of(admin_client, url) == 100  # nothing of the bad body kept

    sha256 = "sha256 " + b64(hashlib.sha256(second).digest())
    response = await patch(admin_client, url, 100, second, Upload_Checksum=sha256)
    assert response.status_code == 204
    assert await offset_of(admin_client, url) == 200

    for header in ("crc32 AAAAAA==", "sha1 notbase64!", "sha1 " + b64(b"short")):
        await error_of(await patch(admin_client, url, 200, b"\3", Upload_Checksum=header), 400)
    assert await offset_of(admin_client, url) == 200


async def test_creation_with_upload(app, admin_client, job) -> None:
    first = MP4_HEAD + b"\0" * 76
    response = await admin_client.post(
        UPLOADS,
        headers=TUS
        | {"Upload-Length": "300", "Upload-Metadata": metadata(job.id), "Content-Type": OCTETS},
        data=first,
    )
    assert response.status_code == 201
    assert response.headers["Upload-Offset"] == "100"
    assert response.headers["Upload-Expires"]
    url = response.headers["Location"]
    assert await offset_of(admin_client, url) == 100
    assert (await patch(admin_client, url, 100, b"\0" * 100)).status_code == 204
    assert await offset_of(admin_client, url) == 200


async def test_creation_with_upload_needs_the_content_type(app, admin_client, job) -> None:
    response = await admin_client.post(
        UPLOADS,
        headers=TUS
        | {"Upload-Length": "300", "Upload-Metadata": metadata(job.id)}
        | {"Content-Type": "video/mp4"},
        data=MP4_HEAD,
    )
    await error_of(response, 415)
    assert await count_uploads(app) == 0


async def test_resume_in_several_patches(app, admin_client, job) -> None:
    body = MP4_HEAD + secrets.token_bytes(10_000 - len(MP4_HEAD))
    url = await create(admin_client, job.id, 20_000)
    offset = 0
    for size in (1, 15, 1000, 3000, 5984):
        response = await patch(admin_client, url, offset, body[offset : offset + size])
        assert response.status_code == 204, await response.get_data(as_text=True)
        offset += size
        assert response.headers["Upload-Offset"] == str(offset)
        assert response.headers["Tus-Resumable"] == "1.0.0"
        assert await offset_of(admin_client, url) == offset
    assert offset == 10_000
    storage = get_media(app).storage
    assert storage.partial_path(upload_id(url)).read_bytes() == body
    # An empty PATCH is fine and moves nothing.
    response = await patch(admin_client, url, offset, b"")
    assert response.status_code == 204 and response.headers["Upload-Offset"] == str(offset)


def patch_headers(offset: int) -> dict[str, str]:
    return TUS | {"Content-Type": OCTETS, "Upload-Offset": str(offset)}


async def test_two_patches_at_once_do_not_interleave(app, admin_client, job, storage) -> None:
    url = await create(admin_client, job.id, 1000)
    first_part, rest = MP4_HEAD + b"\1" * 76, b"\2" * 100
    async with admin_client.request(url, method="PATCH", headers=patch_headers(0)) as first:
        await first.send(first_part)
        # The first request holds the upload (its lock) while its body is still arriving.
        await eventually(
            lambda: _size_is(storage, upload_id(url), len(first_part)), timeout=10, what="bytes"
        )
        second = await patch(admin_client, url, 0, b"\3" * 50)
        assert second.status_code in (409, 423), second.status_code
        assert second.headers["Tus-Resumable"] == "1.0.0"
        await first.send(rest)
        await first.send_complete()
    assert first.status_code == 204
    assert first.headers is not None and first.headers["Upload-Offset"] == "200"
    assert storage.partial_path(upload_id(url)).read_bytes() == first_part + rest


async def test_termination_waits_for_a_patch_in_flight(app, admin_client, job, storage):
    url = await create(admin_client, job.id, 1000)
    async with admin_client.request(url, method="PATCH", headers=patch_headers(0)) as first:
        await first.send(MP4_HEAD)
        await eventually(lambda: _size_is(storage, upload_id(url), len(MP4_HEAD)), timeout=10)
        response = await admin_client.delete(url, headers=TUS)
        assert response.status_code == 423
        await first.send_complete()
    assert first.status_code == 204
    assert await offset_of(admin_client, url) == len(MP4_HEAD)
    assert (await admin_client.delete(url, headers=TUS)).status_code == 204
    assert partial_files(storage) == []


async def _size_is(storage: MediaStorage, upload: str, size: int) -> bool:
    return storage.partial_size(upload) == size


async def test_client_gone_mid_patch_resumes_from_what_arrived(
    app, admin_client, job, storage, small_video
) -> None:
    size = len(small_video)
    url = await create(admin_client, job.id, size)
    third = size // 3
    async with admin_client.request(url, method="PATCH", headers=patch_headers(0)) as first:
        await first.send(small_video[:100])
        await first.send(small_video[100:third])
        await eventually(lambda: _size_is(storage, upload_id(url), third), timeout=10)
        await first.disconnect()
    # What was written stays; the client asks where to go on, as tus clients do.
    offset = await offset_of(admin_client, url)
    assert offset == third
    response = await patch(admin_client, url, offset, small_video[offset:])
    assert response.status_code == 204, await response.get_data(as_text=True)
    [video] = await videos_of(app)
    assert video.sha256 == hashlib.sha256(small_video).hexdigest()
    assert storage.video_path(video.storage_name).read_bytes() == small_video
    # Let the in-process worker finish: a probe still running at shutdown is left behind.
    await wait_ready(app, video.id)


async def test_progress_events_are_throttled(app, admin_client, job) -> None:
    chunks = [MP4_HEAD] + [b"\0" * 1000] * 60
    length = sum(len(chunk) for chunk in chunks) + 1000  # left unfinished
    url = await create(admin_client, job.id, length)
    started = time.monotonic()
    async with admin_client.request(url, method="PATCH", headers=patch_headers(0)) as request:
        for chunk in chunks:
            await request.send(chunk)
            await asyncio.sleep(0.01)
        await request.send_complete()
    assert request.status_code == 204

    async def progress_events() -> list[dict[str, Any]]:
        return [
            item
            for item in await upload_events(app, "upload.progress")
            if item["upload_id"] == upload_id(url) and item["offset"] > 0
        ]

    async def final_offset_recorded() -> bool:
        events = await progress_events()
        return bool(events) and events[-1]["offset"] == length - 1000

    await eventually(final_offset_recorded, timeout=5, what="the final progress event")
    elapsed = time.monotonic() - started
    progress = await progress_events()
    # At most four a second while bytes arrive, and the offset where the request ended (at
    # once, or within the throttle interval).
    assert 1 <= len(progress) <= elapsed * 4 + 2, (len(progress), elapsed)
    assert progress[-1]["offset"] == length - 1000
    offsets = [item["offset"] for item in progress]
    assert offsets == sorted(offsets)


async def test_method_override(app, admin_client, job, storage) -> None:
    url = await create(admin_client, job.id, 1000)
    response = await admin_client.post(
        url,
        headers=TUS
        | {"X-HTTP-Method-Override": "PATCH", "Content-Type": OCTETS, "Upload-Offset": "0"},
        data=MP4_HEAD,
    )
    assert response.status_code == 204
    assert response.headers["Upload-Offset"] == str(len(MP4_HEAD))
    response = await admin_client.post(url, headers=TUS | {"X-HTTP-Method-Override": "HEAD"})
    assert response.status_code == 200
    assert response.headers["Upload-Offset"] == str(len(MP4_HEAD))
    for override in (None, "GET", "PUT"):
        headers = dict(TUS)
        if override:
            headers["X-HTTP-Method-Override"] = override
        await error_of(await admin_client.post(url, headers=headers), 405)
    response = await admin_client.post(url, headers=TUS | {"X-HTTP-Method-Override": "DELETE"})
    assert response.status_code == 204
    assert (await head(admin_client, url)).status_code == 404
    assert partial_files(storage) == []


@pytest.mark.both_databases
async def test_termination(app, db_backend, admin_client, job, storage) -> None:
    url = await create(admin_client, job.id, 1000)
    assert (await patch(admin_client, url, 0, MP4_HEAD)).status_code == 204
    assert partial_files(storage) == [upload_id(url)]
    response = await admin_client.delete(url, headers=TUS)
    assert response.status_code == 204
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert (await head(admin_client, url)).status_code == 404
    assert (await patch(admin_client, url, len(MP4_HEAD), b"x")).status_code == 404
    assert (await admin_client.delete(url, headers=TUS)).status_code == 404
    assert partial_files(storage) == []
    assert await count_uploads(app) == 0
    [failed] = await upload_events(app, "upload.failed")
    assert failed["upload_id"] == upload_id(url) and failed["code"] == "cancelled"


# ------------------------------------------------------------------------------ not a video


async def _gone(app: Quart, storage: MediaStorage, upload: str) -> bool:
    return await load_upload(app, upload) is None and not storage.partial_path(upload).exists()


@pytest.mark.both_databases
async def test_text_renamed_mp4_is_refused_at_once(app, db_backend, admin_client, job, storage):
    text = b"This is a plain text file, renamed to look like a film.\n" * 50
    url = await create(admin_client, job.id, len(text), filename="film.mp4")
    response = await patch(admin_client, url, 0, text)
    assert (await error_of(response, 415))["code"] == "not_a_video"
    upload = upload_id(url)
    await eventually(lambda: _gone(app, storage, upload), timeout=10, what="removal")
    assert (await head(admin_client, url)).status_code == 404
    assert partial_files(storage) == []
    failed = await eventually(lambda: upload_events(app, "upload.failed"), timeout=10)
    assert failed[0]["upload_id"] == upload and failed[0]["code"] == "not_a_video"
    assert await videos_of(app) == []


@pytest.mark.parametrize(
    "body",
    [
        b"tiny",  # shorter than any signature
        b"\x00\x00\x00\x18ftyp",  # a box header without its brand
        b"\x89PNG\r\n\x1a\n" + b"\0" * 100,
        b"<html><body>hi</body></html>",
        b"Set free the birds: text whose bytes 4-8 spell a QuickTime box.\n",
    ],
)
async def test_non_video_creation_with_upload_is_refused(app, admin_client, job, storage, body):
    response = await admin_client.post(
        UPLOADS,
        headers=TUS
        | {"Upload-Length": str(len(body)), "Upload-Metadata": metadata(job.id, "a.mp4")}
        | {"Content-Type": OCTETS},
        data=body,
    )
    assert (await error_of(response, 415))["code"] == "not_a_video"

    async def nothing_left() -> bool:
        return await count_uploads(app) == 0 and partial_files(storage) == []

    await eventually(nothing_left, timeout=10, what="removal")


async def test_text_after_a_video_head_is_caught_in_a_later_chunk(app, admin_client, job, storage):
    # The first bytes decide: a body sniffed as a video in its first PATCH is not re-checked
    # by later ones, and a tiny first PATCH (under the signature size) is checked when the
    # signature's bytes are all there.
    text = b"plain text, not a video at all, sent in pieces\n" * 4
    url = await create(admin_client, job.id, len(text))
    assert (await patch(admin_client, url, 0, text[:4])).status_code == 204
    await error_of(await patch(admin_client, url, 4, text[4:]), 415)
    await eventually(lambda: _gone(app, storage, upload_id(url)), timeout=10, what="removal")


# ------------------------------------------------------------------------------ expiry


@pytest.mark.both_databases
async def test_expired_uploads_are_404_and_swept(app, db_backend, admin_client, job, storage):
    url = await create(admin_client, job.id, 1000)
    keep = await create(admin_client, job.id, 1000)
    assert (await patch(admin_client, url, 0, MP4_HEAD)).status_code == 204
    upload = upload_id(url)
    async with get_db(app).session_scope() as session:
        await session.execute(
            update(Upload)
            .where(Upload.id == upload)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        await session.commit()
    assert (await head(admin_client, url)).status_code == 404
    assert (await patch(admin_client, url, len(MP4_HEAD), b"x")).status_code == 404
    assert (await admin_client.delete(url, headers=TUS)).status_code == 404
    assert storage.partial_path(upload).exists()  # until the sweep

    receiver = get_media(app).receiver
    assert receiver is not None
    assert await receiver.sweep_expired() == 1
    assert not storage.partial_path(upload).exists()
    assert await load_upload(app, upload) is None
    assert partial_files(storage) == [upload_id(keep)]
    assert await offset_of(admin_client, keep) == 0
    failed = await upload_events(app, "upload.failed")
    assert [(item["upload_id"], item["code"]) for item in failed] == [(upload, "expired")]
    assert await receiver.sweep_expired() == 0


async def test_a_late_progress_mark_does_not_revive_an_expired_upload(
    app, admin_client, job
) -> None:
    """A PATCH's trailing progress mark (a moment after it ends) used to push an upload that
    had expired meanwhile forward again: 404 to its client, yet kept from the sweep."""
    url = await create(admin_client, job.id, 1000)
    assert (await patch(admin_client, url, 0, MP4_HEAD)).status_code == 204
    expired = utcnow() - timedelta(minutes=1)
    async with get_db(app).session_scope() as session:
        await session.execute(
            update(Upload).where(Upload.id == upload_id(url)).values(expires_at=expired)
        )
        await session.commit()
    async with get_db(app).session_scope() as session:
        await media_service.record_progress(
            session, upload_id(url), len(MP4_HEAD), expires_in=timedelta(hours=1)
        )
    stored = await load_upload(app, upload_id(url))
    assert stored is not None and stored.expires_at <= utcnow()


async def test_progress_pushes_expiry_forward(app, admin_client, job) -> None:
    url = await create(admin_client, job.id, 1000)
    async with get_db(app).session_scope() as session:
        await session.execute(
            update(Upload)
            .where(Upload.id == upload_id(url))
            .values(expires_at=utcnow() + timedelta(minutes=5))
        )
        await session.commit()
    response = await patch(admin_client, url, 0, MP4_HEAD)
    assert response.status_code == 204
    expires = parsedate_to_datetime(response.headers["Upload-Expires"])
    assert expires > datetime.now(UTC) + timedelta(hours=1)
    response = await head(admin_client, url)
    assert parsedate_to_datetime(response.headers["Upload-Expires"]) >= expires - timedelta(
        seconds=5
    )


# ------------------------------------------------------------------------------ a real video


async def wait_ready(app: Quart, video_id: int, timeout: float = 30.0) -> Video:
    async def ready() -> Video | None:
        video = await load_video(app, video_id)
        assert video is not None
        assert video.status != VideoStatus.FAILED.value, video.failure_reason
        return video if video.status == VideoStatus.READY.value else None

    return await eventually(ready, timeout=timeout, what="the video to become ready")


@pytest.mark.both_databases
async def test_complete_upload_becomes_a_ready_video(
    app, db_backend, admin_client, user_client, job, storage, small_video
) -> None:
    size = len(small_video)
    url = await create(admin_client, job.id, size, filename="安全培训.mp4")
    upload = upload_id(url)
    cuts = [0, 7, size // 3, 2 * size // 3, size]
    for start, end in itertools.pairwise(cuts):
        response = await patch(admin_client, url, start, small_video[start:end])
        assert response.status_code == 204, await response.get_data(as_text=True)
        assert response.headers["Upload-Offset"] == str(end)

    [video] = await videos_of(app)
    assert video.job_id == job.id and video.upload_id == upload
    assert video.original_filename == "安全培训.mp4"
    assert video.size == size and video.content_type == "video/mp4"
    assert video.sha256 == hashlib.sha256(small_video).hexdigest()
    assert video.storage_name.endswith(".mp4") and "安全" not in video.storage_name
    assert partial_files(storage) == []
    assert storage.video_path(video.storage_name).read_bytes() == small_video

    # HEAD still answers for the finished upload; a repeated last PATCH is harmless.
    response = await head(admin_client, url)
    assert response.status_code == 200
    assert response.headers["Upload-Offset"] == str(size)
    assert (await patch(admin_client, url, size, b"")).status_code == 204
    await error_of(await patch(admin_client, url, 0, small_video[:10]), 409)
    await error_of(await admin_client.delete(url, headers=TUS), 409)

    progress = await upload_events(app, "upload.progress")
    assert progress[0]["status"] == "uploading" and progress[0]["offset"] == 0
    assert any(item["status"] == "uploading" and 0 < item["offset"] < size for item in progress)
    assert progress[-1]["status"] == "processing" and progress[-1]["video_id"] == video.id
    async with get_db(app).session_scope() as session:
        work = (await session.execute(select(WorkItem).where(WorkItem.queue == "media"))).scalars()
        assert [item.data for item in work] == [{"video_id": video.id}]

    ready = await wait_ready(app, video.id)
    assert ready.duration_seconds == pytest.approx(2.0, abs=0.3)
    assert (ready.width, ready.height) == (160, 120)
    assert ready.poster_name is not None
    assert storage.poster_path(ready.poster_name).exists()
    [finished] = await eventually(lambda: upload_events(app, "upload.finished"), timeout=5)
    assert finished["video_id"] == video.id and finished["status"] == "ready"
    assert finished["job_id"] == job.id and finished["job_title"] == "Forklift driver"
    assert any(event.type == "job.updated" for event in await events_of(app, "jobs"))

    response = await user_client.get(f"/api/v1/jobs/{job.id}")
    listed = (await response.get_json())["videos"]
    assert [item["id"] for item in listed] == [video.id]
    assert listed[0]["url"] == f"/videos/{video.id}"
    assert listed[0]["download_url"] == f"/videos/{video.id}?download=1"
    assert listed[0]["poster_url"] == f"/videos/{video.id}/poster"
    assert listed[0]["duration_seconds"] == pytest.approx(2.0, abs=0.3)

    poster = await user_client.get(f"/videos/{video.id}/poster")
    assert poster.status_code == 200
    assert poster.headers["Content-Type"] == "image/jpeg"
    assert (await poster.get_data()).startswith(b"\xff\xd8")
    download = await user_client.get(f"/videos/{video.id}")
    assert download.status_code == 200
    assert await download.get_data() == small_video


async def test_single_patch_upload_and_creation_with_upload(
    app, admin_client, job, small_video
) -> None:
    # tuspy sends the whole file in one PATCH; tus-js-client may send it with the POST.
    response = await admin_client.post(
        UPLOADS,
        headers=TUS
        | {"Upload-Length": str(len(small_video)), "Upload-Metadata": metadata(job.id)}
        | {"Content-Type": OCTETS},
        data=small_video,
    )
    assert response.status_code == 201
    assert response.headers["Upload-Offset"] == str(len(small_video))
    [video] = await videos_of(app)
    assert video.sha256 == hashlib.sha256(small_video).hexdigest()
    await wait_ready(app, video.id)


async def test_a_video_head_on_garbage_fails_in_the_worker(app, admin_client, job, storage):
    # The signature only gets a file past the door; the worker's probe decides.
    body = MP4_HEAD + secrets.token_bytes(4000)
    url = await create(admin_client, job.id, len(body), filename="fake.mp4")
    assert (await patch(admin_client, url, 0, body)).status_code == 204
    [video] = await videos_of(app)

    async def failed() -> Video | None:
        found = await load_video(app, video.id)
        assert found is not None
        return found if found.status == VideoStatus.FAILED.value else None

    found = await eventually(failed, timeout=30, what="the video to fail")
    assert found.failure_reason
    assert not storage.video_path(video.storage_name).exists()
    [event] = await eventually(lambda: upload_events(app, "upload.failed"), timeout=5)
    assert event["video_id"] == video.id and event["status"] == "failed"
    assert event["reason"]
    assert upload_id(url) == video.upload_id
    assert (await admin_client.get(f"/videos/{video.id}")).status_code == 404
    assert (await (await admin_client.get(f"/api/v1/jobs/{job.id}")).get_json())["videos"] == []


# ------------------------------------------------------------------------------ downloads

CONTENT = bytes(range(256)) * 40  # 10240 bytes, every offset distinguishable
CHINESE_NAME = "培训视频 第1课.mp4"


@pytest.fixture
async def stored_video(app: Quart, job: Job, storage: MediaStorage) -> Video:
    """A ready video written straight to storage: downloads need no worker.

    As the real path does, the row is committed before its files appear (the media sweep
    removes files no row refers to), and the poster is named after the video's file.
    """
    storage.ensure()
    name = storage.new_name(".mp4")
    poster = name.removesuffix(".mp4") + ".jpg"
    now = utcnow()
    video = Video(
        job_id=job.id,
        upload_id=secrets.token_urlsafe(16),
        title="第1课",
        original_filename=CHINESE_NAME,
        content_type="video/mp4",
        size=len(CONTENT),
        sha256=hashlib.sha256(CONTENT).hexdigest(),
        storage_name=name,
        poster_name=poster,
        status=VideoStatus.READY.value,
        duration_seconds=2.0,
        width=160,
        height=120,
        created_at=now,
        updated_at=now,
    )
    async with get_db(app).session_scope() as session:
        session.add(video)
        await session.commit()
        await session.refresh(video)
    storage.video_path(name).write_bytes(CONTENT)
    storage.poster_path(poster).write_bytes(b"\xff\xd8\xff\xe0fake jpeg")
    return video


def video_url(video: Video) -> str:
    return f"/videos/{video.id}"


async def test_download_needs_a_signed_in_user(app, anonymous, stored_video) -> None:
    await error_of(await anonymous.get(video_url(stored_video)), 401)
    assert (await anonymous.head(video_url(stored_video))).status_code == 401
    await error_of(await anonymous.get(f"{video_url(stored_video)}/poster"), 401)
    # A player following a redirect would take the login page for the video: 401 it is,
    # also for a browser's <video> element; only a page navigation goes to the login page.
    response = await anonymous.get(
        video_url(stored_video), headers={"Sec-Fetch-Dest": "video", "Accept": "*/*"}
    )
    assert response.status_code == 401
    response = await anonymous.get(
        f"{video_url(stored_video)}?download=1",
        headers={"Sec-Fetch-Dest": "document", "Accept": "text/html"},
    )
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/videos/999999", "/videos/99999999999999999999999"])
async def test_download_unknown_video_is_404(app, user_client, stored_video, path) -> None:
    assert (await user_client.get(path)).status_code == 404


async def test_download_of_a_video_not_ready_is_404(app, user_client, stored_video) -> None:
    async with get_db(app).session_scope() as session:
        await session.execute(
            update(Video)
            .where(Video.id == stored_video.id)
            .values(status=VideoStatus.PROCESSING.value)
        )
        await session.commit()
    assert (await user_client.get(video_url(stored_video))).status_code == 404


async def test_download_whole(app, user_client, stored_video) -> None:
    response = await user_client.get(video_url(stored_video))
    assert response.status_code == 200
    assert await response.get_data() == CONTENT
    headers = response.headers
    assert headers["Content-Length"] == str(len(CONTENT))
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["Content-Type"] == "video/mp4"
    assert headers["ETag"].startswith('"') and headers["ETag"].endswith('"')
    assert parsedate_to_datetime(headers["Last-Modified"]) <= datetime.now(UTC)
    assert "public" not in headers.get("Cache-Control", "")
    assert headers["Content-Disposition"].startswith("inline;")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Range" not in headers


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, len(CONTENT) - 1),
        ("bytes=-100", len(CONTENT) - 100, len(CONTENT) - 1),
        ("bytes=5000-5000", 5000, 5000),
        ("bytes=10000-99999999", 10000, len(CONTENT) - 1),  # the end is clamped
        ("bytes=-99999999", 0, len(CONTENT) - 1),
    ],
)
async def test_download_ranges(app, user_client, stored_video, header, start, end) -> None:
    response = await user_client.get(video_url(stored_video), headers={"Range": header})
    assert response.status_code == 206
    assert await response.get_data() == CONTENT[start : end + 1]
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{len(CONTENT)}"
    assert response.headers["Content-Length"] == str(end - start + 1)
    assert response.headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    "header",
    ["bytes=999999999-", f"bytes={len(CONTENT)}-", "bytes=-0", "bytes=" + "9" * 5000 + "-"],
)
async def test_download_unsatisfiable_range_is_416(app, user_client, stored_video, header):
    response = await user_client.get(video_url(stored_video), headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(CONTENT)}"
    assert await response.get_data() == b""


@pytest.mark.parametrize(
    "header", ["bytes=0-9,20-29", "bytes=0-9, -5", "bytes=5-2", "bytes=abc", "items=0-9", "0-9"]
)
async def test_download_multiple_or_invalid_ranges_send_everything(
    app, user_client, stored_video, header
) -> None:
    response = await user_client.get(video_url(stored_video), headers={"Range": header})
    assert response.status_code == 200
    assert "Content-Range" not in response.headers
    assert await response.get_data() == CONTENT


async def test_download_if_range(app, user_client, stored_video) -> None:
    url = video_url(stored_video)
    whole = await user_client.get(url)
    etag, modified = whole.headers["ETag"], whole.headers["Last-Modified"]
    response = await user_client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert response.status_code == 206
    assert await response.get_data() == CONTENT[:10]
    response = await user_client.get(url, headers={"Range": "bytes=0-9", "If-Range": modified})
    assert response.status_code == 206
    for stale in ('"0000"', f"W/{etag}", "Thu, 01 Jan 2015 00:00:00 GMT", "garbage"):
        response = await user_client.get(url, headers={"Range": "bytes=0-9", "If-Range": stale})
        assert response.status_code == 200, stale
        assert await response.get_data() == CONTENT


async def test_download_conditional_get(app, user_client, stored_video) -> None:
    url = video_url(stored_video)
    whole = await user_client.get(url)
    etag, modified = whole.headers["ETag"], whole.headers["Last-Modified"]
    for header in (etag, "*", f'"x", {etag}', f"W/{etag}"):
        response = await user_client.get(url, headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert await response.get_data() == b""
        assert response.headers["ETag"] == etag
    response = await user_client.get(url, headers={"If-None-Match": '"other"'})
    assert response.status_code == 200
    response = await user_client.get(url, headers={"If-Modified-Since": modified})
    assert response.status_code == 304
    response = await user_client.get(
        url, headers={"If-Modified-Since": "Thu, 01 Jan 2015 00:00:00 GMT"}
    )
    assert response.status_code == 200
    # Dates without a zone, and nonsense, never break the answer.
    naive = modified.removesuffix(" GMT")
    for value in (naive, naive + " -0000", "Tue, 01 Dec 99999 05:35:38 GMT", "x" * 1000):
        response = await user_client.get(url, headers={"If-Modified-Since": value})
        assert response.status_code in (200, 304), value
        response = await user_client.get(url, headers={"Range": "bytes=0-1", "If-Range": value})
        assert response.status_code in (200, 206), value


async def test_download_attachment_with_chinese_filename(app, user_client, stored_video) -> None:
    response = await user_client.get(f"{video_url(stored_video)}?download=1")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(CHINESE_NAME, safe='')}" in disposition
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and fallback.endswith(".mp4")
    assert await response.get_data() == CONTENT
    ranged = await user_client.get(
        f"{video_url(stored_video)}?download=1", headers={"Range": "bytes=0-9"}
    )
    assert ranged.status_code == 206
    assert ranged.headers["Content-Disposition"].startswith("attachment;")


async def raw(
    client: Client, method: str, url: str, headers: dict[str, str], chunks: list[bytes] = ()
) -> tuple[int, Headers, bytes]:
    """A request through ASGI, reading the headers as sent: the test client rebuilds its
    response from the body, so a HEAD answer's Content-Length would read 0 there."""
    async with client.request(url, method=method, headers=headers) as connection:
        for chunk in chunks:
            await connection.send(chunk)
        await connection.send_complete()
    assert connection.status_code is not None and connection.headers is not None
    return connection.status_code, connection.headers, bytes(connection.response_data)


async def test_download_head(app, user_client, stored_video) -> None:
    size = len(CONTENT)
    status, headers, body = await raw(user_client, "HEAD", video_url(stored_video), {})
    assert status == 200
    assert headers["Content-Length"] == str(size)
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["ETag"] and headers["Last-Modified"]
    assert body == b""
    status, headers, body = await raw(
        user_client, "HEAD", video_url(stored_video), {"Range": "bytes=-100"}
    )
    assert status == 206
    assert headers["Content-Length"] == "100"
    assert headers["Content-Range"] == f"bytes {size - 100}-{size - 1}/{size}"
    assert body == b""
    response = await user_client.head(video_url(stored_video), headers={"Range": "bytes=0-"})
    assert response.status_code == 206 and await response.get_data() == b""


async def test_download_of_missing_bytes_is_404(app, user_client, stored_video, storage) -> None:
    storage.video_path(stored_video.storage_name).unlink()
    assert (await user_client.get(video_url(stored_video))).status_code == 404


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-999", 0, 999),  # exactly one chunk: read at once, answered with bytes
        ("bytes=0-1000", 0, 1000),  # one byte more: streamed, in two chunks
        ("bytes=7-", 7, len(CONTENT) - 1),
        ("bytes=-1000", len(CONTENT) - 1000, len(CONTENT) - 1),
        (None, 0, len(CONTENT) - 1),
    ],
)
async def test_download_either_side_of_the_chunk_size(
    app, user_client, stored_video, monkeypatch, header, start, end
) -> None:
    """A span of at most one chunk is read in the handler, a longer one streamed: the same
    bytes and headers either way."""
    monkeypatch.setattr(videos_api, "CHUNK", 1000)
    headers = {"Range": header} if header else {}
    status, sent, body = await raw(user_client, "GET", video_url(stored_video), headers)
    assert status == (206 if header else 200)
    assert body == CONTENT[start : end + 1]
    assert sent["Content-Length"] == str(end - start + 1)
    if header:
        assert sent["Content-Range"] == f"bytes {start}-{end}/{len(CONTENT)}"


async def test_bytes_truncated_while_read_are_404(
    app, user_client, stored_video, storage, monkeypatch
) -> None:
    """Deleted and truncated between the size check and the read: a 404, not a short 206."""
    real = videos_api.read_span

    async def truncated_meanwhile(fd: int, position: int, count: int) -> bytes:
        os.truncate(storage.video_path(stored_video.storage_name), 0)
        return await real(fd, position, count)

    monkeypatch.setattr(videos_api, "read_span", truncated_meanwhile)
    response = await user_client.get(video_url(stored_video), headers={"Range": "bytes=0-99"})
    assert response.status_code == 404


async def test_a_remembered_video_opens_no_database_session(
    app, user_client, stored_video, monkeypatch
) -> None:
    await assert_readable(user_client, stored_video, True)  # remembered (and the caller too)
    db = get_db(app)
    opened: list[int] = []
    real = db.new_session

    def counted() -> Any:
        opened.append(1)
        return real()

    monkeypatch.setattr(db, "new_session", counted)
    response = await user_client.get(video_url(stored_video), headers={"Range": "bytes=0-9"})
    assert response.status_code == 206
    assert opened == []


# ------------------------------------------------------------------------------ who may watch


def watched_urls(video: Video) -> list[str]:
    """Every way of reading a video: playing, downloading, its poster."""
    return [video_url(video), f"{video_url(video)}?download=1", f"{video_url(video)}/poster"]


async def assert_readable(client: Client, video: Video, readable: bool) -> None:
    json = {"Accept": "application/json"}
    for url in watched_urls(video):
        response = await client.get(url, headers=json)
        assert response.status_code == (200 if readable else 404), url
        if not readable:
            # The answer of a missing video, so sequential ids reveal nothing.
            missing = await client.get(url.replace(str(video.id), "999999", 1), headers=json)
            assert await error_of(response, 404) == await error_of(missing, 404)
    ranged = await client.get(video_url(video), headers={"Range": "bytes=0-9"})
    assert ranged.status_code == (206 if readable else 404)
    assert (await client.head(video_url(video))).status_code == (200 if readable else 404)


async def set_job(client: Client, job: Job, **changes: Any) -> None:
    response = await client.patch(f"/api/v1/jobs/{job.id}", json=changes)
    assert response.status_code == 200, await response.get_data(as_text=True)


class Statements:
    """SQL statements the app runs that read videos or jobs."""

    def __init__(self, app: Quart) -> None:
        self.seen: list[str] = []
        engine = get_db(app).engine
        assert engine is not None
        self.engine = engine.sync_engine
        event.listen(self.engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "videos" in statement or "jobs" in statement:
            self.seen.append(statement)

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


async def test_a_draft_jobs_videos_are_404_for_users(
    app, admin_client, user_client, job, stored_video
) -> None:
    await set_job(admin_client, job, status="draft")
    assert (await user_client.get(f"/api/v1/jobs/{job.id}")).status_code == 404
    await assert_readable(user_client, stored_video, False)
    # Admins read drafts, so they watch their videos (to check an upload before publishing).
    await assert_readable(admin_client, stored_video, True)
    await set_job(admin_client, job, status="published")
    await assert_readable(user_client, stored_video, True)


@pytest.mark.parametrize("back_to_draft", ["api", "event only"])
async def test_unpublishing_forgets_remembered_videos(
    app, admin_client, user_client, job, stored_video, back_to_draft
) -> None:
    await assert_readable(user_client, stored_video, True)  # remembered now
    if back_to_draft == "api":
        await set_job(admin_client, job, status="draft")
    else:
        # Another worker unpublished it: only its event reaches this process.
        await set_job_columns(app, job.id, status="draft")
        get_media(app)._on_event(EventMessage(0, "jobs", "job.deleted", {"id": job.id}, ""))
    await assert_readable(user_client, stored_video, False)


async def test_deleting_a_public_job_forgets_its_videos(
    app, admin_client, user_client, job, stored_video
) -> None:
    await assert_readable(user_client, stored_video, True)
    assert (await admin_client.delete(f"/api/v1/jobs/{job.id}")).status_code == 204
    await assert_readable(user_client, stored_video, False)


async def test_closed_and_expired_jobs_keep_their_videos_until_they_become_drafts(
    app, admin_client, user_client, job, stored_video
) -> None:
    """The job service's rule: closed and expired jobs are still read (their page says so),
    drafts are not. Neither a closed nor an expired job becoming a draft writes an event."""
    await assert_readable(user_client, stored_video, True)
    await set_job(admin_client, job, status="closed")
    await assert_readable(user_client, stored_video, True)
    await set_job(admin_client, job, status="draft")
    assert not any(event.type == "job.deleted" for event in await events_of(app, "jobs"))
    await assert_readable(user_client, stored_video, False)

    expires_at = utcnow() + timedelta(seconds=1)
    await set_job(admin_client, job, status="published", expires_at=expires_at.isoformat())
    await assert_readable(user_client, stored_video, True)  # remembered until it expires
    # It expires (no event), then goes back to draft (no event either: it was not public).
    await asyncio.sleep((expires_at - utcnow()).total_seconds() + 0.05)
    await assert_readable(user_client, stored_video, True)
    await set_job(admin_client, job, status="draft")
    await assert_readable(user_client, stored_video, False)


async def test_a_public_jobs_video_is_read_from_memory(app, user_client, job, stored_video) -> None:
    """A player's range requests ask the database nothing once the video is known."""
    await assert_readable(user_client, stored_video, True)
    statements = Statements(app)
    try:
        for start in range(0, 100, 10):
            headers = {"Range": f"bytes={start}-{start + 9}"}
            assert (
                await user_client.get(video_url(stored_video), headers=headers)
            ).status_code == 206
        assert (await user_client.get(f"{video_url(stored_video)}/poster")).status_code == 200
    finally:
        statements.close()
    assert statements.seen == []


async def test_an_answer_read_across_a_job_event_is_not_remembered(
    app, user_client, job, stored_video, monkeypatch
) -> None:
    """The job changed while its video was being read: that answer may be stale."""
    media = get_media(app)
    real = media_service.readable_video

    async def read_then_event(*args: Any, **kwargs: Any) -> Any:
        found = await real(*args, **kwargs)
        media._on_event(EventMessage(0, "jobs", "job.updated", {"id": job.id}, ""))
        return found

    monkeypatch.setattr(media_service, "readable_video", read_then_event)
    assert (await user_client.get(video_url(stored_video))).status_code == 200
    monkeypatch.setattr(media_service, "readable_video", real)
    statements = Statements(app)
    try:
        assert (await user_client.get(video_url(stored_video))).status_code == 200
    finally:
        statements.close()
    assert statements.seen != []


# ------------------------------------------------------------------------------ delete


@pytest.mark.both_databases
async def test_admin_deletes_a_video(
    app, db_backend, admin, user_client, anonymous, stored_video, storage
) -> None:
    client, actor = admin
    url = f"/api/v1/videos/{stored_video.id}"
    await error_of(await anonymous.delete(url), 401)
    await error_of(await user_client.delete(url), 403)
    assert await load_video(app, stored_video.id) is not None

    response = await client.delete(url)
    assert response.status_code == 204
    assert await load_video(app, stored_video.id) is None
    assert not storage.video_path(stored_video.storage_name).exists()
    assert stored_video.poster_name is not None
    assert not storage.poster_path(stored_video.poster_name).exists()
    [deleted] = await upload_events(app, "video.deleted")
    assert deleted["video_id"] == stored_video.id and deleted["job_id"] == stored_video.job_id
    assert deleted["deleted_by"] == actor.id
    assert any(event.type == "job.updated" for event in await events_of(app, "jobs"))

    assert (await user_client.get(video_url(stored_video))).status_code == 404
    await error_of(await client.delete(url), 404)
    await error_of(await client.delete("/api/v1/videos/99999999999999999999"), 404)


async def test_deleting_a_job_removes_its_media(app, admin_client, job, stored_video, storage):
    """The cascade removes the rows; the media sweep, woken by job.deleted, the files."""
    url = await create(admin_client, job.id, 1000)
    assert (await patch(admin_client, url, 0, MP4_HEAD)).status_code == 204
    assert partial_files(storage) != []
    response = await admin_client.delete(f"/api/v1/jobs/{job.id}")
    assert response.status_code == 204
    assert await load_video(app, stored_video.id) is None
    poster = storage.poster_path(stored_video.poster_name) if stored_video.poster_name else None
    for _ in range(100):
        if not storage.video_path(stored_video.storage_name).exists() and not partial_files(
            storage
        ):
            break
        await asyncio.sleep(0.05)
    assert partial_files(storage) == []
    assert not storage.video_path(stored_video.storage_name).exists()
    assert poster is None or not poster.exists()
