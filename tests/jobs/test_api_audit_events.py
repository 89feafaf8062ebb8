"""The audit log (GET /api/v1/audit), the event rows of the jobs channel, and the preview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.jobs.helpers import JOB_DEFAULTS, audit_of, error_of, events_of, set_job_columns

pytestmark = pytest.mark.both_databases

JOBS = "/api/v1/jobs"


async def create(client, **fields) -> dict:
    response = await client.post(JOBS, json={**JOB_DEFAULTS, **fields})
    assert response.status_code == 201, await response.get_data(as_text=True)
    return await response.get_json()


async def patch(client, job_id: int, **fields) -> dict:
    response = await client.patch(f"{JOBS}/{job_id}", json=fields)
    assert response.status_code == 200, await response.get_data(as_text=True)
    return await response.get_json()


# ------------------------------------------------------------------------------ audit


async def test_every_action_is_audited(app, db_backend, admin) -> None:
    client, actor = admin
    job = await create(client, status="draft", title="Audited job")
    job_id = job["id"]
    await patch(client, job_id, title="Audited job, edited", content="New **text**")
    await patch(client, job_id, status="published")
    await patch(client, job_id, status="closed")
    await patch(client, job_id, status="draft")
    assert (await client.delete(f"{JOBS}/{job_id}")).status_code == 204

    rows = await audit_of(app, job_id)
    assert [row.action for row in rows] == [
        "create",
        "edit",
        "publish",
        "close",
        "unpublish",
        "delete",
    ]
    assert {row.actor_id for row in rows} == {actor.id}
    assert {row.actor_name for row in rows} == {actor.nickname}
    create_row, edit, publish, close, _unpublish, delete = rows
    assert create_row.changes["title"] == [None, "Audited job"]
    assert create_row.changes["status"] == [None, "draft"]
    assert "salary_min" not in create_row.changes  # empty fields are left out
    assert edit.changes == {
        "title": ["Audited job", "Audited job, edited"],
        "content": [JOB_DEFAULTS["content"], "New **text**"],
    }
    assert edit.job_title == "Audited job, edited"
    assert publish.changes == {"status": ["draft", "published"]}
    assert close.changes == {"status": ["published", "closed"]}
    assert delete.changes == {"status": ["draft", None]}
    assert delete.job_title == "Audited job, edited"  # kept after the job is gone


async def test_an_unchanged_patch_is_not_audited(app, db_backend, admin_client) -> None:
    job = await create(admin_client)
    await patch(admin_client, job["id"], title=job["title"], remote=False)
    assert [row.action for row in await audit_of(app, job["id"])] == ["create"]


async def test_long_texts_are_shortened_in_the_audit(app, db_backend, admin_client) -> None:
    job = await create(admin_client, content="x" * 5000)
    (row,) = await audit_of(app, job["id"])
    assert len(row.changes["content"][1]) < 2100
    assert row.changes["content"][1].endswith("…")


async def test_expiry_is_audited_as_text(app, db_backend, admin_client) -> None:
    expires = datetime.now(UTC) + timedelta(days=10)
    job = await create(admin_client, expires_at=expires.isoformat())
    (row,) = await audit_of(app, job["id"])
    assert datetime.fromisoformat(row.changes["expires_at"][1]) == expires


async def test_audit_api(app, db_backend, admin_client, admin) -> None:
    _client, actor = admin
    first = await create(admin_client, title="First job")
    second = await create(admin_client, title="Second job")
    await patch(admin_client, first["id"], title="First job again")

    response = await admin_client.get("/api/v1/audit")
    assert response.status_code == 200
    items = (await response.get_json())["items"]
    assert [(i["job_id"], i["action"]) for i in items] == [
        (first["id"], "edit"),
        (second["id"], "create"),
        (first["id"], "create"),
    ]  # newest first
    entry = items[0]
    assert entry["actor_id"] == actor.id and entry["actor_name"] == actor.nickname
    assert entry["changes"] == {"title": ["First job", "First job again"]}
    assert entry["job_title"] == "First job again"
    assert entry["created_at"]

    response = await admin_client.get("/api/v1/audit", query_string={"job_id": second["id"]})
    items = (await response.get_json())["items"]
    assert [(i["job_id"], i["action"]) for i in items] == [(second["id"], "create")]

    response = await admin_client.get("/api/v1/audit", query_string={"limit": 1})
    assert len((await response.get_json())["items"]) == 1

    response = await admin_client.get("/api/v1/audit", query_string={"job_id": 424242})
    assert (await response.get_json())["items"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"job_id": "x"},
        {"job_id": "0"},
        {"job_id": "-3"},
        {"job_id": "99999999999"},
        {"limit": "0"},
        {"limit": "501"},
    ],
)
async def test_audit_api_refuses_bad_parameters(app, db_backend, admin_client, params) -> None:
    response = await admin_client.get("/api/v1/audit", query_string=params)
    assert (await error_of(response, 422))["code"] == "validation_failed"


async def test_audit_api_is_for_admins(app, db_backend, client, user_client) -> None:
    await error_of(await client.get("/api/v1/audit"), 401)
    await error_of(await user_client.get("/api/v1/audit"), 403)


# ------------------------------------------------------------------------------ events


async def test_creating_a_published_job_adds_job_created(app, db_backend, admin_client) -> None:
    job = await create(admin_client, title="Live job")
    (event,) = await events_of(app)
    assert event.channel == "jobs" and event.type == "job.created"
    assert event.data["id"] == job["id"]
    assert event.data["title"] == "Live job"
    assert event.data["url"] == job["url"]
    assert event.data["status"] == "published"
    assert "content" not in event.data  # the summary, not the full text
    assert event.created_at is not None


async def test_a_draft_adds_no_event(app, db_backend, admin_client) -> None:
    job = await create(admin_client, status="draft")
    await patch(admin_client, job["id"], title="Still a draft")
    assert await events_of(app) == []


async def test_a_job_expiring_in_the_past_adds_no_event(app, db_backend, admin_client) -> None:
    # Closed on creation: never public, so nothing to tell.
    await create(admin_client, status="closed")
    assert await events_of(app) == []


async def test_editing_a_public_job_adds_job_updated(app, db_backend, admin_client) -> None:
    job = await create(admin_client)
    await patch(admin_client, job["id"], title="Renamed job")
    created, updated = await events_of(app)
    assert created.type == "job.created"
    assert updated.type == "job.updated"
    assert updated.data["id"] == job["id"] and updated.data["title"] == "Renamed job"
    assert updated.id > created.id


async def test_an_unchanged_patch_adds_no_event(app, db_backend, admin_client) -> None:
    job = await create(admin_client)
    await patch(admin_client, job["id"], title=job["title"])
    assert [e.type for e in await events_of(app)] == ["job.created"]


async def test_closing_adds_job_updated_with_status_closed(app, db_backend, admin_client):
    job = await create(admin_client)
    await patch(admin_client, job["id"], status="closed")
    assert [(e.type, e.data["status"]) for e in await events_of(app)] == [
        ("job.created", "published"),
        ("job.updated", "closed"),
    ]
    # Edits of a closed job are nobody's business any more.
    await patch(admin_client, job["id"], title="Closed and renamed")
    assert len(await events_of(app)) == 2


async def test_publishing_a_draft_adds_job_created(app, db_backend, admin_client) -> None:
    job = await create(admin_client, status="draft")
    await patch(admin_client, job["id"], status="published")
    (event,) = await events_of(app)
    assert event.type == "job.created" and event.data["id"] == job["id"]


async def test_unpublishing_adds_job_deleted(app, db_backend, admin_client) -> None:
    job = await create(admin_client)
    await patch(admin_client, job["id"], status="draft")
    events = await events_of(app)
    assert [e.type for e in events] == ["job.created", "job.deleted"]
    assert events[1].data == {"id": job["id"]}


async def test_deleting_a_public_job_adds_job_deleted(app, db_backend, admin_client) -> None:
    job = await create(admin_client)
    assert (await admin_client.delete(f"{JOBS}/{job['id']}")).status_code == 204
    events = await events_of(app)
    assert [e.type for e in events] == ["job.created", "job.deleted"]
    assert events[1].data == {"id": job["id"]}


async def test_deleting_a_draft_adds_no_event(app, db_backend, admin_client) -> None:
    job = await create(admin_client, status="draft")
    assert (await admin_client.delete(f"{JOBS}/{job['id']}")).status_code == 204
    assert await events_of(app) == []


async def test_an_expired_job_is_no_longer_public(app, db_backend, admin_client) -> None:
    job = await create(admin_client, expires_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    await set_job_columns(app, job["id"], expires_at=datetime.now(UTC) - timedelta(hours=1))
    await patch(admin_client, job["id"], title="Expired and renamed")
    assert [e.type for e in await events_of(app)] == ["job.created"]
    # Giving it a new future expiry brings it back: that is a creation for the live list.
    future = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    await patch(admin_client, job["id"], expires_at=future)
    assert [e.type for e in await events_of(app)] == ["job.created", "job.created"]


async def test_failed_writes_add_no_event_and_no_audit(app, db_backend, admin_client) -> None:
    response = await admin_client.post(JOBS, json={**JOB_DEFAULTS, "apply_url": "ftp://x"})
    assert response.status_code == 422
    assert await events_of(app) == []
    assert await audit_of(app) == []


# ------------------------------------------------------------------------------ preview


async def test_preview_renders_sanitised_markdown(app, db_backend, admin_client) -> None:
    response = await admin_client.post(
        f"{JOBS}/preview",
        json={
            "content": "# Title\n\n<script>alert(1)</script> [x](javascript:alert(1)) "
            "<img src=x onerror=alert(1)>\n\n| a |\n|---|\n| b |"
        },
    )
    assert response.status_code == 200
    html = (await response.get_json())["html"]
    assert "<h1>Title</h1>" in html and "<table>" in html
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;" in html


async def test_preview_is_for_admins(app, db_backend, client, user_client) -> None:
    await error_of(await client.post(f"{JOBS}/preview", json={"content": "x"}), 401)
    await error_of(await user_client.post(f"{JOBS}/preview", json={"content": "x"}), 403)


@pytest.mark.parametrize(
    "payload", [{}, {"content": 5}, {"content": "x" * 20_001}, {"content": "x", "extra": 1}]
)
async def test_preview_validates(app, db_backend, admin_client, payload) -> None:
    response = await admin_client.post(f"{JOBS}/preview", json=payload)
    await error_of(response, 422)


async def test_preview_of_empty_content(app, db_backend, admin_client) -> None:
    response = await admin_client.post(f"{JOBS}/preview", json={"content": ""})
    assert response.status_code == 200
    assert (await response.get_json())["html"] == ""
