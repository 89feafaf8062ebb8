"""The pages: applying without JavaScript (errors next to the fields, the typed cover letter
kept), "My applications" and withdrawing, the résumé file, and the admins' screens."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlencode

import pytest

from tests.applications import pdfs
from tests.applications.helpers import applications_in_db, applied, resume_file, stored_files
from tests.factories import csrf_token_for
from tests.jobs.test_admin_pages import html_of


def textarea(html: str, name: str) -> str | None:
    match = re.search(rf'<textarea id="f-{name}" name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    return unescape(match.group(1)) if match else None


def field_error(html: str, name: str) -> str | None:
    match = re.search(rf'<p class="error" id="e-{name}">(.*?)</p>', html, re.S)
    return unescape(match.group(1)) if match else None


async def post_apply_form(client, job_id: int, *, pdf: bytes | None, **fields: str):
    path = f"/jobs/{job_id}/apply"
    token = await csrf_token_for(client, path)
    files = {"resume": resume_file(pdf)} if pdf is not None else {}
    return await client.post(path, form={**fields, "csrf_token": token}, files=files)


# ------------------------------------------------------------------------------ applying


@pytest.mark.both_databases
async def test_the_form_without_javascript_sends_the_application(
    app, db_backend, applicant, job
) -> None:
    ann, user = applicant
    html = await html_of(await ann.get(f"/jobs/{job.id}/apply"))
    assert 'enctype="multipart/form-data"' in html
    assert f'action="/jobs/{job.id}/apply"' in html
    assert 'name="csrf_token"' in html and 'name="resume" type="file"' in html
    assert "Forklift driver 叉车司机" in html

    response = await post_apply_form(
        ann, job.id, pdf=pdfs.minimal_pdf(), cover_letter="I drive 叉车.", keep_resume="true"
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/applications")
    (row,) = await applications_in_db(app)
    assert row.user_id == user.id and row.cover_letter == "I drive 叉车."
    assert len(stored_files(app)) == 1
    mine = await html_of(await ann.get("/applications"))
    assert "Your application to “Forklift driver 叉车司机” was sent." in mine
    assert f'data-application-id="{row.id}"' in mine
    assert "Submitted" in mine and f'href="/applications/{row.id}/resume"' in mine
    # Applied: the page says so instead of showing the form again.
    again = await html_of(await ann.get(f"/jobs/{job.id}/apply"))
    assert "You applied on" in again and 'class="apply-form"' not in again


async def test_a_missing_resume_is_shown_next_to_the_field_keeping_the_letter(
    app, ann, job
) -> None:
    letter = "Dear team,\n<b>I</b> drive safely & well."
    response = await post_apply_form(ann, job.id, pdf=None, cover_letter=letter)
    html = await html_of(response, 422)
    assert field_error(html, "resume") == "Attach your résumé (PDF)."
    assert 'class="field resume-choice has-error"' in html
    assert textarea(html, "cover_letter") == letter
    assert "<b>I</b>" not in html  # escaped
    assert await applications_in_db(app) == []


async def test_a_png_is_shown_next_to_the_field_keeping_the_letter(app, ann, job) -> None:
    response = await post_apply_form(ann, job.id, pdf=pdfs.png(), cover_letter="Keep me")
    html = await html_of(response, 415)
    assert field_error(html, "resume") == "The résumé must be a PDF file."
    assert textarea(html, "cover_letter") == "Keep me"
    assert stored_files(app) == []


async def test_a_long_cover_letter_is_shown_next_to_its_field(app, ann, job) -> None:
    response = await post_apply_form(ann, job.id, pdf=pdfs.minimal_pdf(), cover_letter="x" * 5001)
    html = await html_of(response, 422)
    assert field_error(html, "cover_letter")
    assert '<div class="field has-error">\n    <label for="f-cover_letter">' in html
    assert stored_files(app) == []


async def test_a_long_cover_letter_is_kept_in_the_form(app, ann, job) -> None:
    letter = "x" * 5001
    response = await post_apply_form(ann, job.id, pdf=pdfs.minimal_pdf(), cover_letter=letter)
    html = await html_of(response, 422)
    assert textarea(html, "cover_letter") == letter


async def test_closed_other_site_draft_and_signed_out(app, client, ann, make_job) -> None:
    closed = await make_job(apply_url=None, status="closed")
    elsewhere = await make_job(apply_url="https://example.com/apply")
    for target in (closed, elsewhere):
        html = await html_of(await ann.get(f"/jobs/{target.id}/apply"))
        assert "This job does not take applications on Portal now." in html
        assert 'class="apply-form"' not in html
    response = await post_apply_form(ann, elsewhere.id, pdf=pdfs.minimal_pdf())
    html = await html_of(response, 409)
    assert "This job does not take applications on Portal now." in html
    draft = await make_job(apply_url=None, status="draft")
    for job_id in (draft.id, 999_999):
        await html_of(await ann.get(f"/jobs/{job_id}/apply"), 404)
    for path in (f"/jobs/{closed.id}/apply", "/applications", "/applications/1/resume"):
        response = await client.get(path)
        assert response.status_code == 302, path
        assert "/login?next=" in response.headers["Location"]
    assert stored_files(app) == []


async def test_the_kept_resume_is_offered_on_the_form(app, ann, make_job) -> None:
    first, second = await make_job(apply_url=None), await make_job(apply_url=None)
    await applied(ann, first.id, filename="mine.pdf", keep_resume="true")
    html = await html_of(await ann.get(f"/jobs/{second.id}/apply"))
    assert "Use the résumé on my profile:" in html and "mine.pdf" in html
    response = await post_apply_form(ann, second.id, pdf=None, use_saved_resume="true")
    assert response.status_code == 302
    rows = await applications_in_db(app)
    assert len(rows) == 2 and rows[0].resume_id == rows[1].resume_id


# ------------------------------------------------------------------------------ mine


async def test_withdrawing_from_my_applications(app, ann, other, job) -> None:
    app_id = (await applied(ann, job.id))["id"]
    html = await html_of(await ann.get("/applications"))
    assert f'action="/applications/{app_id}/withdraw"' in html
    bob, _ = other
    token = await csrf_token_for(bob, "/applications")
    response = await bob.post(f"/applications/{app_id}/withdraw", form={"csrf_token": token})
    assert response.status_code == 404
    token = await csrf_token_for(ann, "/applications")
    response = await ann.post(f"/applications/{app_id}/withdraw", form={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/applications")
    (row,) = await applications_in_db(app)
    assert row.status == "withdrawn"
    html = await html_of(await ann.get("/applications"))
    assert "You withdrew your application" in html and "Withdrawn" in html
    assert f'action="/applications/{app_id}/withdraw"' not in html
    assert "You have not applied" in await html_of(await bob.get("/applications"))


# ------------------------------------------------------------------------------ the résumé


@pytest.mark.both_databases
async def test_the_resume_is_served_only_to_its_applicant_and_admins(
    app, db_backend, ann, other, admin_client, job
) -> None:
    data = pdfs.demo("Ann - CV")
    app_id = (await applied(ann, job.id, pdf=data, filename="Ann 简历.pdf"))["id"]
    for viewer in (ann, admin_client):
        response = await viewer.get(f"/applications/{app_id}/resume")
        assert response.status_code == 200
        assert await response.get_data() == data
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("inline")
        assert (
            "filename*=UTF-8''Ann%20%E7%AE%80%E5%8E%86.pdf"
            in response.headers["Content-Disposition"]
        )
        cache = {part.strip() for part in response.headers["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= cache
    bob, _ = other
    for path in (f"/applications/{app_id}/resume", "/applications/999999/resume"):
        assert (await bob.get(path)).status_code == 404
    # Not under static/: no public URL reaches the file.
    (name,) = stored_files(app)
    for path in (f"/static/{name}", f"/static/resumes/{name}", f"/media/resumes/{name}"):
        assert (await bob.get(path)).status_code == 404, path


# ------------------------------------------------------------------------------ admins


ADMIN_PAGES = [
    "/admin/applications",
    "/admin/jobs/{job}/applications",
    "/admin/applications/{app}",
    "/admin/applications/export.csv",
]


async def test_admin_pages_are_for_admins(app, client, ann, job) -> None:
    app_id = (await applied(ann, job.id))["id"]
    for path in ADMIN_PAGES:
        url = path.format(job=job.id, app=app_id)
        html = await html_of(await ann.get(url), 403)
        assert "<html" in html and f'data-application-id="{app_id}"' not in html
        response = await client.get(url)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    token = await csrf_token_for(ann, "/applications")
    for path, form in (
        ("/admin/applications/bulk", {"ids": str(app_id), "status": "reviewing"}),
        (f"/admin/applications/{app_id}", {"status": "reviewing"}),
    ):
        response = await ann.post(path, form={**form, "csrf_token": token})
        assert response.status_code == 403
    assert (await applications_in_db(app))[0].status == "submitted"


@pytest.mark.both_databases
async def test_the_admin_screens_render(app, db_backend, admin_client, ann, job) -> None:
    app_id = (await applied(ann, job.id, cover_letter="I drive 叉车."))["id"]
    listing = await html_of(await admin_client.get("/admin/applications"))
    assert "Ann 安" in listing and f'value="{app_id}"' in listing
    assert 'href="/admin/applications/export.csv"' in listing
    per_job = await html_of(await admin_client.get(f"/admin/jobs/{job.id}/applications"))
    assert "Applicants" in per_job and "Forklift driver 叉车司机" in per_job and "Ann 安" in per_job
    assert f"export.csv?job_id={job.id}" in per_job
    empty = await html_of(await admin_client.get("/admin/applications?status=hired"))
    assert "Ann 安" not in empty and "No applications here yet" in empty
    detail = await html_of(await admin_client.get(f"/admin/applications/{app_id}"))
    assert "Application from Ann 安" in detail and "I drive 叉车." in detail
    assert "ann@example.com" in detail and f"/applications/{app_id}/resume" in detail
    assert 'name="status" value="reviewing"' in detail
    assert 'name="status" value="hired"' not in detail  # not a move from submitted
    dashboard = await html_of(await admin_client.get("/admin"))
    assert "New applications" in dashboard and "Ann 安" in dashboard
    await html_of(await admin_client.get("/admin/applications/999999"), 404)


async def test_the_admin_detail_form_moves_and_notes(app, admin_client, ann, job) -> None:
    app_id = (await applied(ann, job.id))["id"]
    path = f"/admin/applications/{app_id}"
    token = await csrf_token_for(admin_client, path)
    response = await admin_client.post(
        path, form={"csrf_token": token, "status": "interview", "note": "Call Monday"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(path)
    html = await html_of(await admin_client.get(path))
    assert "Application saved." in html and "Call Monday" in html
    (row,) = await applications_in_db(app)
    assert row.status == "interview" and row.note == "Call Monday"
    # A move the pipeline refuses: the page again with the message, the note as typed.
    response = await admin_client.post(
        path, form={"csrf_token": token, "status": "hired", "note": "Typed note"}
    )
    html = await html_of(response, 409)
    assert "cannot be moved to" in html and textarea(html, "note") == "Typed note"
    response = await admin_client.post(path, form={"csrf_token": token, "note": "y" * 5001})
    html = await html_of(response, 422)
    assert '<p class="error" id="e-note">' in html
    (row,) = await applications_in_db(app)
    assert row.status == "interview" and row.note == "Call Monday"
    # The applicant's page never shows the note.
    assert "Call Monday" not in await html_of(await ann.get("/applications"))


async def test_the_bulk_form_moves_and_reports(app, admin_client, ann, other, job) -> None:
    first = (await applied(ann, job.id))["id"]
    second = (await applied(other[0], job.id))["id"]
    token = await csrf_token_for(admin_client, "/admin/applications")
    response = await admin_client.post(
        "/admin/applications/bulk",
        data=urlencode(
            [
                ("csrf_token", token),
                ("ids", str(first)),
                ("ids", str(second)),
                ("ids", "nonsense"),
                ("status", "rejected"),
                ("back", "?status=submitted"),
            ]
        ),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/applications?status=submitted")
    assert {row.status for row in await applications_in_db(app)} == {"rejected"}
    html = await html_of(await admin_client.get("/admin/applications"))
    assert "2 moved to Not selected; 0 could not move there." in html
    # Hired cannot be reached from rejected: reported, and a foreign "back" is not followed.
    response = await admin_client.post(
        "/admin/applications/bulk",
        form={"csrf_token": token, "ids": str(first), "status": "hired", "back": "//evil.example"},
    )
    assert response.headers["Location"].endswith("/admin/applications")
    html = await html_of(await admin_client.get("/admin/applications"))
    assert "0 moved to Hired; 1 could not move there." in html
    response = await admin_client.post(
        "/admin/applications/bulk", form={"csrf_token": token, "status": "hired"}
    )
    html = await html_of(await admin_client.get(response.headers["Location"]))
    assert "Choose applications and the status to move them to." in html
