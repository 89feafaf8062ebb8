"""Forms with several wrong fields, in a real browser (issue 13, defect 4): every message shows
at once next to its field, in the reader's language, on a phone and on a desk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]
WIDTHS = (390, 1366)


def fits(page: Page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_register_profile_and_alert_forms_show_every_error(
    live_server: LiveServer, new_page: Callable[..., Page], screenshot: Screenshot
) -> None:
    live_server.create_user(username="ada")
    for locale, nickname in (("en-US", "Please choose a nickname."), ("zh-CN", None)):
        for width in WIDTHS:
            page = new_page(locale=locale, viewport={"width": width, "height": 900})
            page.goto("/register")
            page.fill("#f-email", "not-an-address")
            page.fill("#f-username", "x")
            page.fill("#f-password", "short")
            page.locator("form[action='/register'] button[type=submit]").click()
            for name in ("email", "username", "nickname", "password"):
                message = page.locator(f"#e-{name}")
                expect(message).to_be_visible()
                expect(page.locator(f"#f-{name}")).to_have_attribute("aria-invalid", "true")
            if nickname:
                expect(page.locator("#e-nickname")).to_have_text(nickname)
            else:
                expect(page.locator("#e-nickname")).to_contain_text("昵称")
            expect(page.locator("#f-email")).to_have_value("not-an-address")
            assert fits(page)
            screenshot(page, f"register-errors-{locale}-{width}")

            live_server.sign_in_quickly(page.context, "ada")
            page.goto("/alerts")
            page.fill("#f-keywords", "   ")
            page.locator("#f-location").evaluate("i => { i.maxLength = 500; }")
            page.fill("#f-location", "l" * 130)
            page.locator("form[action='/alerts'] button[type=submit]").click()
            expect(page.locator("#e-keywords")).to_be_visible()
            expect(page.locator("#e-location")).to_be_visible()
            assert fits(page)
            screenshot(page, f"alerts-errors-{locale}-{width}")
