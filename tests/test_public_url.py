"""PORTAL_PUBLIC_URL: absolute links never come from the request's Host header."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import click
import pytest
from pydantic import ValidationError
from quart import Quart

from portal import cli
from portal.accounts.models import Role
from portal.app import create_app
from portal.config import Settings
from portal.db import get_db
from portal.jobs import service
from portal.jobs.models import Job
from portal.jobs.schemas import JobData
from tests.factories import make_user
from tests.jobs.helpers import JOB_DEFAULTS

PUBLIC = "https://jobs.example.com"
EVIL = {"Host": "evil.example"}
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return Settings(**{**settings.model_dump(), "public_url": PUBLIC + "/"})


async def _job(app: Quart, title: str = "Data engineer") -> Job:
    actor = await make_user(app, role=Role.ADMIN)
    data = JobData.model_validate({**JOB_DEFAULTS, "title": title})
    async with get_db(app).session_scope() as session:
        return await service.create_job(session, actor, data)


def _json_ld(html: str) -> dict:
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(block)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://jobs.example.com", "https://jobs.example.com"),
        ("https://jobs.example.com/", "https://jobs.example.com"),
        (" HTTPS://Jobs.Example.com:8443/ ", "https://jobs.example.com:8443"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("http://[::1]:5000/", "http://[::1]:5000"),
        ("", None),
    ],
)
def test_public_url_is_an_origin_without_trailing_slash(given: str, stored: str | None) -> None:
    assert Settings(public_url=given).public_url == stored


@pytest.mark.parametrize(
    "given",
    [
        "jobs.example.com",
        "ftp://jobs.example.com",
        "javascript://jobs.example.com",
        "https://",
        "https://jobs.example.com/portal",
        "https://jobs.example.com/?x=1",
        "https://jobs.example.com#top",
        "https://user:pw@jobs.example.com",
        "https://jobs.example.com:99999",
        "https://jobs.example.com:port",
        "https://jobs example.com",
        "https://bücher.example",
    ],
)
def test_public_url_refuses_anything_but_an_http_origin(given: str) -> None:
    with pytest.raises(ValidationError, match="PORTAL_PUBLIC_URL"):
        Settings(public_url=given)


def test_production_refuses_to_start_without_public_url(tmp_path, monkeypatch) -> None:
    secret = "a-production-secret-that-is-long-enough-for-anything"
    with pytest.raises(ValidationError, match="PORTAL_PUBLIC_URL must be set in production"):
        create_app({"env": "production", "data_dir": tmp_path, "secret_key": secret})
    for name, value in {
        "PORTAL_ENV": "production",
        "PORTAL_DATA_DIR": str(tmp_path),
        "PORTAL_SECRET_KEY": secret,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PORTAL_PUBLIC_URL", raising=False)
    with pytest.raises(click.ClickException, match="PORTAL_PUBLIC_URL must be set"):
        cli._settings()  # what `portal serve` and the other commands read first
    monkeypatch.setenv("PORTAL_PUBLIC_URL", PUBLIC)
    assert cli._settings().public_url == PUBLIC


async def test_job_page_links_to_the_public_url_whatever_the_host(app, client) -> None:
    job = await _job(app)
    response = await client.get(f"/jobs/{job.id}-data-engineer", headers=EVIL)
    assert response.status_code == 200
    html = await response.get_data(as_text=True)
    assert "evil.example" not in html
    assert f'<link rel="canonical" href="{PUBLIC}/jobs/{job.id}-data-engineer">' in html
    ld = _json_ld(html)
    assert ld["url"] == f"{PUBLIC}/jobs/{job.id}-data-engineer"
    assert ld["hiringOrganization"]["sameAs"] == PUBLIC


async def test_atom_feed_links_to_the_public_url_whatever_the_host(app, client) -> None:
    job = await _job(app)
    response = await client.get("/jobs.atom", query_string={"q": "data engineer"}, headers=EVIL)
    body = await response.get_data(as_text=True)
    assert "evil.example" not in body
    feed = ElementTree.fromstring(body.encode())  # noqa: S314 - our own feed
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {"self": f"{PUBLIC}/jobs.atom?q=data+engineer", "alternate": f"{PUBLIC}/"}
    assert feed.find(f"{ATOM}id").text == f"{PUBLIC}/jobs.atom"
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}id").text == f"{PUBLIC}/jobs/{job.id}"
    assert entry.find(f"{ATOM}link").get("href") == f"{PUBLIC}/jobs/{job.id}-data-engineer"


@pytest.mark.parametrize(
    "path", ["/", "/jobs.atom", "/login", "/register", "/docs", "/openapi.json", "/jobs/{id}"]
)
async def test_no_page_reflects_the_host_header(app, client, path) -> None:
    job = await _job(app)
    response = await client.get(path.format(id=job.id), headers=EVIL, follow_redirects=True)
    assert response.status_code == 200
    assert "evil.example" not in await response.get_data(as_text=True)
    assert "evil.example" not in str(response.headers)


def test_without_public_url_development_links_follow_the_request() -> None:
    """The embedded default (development, tests) may leave it unset: links use the host the
    browser asked for, so `portal demo` works on any address (tests/jobs/test_pages.py)."""
    assert Settings(env="development").base_url("http://127.0.0.1:5000/") == (
        "http://127.0.0.1:5000"
    )
    assert Settings(public_url=PUBLIC).base_url("http://evil.example/") == PUBLIC
