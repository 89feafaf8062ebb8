"""The home page's board in a real browser (issue 13): the job count follows the live list
(defect 6), and the cards people scan."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Page, expect

from portal.accounts.models import Role
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]


def shown_count(page: Page) -> int:
    text = page.locator("#job-count").inner_text()
    match = re.search(r"\d+", text)
    assert match, text
    return int(match.group())


def post_job(api: APIRequestContext, url: str, **fields: Any) -> int:
    response = api.post(
        url + "/api/v1/jobs",
        data={
            "content": "Keep the light on.",
            "status": "published",
            "apply_email": "sea@example.com",
            **fields,
        },
    )
    assert response.status == 201, response.text()
    return int(response.json()["id"])


def test_the_job_count_follows_the_live_list(
    live_server: LiveServer, new_page: Callable[..., Page], screenshot: Screenshot
) -> None:
    live_server.create_user(username="boss", role=Role.ADMIN)
    admin = new_page()
    live_server.sign_in_quickly(admin.context, "boss")
    api, url = admin.request, live_server.url
    page_two = api.get(url + "/api/v1/jobs?page=2").json()["items"]
    assert page_two, "the demo data fills more than one page"
    # Counted on the home page but not among its first cards; no internship (the second page).
    unseen = next(j["id"] for j in page_two if j["employment_type"] != "internship")

    visitor = new_page()
    visitor.goto("/")
    interns = new_page()
    interns.goto("/?type=internship")
    for page in (visitor, interns):
        expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")
    start, interns_start = shown_count(visitor), shown_count(interns)

    made = [post_job(api, url, title=f"Lighthouse keeper {n}") for n in range(3)]
    expect(visitor.locator("#job-count")).to_have_text(f"{start + 3} jobs")
    assert api.patch(f"{url}/api/v1/jobs/{made[0]}", data={"status": "closed"}).ok
    expect(visitor.locator("#job-count")).to_have_text(f"{start + 2} jobs")
    assert api.delete(f"{url}/api/v1/jobs/{made[1]}").status == 204
    expect(visitor.locator("#job-count")).to_have_text(f"{start + 1} jobs")
    assert api.delete(f"{url}/api/v1/jobs/{unseen}").status == 204
    expect(visitor.locator("#job-count")).to_have_text(f"{start} jobs")

    # A filtered list showing every match knows that a job it did not show was not counted.
    expect(interns.locator("#job-count")).to_have_text(f"{interns_start} jobs")
    patched = api.patch(f"{url}/api/v1/jobs/{made[2]}", data={"employment_type": "internship"})
    assert patched.ok, patched.text()
    expect(interns.locator(".job-card", has_text="Lighthouse keeper 2")).to_be_visible()
    expect(interns.locator("#job-count")).to_have_text(f"{interns_start + 1} jobs")
    assert shown_count(visitor) == start  # an edit of a counted job changes nothing
