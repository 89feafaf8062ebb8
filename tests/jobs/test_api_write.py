"""POST/PATCH/DELETE /api/v1/jobs: who may, and validation of every field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portal.accounts.models import Role
from tests.factories import signed_in_client
from tests.jobs.helpers import JOB_DEFAULTS, audit_of, error_of, load_job

pytestmark = pytest.mark.both_databases

JOBS = "/api/v1/jobs"


def body(**fields: Any) -> dict[str, Any]:
    return {**JOB_DEFAULTS, **fields}


async def create(client, **fields: Any) -> dict[str, Any]:
    response = await client.post(JOBS, json=body(**fields))
    assert response.status_code == 201, await response.get_data(as_text=True)
    return await response.get_json()


# ------------------------------------------------------------------------------ who may


async def test_admin_creates_edits_and_deletes(app, db_backend, admin_client) -> None:
    created = await create(
        admin_client,
        title="Senior Python Developer",
        salary_min=60000,
        salary_max=80000,
        salary_currency="eur",
        salary_period="year",
        remote=True,
        expires_at=(datetime.now(UTC) + timedelta(days=30)).isoformat(),
    )
    assert created["title"] == "Senior Python Developer"
    assert created["slug"] == "senior-python-developer"
    assert created["url"] == f"/jobs/{created['id']}-senior-python-developer"
    assert created["status"] == "published"
    assert created["published_at"] is not None
    assert created["salary"] == {"min": 60000, "max": 80000, "currency": "EUR", "period": "year"}
    assert created["remote"] is True
    assert "<strong>useful</strong>" in created["content_html"]
    assert created["summary"] == "We build useful things with Python."
    assert created["videos"] == []

    job_id = created["id"]
    response = await admin_client.patch(f"{JOBS}/{job_id}", json={"title": "Staff Engineer"})
    assert response.status_code == 200
    edited = await response.get_json()
    assert edited["title"] == "Staff Engineer"
    assert edited["slug"] == "staff-engineer"
    assert edited["salary"] == created["salary"]  # untouched fields stay
    assert edited["published_at"] == created["published_at"]

    response = await admin_client.delete(f"{JOBS}/{job_id}")
    assert response.status_code == 204
    assert await response.get_data() == b""
    assert (await admin_client.get(f"{JOBS}/{job_id}")).status_code == 404
    assert await load_job(app, job_id) is None


async def test_minimal_draft(app, db_backend, admin_client) -> None:
    response = await admin_client.post(JOBS, json={"title": "Tea", "content": "x"})
    assert response.status_code == 201
    job = await response.get_json()
    assert job["status"] == "draft"
    assert job["published_at"] is None
    assert job["category"] == "other" and job["employment_type"] == "full_time"
    assert job["salary"] is None and job["apply_url"] is None and job["location"] == ""


async def test_users_may_not_write(app, db_backend, make_job) -> None:
    job = await make_job()
    client, _user = await signed_in_client(app, role=Role.USER)
    for response in (
        await client.post(JOBS, json=body()),
        await client.patch(f"{JOBS}/{job.id}", json={"title": "Mine now"}),
        await client.delete(f"{JOBS}/{job.id}"),
        await client.post(f"{JOBS}/preview", json={"content": "x"}),
    ):
        assert (await error_of(response, 403))["code"] == "forbidden"
    assert (await load_job(app, job.id)).title == JOB_DEFAULTS["title"]


async def test_anonymous_may_not_write(app, db_backend, client, make_job) -> None:
    job = await make_job()
    for response in (
        await client.post(JOBS, json=body()),
        await client.patch(f"{JOBS}/{job.id}", json={"title": "Mine now"}),
        await client.delete(f"{JOBS}/{job.id}"),
        await client.post(f"{JOBS}/preview", json={"content": "x"}),
    ):
        assert (await error_of(response, 401))["code"] == "unauthorized"
    assert await load_job(app, job.id) is not None


async def test_bearer_token_of_an_admin_may_write(app, db_backend, admin_client) -> None:
    response = await admin_client.post("/api/v1/me/tokens", json={"name": "script"})
    token = (await response.get_json())["token"]
    script = app.test_client()
    response = await script.post(JOBS, json=body(), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201


async def test_missing_jobs_are_404(app, db_backend, admin_client) -> None:
    for response in (
        await admin_client.patch(f"{JOBS}/999999", json={"title": "Nope"}),
        await admin_client.delete(f"{JOBS}/999999"),
        await admin_client.get(f"{JOBS}/999999"),
    ):
        assert (await error_of(response, 404))["code"] == "not_found"


@pytest.mark.parametrize("job_id", ["2147483648", "9223372036854775808", "9" * 40])
async def test_huge_ids_are_404_not_500(app, db_backend, admin_client, job_id) -> None:
    for response in (
        await admin_client.get(f"{JOBS}/{job_id}"),
        await admin_client.patch(f"{JOBS}/{job_id}", json={"title": "Nope"}),
        await admin_client.delete(f"{JOBS}/{job_id}"),
    ):
        await error_of(response, 404)


# ------------------------------------------------------------------------------ validation


async def test_malformed_json_is_400(app, db_backend, admin_client) -> None:
    response = await admin_client.post(
        JOBS, data=b'{"title": "x",', headers={"Content-Type": "application/json"}
    )
    assert (await error_of(response, 400))["code"] == "bad_request"
    response = await admin_client.patch(
        f"{JOBS}/1", data=b"not json", headers={"Content-Type": "application/json"}
    )
    await error_of(response, 400)


@pytest.mark.parametrize("payload", [[], "text", 3, None])
async def test_a_body_that_is_not_an_object_is_refused(
    app, db_backend, admin_client, payload
) -> None:
    response = await admin_client.post(JOBS, json=payload)
    assert response.status_code in (400, 422)
    await error_of(response, response.status_code)


async def test_unknown_field_is_422(app, db_backend, admin_client) -> None:
    response = await admin_client.post(JOBS, json=body(salary="lots"))
    error = await error_of(response, 422)
    assert error["code"] == "validation_failed"
    assert "salary" in error["fields"]
    response = await admin_client.post(JOBS, json=body(id=5))
    assert "id" in (await error_of(response, 422))["fields"]


INVALID: list[tuple[dict[str, Any], str]] = [
    ({"title": "ab"}, "title"),
    ({"title": "   ab   "}, "title"),  # stripped first
    ({"title": "x" * 201}, "title"),
    ({"title": None}, "title"),
    ({"title": 123}, "title"),
    ({"content": ""}, "content"),
    ({"content": "   "}, "content"),
    ({"content": "x" * 20_001}, "content"),
    ({"category": "astrology"}, "category"),
    ({"category": "Engineering"}, "category"),
    ({"employment_type": "forever"}, "employment_type"),
    ({"status": "archived"}, "status"),
    ({"location": "x" * 121}, "location"),
    ({"remote": "sometimes"}, "remote"),
    ({"salary_min": -1, "salary_currency": "EUR", "salary_period": "year"}, "salary_min"),
    ({"salary_max": 10**12, "salary_currency": "EUR", "salary_period": "year"}, "salary_max"),
    ({"salary_min": "lots", "salary_currency": "EUR", "salary_period": "year"}, "salary_min"),
    ({"salary_min": 1.5, "salary_currency": "EUR", "salary_period": "year"}, "salary_min"),
    (
        {"salary_min": 9, "salary_max": 1, "salary_currency": "EUR", "salary_period": "year"},
        "salary_max",
    ),
    ({"salary_min": 100, "salary_period": "year"}, "salary_currency"),
    ({"salary_min": 100, "salary_currency": "ZZZ", "salary_period": "year"}, "salary_currency"),
    ({"salary_min": 100, "salary_currency": "EURO", "salary_period": "year"}, "salary_currency"),
    ({"salary_min": 100, "salary_currency": "EUR"}, "salary_period"),
    ({"salary_min": 100, "salary_currency": "EUR", "salary_period": "week"}, "salary_period"),
    ({"apply_url": "javascript:alert(1)"}, "apply_url"),
    ({"apply_url": "ftp://example.com"}, "apply_url"),
    ({"apply_url": "example.com"}, "apply_url"),
    ({"apply_url": "http://[::1"}, "apply_url"),
    ({"apply_url": "https://example.com/" + "x" * 500}, "apply_url"),
    ({"apply_email": "not-an-email"}, "apply_email"),
    ({"apply_email": "a@" + "b" * 250 + ".com"}, "apply_email"),
    ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ({"expires_at": "2099-01-01T00:00:00"}, "expires_at"),  # no time zone
    ({"expires_at": "next week"}, "expires_at"),
    ({"expires_at": "9999-12-31T23:59:59-12:00"}, "expires_at"),  # past year 9999 in UTC
    ({"expires_at": "0001-01-01T00:00:00+12:00"}, "expires_at"),  # before year 1 in UTC
    ({"status": "draft", "expires_at": "9999-12-31T23:59:59-12:00"}, "expires_at"),
    ({"title": "Tab\there"}, "title"),
    ({"location": "Line\nbreak"}, "location"),
    ({"content": "bell \x07"}, "content"),
    ({"apply_email": "hr@example.com\r\nBcc: x@y.z"}, "apply_email"),
]


# One app per database for the whole table (an app per case would take minutes); each case
# is its own subtest, so every failing case is reported.


async def test_invalid_fields_are_422(app, db_backend, admin_client, subtests) -> None:
    for fields, field in INVALID:
        with subtests.test(msg=repr(fields)):
            response = await admin_client.post(JOBS, json=body(**fields))
            error = await error_of(response, 422)
            assert error["code"] == "validation_failed"
            assert field in error["fields"], error["fields"]
            assert all(isinstance(text, str) and text for text in error["fields"].values())
    assert await audit_of(app) == []  # nothing was created


async def test_invalid_patches_are_422_and_change_nothing(
    app, db_backend, admin_client, make_job, subtests
) -> None:
    job = await make_job()
    for fields, field in INVALID:
        with subtests.test(msg=repr(fields)):
            response = await admin_client.patch(f"{JOBS}/{job.id}", json=fields)
            error = await error_of(response, 422)
            assert field in error["fields"], error["fields"]
    after = await load_job(app, job.id)
    assert after.title == job.title and after.updated_at == job.updated_at


async def test_patch_cannot_null_a_required_field(
    app, db_backend, admin_client, make_job, subtests
) -> None:
    job = await make_job()
    for field in ("title", "content", "category", "employment_type", "location", "remote"):
        with subtests.test(msg=field):
            response = await admin_client.patch(f"{JOBS}/{job.id}", json={field: None})
            assert field in (await error_of(response, 422))["fields"]
    response = await admin_client.patch(f"{JOBS}/{job.id}", json={"status": None})
    assert "status" in (await error_of(response, 422))["fields"]


async def test_unknown_field_in_a_patch_is_422(app, db_backend, admin_client, make_job) -> None:
    job = await make_job()
    response = await admin_client.patch(f"{JOBS}/{job.id}", json={"slug": "hacked"})
    assert "slug" in (await error_of(response, 422))["fields"]


@pytest.mark.parametrize(
    ("fields", "stored"),
    [
        ({"title": "  Padded title  "}, {"title": "Padded title", "slug": "padded-title"}),
        ({"apply_email": "HR@Example.COM"}, {"apply_email": "HR@example.com"}),
        ({"apply_url": "", "apply_email": "hr@example.com"}, {"apply_url": None}),
        (
            {"salary_min": 100, "salary_currency": "usd", "salary_period": "hour"},
            {"salary_min": 100, "salary_max": None, "salary_currency": "USD"},
        ),
        (
            {"salary_currency": "USD", "salary_period": "hour"},  # no amount: dropped
            {"salary_currency": None, "salary_period": None},
        ),
        ({"title": "高级数据分析师"}, {"slug": ""}),
    ],
)
async def test_fields_are_normalised(app, db_backend, admin_client, fields, stored) -> None:
    created = await create(admin_client, **fields)
    job = await load_job(app, created["id"])
    for name, value in stored.items():
        assert getattr(job, name) == value, name


async def test_chinese_title_has_a_plain_id_url(app, db_backend, admin_client) -> None:
    created = await create(admin_client, title="高级数据分析师")
    assert created["url"] == f"/jobs/{created['id']}"


async def test_lengths_at_the_limits_are_accepted(app, db_backend, admin_client) -> None:
    created = await create(
        admin_client,
        title="T" * 200,
        content="字" * 20_000,
        location="L" * 120,
        apply_url="https://example.com/" + "p" * 480,
        salary_min=0,
        salary_max=1_000_000_000,
        salary_currency="CNY",
        salary_period="month",
    )
    job = await load_job(app, created["id"])
    assert len(job.title) == 200 and len(job.content) == 20_000 and len(job.location) == 120
    assert len(job.slug) <= 80
    assert len(job.summary) <= 300


async def test_patch_clears_an_optional_field(app, db_backend, admin_client, make_job) -> None:
    job = await make_job(
        apply_email="hr@example.com",
        salary_min=1,
        salary_max=2,
        salary_currency="EUR",
        salary_period="day",
    )
    response = await admin_client.patch(
        f"{JOBS}/{job.id}", json={"apply_email": None, "salary_min": None, "salary_max": None}
    )
    assert response.status_code == 200
    data = await response.get_json()
    assert data["apply_email"] is None and data["salary"] is None


async def test_patch_can_remove_the_last_way_to_apply(
    app, db_backend, admin_client, make_job
) -> None:
    # The rule changed (issue 12): a published job without a link or email is applied to on
    # Portal itself.
    job = await make_job()
    response = await admin_client.patch(f"{JOBS}/{job.id}", json={"apply_url": None})
    assert response.status_code == 200, await response.get_json()
    data = await response.get_json()
    assert data["status"] == "published"
    assert data["apply_url"] is None and data["apply_email"] is None


async def test_an_expired_job_can_still_be_edited(app, db_backend, admin_client, make_job) -> None:
    from tests.jobs.helpers import set_job_columns

    job = await make_job()
    await set_job_columns(app, job.id, expires_at=datetime.now(UTC) - timedelta(days=1))
    response = await admin_client.patch(f"{JOBS}/{job.id}", json={"title": "Fixed typo"})
    assert response.status_code == 200
    # ... but a new expiry must lie ahead.
    response = await admin_client.patch(
        f"{JOBS}/{job.id}", json={"expires_at": "2001-01-01T00:00:00+00:00"}
    )
    assert "expires_at" in (await error_of(response, 422))["fields"]


async def test_empty_patch_changes_nothing(app, db_backend, admin_client, make_job) -> None:
    job = await make_job()
    response = await admin_client.patch(f"{JOBS}/{job.id}", json={})
    assert response.status_code == 200
    assert (await load_job(app, job.id)).updated_at == job.updated_at


async def test_content_keeps_line_breaks_and_tabs(app, db_backend, admin_client) -> None:
    created = await create(admin_client, content="line one\r\n\tindented\nline three")
    assert created["content"] == "line one\r\n\tindented\nline three"


async def test_far_expiry_in_utc_is_fine(app, db_backend, admin_client) -> None:
    created = await create(admin_client, expires_at="9999-12-31T23:59:59Z")
    assert created["expires_at"].startswith("9999-12-31T23:59:59")
    created = await create(admin_client, expires_at="2099-06-01T08:00:00+08:00")
    assert created["expires_at"].startswith("2099-06-01T00:00:00")  # stored in UTC


async def test_strings_with_nul_characters_are_refused(app, db_backend, admin_client) -> None:
    for fields in ({"title": "Bad\x00title"}, {"content": "a\x00b"}, {"location": "\x00"}):
        response = await admin_client.post(JOBS, json=body(**fields))
        assert response.status_code == 422, await response.get_data(as_text=True)


async def test_non_json_content_type_is_refused(app, db_backend, admin_client) -> None:
    response = await admin_client.post(JOBS, data="title=x", headers={"Content-Type": "text/plain"})
    assert 400 <= response.status_code < 500
