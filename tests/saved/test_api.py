"""The saved-jobs API: /api/v1/me/saved-jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.db import get_db
from portal.saved.models import SavedJob
from tests.factories import signed_in_client
from tests.jobs.helpers import error_of, set_job_columns

API = "/api/v1/me/saved-jobs"


async def saved_list(client) -> dict:
    response = await client.get(API)
    assert response.status_code == 200, await response.get_data(as_text=True)
    return await response.get_json()


async def saved_rows(app) -> list[tuple[int, int]]:
    async with get_db(app).session_scope() as session:
        rows = await session.execute(
            select(SavedJob.user_id, SavedJob.job_id).order_by(SavedJob.user_id, SavedJob.job_id)
        )
        return [tuple(row) for row in rows.all()]


@pytest.mark.both_databases
async def test_save_and_unsave_are_idempotent(app, db_backend, user_client, make_job) -> None:
    job = await make_job(title="Data engineer")
    for _ in range(2):
        response = await user_client.put(f"{API}/{job.id}")
        assert response.status_code == 204
        assert await response.get_data() == b""
    body = await saved_list(user_client)
    assert body["total"] == 1 and len(body["items"]) == 1
    (item,) = body["items"]
    assert item["job"]["id"] == job.id and item["job"]["title"] == "Data engineer"
    assert item["open"] is True
    assert datetime.fromisoformat(item["saved_at"]) <= datetime.now(UTC)
    assert len(await saved_rows(app)) == 1

    for _ in range(2):
        response = await user_client.delete(f"{API}/{job.id}")
        assert response.status_code == 204
    assert (await saved_list(user_client))["items"] == []
    assert await saved_rows(app) == []


@pytest.mark.both_databases
async def test_saving_again_keeps_when_it_was_first_saved(
    app, db_backend, user_client, make_job
) -> None:
    first, second = await make_job(title="First"), await make_job(title="Second")
    await user_client.put(f"{API}/{first.id}")
    await user_client.put(f"{API}/{second.id}")
    before = (await saved_list(user_client))["items"]
    await user_client.put(f"{API}/{first.id}")
    after = (await saved_list(user_client))["items"]
    assert after == before


@pytest.mark.both_databases
async def test_newest_saved_first_with_the_jobs_api_summary(
    app, db_backend, user_client, make_job
) -> None:
    jobs = [await make_job(title=f"Job {n}") for n in range(3)]
    for job in (jobs[1], jobs[0], jobs[2]):
        assert (await user_client.put(f"{API}/{job.id}")).status_code == 204
    body = await saved_list(user_client)
    assert [item["job"]["id"] for item in body["items"]] == [jobs[2].id, jobs[0].id, jobs[1].id]
    listed = {
        item["id"]: item
        for item in (await (await user_client.get("/api/v1/jobs")).get_json())["items"]
    }
    for item in body["items"]:
        assert item["job"] == listed[item["job"]["id"]]
        assert set(item) == {"job", "saved_at", "open"}


@pytest.mark.both_databases
async def test_pages_of_saved_jobs(app, db_backend, user_client, make_job) -> None:
    jobs = [await make_job(title=f"Job {n}") for n in range(3)]
    for job in jobs:
        await user_client.put(f"{API}/{job.id}")
    response = await user_client.get(API, query_string={"page": 2, "per_page": 2})
    body = await response.get_json()
    assert body["total"] == 3 and body["page"] == 2 and body["per_page"] == 2
    assert [item["job"]["id"] for item in body["items"]] == [jobs[0].id]
    bad = await user_client.get(API, query_string={"per_page": 1000})
    await error_of(bad, 422)


@pytest.mark.both_databases
async def test_drafts_unknown_and_deleted_jobs_are_404(
    app, db_backend, user_client, admin_client, make_job
) -> None:
    draft = await make_job(title="Draft", status="draft")
    deleted = await make_job(title="Gone")
    assert (await admin_client.delete(f"/api/v1/jobs/{deleted.id}")).status_code == 204
    for job_id in (draft.id, deleted.id, 999_999, 0, 2**31 - 1):
        error = await error_of(await user_client.put(f"{API}/{job_id}"), 404)
        assert error["code"] == "not_found"
    # Larger than any id: still a 404, never the driver's overflow.
    await error_of(await user_client.put(f"{API}/{2**63}"), 404)
    assert await saved_rows(app) == []
    # Forgetting what is not there is fine.
    assert (await user_client.delete(f"{API}/{draft.id}")).status_code == 204
    assert (await user_client.delete(f"{API}/999999")).status_code == 204


@pytest.mark.both_databases
async def test_a_deleted_job_leaves_the_list(app, db_backend, user_client, admin_client, make_job):
    job = await make_job(title="Soon gone")
    await user_client.put(f"{API}/{job.id}")
    assert (await admin_client.delete(f"/api/v1/jobs/{job.id}")).status_code == 204
    assert (await saved_list(user_client))["items"] == []
    assert await saved_rows(app) == []


@pytest.mark.both_databases
async def test_closed_and_expired_jobs_are_marked(
    app, db_backend, user_client, admin_client, make_job
) -> None:
    open_job = await make_job(title="Open")
    closed = await make_job(title="Closed")
    expiring = await make_job(title="Expired", expires_at=datetime.now(UTC) + timedelta(days=1))
    unpublished = await make_job(title="Unpublished")
    for job in (open_job, closed, expiring, unpublished):
        assert (await user_client.put(f"{API}/{job.id}")).status_code == 204
    response = await admin_client.patch(f"/api/v1/jobs/{closed.id}", json={"status": "closed"})
    assert response.status_code == 200
    await set_job_columns(app, expiring.id, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    response = await admin_client.patch(f"/api/v1/jobs/{unpublished.id}", json={"status": "draft"})
    assert response.status_code == 200

    items = {item["job"]["title"]: item for item in (await saved_list(user_client))["items"]}
    # A job taken back to draft is hidden like everywhere else (its row stays).
    assert set(items) == {"Open", "Closed", "Expired"}
    assert items["Open"]["open"] is True
    assert items["Closed"]["open"] is False and items["Closed"]["job"]["status"] == "closed"
    assert items["Expired"]["open"] is False
    assert len(await saved_rows(app)) == 4

    # Closed jobs can still be saved (their page is still there); drafts cannot.
    assert (await user_client.delete(f"{API}/{closed.id}")).status_code == 204
    assert (await user_client.put(f"{API}/{closed.id}")).status_code == 204
    await error_of(await user_client.put(f"{API}/{unpublished.id}"), 404)


@pytest.mark.both_databases
async def test_signed_out_is_401(app, db_backend, client, make_job) -> None:
    job = await make_job()
    for method in ("GET", "PUT", "DELETE"):
        path = API if method == "GET" else f"{API}/{job.id}"
        response = await client.open(path, method=method)
        error = await error_of(response, 401)
        assert error["code"] == "unauthorized", method
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.both_databases
async def test_users_never_see_each_others_saved_jobs(app, db_backend, make_job) -> None:
    alice, alice_user = await signed_in_client(app)
    bob, bob_user = await signed_in_client(app)
    hers, his, both = await make_job(title="Hers"), await make_job(title="His"), await make_job()
    for client, job in ((alice, hers), (alice, both), (bob, his), (bob, both)):
        assert (await client.put(f"{API}/{job.id}")).status_code == 204
    assert {i["job"]["id"] for i in (await saved_list(alice))["items"]} == {hers.id, both.id}
    assert {i["job"]["id"] for i in (await saved_list(bob))["items"]} == {his.id, both.id}
    # Bob forgetting a job does not touch Alice's copy; his DELETE of hers changes nothing.
    assert (await bob.delete(f"{API}/{both.id}")).status_code == 204
    assert (await bob.delete(f"{API}/{hers.id}")).status_code == 204
    assert {i["job"]["id"] for i in (await saved_list(alice))["items"]} == {hers.id, both.id}
    assert {i["job"]["id"] for i in (await saved_list(bob))["items"]} == {his.id}
    assert await saved_rows(app) == sorted(
        [(alice_user.id, hers.id), (alice_user.id, both.id), (bob_user.id, his.id)]
    )


async def test_bearer_tokens_work_too(app, user_client, make_job) -> None:
    job = await make_job()
    token = (await (await user_client.post("/api/v1/me/tokens", json={"name": "t"})).get_json())[
        "token"
    ]
    bearer = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert (await bearer.put(f"{API}/{job.id}", headers=headers)).status_code == 204
    body = await (await bearer.get(API, headers=headers)).get_json()
    assert [item["job"]["id"] for item in body["items"]] == [job.id]


async def test_a_cross_site_put_is_refused(app, user_client, make_job) -> None:
    job = await make_job()
    response = await user_client.put(
        f"{API}/{job.id}",
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert (await error_of(response, 403))["code"] == "csrf_failed"


async def test_the_api_is_documented(app, client) -> None:
    spec = await (await client.get("/openapi.json")).get_json()
    assert set(spec["paths"]["/api/v1/me/saved-jobs"]) == {"get"}
    assert set(spec["paths"]["/api/v1/me/saved-jobs/{job_id}"]) == {"put", "delete"}
