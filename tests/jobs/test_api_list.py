"""GET /api/v1/jobs and /api/v1/jobs/<id>: what the public sees, filters and pages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.jobs.helpers import error_of, set_job_columns

pytestmark = pytest.mark.both_databases

JOBS = "/api/v1/jobs"


async def listing(client, **params) -> dict:
    response = await client.get(JOBS, query_string=params)
    assert response.status_code == 200, await response.get_data(as_text=True)
    return await response.get_json()


def titles(page: dict) -> list[str]:
    return [item["title"] for item in page["items"]]


async def test_only_published_unexpired_jobs_newest_first(app, db_backend, client, make_job):
    now = datetime.now(UTC)
    older = await make_job(title="Older job")
    await make_job(title="Draft job", status="draft")
    closed = await make_job(title="Closed job")
    await set_job_columns(app, closed.id, status="closed")
    expired = await make_job(title="Expired job", expires_at=now + timedelta(days=1))
    await set_job_columns(app, expired.id, expires_at=now - timedelta(seconds=1))
    await make_job(title="Expiring later", expires_at=now + timedelta(days=3))
    newer = await make_job(title="Newer job")
    await set_job_columns(app, older.id, published_at=now - timedelta(days=2))
    await set_job_columns(app, newer.id, published_at=now + timedelta(minutes=1))

    page = await listing(client)
    assert titles(page) == ["Newer job", "Expiring later", "Older job"]
    assert page["total"] == 3 and page["page"] == 1 and page["per_page"] == 20
    item = page["items"][0]
    assert set(item) == {
        "id",
        "slug",
        "url",
        "title",
        "summary",
        "category",
        "employment_type",
        "location",
        "remote",
        "salary",
        "company",
        "status",
        "published_at",
        "expires_at",
        "updated_at",
    }
    assert "content" not in item  # the list carries summaries only


async def test_list_is_the_same_for_admins(app, db_backend, admin_client, make_job) -> None:
    await make_job(title="Draft job", status="draft")
    await make_job(title="Public job")
    assert titles(await listing(admin_client)) == ["Public job"]


async def test_a_job_expiring_now_leaves_the_list(app, db_backend, client, make_job) -> None:
    # No event marks the moment a job expires: the list (and its per-process cache) must
    # drop it on its own when the time comes.
    await make_job(expires_at=datetime.now(UTC) + timedelta(seconds=1.5))
    assert (await listing(client))["total"] == 1
    await asyncio.sleep(1.6)
    page = await listing(client)
    assert page["items"] == [] and page["total"] == 0


async def test_filters(app, db_backend, client, make_job) -> None:
    await make_job(
        title="Data engineer",
        category="data",
        employment_type="contract",
        location="Shanghai",
        remote=True,
    )
    await make_job(title="Designer", category="design", location="上海市 静安区")
    await make_job(title="Backend", category="engineering", location="Berlin", remote=True)
    await make_job(title="Intern", category="engineering", employment_type="internship")

    assert titles(await listing(client, category="data")) == ["Data engineer"]
    assert titles(await listing(client, type="internship")) == ["Intern"]
    assert titles(await listing(client, type="contract", category="data")) == ["Data engineer"]
    assert titles(await listing(client, type="contract", category="design")) == []
    assert sorted(titles(await listing(client, remote="true"))) == ["Backend", "Data engineer"]
    assert sorted(titles(await listing(client, remote="false"))) == ["Designer", "Intern"]
    assert titles(await listing(client, location="shang")) == ["Data engineer"]  # any case
    assert titles(await listing(client, location="上海")) == ["Designer"]
    assert titles(await listing(client, location="BERLIN", remote="true")) == ["Backend"]
    assert titles(await listing(client, location="   ")) != []  # blank means no filter


@pytest.mark.parametrize("location", ["%", "_", "\\", "% remote_", "'", '"'])
async def test_location_wildcards_are_literal(app, db_backend, client, make_job, location) -> None:
    await make_job(title="Somewhere", location="Berlin")
    await make_job(title="Odd place", location="100% remote_ok \\ 'quoted\"")
    assert titles(await listing(client, location=location)) == ["Odd place"]


BAD_QUERIES = [
    ({"category": "astrology"}, "category"),
    ({"type": "forever"}, "type"),
    ({"remote": "maybe"}, "remote"),
    ({"page": "0"}, "page"),
    ({"page": "-1"}, "page"),
    ({"page": "x"}, "page"),
    ({"page": "10001"}, "page"),
    ({"per_page": "0"}, "per_page"),
    ({"per_page": "101"}, "per_page"),
    ({"q": "x" * 201}, "q"),
    ({"q": "a\x00b"}, "q"),
    ({"location": "x" * 121}, "location"),
    ({"location": "\x00"}, "location"),
]


async def test_bad_query_parameters_are_422(app, db_backend, client, subtests) -> None:
    for params, field in BAD_QUERIES:
        with subtests.test(msg=repr(params)):
            response = await client.get(JOBS, query_string=params)
            error = await error_of(response, 422)
            assert error["code"] == "validation_failed"
            assert field in error["fields"], error["fields"]


async def test_pagination(app, db_backend, client, make_job) -> None:
    now = datetime.now(UTC)
    for number in range(5):
        job = await make_job(title=f"Job number {number}")
        await set_job_columns(app, job.id, published_at=now - timedelta(hours=10 - number))
    first = await listing(client, per_page=2)
    second = await listing(client, per_page=2, page=2)
    third = await listing(client, per_page=2, page=3)
    assert titles(first) == ["Job number 4", "Job number 3"]
    assert titles(second) == ["Job number 2", "Job number 1"]
    assert titles(third) == ["Job number 0"]
    assert first["total"] == second["total"] == third["total"] == 5
    beyond = await listing(client, per_page=2, page=4)
    assert beyond == {"items": [], "total": 5, "total_capped": False, "page": 4, "per_page": 2}
    far = await listing(client, page=10_000)
    assert far["items"] == [] and far["total"] == 5


async def test_per_page_up_to_100(app, db_backend, client, make_job) -> None:
    for number in range(3):
        await make_job(title=f"Job {number}")
    page = await listing(client, per_page=100)
    assert page["per_page"] == 100 and len(page["items"]) == 3


async def test_equal_publication_times_have_a_stable_order(app, db_backend, client, make_job):
    moment = datetime.now(UTC) - timedelta(hours=1)
    ids = []
    for number in range(4):
        job = await make_job(title=f"Same time {number}")
        await set_job_columns(app, job.id, published_at=moment)
        ids.append(job.id)
    seen = [
        item["id"] for p in (1, 2) for item in (await listing(client, per_page=2, page=p))["items"]
    ]
    assert seen == sorted(ids, reverse=True)


# ------------------------------------------------------------------------------ one job


async def test_one_public_job(app, db_backend, client, make_job) -> None:
    job = await make_job(content="# Hello\n\n<script>alert(1)</script>")
    response = await client.get(f"{JOBS}/{job.id}")
    assert response.status_code == 200
    data = await response.get_json()
    assert data["id"] == job.id and data["title"] == job.title
    assert data["content"].startswith("# Hello")
    assert "<h1>Hello</h1>" in data["content_html"]
    assert "<script>" not in data["content_html"]
    assert data["apply_url"] == "https://example.com/apply"
    assert data["videos"] == []
    assert response.headers["Cache-Control"] == "no-store"


async def test_drafts_are_404_for_the_public_but_visible_to_admins(
    app, db_backend, client, user_client, admin_client, make_job
) -> None:
    draft = await make_job(status="draft")
    for visitor in (client, user_client):
        error = await error_of(await visitor.get(f"{JOBS}/{draft.id}"), 404)
        assert error["code"] == "not_found"
    response = await admin_client.get(f"{JOBS}/{draft.id}")
    assert response.status_code == 200
    assert (await response.get_json())["status"] == "draft"


async def test_closed_and_expired_jobs_stay_readable_by_id(app, db_backend, client, make_job):
    closed = await make_job(title="Closed one")
    await set_job_columns(app, closed.id, status="closed")
    expired = await make_job(title="Expired one")
    await set_job_columns(app, expired.id, expires_at=datetime.now(UTC) - timedelta(days=1))
    closed_data = await (await client.get(f"{JOBS}/{closed.id}")).get_json()
    assert closed_data["status"] == "closed"
    expired_data = await (await client.get(f"{JOBS}/{expired.id}")).get_json()
    assert expired_data["expires_at"] is not None


@pytest.mark.parametrize("path", ["abc", "-1", "1.5", "0"])
async def test_odd_ids_are_404(app, db_backend, client, path) -> None:
    await error_of(await client.get(f"{JOBS}/{path}"), 404)


async def test_big_lists_are_counted_only_so_far(app, db_backend, client, make_job, monkeypatch):
    from portal.jobs import service

    monkeypatch.setattr(service, "COUNT_LIMIT", 3)
    for n in range(5):
        await make_job(title=f"Job {n}")
    first = await listing(client, per_page=1)
    assert (first["total"], first["total_capped"]) == (3, True)
    # Past the limit the count goes on to the page asked for, and one further.
    deeper = await listing(client, per_page=1, page=4)
    assert (deeper["total"], deeper["total_capped"], titles(deeper)) == (4, True, ["Job 1"])
    last = await listing(client, per_page=1, page=5)
    assert (last["total"], last["total_capped"], titles(last)) == (5, False, ["Job 0"])
    async with app.test_request_context("/"):
        from portal.jobs import views

        assert views._jobs_count(1000, True) == "1,000+ jobs"
        assert views._jobs_count(28, False) == "28 jobs"
        # A next page though the count stopped at the page's end.
        assert views._page_links({}, 50, 1000, 20, more=True)["next"] == "?page=51"
        assert views._page_links({}, 50, 1000, 20)["next"] is None
