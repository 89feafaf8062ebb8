"""Logos: sniffed by their bytes, re-encoded, bounded, stored atomically, served as images."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from portal.companies.logos import MAX_LOGO_BYTES
from tests.companies import images
from tests.jobs.helpers import error_of, events_of

pytestmark = pytest.mark.both_databases
COMPANIES = "/api/v1/companies"


def logo_files(app) -> list[Path]:
    folder = app.config["PORTAL_SETTINGS"].resolved_media_root / "logos"
    return sorted(folder.iterdir()) if folder.exists() else []


async def put_logo(client, company_id: int, data: bytes, content_type: str = "image/png"):
    return await client.put(
        f"{COMPANIES}/{company_id}/logo", data=data, headers={"Content-Type": content_type}
    )


async def fetch(client, url: str, **headers):
    response = await client.get(url, headers=headers)
    return response, await response.get_data()


@pytest.mark.parametrize(
    ("make", "content_type", "pillow_format"),
    [
        (images.png, "image/png", "PNG"),
        (images.jpeg, "image/jpeg", "JPEG"),
        (images.webp, "image/webp", "WEBP"),
    ],
)
async def test_real_images_are_accepted_and_re_encoded(
    app, db_backend, admin_client, client, make_company, make, content_type, pillow_format
) -> None:
    company = await make_company()
    upload = make((1600, 800))
    # The Content-Type the client claims does not matter: the bytes do.
    response = await put_logo(admin_client, company.id, upload, "application/octet-stream")
    assert response.status_code == 200, await response.get_json()
    body = await response.get_json()
    assert body["logo_url"].startswith(f"/companies/{company.id}/logo?v=")
    served, data = await fetch(client, body["logo_url"])
    assert served.status_code == 200
    assert served.mimetype == content_type
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'"
    assert "immutable" in served.headers["Cache-Control"]
    assert "max-age=31536000" in served.headers["Cache-Control"]
    assert served.headers["ETag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    assert served.headers["ETag"].startswith('"' + company_sha(body))
    assert data != upload  # re-encoded, not the upload's bytes
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == pillow_format
        assert image.size == (512, 256)  # made to fit the stored square
    assert len(logo_files(app)) == 1


def company_sha(body: dict) -> str:
    return body["logo_url"].rpartition("v=")[2]


async def test_etag_and_cache_headers(app, db_backend, admin_client, client, make_company):
    company = await make_company()
    body = await (await put_logo(admin_client, company.id, images.png())).get_json()
    served, _data = await fetch(client, body["logo_url"])
    etag = served.headers["ETag"]
    assert etag.strip('"').startswith(company_sha(body)) and len(etag.strip('"')) == 64
    again, data = await fetch(client, body["logo_url"], **{"If-None-Match": etag})
    assert again.status_code == 304 and data == b""
    plain, _data = await fetch(client, f"/companies/{company.id}/logo")
    assert plain.status_code == 200 and plain.headers["Cache-Control"] == "public, no-cache"
    stale, _data = await fetch(client, f"/companies/{company.id}/logo?v=0000")
    assert "immutable" not in stale.headers["Cache-Control"]


async def test_metadata_is_stripped(app, db_backend, admin_client, client, make_company):
    company = await make_company()
    for upload, secret in (
        (images.jpeg_with_exif(), b"SecretCamera"),
        (images.png_with_text("<script>alert(1)</script>"), b"<script>"),
    ):
        assert secret in upload
        body = await (await put_logo(admin_client, company.id, upload)).get_json()
        _served, data = await fetch(client, body["logo_url"])
        assert secret not in data
        with Image.open(io.BytesIO(data)) as image:
            assert not image.info.get("exif") and "Comment" not in image.info
    assert len(logo_files(app)) == 1  # the replaced file is gone


async def test_a_polyglot_is_served_only_as_the_image_it_also_was(
    app, db_backend, admin_client, client, make_company
) -> None:
    # A real PNG with an HTML page after its end (browsers that sniff might run it).
    upload = images.png() + b"<html><body><script>alert(document.cookie)</script></body></html>"
    company = await make_company()
    body = await (await put_logo(admin_client, company.id, upload, "text/html")).get_json()
    served, data = await fetch(client, body["logo_url"])
    assert served.mimetype == "image/png"
    assert b"<script" not in data and b"<html" not in data
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'"
    (stored,) = logo_files(app)
    assert stored.read_bytes() == data and b"<script" not in data


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(images.gif(), id="gif"),
        pytest.param(b"<!doctype html><script>alert(1)</script>", id="html-named-png"),
        pytest.param(images.png((200, 200))[:300], id="truncated-png"),
        pytest.param(images.jpeg((200, 200))[:200], id="truncated-jpeg"),
        pytest.param(
            b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", id="png-magic-html"
        ),
        pytest.param(b"RIFF\x00\x00\x00\x00WEBPVP8 junk", id="webp-header-junk"),
        pytest.param(b"", id="empty"),
        pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", id="svg"),
    ],
)
async def test_anything_else_is_415(app, admin_client, make_company, upload) -> None:
    company = await make_company()
    error = await error_of(await put_logo(admin_client, company.id, upload), 415)
    assert error["code"] == "unsupported_image"
    assert logo_files(app) == []


async def test_decompression_bombs_are_refused(app, admin_client, make_company) -> None:
    company = await make_company()
    # Tiny files claiming huge images: past our pixel bound, and past Pillow's own.
    for size in ((5000, 5000), (20000, 20000)):
        upload = images.image_bytes("PNG", size, mode="1")
        assert len(upload) < MAX_LOGO_BYTES
        error = await error_of(await put_logo(admin_client, company.id, upload), 415)
        assert error["code"] == "unsupported_image", size
    assert logo_files(app) == []


async def test_more_than_2_mib_is_413_and_nothing_is_stored(
    app, db_backend, admin_client, make_company
) -> None:
    company = await make_company()
    upload = images.large_noise_png(MAX_LOGO_BYTES)
    error = await error_of(await put_logo(admin_client, company.id, upload), 413)
    assert error["code"] == "too_large"
    assert logo_files(app) == []
    exactly = images.png() + b"\x00" * (MAX_LOGO_BYTES - len(images.png()))
    response = await put_logo(admin_client, company.id, exactly)
    assert response.status_code == 200  # trailing bytes after IEND are dropped with the rest


async def test_a_body_without_content_length_is_counted(app, admin_client, make_company):
    company = await make_company()
    headers = {"Content-Type": "image/png"}
    async with admin_client.request(
        f"{COMPANIES}/{company.id}/logo", method="PUT", headers=headers
    ) as connection:
        chunk = b"\x89PNG\r\n\x1a\n" + b"\x00" * (256 * 1024 - 8)
        for _ in range(MAX_LOGO_BYTES // len(chunk) + 2):
            await connection.send(chunk)
        await connection.send_complete()
    response = await connection.as_response()
    assert response.status_code == 413
    assert (await response.get_json())["error"]["code"] == "too_large"
    assert logo_files(app) == []


async def test_unknown_company_and_no_logo_are_404(app, admin_client, client, make_company):
    await error_of(await put_logo(admin_client, 999_999, images.png()), 404)
    company = await make_company()
    response = await client.get(f"/companies/{company.id}/logo")
    assert response.status_code == 404
    response = await client.get("/companies/999999/logo")
    assert response.status_code == 404


async def test_removing_the_logo_and_the_company_removes_the_files(
    app, db_backend, admin_client, client, make_company
) -> None:
    company = await make_company()
    await put_logo(admin_client, company.id, images.png())
    response = await admin_client.delete(f"{COMPANIES}/{company.id}/logo")
    assert response.status_code == 200 and (await response.get_json())["logo_url"] is None
    assert logo_files(app) == []
    assert (await client.get(f"/companies/{company.id}/logo")).status_code == 404
    await put_logo(admin_client, company.id, images.webp())
    assert len(logo_files(app)) == 1
    assert (await admin_client.delete(f"{COMPANIES}/{company.id}")).status_code == 204
    assert logo_files(app) == []


async def test_a_new_logo_refreshes_the_live_cards(
    app, db_backend, admin_client, make_job, make_company
) -> None:
    company = await make_company()
    job = await make_job(company_id=company.id)
    await make_job(company_id=company.id, status="draft")
    before = len(await events_of(app))
    body = await (await put_logo(admin_client, company.id, images.png())).get_json()
    events = (await events_of(app))[before:]
    assert [(e.type, e.data["id"]) for e in events] == [("job.updated", job.id)]
    assert events[0].data["company"]["logo_url"] == body["logo_url"]


async def test_orphaned_logo_files_are_removed_when_old(
    app, db_backend, admin_client, make_company
) -> None:
    import os
    import time

    from portal.companies.uploads import remove_orphan_logos

    company = await make_company()
    await put_logo(admin_client, company.id, images.png())
    (kept,) = logo_files(app)
    folder = kept.parent
    old, young = folder / ("0" * 32 + ".png"), folder / ("1" * 32 + ".png")
    for path in (old, young):
        path.write_bytes(images.png())
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    os.utime(kept, (hour_ago, hour_ago))  # old, but a company's
    async with app.app_context():
        assert await remove_orphan_logos() == 1
    assert logo_files(app) == sorted([kept, young])


async def test_a_starting_app_removes_orphans_after_the_database_connects(settings, caplog) -> None:
    import logging
    import os
    import time

    from portal.app import create_app

    folder = settings.resolved_media_root / "logos"
    folder.mkdir(parents=True)
    orphan = folder / ("2" * 32 + ".png")
    orphan.write_bytes(images.png())
    hour_ago = time.time() - 3600
    os.utime(orphan, (hour_ago, hour_ago))
    application = create_app(settings)
    with caplog.at_level(logging.ERROR):
        async with application.test_app():
            pass
    assert not orphan.exists()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
