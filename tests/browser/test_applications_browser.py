"""Applying in a real browser, live both ways: a user applies from the job page, the
admin's open dashboard shows it without a reload, the admin moves it to interview, and the
user's open /applications changes without a reload. Photographed at a desk's and a phone's
width (no sideways scrolling)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from portal.accounts.models import Role
from portal.demo import demo_pdf
from tests.browser.test_companies_browser import assert_no_sideways_scrolling, keep

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]
WIDTHS = (1366, 390)
TITLE = "Warehouse coordinator 仓库协调员"


def photograph(page: Page, name: str) -> None:
    """The page at each width, kept for people to look at, never scrolling sideways."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_sideways_scrolling(page)
        keep(page, f"{name}-{width}")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def test_an_application_flows_live_between_applicant_and_admin(
    live_server: LiveServer,
    new_page: Callable[..., Page],
    tmp_path: Path,
) -> None:
    boss = live_server.create_user(username="boss", role=Role.ADMIN)
    live_server.create_user(username="ann", nickname="Ann 安")
    (job,) = live_server.create_jobs(
        boss,
        {
            "title": TITLE,
            "content": "Keep the **stock** moving.",
            "category": "logistics",
            "apply_email": None,
        },
    )
    resume = tmp_path / "ann-cv.pdf"
    resume.write_bytes(demo_pdf("Ann - CV"))

    admin = new_page(viewport={"width": 1366, "height": 900})
    live_server.sign_in(admin, "boss")
    admin.goto("/admin")
    expect(admin.locator("#recent-applications")).to_be_visible()

    user = new_page(viewport={"width": 1366, "height": 900})
    live_server.sign_in(user, "ann")
    user.goto(f"/jobs/{job.id}")
    form = user.locator("form.apply-form")
    expect(form).to_be_visible()
    photograph(user, "job-apply-form")

    # A wrong file is refused next to its field, and what was typed stays.
    user.locator("#f-cover_letter").fill("I ran a warehouse of 40 people.\n\n<b>not bold</b>")
    notes = tmp_path / "notes.pdf"
    notes.write_text("<html>not a pdf</html>")
    user.locator("#f-resume").set_input_files(str(notes))
    user.get_by_role("button", name="Send application").click()
    expect(user.locator("#e-live-resume")).to_have_text("The résumé must be a PDF file.")
    expect(user.locator("#f-cover_letter")).to_have_value(
        "I ran a warehouse of 40 people.\n\n<b>not bold</b>"
    )

    user.locator("#f-resume").set_input_files(str(resume))
    user.get_by_role("button", name="Send application").click()
    expect(user.locator(".applied-state")).to_contain_text("Your application was sent.")

    # The admin's dashboard, open all along, shows it without a reload.
    arrived = admin.locator("#applicant-list .applicant", has_text="Ann 安")
    expect(arrived).to_be_visible()
    expect(arrived.locator(".app-status")).to_have_text("Submitted")

    user.goto("/applications")
    mine = user.locator(".application", has_text=TITLE)
    expect(mine.locator(".app-status")).to_have_text("Submitted")
    photograph(user, "my-applications")

    admin.goto(f"/admin/jobs/{job.id}/applications")
    row = admin.locator(".applicant", has_text="Ann 安")
    expect(row).to_be_visible()
    photograph(admin, "admin-pipeline")
    row.locator("a.applicant-name").click()
    expect(admin.locator(".cover-letter")).to_have_text(
        "I ran a warehouse of 40 people.\n\n<b>not bold</b>"
    )
    admin.locator("#f-note").fill("Strong on safety.")
    admin.get_by_role("button", name="Interview").click()
    expect(admin.locator(".flashes")).to_contain_text("Application saved.")
    photograph(admin, "admin-application")

    # The applicant's open page follows, and the bell rings; the admin's note never shows.
    expect(mine.locator(".app-status")).to_have_text("Interview")
    expect(user.locator("#bell .bell-count")).to_have_text("1")
    expect(user.locator("body")).not_to_contain_text("Strong on safety.")

    # The résumé opens inline for the applicant.
    response = user.request.get(
        live_server.url + mine.locator("a", has_text="Résumé").get_attribute("href")
    )
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")
