"""The home page's board in a real browser (issue 13): the job count follows the live list
(defect 6), and the cards people scan."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Page, expect
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import Role
from portal.db import utcnow
from portal.jobs.models import Job
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


# The card as a reader meets it: elements, classes, links, images, moments and words. Words
# inside <time> are left out (the server's render may be minutes old; the page rewrites them).
CARD_SHAPE = """(root) => {
  const shape = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.textContent.replace(/\\s+/g, " ").trim();
      return text ? [text] : [];
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return [];
    const classes = [...node.classList].filter((c) => c !== "arrived").sort().join(".");
    const facts = [node.tagName.toLowerCase() + (classes ? "." + classes : "")];
    for (const name of ["href", "src", "alt"]) {
      if (node.hasAttribute(name)) facts.push(name + "=" + node.getAttribute(name));
    }
    if (node.tagName === "TIME") {
      return [facts.join(" "), "at=" + Date.parse(node.dateTime), "title=" + Boolean(node.title)];
    }
    return [facts.join(" "), ...[...node.childNodes].flatMap(shape), "/"];
  };
  return [...root.querySelectorAll(".job-card")].map((card) => shape(card).join("\\n"));
}"""


def test_the_live_list_renders_the_servers_cards_which_people_can_scan(
    live_server: LiveServer,
    new_page: Callable[..., Page],
    screenshot: Screenshot,
    screenshot_dir: Path,
) -> None:
    server = live_server  # with the demo's jobs and companies
    server.create_user(username="boss", role=Role.ADMIN)
    admin = new_page()
    server.sign_in_quickly(admin.context, "boss")
    job_id = post_job(
        admin.request,
        server.url,
        title="Night baker",
        content="## The role\n\nBake bread at night. " + "Knead, proof, bake. " * 30,
        category="hospitality",
        employment_type="part_time",
        location="Hangzhou 杭州",
        salary_min=6000,
        salary_currency="CNY",
        salary_period="month",
    )

    async def two_days_old(session: AsyncSession) -> None:
        two_days = utcnow() - timedelta(days=2, minutes=5)
        await session.execute(update(Job).where(Job.id == job_id).values(published_at=two_days))
        await session.commit()

    server.run_db(two_days_old)
    remote_id = post_job(
        admin.request, server.url, title="Remote baker", location="Remote", remote=True
    )
    post_job(admin.request, server.url, title="Dough mixer")  # its event refreshes the list

    static = new_page(base_url=server.url, java_script_enabled=False)
    static.goto("/")
    live = new_page(base_url=server.url, viewport={"width": 1366, "height": 900})
    live.goto("/")
    live.wait_for_function("() => document.getElementById('job-list').__vue_app__")
    server_cards = static.evaluate(CARD_SHAPE, static.locator("#job-list").element_handle())
    live_cards = live.evaluate(CARD_SHAPE, live.locator("#job-list").element_handle())
    assert len(server_cards) > 1
    assert live_cards == server_cards

    card = live.locator(f'.job-card[data-job-id="{job_id}"]')
    expect(card.locator(".facts")).to_have_text(
        re.compile(r"Hangzhou 杭州\s*Part-time\s*from 6,000 CNY per month\s*Hospitality")
    )
    posted = card.locator("time")
    expect(posted).to_have_text("2 days ago")
    expect(posted).to_have_attribute("title", re.compile(r"\d{4}"))  # the exact date on hover
    lines = card.locator(".summary").evaluate(
        "p => Math.round(p.getBoundingClientRect().height"
        " / parseFloat(getComputedStyle(p).lineHeight))"
    )
    assert lines == 2
    # The excerpt leaves out the description's headings ("The role").
    expect(card.locator(".summary")).to_have_text(re.compile(r"^Bake bread at night\."))
    # A location of "Remote" is not said twice beside the remote badge.
    remote = live.locator(f'.job-card[data-job-id="{remote_id}"] .facts')
    expect(remote).to_have_text(re.compile(r"^\s*Remote\s*Full-time"))
    expect(card.get_by_role("link", name=re.compile(r"^Save\W+Night baker$"))).to_have_attribute(
        "href", re.compile(r"^/login\?next=")
    )

    # The filter bar stays one row on a desk: Search sits beside the fields.
    search = live.locator("form.filters").get_by_role("button", name="Search").bounding_box()
    field = live.locator("#q").bounding_box()
    assert search and field
    assert abs((search["y"] + search["height"]) - (field["y"] + field["height"])) < 6
    screenshot(live, "home-1366")
    live.screenshot(path=str(screenshot_dir / "home-1366-top.png"))  # what a reader sees first
    card.screenshot(path=str(screenshot_dir / "card-1366.png"))
    live.set_viewport_size({"width": 390, "height": 844})
    screenshot(live, "home-390")
    live.screenshot(path=str(screenshot_dir / "home-390-top.png"))

    chinese = new_page(base_url=server.url, locale="zh-CN", viewport={"width": 390, "height": 844})
    chinese.goto("/")
    expect(chinese.locator(f'.job-card[data-job-id="{job_id}"] time')).to_have_text("2天前")
    screenshot(chinese, "home-390-zh")

    # The job page: its description sits in a box with room inside it.
    for width in (1366, 390):
        job_page = new_page(base_url=server.url, viewport={"width": width, "height": 900})
        job_page.goto(f"/jobs/{job_id}")
        padding = job_page.locator(".content").evaluate(
            "box => parseFloat(getComputedStyle(box).paddingLeft)"
        )
        assert padding >= 12
        screenshot(job_page, f"job-{width}")
    job_page.goto(f"/jobs/{remote_id}")
    expect(job_page.locator(".facts-grid")).not_to_contain_text("Remote · Remote")
