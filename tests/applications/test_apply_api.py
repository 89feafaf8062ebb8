"""Applying through the JSON API: the file is stored, the résumé kept and reused, one
application per job, jobs that take none, who sees what, and every field's error at once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from portal.applications.models import ApplicationStatus
from tests.applications import pdfs
from tests.applications.helpers import (
    applications_in_db,
    applied,
    post_application,
    resumes_dir,
    resumes_in_db,
    stored_files,
)
from tests.jobs.helpers import audit_of, error_of, events_of, set_job_columns

pytestmark = pytest.mark.both_databases


async def test_applying_with_a_pdf_stores_it_under_the_media_root(
    app, db_backend, applicant, job
) -> None:
    client, user = applicant
    data = pdfs.demo("Ann - CV")
    response = await post_application(
        client, job.id, pdf=data, filename="Ann 简历.pdf", cover_letter="  I drive safely.\n  "
    )
    assert response.status_code == 201, await response.get_json()
    body = await response.get_json()
    assert body["status"] == "submitted"
    assert body["cover_letter"] == "I drive safely."  # trimmed
    assert body["job"] == {
        "id": job.id,
        "title": "Forklift driver 叉车司机",
        "url": f"/jobs/{job.id}-forklift-driver",
        "status": "published",
        "company": None,
    }
    assert body["resume"] == {
        "filename": "Ann 简历.pdf",
        "size": len(data),
        "url": f"/applications/{body['id']}/resume",
    }
    # The applicant's view carries neither the admins' note nor the applicant block.
    assert body["note"] is None and body["applicant"] is None

    (name,) = stored_files(app)
    assert not name.startswith(".") and name.endswith(".pdf")
    path = resumes_dir(app) / name
    assert path.read_bytes() == data
    media_root = app.config["PORTAL_SETTINGS"].resolved_media_root
    assert path.parent == media_root / "resumes"
    static = app.static_folder
    assert static is None or not path.resolve().is_relative_to(static)
    (resume,) = await resumes_in_db(app)
    assert resume.storage_name == name and resume.user_id == user.id
    assert resume.sha256 == hashlib.sha256(data).hexdigest() and resume.size == len(data)
    assert resume.kept is False  # keep_resume was not ticked
    (row,) = await applications_in_db(app)
    assert row.resume_id == resume.id and row.user_id == user.id and row.job_id == job.id

    # GET /applications/<id> and /me/applications return the same view.
    one = await client.get(f"/api/v1/applications/{body['id']}")
    assert one.status_code == 200 and (await one.get_json()) == body
    mine = await (await client.get("/api/v1/me/applications")).get_json()
    assert mine["total"] == 1 and mine["items"] == [body]


async def test_a_kept_resume_is_reused(app, db_backend, applicant, make_job) -> None:
    client, _user = applicant
    first, second, third = [
        await make_job(title=t, apply_url=None) for t in ("Job A", "Job B", "Job C")
    ]
    await error_of(await client.get("/api/v1/me/resume"), 404)
    data = pdfs.minimal_pdf("Kept CV")
    await applied(client, first.id, pdf=data, filename="kept.pdf", keep_resume="true")
    saved = await (await client.get("/api/v1/me/resume")).get_json()
    assert saved["filename"] == "kept.pdf" and saved["size"] == len(data)

    # No file part, use_saved_resume=true: the kept one goes with the application.
    body = await applied(client, second.id, pdf=None, use_saved_resume="true")
    assert body["resume"]["filename"] == "kept.pdf"
    assert len(stored_files(app)) == 1  # no second copy
    rows = await applications_in_db(app)
    assert rows[0].resume_id == rows[1].resume_id

    # Taking it off the profile: the applications keep theirs; reuse is then a 422.
    assert (await client.delete("/api/v1/me/resume")).status_code == 204
    await error_of(await client.get("/api/v1/me/resume"), 404)
    error = await error_of(await post_application(client, third.id, use_saved_resume="true"), 422)
    assert error["code"] == "validation_failed" and set(error["fields"]) == {"resume"}
    one = await (await client.get(f"/api/v1/applications/{body['id']}")).get_json()
    assert one["resume"]["filename"] == "kept.pdf"
    assert (await client.get(f"/applications/{body['id']}/resume")).status_code == 200


async def test_a_new_kept_resume_replaces_the_old_one(app, db_backend, ann, make_job) -> None:
    first, second = await make_job(apply_url=None), await make_job(apply_url=None)
    await applied(ann, first.id, filename="old.pdf", keep_resume="true")
    await applied(ann, second.id, filename="new.pdf", keep_resume="true")
    saved = await (await ann.get("/api/v1/me/resume")).get_json()
    assert saved["filename"] == "new.pdf"
    assert [r.kept for r in await resumes_in_db(app)] == [False, True]


async def test_the_filename_is_cleaned(app, db_backend, ann, job) -> None:
    body = await applied(ann, job.id, filename="..\\..\\secret/evil\u202e name")
    assert body["resume"]["filename"] == "evil name.pdf"
    (name,) = stored_files(app)
    assert "evil" not in name


async def test_a_second_application_is_409_already_applied(app, db_backend, ann, job) -> None:
    await applied(ann, job.id)
    error = await error_of(await post_application(ann, job.id, pdf=pdfs.minimal_pdf()), 409)
    assert error["code"] == "already_applied"
    assert len(await applications_in_db(app)) == 1
    assert len(stored_files(app)) == 1  # the refused upload was not kept


async def test_closed_expired_and_deleted_jobs_are_409_job_closed(
    app, db_backend, admin_client, ann, make_job
) -> None:
    closed = await make_job(apply_url=None, status="closed")
    expired = await make_job(apply_url=None)
    await set_job_columns(app, expired.id, expires_at=datetime.now(UTC) - timedelta(minutes=1))
    deleted = await make_job(apply_url=None)
    assert (await admin_client.delete(f"/api/v1/jobs/{deleted.id}")).status_code == 204
    for target in (closed, expired, deleted):
        response = await post_application(ann, target.id, pdf=pdfs.minimal_pdf())
        assert (await error_of(response, 409))["code"] == "job_closed", target.id
    assert await applications_in_db(app) == []
    assert stored_files(app) == []


async def test_jobs_with_their_own_link_are_409_apply_elsewhere(
    app, db_backend, ann, make_job
) -> None:
    by_url = await make_job(apply_url="https://example.com/apply")
    by_mail = await make_job(apply_url=None, apply_email="jobs@example.com")
    for target in (by_url, by_mail):
        response = await post_application(ann, target.id, pdf=pdfs.minimal_pdf())
        assert (await error_of(response, 409))["code"] == "apply_elsewhere"
    assert stored_files(app) == []


async def test_drafts_and_unknown_jobs_are_404(app, db_backend, ann, make_job) -> None:
    draft = await make_job(apply_url=None, status="draft")
    for job_id in (draft.id, 999_999, 2**31):
        response = await post_application(ann, job_id, pdf=pdfs.minimal_pdf())
        assert (await error_of(response, 404))["code"] == "not_found", job_id
    assert stored_files(app) == []


async def test_signed_out_is_401(app, db_backend, client, job) -> None:
    response = await client.post(
        f"/api/v1/jobs/{job.id}/applications",
        form={"cover_letter": "x"},
        files={},
        headers={"Authorization": "Bearer pt_not_a_token"},
    )
    assert response.status_code == 401
    for path in ("/api/v1/me/applications", "/api/v1/me/resume", "/api/v1/applications/1"):
        assert (await error_of(await client.get(path), 401))["code"] == "unauthorized", path
    assert (await client.delete("/api/v1/applications/1")).status_code == 401
    assert stored_files(app) == []


async def test_another_users_application_is_404(
    app, db_backend, ann, other, admin_client, job
) -> None:
    body = await applied(ann, job.id, cover_letter="Mine")
    bob, _ = other
    for path in (f"/api/v1/applications/{body['id']}", "/api/v1/applications/999999"):
        assert (await error_of(await bob.get(path), 404))["code"] == "not_found"
    await error_of(await bob.delete(f"/api/v1/applications/{body['id']}"), 404)
    assert (await bob.get(f"/applications/{body['id']}/resume")).status_code == 404
    assert (await (await bob.get("/api/v1/me/applications")).get_json())["items"] == []
    await error_of(await bob.get("/api/v1/me/resume"), 404)
    # The applicant and admins do see it; admins with the applicant and note.
    seen = await (await admin_client.get(f"/api/v1/applications/{body['id']}")).get_json()
    assert seen["applicant"]["nickname"] == "Ann 安" and seen["note"] == ""
    assert seen["applicant"]["email"] == "ann@example.com"


async def test_missing_resume_and_long_cover_letter_are_each_reported(
    app, db_backend, ann, job
) -> None:
    error = await error_of(await post_application(ann, job.id, cover_letter="Hi"), 422)
    assert error["code"] == "validation_failed"
    assert error["fields"] == {"resume": "Attach your résumé (PDF)."}
    long_letter = "长" * 5001
    response = await post_application(ann, job.id, pdf=pdfs.minimal_pdf(), cover_letter=long_letter)
    error = await error_of(response, 422)
    assert set(error["fields"]) == {"cover_letter"}
    exactly = "长" * 5000
    body = await applied(ann, job.id, cover_letter=exactly)
    assert body["cover_letter"] == exactly
    assert len(stored_files(app)) == 1


async def test_every_field_error_at_once(app, db_backend, ann, job) -> None:
    error = await error_of(await post_application(ann, job.id, cover_letter="x" * 5001), 422)
    assert set(error["fields"]) == {"cover_letter", "resume"}


async def test_an_application_is_audited_and_announced(app, db_backend, applicant, job) -> None:
    client, user = applicant
    body = await applied(client, job.id)
    (created,) = await events_of(app, "applications")
    assert created.type == "application.created"
    assert created.data["id"] == body["id"] and created.data["job_id"] == job.id
    assert created.data["status"] == "submitted"
    assert created.data["applicant"] == "Ann 安"
    assert created.data["job_title"] == "Forklift driver 叉车司机"
    assert "cover_letter" not in created.data and "note" not in created.data
    rows = [row for row in await audit_of(app, job.id) if row.action == "apply"]
    (row,) = rows
    assert row.actor_id == user.id and row.job_title == job.title
    assert row.changes == {f"#{body['id']} Ann 安": [None, "submitted"]}
    assert await events_of(app, f"user:{user.id}") == []  # no copy to the applicant


async def test_admin_lists_filter_and_count(app, db_backend, admin_client, make_job) -> None:
    from tests.factories import signed_in_client

    first, second = await make_job(apply_url=None), await make_job(apply_url=None)
    ids = []
    for n in range(3):
        client, _ = await signed_in_client(app, username=f"applicant{n}")
        ids.append((await applied(client, first.id))["id"])
        if n == 0:
            ids.append((await applied(client, second.id))["id"])
    patch = await admin_client.patch(f"/api/v1/applications/{ids[0]}", json={"status": "reviewing"})
    assert patch.status_code == 200

    everything = await (await admin_client.get("/api/v1/applications")).get_json()
    assert everything["total"] == 4
    assert [item["id"] for item in everything["items"]] == sorted(ids, reverse=True)
    assert everything["counts"]["submitted"] == 3 and everything["counts"]["reviewing"] == 1
    assert all(item["applicant"] is not None for item in everything["items"])

    per_job = await (await admin_client.get(f"/api/v1/jobs/{first.id}/applications")).get_json()
    assert per_job["total"] == 3 and per_job["counts"]["submitted"] == 2
    filtered = await (
        await admin_client.get("/api/v1/applications", query_string={"job_id": first.id})
    ).get_json()
    assert filtered["total"] == 3
    reviewing = await (
        await admin_client.get("/api/v1/applications", query_string={"status": "reviewing"})
    ).get_json()
    assert [item["id"] for item in reviewing["items"]] == [ids[0]]
    paged = await (
        await admin_client.get("/api/v1/applications", query_string={"per_page": 3, "page": 2})
    ).get_json()
    assert paged["total"] == 4 and len(paged["items"]) == 1
    for bad in ({"status": "lost"}, {"page": 0}, {"job_id": 0}):
        await error_of(await admin_client.get("/api/v1/applications", query_string=bad), 422)


async def test_admin_lists_are_for_admins(app, db_backend, client, ann, job) -> None:
    body = await applied(ann, job.id)
    paths = ["/api/v1/applications", f"/api/v1/jobs/{job.id}/applications"]
    for path in paths:
        assert (await error_of(await ann.get(path), 403))["code"] == "forbidden"
        assert (await error_of(await client.get(path), 401))["code"] == "unauthorized"
    writes = [
        ("PATCH", f"/api/v1/applications/{body['id']}", {"status": "reviewing"}),
        ("POST", "/api/v1/applications/bulk", {"ids": [body["id"]], "status": "reviewing"}),
    ]
    for method, path, json in writes:
        response = await ann.open(path, method=method, json=json)
        assert (await error_of(response, 403))["code"] == "forbidden"
    assert (await applications_in_db(app))[0].status == ApplicationStatus.SUBMITTED


async def test_a_missing_job_or_resume_is_a_documented_404(app, admin_client, ann) -> None:
    # Found by schemathesis: GET /me/resume answered an undocumented 404, and a deleted
    # job's application list answered 200.
    response = await admin_client.get("/api/v1/jobs/999999/applications")
    assert response.status_code == 404
    assert (await ann.get("/api/v1/me/resume")).status_code == 404
    document = await (await app.test_client().get("/openapi.json")).get_json()
    assert "404" in document["paths"]["/api/v1/me/resume"]["get"]["responses"]
    assert "404" in document["paths"]["/api/v1/jobs/{job_id}/applications"]["get"]["responses"]
