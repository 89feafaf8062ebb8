"""The recommender studio in a real browser: live figures as a user clicks, an evaluation run
to 100%, and a switch of the serving algorithm that a user's open home page follows."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal.accounts.models import Role, User
from portal.jobs.models import Job
from portal.jobs.schemas import job_path
from tests.browser.conftest import LiveServer
from tests.browser.test_recommend_browser import add_clicks, wait_for_titles

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]
STUDIO = "/admin/recommendations"


def jobs(server: LiveServer, admin: User, titles: list[str]) -> list[Job]:
    return server.create_jobs(
        admin,
        *({"title": title, "content": "A job.", "category": "engineering"} for title in titles),
    )


def test_the_studio_follows_clicks_evaluates_and_switches_what_serves(
    setup_server: LiveServer,
    live_server_factory: Callable[..., LiveServer],
    new_page: Callable[..., Page],
    screenshot: Screenshot,
    artifacts: Path,
) -> None:
    server = setup_server
    admin = server.create_user(username="boss", role=Role.ADMIN)
    server.create_user(username="ada", nickname="Ada")
    server.create_user(username="bob", nickname="Bob")
    [alpha] = jobs(server, admin, ["Alpha role"])
    pair = jobs(server, admin, [f"Pair role {n}" for n in range(1, 4)])
    group = jobs(server, admin, [f"Group role {n}" for n in range(1, 4)])
    wide = jobs(server, admin, [f"Wide role {n}" for n in range(1, 41)])
    other = jobs(server, admin, [f"Other role {n}" for n in range(1, 4)])
    # Whoever opens Alpha: one light user who also opened the three pair roles (most like a
    # newcomer to Alpha: user-based CF follows them), three heavy users who opened the group
    # roles and forty more (co-clicked most with Alpha: item-based CF and the blend follow
    # them), and six others who opened only the pair roles (so those are common elsewhere).
    light = server.create_user()
    heavy = [server.create_user() for _ in range(3)]
    others = [server.create_user() for _ in range(6)]
    add_clicks(server, [(light, job) for job in [alpha, *pair]])
    add_clicks(server, [(user, job) for user in heavy for job in [alpha, *group, *wide]])
    add_clicks(server, [(user, job) for user in others for job in pair])

    live = live_server_factory()
    studio = new_page(base_url=live.url)
    live.sign_in_quickly(studio.context, "boss")
    studio.goto(STUDIO)
    expect(studio.locator("h1")).to_have_text("Recommender studio")
    expect(studio.locator("#studio-state")).to_have_text("Live")
    expect(studio.locator("#serving-now")).to_have_text("Blend (item and user CF)")
    points = int(studio.locator("#studio").get_attribute("data-points") or 0)

    # Ada, in a browser of her own, opens Alpha; her home page shows the blend's picks.
    home = new_page(base_url=live.url)
    live.sign_in_quickly(home.context, "ada")
    tab = home.context.new_page()
    tab.goto(job_path(alpha))
    expect(tab.locator("h1")).to_have_text(alpha.title)
    home.goto("/")
    blend = [job.title for job in [*group, *wide[:3]]]
    wait_for_titles(home, blend)
    home.evaluate("window.__notReloaded = true")
    # Bob, in another, opens three unrelated jobs: the studio's live chart moves.
    bob = new_page(base_url=live.url)
    live.sign_in_quickly(bob.context, "bob")
    for job in other:
        bob.goto(job_path(job))
        expect(bob.locator("h1")).to_have_text(job.title)
    studio.wait_for_function(
        "(before) => Number(document.getElementById('studio').dataset.points) > before",
        arg=points,
        timeout=15_000,
    )
    clicks = studio.locator('[data-figure="clicks_total"]')
    expect(clicks).not_to_have_text("–")
    studio.wait_for_function(
        "() => Number(document.querySelector('[data-figure=clicks_total]')"
        ".textContent.replace(/[^0-9]/g, '')) >= 156"
    )
    expect(studio.locator("#chart-clicks canvas")).to_have_count(1)
    screenshot(studio, "live")

    # An evaluation, run to 100%: its table appears without a reload.
    studio.evaluate("window.__studioNotReloaded = true")
    studio.locator("#task-evaluate button").click()
    status = studio.locator("#task-evaluate .task-status")
    expect(status).to_contain_text("Done · 100%", timeout=60_000)
    expect(studio.locator("#progress-evaluate")).to_have_js_property("value", 1)
    table = studio.locator("#results-random")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(5)
    expect(table).to_contain_text("EASE")
    expect(studio.locator("#chart-evaluation canvas")).to_have_count(1)
    # The form posted and the page came back: the progress it shows survived that load.
    screenshot(studio, "evaluated")

    # The switch: user-based CF serves, and Ada's open home page follows without a reload.
    studio.locator("#f-algorithm").select_option("user")
    studio.get_by_role("button", name="Switch and refresh every list").click()
    expect(studio.locator("#serving-now")).to_have_text("User-based CF")
    wait_for_titles(home, [job.title for job in [*pair, *group]], timeout_ms=20_000)
    assert home.evaluate("window.__notReloaded") is True
    screenshot(home, "home-after-switch")
    screenshot(studio, "switched")

    # On a phone.
    phone = new_page(base_url=live.url, viewport={"width": 390, "height": 844})
    live.sign_in_quickly(phone.context, "boss")
    phone.goto(STUDIO + f"?job={alpha.id}")
    expect(phone.locator("#nearest-jobs")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "phone")
    phone.goto(STUDIO + "?user=ada")
    expect(phone.locator("#user-recommendations")).to_contain_text("Because you viewed")
    last = screenshot(phone, "phone-user")

    # Where the issue looks for them too.
    shots = artifacts / "screenshots" / "studio"
    shutil.rmtree(shots, ignore_errors=True)
    shutil.copytree(last.parent, shots)
