"""Password recovery in a real browser: the link arrives by real SMTP and works."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.mail.conftest import SmtpServer, free_port

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/password/reset\?token=[A-Za-z0-9_-]+)")


def _wait_for_mail(smtp: SmtpServer, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while not smtp.inbox.messages:
        assert time.monotonic() < deadline, "no mail arrived"
        time.sleep(0.05)
    mail = smtp.inbox.messages[-1]
    return mail.get_body(preferencelist=("plain",)).get_content()


def test_reset_a_password_end_to_end(
    live_server_factory: Callable[..., object],
    new_page: Callable[..., Page],
    screenshot: Screenshot,
) -> None:
    smtp = SmtpServer(free_port())
    smtp.start()
    try:
        server = live_server_factory(env={"PORTAL_SMTP_URL": smtp.url})
        server.create_user(email="ada@example.com", nickname="Ada")  # type: ignore[attr-defined]
        page = new_page(base_url=server.url)  # type: ignore[attr-defined]
        page.goto("/login")
        page.get_by_role("link", name="Forgot password?").click()
        page.locator("#f-login").fill("ada@example.com")
        page.get_by_role("button", name="Send me a link or code").click()
        expect(page.locator("main")).to_contain_text("is on its way")
        screenshot(page, "password-forgot-sent")

        match = LINK.search(_wait_for_mail(smtp))
        assert match, "no reset link in the mail"
        page.goto(match.group(1))
        page.locator("#f-password").fill("a brand new passphrase")
        page.get_by_role("button", name="Set the new password").click()
        expect(page.locator(".flashes")).to_contain_text("Your password is changed")
        page.locator("#f-login").fill("ada@example.com")
        page.locator("#f-password").fill("a brand new passphrase")
        page.locator("main form").get_by_role("button", name="Sign in").click()
        expect(page.get_by_test_id("nav-profile")).to_have_text("Ada")

        # The same link again: used, so a clear refusal on the form, not an error page.
        page.goto(match.group(1))
        page.locator("#f-password").fill("yet another passphrase")
        page.get_by_role("button", name="Set the new password").click()
        expect(page.locator(".form-error")).to_contain_text("not valid")
        screenshot(page, "password-reset-used-link")
    finally:
        smtp.stop()
