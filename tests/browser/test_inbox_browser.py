"""The alerts inbox in a real browser (issue 13, defect 7): it updates live, a new notification
shows an accessible toast, and a notification whose job was deleted no longer links to a 404."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import Role, User
from portal.alerts import service as alerts
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]


def test_the_inbox_updates_live_with_a_toast_and_says_when_a_job_is_gone(
    live_server: LiveServer, new_page: Callable[..., Page], screenshot: Screenshot
) -> None:
    live_server.create_user(username="boss", role=Role.ADMIN)
    ann = live_server.create_user(username="ann")

    async def subscribe(session: AsyncSession) -> None:
        user = await session.get(User, ann.id)
        assert user is not None
        await alerts.create_alert(
            session, user, keywords="lighthouse", category=None, location=None, remote=None
        )

    live_server.run_db(subscribe)
    watcher = new_page(viewport={"width": 1366, "height": 800})
    live_server.sign_in_quickly(watcher.context, "ann")
    watcher.goto("/alerts")
    expect(watcher.locator("#live-indicator")).to_have_attribute("data-state", "live")
    expect(watcher.locator("#inbox-empty")).to_be_visible()

    admin = new_page()
    live_server.sign_in_quickly(admin.context, "boss")
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
    job_id = response.json()["id"]

    item = watcher.locator("#inbox-list li", has_text="Lighthouse keeper")
    expect(item.get_by_role("link", name="Lighthouse keeper")).to_be_visible()
    expect(watcher.locator("#inbox-empty")).to_be_hidden()
    toast = watcher.get_by_role("status").locator(".toast")
    expect(toast).to_contain_text("New job for your alert: Lighthouse keeper")
    assert watcher.evaluate("document.activeElement === document.body")  # focus stays put
    screenshot(watcher, "inbox-toast-1366")
    watcher.set_viewport_size({"width": 390, "height": 844})
    screenshot(watcher, "inbox-toast-390")
    toast.get_by_role("button", name="Dismiss").click()
    expect(toast).to_have_count(0)

    # The job is deleted while the page is open, then the page is opened again.
    assert admin.request.delete(f"{live_server.url}/api/v1/jobs/{job_id}").status == 204
    expect(item).to_contain_text("This job was removed.")
    expect(item.get_by_role("link")).to_have_count(0)
    watcher.reload()
    item = watcher.locator("#inbox-list li", has_text="Lighthouse keeper")
    expect(item).to_contain_text("This job was removed.")
    expect(item.get_by_role("link")).to_have_count(0)
    screenshot(watcher, "inbox-removed-390")
