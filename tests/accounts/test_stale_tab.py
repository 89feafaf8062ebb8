"""A form sent from a tab that was signed out meanwhile: the page says why and leads back."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.accounts.helpers import csrf_header
from tests.factories import csrf_token_for, login, signed_in_client


async def stale_tab(app):
    """A signed-in client holding a profile form's token, then signed out elsewhere."""
    client, user = await signed_in_client(app)
    token = await csrf_token_for(client, "/profile")
    response = await client.post("/api/v1/auth/logout", headers=await csrf_header(client))
    assert response.status_code == 204
    return client, user, token


def sign_in_link(page: str) -> str:
    start = page.index('href="/login?')
    return page[start + 6 : page.index('"', start + 6)].replace("&amp;", "&")


async def test_a_signed_out_tab_sending_a_form_is_told_why_and_led_back(app) -> None:
    client, _user, token = await stale_tab(app)
    response = await client.post(
        "/profile",
        form={"csrf_token": token, "action": "profile", "nickname": "New name", "bio": "Hi"},
        headers={"Referer": "http://localhost/profile?tab=me"},
    )
    assert response.status_code == 401
    assert "text/html" in response.content_type
    page = await response.get_data(as_text=True)
    assert "You were signed out" in page
    assert "was not saved" in page
    # Marked for the page script to keep the draft, which it then restores after sign-in.
    assert "data-keep-draft" in page and "js/form-drafts.js" in page
    link = urlsplit(sign_in_link(page))
    assert link.path == "/login"
    assert parse_qs(link.query) == {"next": ["/profile?tab=me"]}


@pytest.mark.parametrize(
    "referrer", [None, "https://evil.example/profile", "http://localhost", "not a url"]
)
async def test_the_way_back_stays_on_this_site(app, referrer) -> None:
    client, _user, token = await stale_tab(app)
    headers = {"Referer": referrer} if referrer else {}
    response = await client.post(
        "/profile/tokens", form={"csrf_token": token, "name": "x"}, headers=headers
    )
    assert response.status_code == 401
    page = await response.get_data(as_text=True)
    assert parse_qs(urlsplit(sign_in_link(page)).query) == {"next": ["/"]}


async def test_pages_still_send_visitors_to_sign_in_and_the_api_answers_json(app) -> None:
    client, _user, _token = await stale_tab(app)
    response = await client.get("/profile")
    assert response.status_code == 302
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert (await response.get_json())["error"]["code"] == "unauthorized"


async def test_a_form_whose_token_went_stale_leads_back_to_it(app) -> None:
    # Signed out and in again in another tab: the session has a new token, the old tab not.
    client, user = await signed_in_client(app)
    stale_token = await csrf_token_for(client, "/profile")
    await client.post("/api/v1/auth/logout", headers=await csrf_header(client))
    await login(client, user.username)
    response = await client.post(
        "/profile",
        form={"csrf_token": stale_token, "action": "profile", "bio": "Hi"},
        headers={"Referer": "http://localhost/profile"},
    )
    assert response.status_code == 403
    page = await response.get_data(as_text=True)
    assert "The form has expired" in page and "data-keep-draft" in page
    assert 'href="/profile"' in page
    # The API keeps its envelope.
    response = await client.post(
        "/profile", form={"csrf_token": stale_token}, headers={"Accept": "application/json"}
    )
    assert (await response.get_json())["error"]["code"] == "csrf_failed"


async def test_a_cross_site_post_is_not_mistaken_for_a_stale_form(app) -> None:
    client, _user = await signed_in_client(app)
    response = await client.post(
        "/profile", form={"bio": "pwned"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    page = await response.get_data(as_text=True)
    assert "data-keep-draft" not in page
