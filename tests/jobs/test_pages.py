"""Public pages: the home list, job pages with JSON-LD, and the Atom feed."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from tests.factories import csrf_token_for
from tests.jobs.helpers import set_job_columns

ATOM = "{http://www.w3.org/2005/Atom}"


async def page(client, path: str, status: int = 200, **params) -> str:
    response = await client.get(path, query_string=params)
    html = await response.get_data(as_text=True)
    assert response.status_code == status, html[:2000]
    return html


def card_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="job-card" data-job-id="(\d+)"', html)]


def json_ld(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


DATA_SCRIPTS = {"application/ld+json", "application/json"}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.found


def parse_feed(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314 - our own feed


def noindex(html: str) -> bool:
    return bool(re.search(r'<meta name="robots" content="[^"]*noindex', html))


# ------------------------------------------------------------------------------ home


async def test_home_lists_published_jobs(app, client, make_job) -> None:
    public = await make_job(title="Public role")
    draft = await make_job(title="Draft role", status="draft")
    closed = await make_job(title="Closed role", status="closed")
    html = await page(client, "/")
    assert card_ids(html) == [public.id]
    assert "Public role" in html
    assert "Draft role" not in html and "Closed role" not in html
    assert f"/jobs/{public.id}-public-role" in html
    assert draft.id not in card_ids(html) and closed.id not in card_ids(html)


async def test_home_without_jobs(app, client) -> None:
    html = await page(client, "/")
    assert card_ids(html) == []


@pytest.fixture
async def three_jobs(make_job):
    data = await make_job(
        title="高级数据分析师", category="data", location="上海", employment_type="contract"
    )
    python = await make_job(title="Python developer", category="engineering", remote=True)
    design = await make_job(title="Designer", category="design", location="Hamburg")
    return data, python, design


async def test_home_filters(app, client, three_jobs) -> None:
    data, python, design = three_jobs
    assert card_ids(await page(client, "/", q="数据")) == [data.id]
    assert card_ids(await page(client, "/", q="develop")) == [python.id]
    assert card_ids(await page(client, "/", category="design")) == [design.id]
    assert card_ids(await page(client, "/", type="contract")) == [data.id]
    assert card_ids(await page(client, "/", remote="1")) == [python.id]
    assert card_ids(await page(client, "/", location="hamb")) == [design.id]
    assert card_ids(await page(client, "/", q="上海", category="data")) == [data.id]
    assert card_ids(await page(client, "/", q="上海", category="design")) == []


async def test_home_keeps_the_query_in_the_form(app, client, three_jobs) -> None:
    query = '<marquee>"x"</marquee>'
    html = await page(client, "/", q=query)
    found = elements(html)
    assert "marquee" not in {tag for tag, _attrs in found}
    (search_box,) = [attrs for tag, attrs in found if tag == "input" and attrs.get("id") == "q"]
    assert search_box["value"] == query


@pytest.mark.parametrize(
    "params",
    [
        {"category": "astrology"},
        {"type": "forever"},
        {"remote": "maybe"},
        {"page": "0"},
        {"page": "-5"},
        {"page": "x"},
        {"page": "99999999999999999999"},
        {"page": "²"},
        {"q": "x" * 1000},
        {"q": '"foo* OR ('},
        {"q": "NEAR("},
        {"q": "\\"},
        {"q": "a\x00b"},
        {"location": "\x00"},
        {"location": "%_"},
    ],
)
async def test_home_survives_bad_filters(app, client, three_jobs, params) -> None:
    await page(client, "/", **params)


async def test_home_ignores_a_bad_filter_but_keeps_the_good_ones(app, client, three_jobs):
    data, _python, _design = three_jobs
    assert card_ids(await page(client, "/", category="astrology", type="contract")) == [data.id]


async def test_home_pages(app, client, make_job) -> None:
    now = datetime.now(UTC)
    jobs = []
    for number in range(23):
        job = await make_job(title=f"Role {number}")
        await set_job_columns(app, job.id, published_at=now - timedelta(minutes=100 - number))
        jobs.append(job.id)
    first = await page(client, "/")
    second = await page(client, "/", page="2")
    assert card_ids(first) == jobs[::-1][:20]
    assert card_ids(second) == jobs[::-1][20:]
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert card_ids(await page(client, "/", page="9")) == []


async def test_home_data_block_is_utf8_and_cannot_be_closed_early(app, client, make_job):
    title = "数据 </script><script>alert(1)</script> & <!--"
    job = await make_job(title=title)
    html = await page(client, "/")
    assert "<script>alert(1)" not in html
    blocks = re.findall(r'<script type="application/json" id="home-data">(.*?)</script>', html)
    (data,) = [json.loads(block) for block in blocks]
    assert [(item["id"], item["title"]) for item in data["jobs"]] == [(job.id, title)]
    assert "数据" in blocks[0]  # not \u escapes: half the bytes for Chinese text


async def test_anonymous_home_page_follows_job_events(app, client, make_job) -> None:
    first = await make_job(title="First role")
    assert card_ids(await page(client, "/")) == [first.id]
    assert card_ids(await page(client, "/")) == [first.id]  # from the page cache
    second = await make_job(title="Second role")
    assert card_ids(await page(client, "/")) == [second.id, first.id]


async def test_anonymous_home_page_is_per_language_and_url(app, client, make_job) -> None:
    await make_job(title="Role")
    english = await page(client, "/")
    chinese = await client.get("/", headers={"Accept-Language": "zh-CN"})
    assert 'lang="zh-Hans"' in await chinese.get_data(as_text=True)
    assert 'lang="en"' in english
    other = await page(client, "/", page="1", x="y")
    assert "x%3Dy" in other and "x%3Dy" not in english


async def test_signed_in_home_page_is_never_the_anonymous_one(
    app, client, user_client, make_job
) -> None:
    await make_job(title="Role")
    assert "Create an account" in await page(client, "/")
    signed_in = await page(user_client, "/")
    assert "Create an account" not in signed_in and "Your profile" in signed_in
    assert "Create an account" in await page(client, "/")


async def test_flash_message_shows_on_the_home_page_once(app, client, user_client, make_job):
    await make_job(title="Role")
    await page(client, "/")  # an anonymous page is cached
    token = await csrf_token_for(user_client, "/profile")
    response = await user_client.post("/logout", form={"csrf_token": token})
    assert response.status_code == 302
    assert "You are signed out." in await page(user_client, "/")
    assert "You are signed out." not in await page(user_client, "/")
    assert "You are signed out." not in await page(client, "/")


# ------------------------------------------------------------------------------ job page


async def test_plain_job_url_redirects_to_the_slug(app, client, make_job) -> None:
    job = await make_job(title="Senior Python Developer")
    for path in (f"/jobs/{job.id}", f"/jobs/{job.id}-wrong-slug", f"/jobs/{job.id}-senior"):
        response = await client.get(path)
        assert response.status_code == 301, path
        assert response.headers["Location"].endswith(f"/jobs/{job.id}-senior-python-developer")


async def test_a_job_without_slug_lives_at_its_id(app, client, make_job) -> None:
    job = await make_job(title="高级数据分析师")
    html = await page(client, f"/jobs/{job.id}")
    assert "高级数据分析师" in html
    response = await client.get(f"/jobs/{job.id}-anything")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/jobs/{job.id}")


async def test_job_page_has_job_posting_json_ld(app, client, make_job) -> None:
    expires = datetime.now(UTC) + timedelta(days=20)
    job = await make_job(
        title="Data engineer",
        employment_type="part_time",
        location="上海",
        remote=True,
        salary_min=20000,
        salary_max=30000,
        salary_currency="CNY",
        salary_period="month",
        expires_at=expires,
    )
    html = await page(client, f"/jobs/{job.id}-data-engineer")
    assert not noindex(html)
    (ld,) = json_ld(html)
    assert ld["@context"].startswith("https://schema.org")
    assert ld["@type"] == "JobPosting"
    assert ld["title"] == "Data engineer"
    assert ld["datePosted"] == job.published_at.date().isoformat()
    assert ld["employmentType"] == "PART_TIME"
    assert ld["validThrough"].startswith(expires.date().isoformat())
    assert ld["jobLocation"]["address"]["addressLocality"] == "上海"
    assert ld["jobLocationType"] == "TELECOMMUTE"
    assert ld["baseSalary"] == {
        "@type": "MonetaryAmount",
        "currency": "CNY",
        "value": {
            "@type": "QuantitativeValue",
            "minValue": 20000,
            "maxValue": 30000,
            "unitText": "MONTH",
        },
    }
    assert ld["url"].endswith(f"/jobs/{job.id}-data-engineer")
    assert ld["hiringOrganization"]["@type"] == "Organization"
    assert "<strong>useful</strong>" in ld["description"]
    assert f'<link rel="canonical" href="http://localhost/jobs/{job.id}-data-engineer">' in html


@pytest.mark.parametrize(
    ("kind", "ld_type"),
    [("full_time", "FULL_TIME"), ("contract", "CONTRACTOR"), ("internship", "INTERN")],
)
async def test_employment_types_in_json_ld(app, client, make_job, kind, ld_type) -> None:
    job = await make_job(title="Role", employment_type=kind)
    (ld,) = json_ld(await page(client, f"/jobs/{job.id}-role"))
    assert ld["employmentType"] == ld_type
    assert "baseSalary" not in ld and "validThrough" not in ld


async def test_closed_job_says_so_and_is_not_indexed(app, client, admin_client, make_job) -> None:
    job = await make_job(title="Old role")
    response = await admin_client.patch(f"/api/v1/jobs/{job.id}", json={"status": "closed"})
    assert response.status_code == 200
    html = await page(client, f"/jobs/{job.id}-old-role")
    assert noindex(html)
    assert json_ld(html) == []
    assert "This job is closed" in html
    assert "https://example.com/apply" not in html  # no way to apply any more


async def test_expired_job_says_so_and_is_not_indexed(app, client, make_job) -> None:
    job = await make_job(title="Expired role")
    await set_job_columns(app, job.id, expires_at=datetime.now(UTC) - timedelta(hours=1))
    html = await page(client, f"/jobs/{job.id}-expired-role")
    assert noindex(html)
    assert json_ld(html) == []
    assert "This job has expired" in html


async def test_drafts_are_404_except_for_admins(app, client, user_client, admin_client, make_job):
    job = await make_job(title="Secret draft", status="draft")
    await page(client, f"/jobs/{job.id}-secret-draft", status=404)
    await page(user_client, f"/jobs/{job.id}-secret-draft", status=404)
    html = await page(admin_client, f"/jobs/{job.id}-secret-draft")
    assert "Secret draft" in html
    assert noindex(html) and json_ld(html) == []


@pytest.mark.parametrize("path", ["/jobs/999999", "/jobs/99999999999999999999999", "/jobs/0"])
async def test_missing_job_pages_are_404(app, client, path) -> None:
    await page(client, path, status=404)


async def test_script_in_content_and_title_is_escaped(app, client, make_job) -> None:
    job = await make_job(
        title="Hacker </script><script>alert(1)</script>",
        content="Hello <script>alert(1)</script> <img src=x onerror=alert(1)>",
    )
    response = await client.get(f"/jobs/{job.id}")
    html = await page(client, response.headers["Location"])
    assert "<script>alert(1)" not in html
    for tag, attrs in elements(html):
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        if tag == "script":  # only our own scripts and data blocks
            assert attrs.get("src") or attrs.get("type") in DATA_SCRIPTS, attrs
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # The JSON-LD stays one script element and gives the title back intact.
    (ld,) = json_ld(html)
    assert ld["title"] == "Hacker </script><script>alert(1)</script>"


async def test_json_ld_cannot_swallow_the_page(app, client, make_job) -> None:
    # "<!--<script>" inside a script element would make the parser skip the next "</script>".
    job = await make_job(title="Comment <!--<script> trick", location="A & B")
    response = await client.get(f"/jobs/{job.id}")
    html = await page(client, response.headers["Location"])
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert "<" not in block and ">" not in block
    ld = json.loads(block)
    assert ld["title"] == "Comment <!--<script> trick"
    assert ld["jobLocation"]["address"]["addressLocality"] == "A & B"


# ------------------------------------------------------------------------------ feed


async def test_atom_feed(app, client, make_job) -> None:
    first = await make_job(title="R&D <lead>", category="engineering", content="Big & bold")
    second = await make_job(title="数据分析师", category="data")
    await make_job(title="Hidden draft", status="draft")
    response = await client.get("/jobs.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = parse_feed(await response.get_data())
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}title").text
    assert feed.find(f"{ATOM}updated").text
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["数据分析师", "R&D <lead>"]
    entry = entries[1]
    assert entry.find(f"{ATOM}link").get("href").endswith(f"/jobs/{first.id}-r-d-lead")
    assert entry.find(f"{ATOM}id").text.endswith(f"/jobs/{first.id}")
    assert entry.find(f"{ATOM}category").get("term") == "engineering"
    assert "Big &amp; bold" in entry.find(f"{ATOM}content").text
    assert datetime.fromisoformat(entry.find(f"{ATOM}published").text)
    assert entries[0].find(f"{ATOM}id").text.endswith(f"/jobs/{second.id}")


async def test_atom_feed_honours_filters(app, client, make_job) -> None:
    await make_job(title="Engineer", category="engineering")
    await make_job(title="Analyst", category="data", location="上海")
    for params, expected in (
        ({"category": "data"}, ["Analyst"]),
        ({"category": "engineering"}, ["Engineer"]),
        ({"q": "上海"}, ["Analyst"]),
        ({"category": "astrology"}, ["Analyst", "Engineer"]),  # a bad value is dropped
    ):
        response = await client.get("/jobs.atom", query_string=params)
        feed = parse_feed(await response.get_data())
        titles = [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")]
        assert titles == expected, params


async def test_empty_atom_feed_is_valid(app, client) -> None:
    response = await client.get("/jobs.atom")
    feed = parse_feed(await response.get_data())
    assert feed.findall(f"{ATOM}entry") == []


async def test_a_remote_location_is_not_said_twice(app, client, make_job) -> None:
    """Issue 13, defect 11: "Remote · Remote" on cards and job pages."""
    job = await make_job(title="Remote welder", location="Remote", remote=True)
    elsewhere = await make_job(title="Hybrid welder", location="Berlin", remote=True)
    page = await (await client.get(f"/jobs/{job.id}", follow_redirects=True)).get_data(as_text=True)
    place = re.search(r"<dt>Location</dt><dd>(.*?)</dd>", page, re.S)
    assert place and place.group(1).strip() == "Remote"
    page = await (await client.get(f"/jobs/{elsewhere.id}", follow_redirects=True)).get_data(
        as_text=True
    )
    place = re.search(r"<dt>Location</dt><dd>(.*?)</dd>", page, re.S)
    assert place and place.group(1).strip() == "Berlin · Remote"
    home = await (await client.get("/")).get_data(as_text=True)
    assert '<span class="place">Remote</span>' not in home
    assert '<span class="place">Berlin</span>' in home
