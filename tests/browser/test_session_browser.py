"""Signed-in state in a real browser: what Back shows after signing out, stale tabs' forms."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]
EMAIL = "ada.king@example.com"
PHONE = "13912345678"


def body_text(page: Page) -> str:
    with contextlib.suppress(PlaywrightError):  # the browser's own error page may have no body
        return page.locator("body").inner_text()
    return ""


def test_back_after_signing_out_shows_nothing_of_the_account(
    live_server: LiveServer, page: Page, screenshot: Screenshot
) -> None:
    live_server.create_user(email=EMAIL, phone=PHONE, nickname="Ada")
    live_server.sign_in(page, EMAIL)
    page.goto("/profile")
    expect(page.locator("#f-email")).to_have_value(EMAIL)
    page.locator("#f-name").fill("laptop")
    page.locator("#tokens").get_by_role("button", name="Create token").click()
    token = page.get_by_test_id("new-token").inner_text()
    assert token.startswith("pt_")

    page.locator("header.site-header").get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server.url + "/")
    expect(page.get_by_test_id("nav-profile")).to_have_count(0)

    # Back to the page that showed the new token, then to the profile: neither may come back
    # from the browser's memory.
    for step in ("token", "profile"):
        with contextlib.suppress(PlaywrightError):  # a POST's page is not fetched again
            page.go_back(wait_until="load")
        page.wait_for_load_state("load")
        text = body_text(page)
        screenshot(page, f"back-after-sign-out-{step}")
        assert token not in text
        assert EMAIL not in text and PHONE not in text
        assert page.get_by_test_id("nav-profile").count() == 0
    # The profile asks to sign in again, as for anyone signed out.
    page.wait_for_url(re.compile(r"/login\?next=(/|%2F)profile$"))


BIO = "Twenty lines of notes on the Analytical Engine, typed with care."


def start_an_edit(live_server: LiveServer, page: Page) -> None:
    """Signed in, on the profile, with a new nickname and bio typed but not sent."""
    live_server.create_user(email=EMAIL, nickname="Ada")
    live_server.sign_in(page, EMAIL)
    page.goto("/profile")
    page.locator("#f-nickname").fill("Ada L.")
    page.locator("#f-bio").fill(BIO)


def in_another_tab(live_server: LiveServer, page: Page, *, sign_in_again: bool) -> None:
    """Another tab of the same browser signs out (and maybe in again) meanwhile."""
    other = page.context.new_page()
    other.goto(live_server.url + "/")
    other.locator("header.site-header").get_by_role("button", name="Sign out").click()
    other.wait_for_url(live_server.url + "/")
    if sign_in_again:
        live_server.sign_in(other, EMAIL)
    other.close()


def expect_the_edit_back(page: Page) -> None:
    page.wait_for_url(re.compile(r"/profile$"))
    expect(page.locator(".draft-restored")).to_contain_text("Here is what you typed")
    expect(page.locator("#f-nickname")).to_have_value("Ada L.")
    expect(page.locator("#f-bio")).to_have_value(BIO)


def test_a_stale_tab_keeps_the_edit_through_signing_in_again(
    live_server: LiveServer, page: Page, screenshot: Screenshot
) -> None:
    start_an_edit(live_server, page)
    in_another_tab(live_server, page, sign_in_again=False)

    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("h1")).to_have_text("You were signed out")
    expect(page.locator("[data-draft-kept]")).to_be_visible()
    screenshot(page, "stale-tab-signed-out")
    page.get_by_role("link", name="Sign in and go back").click()

    page.locator("#f-login").fill(EMAIL)
    page.locator("#f-password").fill(PASSWORD)
    page.locator("main form").get_by_role("button", name="Sign in").click()
    expect_the_edit_back(page)
    screenshot(page, "stale-tab-edit-restored")

    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".flashes")).to_contain_text("Profile saved.")
    expect(page.locator("#f-bio")).to_have_value(BIO)
    # Restored once: the next visit shows the saved profile and no notice.
    page.goto("/profile")
    expect(page.locator(".draft-restored")).to_have_count(0)


def test_a_tab_whose_form_expired_keeps_the_edit(
    live_server: LiveServer, page: Page, screenshot: Screenshot
) -> None:
    start_an_edit(live_server, page)
    in_another_tab(live_server, page, sign_in_again=True)  # a new form token for the session

    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("h1")).to_have_text("The form has expired")
    screenshot(page, "form-expired")
    page.get_by_role("link", name="Go back to the form").click()
    expect_the_edit_back(page)
