"""Error pages say what happened and what to do, inside the site's navigation."""

from __future__ import annotations

import pytest
from quart import Quart

from portal.errors import APIError
from tests.factories import signed_in_client


def raising(status: int) -> APIError:
    return APIError(status, "x", "The particular reason.")


@pytest.mark.parametrize(
    ("status", "headline", "action"),
    [
        (403, "You can't open this page", "Back to the jobs"),
        (404, "We can't find that page", "Search jobs"),
        (410, "This is no longer here", "Search jobs"),
        (429, "Too many tries for now", "Try again"),
        (503, "We are busy or restarting", "Try again"),
    ],
)
async def test_error_page(app: Quart, status: int, headline: str, action: str) -> None:
    @app.get(f"/_test/fail/{status}")
    async def fail() -> str:
        raise raising(status)

    client = app.test_client()
    response = await client.get(f"/_test/fail/{status}")
    html = await response.get_data(as_text=True)
    assert response.status_code == status
    assert headline in html
    assert "The particular reason." in html
    assert action in html
    assert 'class="nav"' in html  # the navigation, to go on from here


async def test_error_page_in_chinese(app: Quart) -> None:
    client, _user = await signed_in_client(app)
    response = await client.get("/admin", headers={"Accept-Language": "zh-CN"})
    html = await response.get_data(as_text=True)
    assert response.status_code == 403
    assert "你无法打开此页面" in html
    assert 'data-testid="nav-profile"' in html
