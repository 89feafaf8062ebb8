"""Saving jobs in a real browser: the toggle on a home card and on a job page changes in place
(no reload), /saved lists what was kept and marks a closed job, and a toggle on one page is
seen by another open page of the same user. Photographed at a desk's and a phone's width."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

from portal.accounts.models import Role
from tests.browser.test_applications_browser import photograph

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_saving_from_a_card_and_a_job_page(
    live_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    boss = live_server.create_user(username="boss", role=Role.ADMIN)
    live_server.create_user(username="sam", nickname="Sam 山")
    kept, closed = live_server.create_jobs(
        boss,
        {"title": "Night baker 夜班面包师", "content": "Bread **before dawn**."},
        {"title": "Harbour pilot 港口引航员", "content": "Ships in and out."},
    )

    home = new_page(viewport={"width": 1366, "height": 900})
    live_server.sign_in(home, "sam")
    home.goto("/")
    card = home.locator(f'.job-card[data-job-id="{kept.id}"]')
    toggle = card.locator("button.save-button")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(toggle.locator(".save-label")).to_have_text("Saved")
    home.locator(f'.job-card[data-job-id="{closed.id}"] button.save-button').click()
    expect(
        home.locator(f'.job-card[data-job-id="{closed.id}"] button.save-button')
    ).to_have_attribute("aria-pressed", "true")

    # The job page shows the state saved from the card; unsaving there is seen on /saved.
    job_page = home.context.new_page()  # the same signed-in browser, another tab
    job_page.goto(f"/jobs/{kept.id}")
    page_toggle = job_page.locator(f'form[data-job-id="{kept.id}"] button.save-button')
    expect(page_toggle).to_have_attribute("aria-pressed", "true")

    live_server.run_db(_close_job(closed.id))
    listing = home.context.new_page()
    listing.goto("/saved")
    expect(listing.locator(f'article[data-job-id="{kept.id}"]')).to_be_visible()
    expect(listing.locator(f'.saved-card.closed[data-job-id="{closed.id}"]')).to_be_visible()
    photograph(listing, "saved-jobs")

    page_toggle.click()
    expect(page_toggle).to_have_attribute("aria-pressed", "false")
    listing.reload()
    expect(listing.locator(f'article[data-job-id="{kept.id}"]')).to_have_count(0)
    assert live_server.tracebacks() == []


def _close_job(job_id: int) -> Callable[[Any], Awaitable[None]]:
    from portal.jobs.models import Job, JobStatus

    async def work(session: Any) -> None:
        job = await session.get(Job, job_id)
        job.status = JobStatus.CLOSED.value
        await session.commit()

    return work
