"""Site-wide basics: the icon browsers ask for, and the language switch's return address."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest


async def test_favicon_is_served(client) -> None:
    response = await client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype in {"image/vnd.microsoft.icon", "image/x-icon"}
    assert (await response.get_data())[:4] == b"\x00\x00\x01\x00"  # the ICO signature


async def test_pages_link_their_icons(client) -> None:
    page = await (await client.get("/login")).get_data(as_text=True)
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', page)
    assert "/favicon.ico" in icons
    for href in icons:
        response = await client.get(href)
        assert response.status_code == 200, href
        assert response.mimetype.startswith("image/"), href


def switch_links(page: str) -> list[str]:
    block = page.split('class="lang-switch"', 1)[1].split("</ul>", 1)[0]
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"', block)]


@pytest.mark.parametrize("path", ["/login", "/", "/?q=python"])
async def test_language_links_return_to_the_page_without_a_bare_question_mark(client, path) -> None:
    page = await (await client.get(path)).get_data(as_text=True)
    links = switch_links(page)
    assert links
    for link in links:
        assert parse_qs(urlsplit(link).query)["next"] == [path], link


async def test_language_switch_drops_an_empty_query(client) -> None:
    response = await client.get("/lang/zh_Hans", query_string={"next": "/login?"})
    assert response.status_code == 302
    assert response.location == "/login"
    response = await client.get("/lang/en", query_string={"next": "/?q=a"})
    assert response.location == "/?q=a"
