"""Accounts in a real browser: register, sign out and in, profile, roles, language."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Locator, Page, expect

from portal.accounts.models import Role
from tests.factories import PASSWORD

if TYPE_CHECKING:
    from tests.browser.conftest import BrowserLog, LiveServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]


BIO = "I write programs for the <em>Analytical Engine</em> & more."


def nav(page: Page) -> Locator:
    return page.locator("header.site-header")


def flash(page: Page) -> Locator:
    return page.locator(".flashes")


def test_register_sign_out_sign_in_and_edit_profile(
    live_server: LiveServer, page: Page, screenshot: Screenshot, browser_log: BrowserLog
) -> None:
    page.goto("/register")
    expect(page).to_have_title(re.compile("Register"))
    expect(page.locator(".form-error")).to_have_count(0)  # nothing went wrong yet
    screenshot(page, "register-form")
    page.locator("#f-email").fill("ada@example.com")
    page.locator("#f-nickname").fill("Ada")
    page.locator("#f-password").fill(PASSWORD)
    page.locator("main form").get_by_role("button", name="Register").click()

    page.wait_for_url(live_server.url + "/profile")
    expect(flash(page)).to_contain_text("Welcome to Portal, Ada!")
    expect(page.get_by_test_id("nav-profile")).to_have_text("Ada")
    expect(page.locator("#f-email")).to_have_value("ada@example.com")
    expect(page.locator("#sessions")).to_contain_text("This browser")
    screenshot(page, "registered-and-signed-in")

    nav(page).get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server.url + "/")
    expect(flash(page)).to_contain_text("You are signed out.")
    expect(page.get_by_test_id("nav-profile")).to_have_count(0)
    expect(nav(page).get_by_role("link", name="Sign in")).to_be_visible()
    screenshot(page, "signed-out")
    # Signed out for real: the profile now sends the visitor to sign in.
    page.goto("/profile")
    page.wait_for_url(re.compile(r"/login\?next=(/|%2F)profile$"))

    page.goto("/login")
    expect(page.locator(".form-error")).to_have_count(0)
    page.locator("#f-login").fill("ada@example.com")
    page.locator("#f-password").fill(PASSWORD)
    screenshot(page, "sign-in-form")
    page.locator("main form").get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/")
    expect(flash(page)).to_contain_text("Signed in. Welcome back, Ada.")
    expect(page.get_by_test_id("nav-profile")).to_have_text("Ada")
    screenshot(page, "signed-in")

    page.get_by_test_id("nav-profile").click()
    page.wait_for_url(live_server.url + "/profile")
    page.locator("#f-nickname").fill("Ada L.")
    page.locator("#f-bio").fill(BIO)
    screenshot(page, "profile-edited")
    page.get_by_role("button", name="Save profile").click()

    expect(flash(page)).to_contain_text("Profile saved.")
    expect(page.get_by_test_id("nav-profile")).to_have_text("Ada L.")
    expect(page.locator("#f-nickname")).to_have_value("Ada L.")
    expect(page.locator("#f-bio")).to_have_value(BIO)
    screenshot(page, "profile-saved")
    page.reload()
    expect(page.locator("#f-nickname")).to_have_value("Ada L.")
    expect(page.locator("#f-bio")).to_have_value(BIO)  # markup stays text
    assert browser_log.console_errors == []


def test_admin_promotes_a_user_who_then_opens_admin(
    live_server: LiveServer,
    page: Page,
    new_page: Callable[..., Page],
    screenshot: Screenshot,
    browser_log: BrowserLog,
) -> None:
    live_server.create_user(username="boss", nickname="Boss", role=Role.ADMIN)
    grace = live_server.create_user(email="grace@example.com", nickname="Grace")

    grace_page = new_page()
    live_server.sign_in_quickly(grace_page.context, "grace@example.com")
    response = grace_page.goto("/admin")
    assert response is not None and response.status == 403
    expect(nav(grace_page).get_by_role("link", name="Admin")).to_have_count(0)
    screenshot(grace_page, "user-forbidden-from-admin")

    live_server.sign_in(page, "boss")
    nav(page).get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Admin dashboard")
    screenshot(page, "admin-dashboard")
    page.goto("/admin/users")
    row = page.locator(f'tr[data-user="{grace.id}"]')
    expect(row).to_contain_text("grace@example.com")
    expect(row.locator("select")).to_have_value("user")
    screenshot(page, "users-before")

    row.locator("select").select_option("admin")
    row.get_by_role("button", name="Change").click()
    expect(flash(page)).to_contain_text("Grace is now admin.")
    row = page.locator(f'tr[data-user="{grace.id}"]')
    expect(row.locator("select")).to_have_value("admin")
    screenshot(page, "users-after-promotion")
    assert live_server.get_user(grace.id).role == Role.ADMIN.value

    response = grace_page.goto("/admin")
    assert response is not None and response.status == 200
    expect(grace_page.get_by_role("heading", level=1)).to_have_text("Admin dashboard")
    expect(nav(grace_page).get_by_role("link", name="Admin")).to_be_visible()
    screenshot(grace_page, "promoted-user-on-admin")
    # The 403 page load is logged by Chromium as a console error; nothing else may be.
    unexpected = [e for e in browser_log.console_errors if "status of 403" not in e]
    assert unexpected == []


def _language_cookie(page: Page) -> str | None:
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    return cookies.get("portal_lang")


def test_language_switch_to_chinese_and_back(
    live_server_factory: Callable[..., LiveServer],
    new_page: Callable[..., Page],
    screenshot: Screenshot,
    browser_log: BrowserLog,
) -> None:
    server = live_server_factory("serve")  # the production command, for once
    page = new_page(base_url=server.url)
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert _language_cookie(page) is None

    page.locator('.lang-switch a[lang="zh-Hans"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.wait_for_url(re.compile(r"/login\??$"))  # back on the page the switch was used on
    assert _language_cookie(page) == "zh_Hans"
    expect(page.locator('.lang-switch a[lang="zh-Hans"]')).to_have_attribute("aria-current", "true")
    screenshot(page, "login-in-chinese")
    page.goto("/register")  # the choice sticks
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    screenshot(page, "register-in-chinese")

    page.locator('.lang-switch a[lang="en"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert _language_cookie(page) == "en"

    # Without a cookie, a browser that prefers Chinese gets Chinese.
    chinese_browser = new_page(locale="zh-CN", base_url=server.url)
    chinese_browser.goto("/")
    expect(chinese_browser.locator("html")).to_have_attribute("lang", "zh-Hans")
    screenshot(chinese_browser, "home-for-zh-CN-browser")
    assert browser_log.console_errors == []
