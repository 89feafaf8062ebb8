"""What a browser may keep of signed-in pages, and the pages signed-in people are sent past."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from quart import Quart

from portal.accounts.models import Role
from tests.accounts.helpers import csrf_header
from tests.factories import csrf_token_for, make_user, signed_in_client

# Routes with no parameters a GET reaches, skipped here with the reason.
NOT_PAGES = {
    "/ws": "the websocket",
    "/logout": "POST only",
}


def parameterless_get_paths(app: Quart) -> list[str]:
    """Every GET route of the app that takes no argument (pages and API alike)."""
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in (rule.methods or ()) or rule.rule in NOT_PAGES:
            continue
        paths.append(rule.rule)
    return sorted(paths)


def is_no_store(response) -> bool:
    directives = {part.strip() for part in response.headers.get("Cache-Control", "").split(",")}
    return "no-store" in directives


@pytest.mark.parametrize("role", [Role.USER, Role.ADMIN])
async def test_every_page_and_api_answer_for_a_signed_in_caller_is_no_store(app, role) -> None:
    client, user = await signed_in_client(app, role=role)
    paths = [*parameterless_get_paths(app), f"/u/{user.username}", "/no-such-page"]
    checked = []
    for path in paths:
        response = await client.get(path)
        if response.mimetype != "text/html" and not path.startswith("/api/"):
            continue  # the feed, the favicon, the spec: nothing of the account's
        assert is_no_store(response), (path, response.status_code, response.headers)
        checked.append(path)
    # Not an empty loop: the account's own pages and answers are among those checked.
    assert {"/profile", "/alerts", "/api/v1/me", "/api/v1/me/tokens", "/"} <= set(checked)
    if role is Role.ADMIN:
        assert {"/admin", "/admin/users", "/api/v1/users"} <= set(checked)


async def test_a_bearer_token_caller_gets_no_store_too(app) -> None:
    client, _user = await signed_in_client(app)
    created = await client.post("/api/v1/me/tokens", json={"name": "script"})
    body = await created.get_json()
    bare = app.test_client()
    response = await bare.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert response.status_code == 200
    assert is_no_store(response)


async def test_signing_out_clears_what_the_browser_kept(app) -> None:
    client, _user = await signed_in_client(app)
    token = await csrf_token_for(client, "/profile")
    response = await client.post("/logout", form={"csrf_token": token})
    assert response.status_code == 302
    cleared = {part.strip() for part in response.headers["Clear-Site-Data"].split(",")}
    assert cleared == {'"cache"', '"storage"'}

    client, _user = await signed_in_client(app)
    response = await client.post("/api/v1/auth/logout", headers=await csrf_header(client))
    assert response.status_code == 204
    assert '"storage"' in response.headers["Clear-Site-Data"]


async def test_signed_in_pages_load_the_back_forward_guard(app) -> None:
    client, _user = await signed_in_client(app)
    page = await (await client.get("/profile")).get_data(as_text=True)
    assert "js/session-guard.js" in page


@pytest.mark.parametrize("path", ["/login", "/register"])
async def test_signed_in_people_go_past_sign_in_and_register(app, path) -> None:
    client, _user = await signed_in_client(app)
    response = await client.get(path)
    assert response.status_code == 302
    assert response.location == "/"
    response = await client.get(path, query_string={"next": "/alerts?tab=inbox"})
    assert response.status_code == 302
    assert response.location == "/alerts?tab=inbox"
    # Only to a page of this site, as after signing in.
    response = await client.get(path, query_string={"next": "//evil.example/"})
    assert urlsplit(response.location).netloc == ""


@pytest.mark.parametrize("path", ["/login", "/register"])
async def test_visitors_still_get_the_forms(app, client, path) -> None:
    await make_user(app)
    response = await client.get(path)
    assert response.status_code == 200
    assert "text/html" in response.content_type
