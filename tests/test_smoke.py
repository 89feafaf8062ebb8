"""The app starts, serves its pages and answers the API with the error envelope."""

import pytest


@pytest.mark.both_databases
async def test_home_and_error_envelope(client, db_backend) -> None:
    assert (await client.get("/")).status_code == 200
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    body = await response.get_json()
    assert body["error"]["code"] == "unauthorized"
    assert set(body["error"]) == {"code", "message", "fields"}


async def test_unknown_page_is_html_404(client) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "text/html" in response.content_type


async def test_unknown_api_is_json_404(client) -> None:
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert (await response.get_json())["error"]["code"] == "not_found"
