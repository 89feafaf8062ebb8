"""Companies in a real browser: the admin screens, the public page and live cards, at a
desktop and a phone's width (no sideways scrolling; long names wrap)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from portal.accounts.models import Role
from tests.factories import PASSWORD

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]
WIDTHS = (1366, 390)
LONG_NAME = (
    "Internationale Entwicklungszusammenarbeitsgesellschaft für Wasserstoffinfrastruktur "
    "国际氢能基础设施开发合作有限公司"
)[:120]
SCREENSHOTS = Path(__file__).parent.parent.parent / "test-artifacts" / "screenshots"


def keep(page: Page, name: str) -> None:
    """A full-page screenshot under test-artifacts/screenshots/, for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def assert_no_sideways_scrolling(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def logo_file(tmp_path: Path) -> Path:
    image = Image.new("RGB", (300, 300), "#0f766e")
    for x in range(60, 240):
        for y in range(60, 240):
            if (x // 30 + y // 30) % 2:
                image.putpixel((x, y), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    path = tmp_path / "hydrogen.png"
    path.write_bytes(out.getvalue())
    return path


def test_admin_creates_a_company_and_visitors_see_it(
    live_server: LiveServer,
    new_page: Callable[..., Page],
    screenshot: Screenshot,
    tmp_path: Path,
) -> None:
    live_server.create_user(username="boss", role=Role.ADMIN)
    admin = new_page(viewport={"width": 1366, "height": 900})
    live_server.sign_in(admin, "boss")
    admin.goto("/admin/companies/new")
    admin.locator("#f-name").fill(LONG_NAME)
    admin.locator("#f-website").fill("https://hydrogen.example.com/about")
    admin.locator("#f-content").fill(
        "We build **hydrogen** pipelines.\n\n<script>alert(1)</script>"
    )
    expect(admin.locator("#preview strong")).to_have_text("hydrogen")
    admin.locator("#f-logo").set_input_files(str(logo_file(tmp_path)))
    preview = admin.locator("#logo-preview")
    expect(preview).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    screenshot(admin, "company-form")
    admin.get_by_role("button", name="Create company").click()
    expect(admin.locator(".flashes")).to_contain_text("Internationale")
    row = admin.locator("tr", has_text="Internationale")
    logo = row.locator("img.logo")
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.complete && img.naturalWidth > 0")
    company_path = row.locator(".company-cell a").get_attribute("href")
    assert company_path and company_path.startswith("/companies/")
    company_id = int(company_path.split("/")[2].split("-")[0])

    # A job of the company appears live on an open home page, with the company's name.
    visitor = new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    visitor.goto("/")
    expect(visitor.locator("#live-indicator")).to_have_attribute("data-state", "live")
    response = admin.request.post(
        live_server.url + "/api/v1/jobs",
        data={
            "title": "Pipeline engineer",
            "content": "Weld **carefully**.",
            "status": "published",
            "company_id": company_id,
        },
    )
    assert response.status == 201, response.text()
    card = visitor.locator(".job-card", has_text="Pipeline engineer")
    expect(card.locator(".employer")).to_contain_text("Internationale", timeout=5000)
    expect(card.locator(".employer img.logo")).to_be_visible()
    assert_no_sideways_scrolling(visitor)

    # A rename reaches the open card without a reload.
    response = admin.request.patch(
        f"{live_server.url}/api/v1/companies/{company_id}", data={"name": "Hydrogen Works 氢能"}
    )
    assert response.status == 200, response.text()
    expect(card.locator(".employer")).to_have_text("Hydrogen Works 氢能", timeout=5000)
    screenshot(visitor, "home-live-card")

    # The job page says who is hiring and offers applying on Portal (no external link).
    card.get_by_role("link", name="Pipeline engineer", exact=True).click()
    expect(visitor.locator(".job-page .employer")).to_have_text("Hydrogen Works 氢能")
    expect(visitor.locator(".apply-here")).to_be_visible()

    # Back to the long name for the pictures of the pages.
    admin.request.patch(
        f"{live_server.url}/api/v1/companies/{company_id}", data={"name": LONG_NAME}
    )
    for width in WIDTHS:
        page = new_page(viewport={"width": width, "height": 900}, is_mobile=width < 600)
        page.goto(f"/companies/{company_id}")
        expect(page.locator("h1")).to_have_text(LONG_NAME)
        expect(page.locator(".job-card")).to_have_count(1)
        website = page.locator(".company-head .website a")
        assert website.get_attribute("rel") == "nofollow noopener"
        assert page.locator(".company-page .content script").count() == 0
        assert page.locator("img.company-logo").evaluate("img => img.naturalWidth > 0")
        assert_no_sideways_scrolling(page)
        keep(page, f"company-page-{width}")
        screenshot(page, f"company-page-{width}")

        page.context.request.post(
            live_server.url + "/api/v1/auth/login", data={"login": "boss", "password": PASSWORD}
        )
        page.goto("/admin/companies")
        expect(page.locator("tr", has_text="Internationale")).to_be_visible()
        assert_no_sideways_scrolling(page)
        keep(page, f"admin-companies-{width}")
        screenshot(page, f"admin-companies-{width}")


def test_demo_companies_show_on_cards_and_in_search(
    live_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto("/?q=云帆")
    card = page.locator(".job-card", has_text="高级Python后端工程师")
    expect(card.locator(".employer")).to_have_text("云帆科技")
    assert card.locator(".employer img.logo").evaluate("img => img.naturalWidth > 0")
    page.goto("/?q=Ledgerline")
    expect(page.locator(".job-card").first.locator(".employer")).to_have_text("Ledgerline")
    assert_no_sideways_scrolling(page)
