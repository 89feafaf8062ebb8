"""Sessions in words: the User-Agent parser and the profile's sessions table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from quart import Quart

from portal.accounts.useragent import Agent, describe_agent
from portal.i18n import force_language, time_ago
from tests.factories import PASSWORD, make_user

AGENTS = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36": Agent("Chrome 120", "Windows"),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91": Agent("Edge 120", "Windows"),
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.2 Mobile/15E148 Safari/604.1": Agent("Safari 17", "iOS"),
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0": Agent(
        "Firefox 121", "macOS"
    ),
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36": Agent(
        "Samsung Internet 23", "Android"
    ),
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/156.0.0.0 Safari/537.36": Agent("Chrome 156", "Linux"),
    "curl/8.5.0": Agent("curl 8", ""),
    "": Agent("", ""),
}


@pytest.mark.parametrize(("header", "expected"), AGENTS.items())
def test_describe_agent(header: str, expected: Agent) -> None:
    assert describe_agent(header) == expected


@given(st.text(max_size=600))
def test_describe_agent_takes_anything(header: str) -> None:
    agent = describe_agent(header)
    assert len(agent.browser) < 40 and len(agent.system) < 20


def test_time_ago_in_both_languages() -> None:
    now = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    with force_language("en"):
        assert time_ago(now - timedelta(seconds=20), now) == "just now"
        assert time_ago(now - timedelta(minutes=5), now) == "5 minutes ago"
        assert time_ago((now - timedelta(days=2)).replace(tzinfo=None), now) == "2 days ago"
    with force_language("zh_Hans"):
        assert time_ago(now - timedelta(hours=3), now) == "3小时前"


async def test_profile_sessions_in_words(app: Quart) -> None:
    await make_user(app, username="ada")
    client = app.test_client()
    chrome = next(iter(AGENTS))
    response = await client.post(
        "/api/v1/auth/login",
        json={"login": "ada", "password": PASSWORD},
        headers={"User-Agent": chrome},
    )
    assert response.status_code == 200
    html = await (await client.get("/profile")).get_data(as_text=True)
    sessions = html[html.index('id="sessions"') :]
    assert "Chrome 120 on Windows" in sessions
    assert "just now" in sessions
    assert "Mozilla/5.0" not in sessions.split("title=")[0]
