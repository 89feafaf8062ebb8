"""Jobs and live updates in a real browser: admin pages, search, sanitising, live list, bell."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from portal.accounts.models import Role

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]
HOSTILE = "Intro.\n\n<script>alert('owned')</script> [click](javascript:alert(1))"


def fail_on_dialog(page: Page) -> None:
    def dialog(d):  # a script from job content ran
        d.dismiss()
        pytest.fail(f"a dialog opened: {d.message}")

    page.on("dialog", dialog)


def test_admin_publishes_a_job_a_visitor_finds_it(
    live_server: LiveServer, new_page: Callable[..., Page], screenshot: Screenshot
) -> None:
    live_server.create_user(username="boss", role=Role.ADMIN)
    admin = new_page()
    live_server.sign_in(admin, "boss")
    admin.goto("/admin/jobs/new")
    admin.locator("#f-title").fill("Quantum gardener 量子园丁")
    admin.locator("#f-content").fill(HOSTILE + "\n\n**Grow** qubits in 温室.")
    expect(admin.locator("#preview strong")).to_have_text("Grow")  # the live preview
    admin.locator("#f-category").select_option("other")
    admin.locator("#f-location").fill("Hangzhou 杭州")
    admin.locator("#f-apply_email").fill("garden@example.com")
    admin.locator("#f-status").select_option("published")
    screenshot(admin, "admin-form")
    admin.get_by_role("button", name="Create job").click()
    expect(admin.locator(".flashes")).to_contain_text("Quantum gardener")
    screenshot(admin, "admin-list")

    visitor = new_page()
    fail_on_dialog(visitor)
    visitor.goto("/")
    visitor.locator("#q").fill("园丁")
    visitor.get_by_role("button", name="Search").click()
    card = visitor.locator(".job-card", has_text="Quantum gardener")
    expect(card).to_have_count(1)
    screenshot(visitor, "search-result")
    card.locator("h3").get_by_role("link").click()  # not the save control
    expect(visitor.locator("h1")).to_have_text("Quantum gardener 量子园丁")
    content = visitor.locator(".job-page .content")
    expect(content).to_contain_text("<script>alert('owned')</script>")  # shown as text
    assert content.locator("script").count() == 0
    assert content.locator("a[href^='javascript']").count() == 0
    screenshot(visitor, "job-page")


def test_a_new_job_appears_live_and_the_alert_bell_rings(
    live_server: LiveServer, new_page: Callable[..., Page], screenshot: Screenshot
) -> None:
    live_server.create_user(username="boss", role=Role.ADMIN)
    live_server.create_user(username="ann")
    visitor = new_page()
    visitor.goto("/")
    expect(visitor.locator("#live-indicator")).to_have_attribute("data-state", "live")

    watcher = new_page()
    live_server.sign_in(watcher, "ann")
    watcher.goto("/alerts")
    watcher.locator("#f-keywords").fill("lighthouse")
    watcher.get_by_role("button", name="Save alert").click()
    expect(watcher.locator(".alerts")).to_contain_text("lighthouse")
    expect(watcher.locator("#live-indicator")).to_have_attribute("data-state", "live")
    expect(watcher.locator(".bell-count")).to_be_hidden()

    admin = new_page()
    live_server.sign_in_quickly(admin.context, "boss")
    started = time.monotonic()
    response = admin.request.post(
        live_server.url + "/api/v1/jobs",
        data={
            "title": "Lighthouse keeper",
            "content": "Keep the light on.",
            "status": "published",
            "apply_email": "sea@example.com",
        },
    )
    assert response.status == 201, response.text()
    card = visitor.locator(".job-card", has_text="Lighthouse keeper")
    expect(card).to_be_visible(timeout=3000)
    arrived = time.monotonic() - started
    expect(card).to_have_class("job-card arrived")
    screenshot(visitor, "arrived-live")
    assert arrived < 2.0, f"the job took {arrived:.2f}s to appear"  # the issue asks for ~1 s
    expect(watcher.locator(".bell-count")).to_have_text("1", timeout=3000)
    screenshot(watcher, "bell")

    job_id = response.json()["id"]
    assert admin.request.delete(f"{live_server.url}/api/v1/jobs/{job_id}").status == 204
    expect(card).to_have_count(0, timeout=3000)
