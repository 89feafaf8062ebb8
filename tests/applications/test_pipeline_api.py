"""The admins' pipeline through the API: moves the pipeline allows, the ones it refuses, the
applicant's withdrawal, bulk moves, and what each change writes (audit, events,
notifications)."""

from __future__ import annotations

import pytest

from tests.applications.helpers import applications_in_db, applied, notifications_of
from tests.factories import signed_in_client
from tests.jobs.helpers import audit_of, error_of, events_of

APPLICANT_KEYS = {"id", "status", "job_id", "job_title", "company", "updated_at"}


async def patch(client, application_id: int, **body):
    return await client.patch(f"/api/v1/applications/{application_id}", json=body)


async def moved(client, application_id: int, **body) -> dict:
    response = await patch(client, application_id, **body)
    data = await response.get_json()
    assert response.status_code == 200, data
    return data


@pytest.mark.both_databases
async def test_the_whole_way_to_hired(app, db_backend, admin, applicant, job) -> None:
    admin_client, actor = admin
    ann, user = applicant
    application = await applied(ann, job.id)
    app_id = application["id"]
    for status in ("reviewing", "interview", "offer", "hired"):
        body = await moved(admin_client, app_id, status=status)
        assert body["status"] == status and body["applicant"]["nickname"] == "Ann 安"
    # Hired is final: nothing moves it, not even back a step.
    for status in ("offer", "rejected", "submitted", "withdrawn"):
        error = await error_of(await patch(admin_client, app_id, status=status), 409)
        assert error["code"] == "invalid_transition", status
    assert (await applications_in_db(app))[0].status == "hired"
    # Neither can the applicant withdraw it now.
    error = await error_of(await ann.delete(f"/api/v1/applications/{app_id}"), 409)
    assert error["code"] == "invalid_transition"

    moves = [row for row in await audit_of(app, job.id) if row.action == "application"]
    assert [row.changes for row in moves] == [
        {f"#{app_id} Ann 安": pair}
        for pair in (
            ["submitted", "reviewing"],
            ["reviewing", "interview"],
            ["interview", "offer"],
            ["offer", "hired"],
        )
    ]
    assert {row.actor_id for row in moves} == {actor.id}

    notes = await notifications_of(app, user.id)
    assert [n.data for n in notes] == [
        {"application_id": app_id, "status": s}
        for s in ("reviewing", "interview", "offer", "hired")
    ]
    assert {(n.kind, n.title, n.url) for n in notes} == {
        ("application", "Forklift driver 叉车司机", "/applications")
    }
    assert all(n.read_at is None for n in notes)


@pytest.mark.both_databases
async def test_events_of_a_move_and_the_applicants_copy_has_no_note(
    app, db_backend, admin_client, applicant, job
) -> None:
    ann, user = applicant
    app_id = (await applied(ann, job.id))["id"]
    body = await moved(admin_client, app_id, status="interview", note="  Call on Monday.  ")
    assert body["note"] == "Call on Monday."

    admin_events = await events_of(app, "applications")
    assert [e.type for e in admin_events] == ["application.created", "application.updated"]
    update = admin_events[1].data
    assert update["status"] == "interview" and update["applicant"] == "Ann 安"
    assert "note" not in update and "Call on Monday." not in str(update)

    mine = await events_of(app, f"user:{user.id}")
    assert [e.type for e in mine] == ["application.updated", "notification"]
    assert set(mine[0].data) == APPLICANT_KEYS
    assert mine[0].data["status"] == "interview" and mine[0].data["id"] == app_id
    assert "Call on Monday." not in str([e.data for e in mine])
    (note,) = await notifications_of(app, user.id)
    assert mine[1].data == {
        "id": note.id,
        "kind": "application",
        "title": "Forklift driver 叉车司机",
        "url": "/applications",
        "status": "interview",
        "unread": 1,
    }
    # The applicant's API view has no note either; the admins' has it.
    seen = await (await ann.get(f"/api/v1/applications/{app_id}")).get_json()
    assert seen["note"] is None and seen["applicant"] is None
    assert (await (await admin_client.get(f"/api/v1/applications/{app_id}")).get_json())[
        "note"
    ] == "Call on Monday."
    # The note is audited without its text.
    actions = [(r.action, r.changes) for r in await audit_of(app, job.id)]
    assert ("note", {f"#{app_id} Ann 安": [None, ""]}) in actions
    assert "Call on Monday." not in str(actions)


async def test_a_note_alone_notifies_no_one_and_nothing_changed_writes_nothing(
    app, admin_client, applicant, job
) -> None:
    ann, user = applicant
    app_id = (await applied(ann, job.id))["id"]
    await moved(admin_client, app_id, note="Strong CV")
    assert await notifications_of(app, user.id) == []
    assert [e.type for e in await events_of(app, f"user:{user.id}")] == ["application.updated"]
    before = (len(await events_of(app, "applications")), len(await audit_of(app, job.id)))
    # The same status and the same note: no change, no event, no audit.
    body = await moved(admin_client, app_id, status="submitted", note="Strong CV")
    assert body["status"] == "submitted"
    await moved(admin_client, app_id)
    after = (len(await events_of(app, "applications")), len(await audit_of(app, job.id)))
    assert after == before


