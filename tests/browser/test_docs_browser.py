"""The API docs in Chromium (issue 13, defect 11): Swagger UI groups operations by area, with
no "default" group, and shows no literal double backticks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]


def test_the_docs_group_operations_by_area(
    live_server: LiveServer, new_page: Callable[..., Page], screenshot: Screenshot
) -> None:
    for width in (1366, 390):
        page = new_page(viewport={"width": width, "height": 900})
        page.goto("/docs")
        expect(page.locator(".opblock-tag-section").first).to_be_visible(timeout=15_000)
        names = [name.strip() for name in page.locator(".opblock-tag").all_inner_texts()]
        assert names and not any(name.startswith("default") for name in names), names
        assert any(name.startswith("Jobs") for name in names), names
        assert "``" not in page.locator("#swagger-ui").inner_text()
        screenshot(page, f"docs-{width}")
