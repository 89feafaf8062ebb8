"""The dashboard's upload cards and live table say what happened (issue 13, defect 5).

A refused file is not offered for resuming after a reload and keeps no buttons; a card follows
the table to "Ready"; the uploader's own cancel reads "Cancelled", not as a failure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal.accounts.models import Role
from tests.browser.conftest import LiveServer
from tests.browser.test_videos_browser import make_job, make_video

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]


def test_upload_cards_and_table_tell_refused_ready_and_cancelled(
    tmp_path: Path,
    setup_server: LiveServer,
    live_server_factory: Callable[..., LiveServer],
    new_page: Callable[..., Page],
    screenshot: Screenshot,
) -> None:
    short = make_video(tmp_path / "welcome.mp4", seconds=2)
    long = make_video(tmp_path / "long-briefing.mp4", seconds=30)
    notes = tmp_path / "notes.mp4"  # a video's name, a text's bytes
    notes.write_bytes(b"Shift notes: nothing to see here.\n" * 4000)
    admin = setup_server.create_user(username="boss", role=Role.ADMIN)
    job = make_job(setup_server, admin, "Barista")
    server = live_server_factory()
    page = new_page(base_url=server.url, viewport={"width": 1366, "height": 900})
    server.sign_in_quickly(page.context, "boss")
    page.goto("/admin")
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")
    page.select_option("#upload-job", str(job.id))

    # Refused: the card says why and offers nothing to press.
    page.set_input_files("#upload-input", str(notes))
    refused = page.locator("#upload-files .upload-file", has_text="notes.mp4")
    expect(refused.locator(".error")).to_contain_text(re.compile("not a video", re.I))
    expect(refused.get_by_role("button")).to_have_count(0)
    row = page.locator("#uploads-table tbody tr", has_text="notes.mp4")
    expect(row.locator(".status")).to_contain_text("Failed")

    # Ready: the card follows the table instead of staying at "processing…".
    page.set_input_files("#upload-input", str(short))
    card = page.locator("#upload-files .upload-file", has_text="welcome.mp4")
    row = page.locator("#uploads-table tbody tr", has_text="welcome.mp4")
    expect(row.locator(".status-ready")).to_be_visible(timeout=20_000)
    expect(card.locator(".stats")).to_have_text("Ready")

    # Cancelled by the uploader: said as such, on the card and in the table.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 128_000},
    )
    page.set_input_files("#upload-input", str(long))
    card = page.locator("#upload-files .upload-file", has_text="long-briefing.mp4")
    row = page.locator("#uploads-table tbody tr", has_text="long-briefing.mp4")
    expect(row.locator(".status-uploading")).to_be_visible()
    card.get_by_role("button", name="Cancel").click()
    expect(card.locator(".stats")).to_have_text("Cancelled")
    expect(row.locator(".status")).to_have_text("Cancelled")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
             "downloadThroughput": -1, "uploadThroughput": -1})  # fmt: skip
    screenshot(page, "uploads-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "uploads-390")

    # After a reload, neither the refused nor the cancelled file is offered for resuming.
    page.reload()
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")
    expect(page.locator("#upload-resumable")).to_have_attribute("data-checked", "true")
    expect(page.locator("#upload-resumable")).to_be_hidden()