async def test_moves_the_pipeline_refuses_are_409(app, admin_client, ann, job) -> None:
    app_id = (await applied(ann, job.id))["id"]
    for status in ("offer", "hired", "withdrawn"):
        error = await error_of(await patch(admin_client, app_id, status=status), 409)
        assert error["code"] == "invalid_transition", status
        assert "Submitted" in error["message"]
    # Rejected can be reconsidered (back to reviewing), but not jump ahead.
    await moved(admin_client, app_id, status="rejected")
    await error_of(await patch(admin_client, app_id, status="interview"), 409)
    assert (await moved(admin_client, app_id, status="reviewing"))["status"] == "reviewing"
    # A step back undoes a mistake.
    assert (await moved(admin_client, app_id, status="submitted"))["status"] == "submitted"
    # A refused move changes nothing at all, not even the note sent with it.
    await error_of(await patch(admin_client, app_id, status="hired", note="lost"), 409)
    (row,) = await applications_in_db(app)
    assert row.status == "submitted" and row.note == ""


async def test_patch_validation_and_unknown_ids(app, admin_client, ann, job) -> None:
    app_id = (await applied(ann, job.id))["id"]
    for body in ({"status": "lost"}, {"note": "x" * 5001}, {"colour": "red"}, {"note": "\x07"}):
        error = await error_of(await patch(admin_client, app_id, **body), 422)
        assert error["code"] == "validation_failed", body
    for unknown in (999_999, 2**31):
        await error_of(await patch(admin_client, unknown, status="reviewing"), 404)
        await error_of(await admin_client.get(f"/api/v1/applications/{unknown}"), 404)


@pytest.mark.both_databases
async def test_the_applicant_withdraws_then_admins_cannot_move_it(
    app, db_backend, admin_client, applicant, other, job
) -> None:
    ann, user = applicant
    bob, _ = other
    app_id = (await applied(ann, job.id))["id"]
    await moved(admin_client, app_id, status="interview")
    await error_of(await bob.delete(f"/api/v1/applications/{app_id}"), 404)
    # An admin cannot withdraw it for the applicant either (not theirs).
    await error_of(await admin_client.delete(f"/api/v1/applications/{app_id}"), 404)

    response = await ann.delete(f"/api/v1/applications/{app_id}")
    assert response.status_code == 200
    assert (await response.get_json())["status"] == "withdrawn"
    again = await ann.delete(f"/api/v1/applications/{app_id}")  # idempotent
    assert again.status_code == 200 and (await again.get_json())["status"] == "withdrawn"

    for status in ("reviewing", "interview", "rejected", "submitted"):
        error = await error_of(await patch(admin_client, app_id, status=status), 409)
        assert error["code"] == "invalid_transition"
    (row,) = await applications_in_db(app)
    assert row.status == "withdrawn"

    withdrawals = [r for r in await audit_of(app, job.id) if r.action == "withdraw"]
    assert [(r.actor_id, r.changes) for r in withdrawals] == [
        (user.id, {f"#{app_id} Ann 安": ["interview", "withdrawn"]})
    ]
    admin_events = [e.data["status"] for e in await events_of(app, "applications")]
    assert admin_events == ["submitted", "interview", "withdrawn"]
    mine = [(e.type, e.data.get("status")) for e in await events_of(app, f"user:{user.id}")]
    assert mine[-1] == ("application.updated", "withdrawn")
    # The applicant is not notified of their own withdrawal.
    assert [n.data["status"] for n in await notifications_of(app, user.id)] == ["interview"]


async def test_a_rejected_application_cannot_be_withdrawn(app, admin_client, ann, job) -> None:
    app_id = (await applied(ann, job.id))["id"]
    await moved(admin_client, app_id, status="rejected")
    error = await error_of(await ann.delete(f"/api/v1/applications/{app_id}"), 409)
    assert error["code"] == "invalid_transition"


@pytest.mark.both_databases
async def test_bulk_move_moves_what_may_and_skips_the_rest(
    app, db_backend, admin_client, make_job
) -> None:
    job = await make_job(apply_url=None)
    ids, users = [], []
    for n in range(4):
        client, user = await signed_in_client(app, username=f"bulk{n}")
        ids.append((await applied(client, job.id))["id"])
        users.append(user)
    first, second, third, fourth = ids
    await moved(admin_client, second, status="reviewing")
    for status in ("interview", "offer", "hired"):
        await moved(admin_client, third, status=status)
    before = len(await events_of(app, "applications"))

    response = await admin_client.post(
        "/api/v1/applications/bulk",
        json={"ids": [first, second, third, 999_999, first, fourth], "status": "reviewing"},
    )
    assert response.status_code == 200, await response.get_json()
    # second is already there (neither moved nor skipped); hired is final; 999999 is unknown.
    assert await response.get_json() == {
        "moved": [first, fourth],
        "skipped": {str(third): "invalid_transition", "999999": "not_found"},
    }
    statuses = {row.id: row.status for row in await applications_in_db(app)}
    assert statuses == {
        first: "reviewing",
        second: "reviewing",
        third: "hired",
        fourth: "reviewing",
    }
    updates = (await events_of(app, "applications"))[before:]
    assert [(e.type, e.data["id"]) for e in updates] == [
        ("application.updated", first),
        ("application.updated", fourth),
    ]
    for user, expected in zip(users, (1, 1, 3, 1), strict=True):
        assert len(await notifications_of(app, user.id)) == expected
    bulk_rows = [r for r in await audit_of(app, job.id) if r.action == "application"]
    assert len(bulk_rows) == 1 + 3 + 2


async def test_bulk_move_validation(app, admin_client) -> None:
    for body in (
        {"ids": [], "status": "reviewing"},
        {"ids": [0], "status": "reviewing"},
        {"ids": [2**31], "status": "reviewing"},
        {"ids": [1], "status": "lost"},
        {"ids": [1]},
        {"ids": list(range(1, 502)), "status": "reviewing"},
    ):
        response = await admin_client.post("/api/v1/applications/bulk", json=body)
        assert (await error_of(response, 422))["code"] == "validation_failed", body
