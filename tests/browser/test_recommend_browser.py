""" "Recommended for you" in a real browser: it follows what the user opens, live."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import Role, User
from portal.db import utcnow
from portal.jobs.models import Job
from portal.jobs.schemas import job_path
from portal.recommend.models import Click
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]
LIST_ITEMS = "#recommended .recommended-list li a"


def make_jobs(server: LiveServer, admin: User, category: str, titles: list[str]) -> list[Job]:
    return server.create_jobs(
        admin,
        *(
            {"title": title, "content": f"A {category} job.", "category": category}
            for title in titles
        ),
    )


def add_clicks(server: LiveServer, pairs: list[tuple[User, Job]]) -> None:
    async def work(session: AsyncSession) -> None:
        now = utcnow()
        session.add_all(
            Click(user_id=user.id, job_id=job.id, created_at=now - timedelta(minutes=n + 1))
            for n, (user, job) in enumerate(pairs)
        )
        await session.commit()

    server.run_db(work)


def wait_for_titles(page: Page, expected: list[str], timeout_ms: int = 10_000) -> None:
    """Until the list shows exactly these titles (in any order)."""
    page.wait_for_function(
        """({selector, expected}) => {
            const shown = [...document.querySelectorAll(selector)]
                .map((a) => a.textContent.trim()).sort();
            return JSON.stringify(shown) === JSON.stringify(expected);
        }""",
        arg={"selector": LIST_ITEMS, "expected": sorted(expected)},
        timeout=timeout_ms,
    )


def test_recommended_for_you_follows_the_jobs_a_user_opens(
    setup_server: LiveServer,
    live_server_factory: Callable[..., LiveServer],
    new_page: Callable[..., Page],
    screenshot: Screenshot,
) -> None:
    # The data goes in before the server starts: its in-process recommender rebuilds from the
    # stored clicks at start-up (and with users present, `portal demo` adds no demo data).
    admin = setup_server.create_user(username="boss", role=Role.ADMIN)
    setup_server.create_user(username="ada", nickname="Ada")
    coders = [setup_server.create_user() for _ in range(6)]
    designers = [setup_server.create_user() for _ in range(3)]
    engineering = make_jobs(
        setup_server, admin, "engineering", [f"Engineering role {n}" for n in range(1, 7)]
    )
    design = make_jobs(setup_server, admin, "design", [f"Design role {n}" for n in range(1, 10)])
    # Engineering is what most people open (so it is what a newcomer is shown); the few who
    # open design jobs open all of them.
    add_clicks(setup_server, [(user, job) for user in coders for job in engineering])
    add_clicks(setup_server, [(user, job) for user in designers for job in design])

    server = live_server_factory()
    home = new_page(base_url=server.url)
    server.sign_in_quickly(home.context, "ada")
    home.goto("/")
    section = home.locator("#recommended")
    expect(section.get_by_role("heading")).to_have_text("Recommended for you")
    expect(home.locator(LIST_ITEMS)).to_have_count(6)
    wait_for_titles(home, [job.title for job in engineering])  # popular, for a newcomer
    expect(section).to_contain_text("Popular right now")
    expect(home.locator("#live-indicator")).to_have_attribute("data-state", "live")
    home.evaluate("window.__notReloaded = true")
    screenshot(home, "before-popular-engineering")

    # Another tab of the same browser opens three design jobs.
    tab = home.context.new_page()
    for job in design[:3]:
        tab.goto(job_path(job))
        expect(tab.locator("h1")).to_have_text(job.title)
    screenshot(tab, "a-design-job")

    # The home page's list turned to design jobs (the three opened ones left out), live.
    wait_for_titles(home, [job.title for job in design[3:]])
    expect(section).to_contain_text("Because you viewed “Design role")
    expect(section).not_to_contain_text("Engineering role")
    assert home.evaluate("window.__notReloaded") is True
    home.bring_to_front()
    screenshot(home, "after-design")

    # A reload shows the same stored list, rendered by the server.
    home.reload()
    wait_for_titles(home, [job.title for job in design[3:]])
