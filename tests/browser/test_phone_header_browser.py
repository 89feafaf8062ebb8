"""The header on a phone: a compact bar whose Menu opens without any script, and touch
targets of at least 44 px; on a desk the same links sit in one row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TOUCH = 44


def small_targets(page: Page) -> list[str]:
    return page.eval_on_selector_all(
        ".site-header a, .site-header button, .site-header summary",
        """(els, min) => els.filter(el => el.getClientRects().length).map(el => {
             const r = el.getBoundingClientRect();
             const small = r.height < min || r.width < min;
             return small ? `${el.textContent.trim()} ${r.width}x${r.height}` : '';
           }).filter(Boolean)""",
        TOUCH,
    )


def test_the_phone_menu_opens_without_script_and_fits_a_finger(
    live_server: LiveServer, new_page: Callable[..., Page], screenshot: Callable[[Page, str], Path]
) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, java_script_enabled=False)
    page.goto("/")
    menu = page.locator(".nav-links").get_by_role("link", name="Sign in")
    expect(menu).to_be_hidden()
    toggle = page.locator(".nav-toggle")
    expect(toggle).to_be_visible()
    screenshot(page, "phone-menu-closed")
    toggle.click()
    expect(menu).to_be_visible()
    expect(page.locator(".nav-links").get_by_role("link", name="Register")).to_be_visible()
    expect(page.locator('.lang-switch a[lang="zh-Hans"]')).to_be_visible()
    screenshot(page, "phone-menu-open")
    assert small_targets(page) == []
    # The menu lies over the page and does not widen it.
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_signed_in_phone_menu_and_desk_row(
    live_server: LiveServer, new_page: Callable[..., Page], screenshot: Callable[[Page, str], Path]
) -> None:
    live_server.create_user(username="ada", nickname="Ada")
    page = new_page()
    live_server.sign_in(page, "ada")  # at the desk width: the profile link shows in the row
    expect(page.locator(".nav-toggle")).to_be_hidden()
    screenshot(page, "desk-header")
    page.set_viewport_size(PHONE)
    expect(page.get_by_test_id("nav-profile")).to_be_hidden()
    expect(page.locator("#bell")).to_be_visible()  # the count stays in sight, outside the menu
    page.locator(".nav-toggle").click()
    expect(page.get_by_test_id("nav-profile")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    screenshot(page, "phone-menu-signed-in")
    assert small_targets(page) == []
