"""Training videos in a real browser: an admin uploads on the dashboard, a user watches.

The upload goes through the vendored tus-js-client against our tus server; the video is probed
by the in-process media worker; the user's open job page shows it live and seeks in it (range
requests).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import Role, User
from portal.jobs.models import Job
from portal.jobs.schemas import job_path
from portal.media.models import Upload
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]


def make_video(path: Path, seconds: int = 20) -> Path:
    subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=330",
            "-t", str(seconds), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
            "-shortest", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


def make_job(server: LiveServer, admin: User, title: str) -> Job:
    [job] = server.create_jobs(
        admin,
        {
            "title": title,
            "content": "Learn the till and the coffee machine.",
            "category": "hospitality",
        },
    )
    return job


def server_offset(server: LiveServer) -> int:
    async def work(session: AsyncSession) -> int:
        upload = await session.scalar(select(Upload))
        assert upload is not None
        return upload.offset

    return server.run_db(work)


def test_admin_uploads_and_a_user_watches_from_the_middle(
    tmp_path: Path,
    setup_server: LiveServer,
    live_server_factory: Callable[..., LiveServer],
    new_page: Callable[..., Page],
    screenshot: Screenshot,
) -> None:
    video = make_video(tmp_path / "barista-training.mp4")
    admin = setup_server.create_user(username="boss", role=Role.ADMIN)
    setup_server.create_user(username="ada", nickname="Ada")
    job = make_job(setup_server, admin, "Barista")
    server = live_server_factory()

    # A user has the job page open before any video exists.
    viewer = new_page(base_url=server.url)
    server.sign_in_quickly(viewer.context, "ada")
    viewer.goto(job_path(job))
    expect(viewer.locator("#videos .empty")).to_be_visible()
    expect(viewer.locator("#live-indicator")).to_have_attribute("data-state", "live")

    dashboard = new_page(base_url=server.url)
    server.sign_in_quickly(dashboard.context, "boss")
    dashboard.goto("/admin")
    dashboard.select_option("#upload-job", str(job.id))
    dashboard.set_input_files("#upload-input", str(video))

    item = dashboard.locator("#upload-files .upload-file").first
    expect(item.locator(".stats")).to_contain_text("100%", timeout=20_000)
    bar = item.locator("progress")
    assert bar.evaluate("b => b.value === b.max")
    row = dashboard.locator("#uploads-table tbody tr", has_text="barista-training.mp4")
    expect(row.locator(".status-ready")).to_be_visible(timeout=20_000)
    expect(row.locator(".poster img")).to_be_visible()
    expect(row).to_contain_text("0:20")
    screenshot(dashboard, "dashboard-ready")

    # The open job page got the video without a reload; it plays from the middle.
    player = viewer.locator("#videos video")
    expect(player).to_have_count(1, timeout=10_000)
    expect(viewer.locator("#videos .empty")).to_be_hidden()
    expect(viewer.locator("#videos a.download")).to_have_attribute(
        "href", re.compile(r"^/videos/\d+\?download=1$")
    )
    player.evaluate("v => { v.muted = true; v.currentTime = 12; return v.play(); }")
    viewer.wait_for_function(
        "() => { const v = document.querySelector('#videos video');"
        " return !v.paused && v.currentTime > 12.3 && v.currentTime < 19; }",
        timeout=10_000,
    )
    assert player.evaluate("v => v.duration") == pytest.approx(20, abs=0.5)
    screenshot(viewer, "job-page-playing-at-12s")


def test_an_upload_pauses_resumes_and_survives_a_reload(
    tmp_path: Path,
    setup_server: LiveServer,
    live_server_factory: Callable[..., LiveServer],
    new_page: Callable[..., Page],
    screenshot: Screenshot,
) -> None:
    video = make_video(tmp_path / "safety-briefing.mp4", seconds=30)
    size = video.stat().st_size
    admin = setup_server.create_user(username="boss", role=Role.ADMIN)
    job = make_job(setup_server, admin, "Warehouse operative")
    server = live_server_factory()

    page = new_page(base_url=server.url)
    server.sign_in_quickly(page.context, "boss")
    # A slow uplink (about 256 KB/s) so there is time to pause and to reload mid-way.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 256_000},
    )
    page.goto("/admin")
    page.select_option("#upload-job", str(job.id))
    page.set_input_files("#upload-input", str(video))
    item = page.locator("#upload-files .upload-file").first
    bar = item.locator("progress")
    page.wait_for_function(
        "() => { const b = document.querySelector('#upload-files progress'); return b.value > 0; }"
    )
    item.get_by_role("button", name="Pause").click()
    expect(item.locator(".stats")).to_contain_text("Paused")
    paused_at = bar.evaluate("b => b.value")
    page.wait_for_timeout(800)
    assert bar.evaluate("b => b.value") == paused_at  # nothing moves while paused
    screenshot(page, "paused")
    item.get_by_role("button", name="Resume").click()
    page.wait_for_function(
        "(before) => document.querySelector('#upload-files progress').value > before",
        arg=paused_at,
    )

    # A reload mid-way: choosing the same file again resumes where the server stopped.
    page.wait_for_timeout(1500)
    page.reload()
    expect(page.locator("#upload-resumable")).to_contain_text("safety-briefing.mp4")
    stored = server_offset(server)
    assert 0 < stored < size
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
             "downloadThroughput": -1, "uploadThroughput": -1})  # fmt: skip
    requests: list[str] = []
    page.on("request", lambda r: requests.append(f"{r.method} {r.url}"))
    page.select_option("#upload-job", str(job.id))
    page.set_input_files("#upload-input", str(video))
    item = page.locator("#upload-files .upload-file").first
    expect(item.locator(".stats")).to_contain_text("100%", timeout=20_000)
    # Resumed (HEAD, then PATCH), not started again (no second POST creating an upload).
    assert not any(r.startswith("POST ") and r.endswith("/api/v1/uploads") for r in requests)
    assert any(r.startswith("HEAD ") for r in requests)
    row = page.locator("#uploads-table tbody tr", has_text="safety-briefing.mp4")
    expect(row.locator(".status-ready")).to_be_visible(timeout=20_000)
    screenshot(page, "resumed-and-ready")
