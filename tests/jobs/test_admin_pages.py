"""The admin job screens: list, new, edit, status, delete, audit; forbidden to users."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from tests.factories import csrf_token_for
from tests.jobs.admin_forms import FORM
from tests.jobs.helpers import audit_of, events_of, load_job, set_job_columns


async def html_of(response, status: int = 200) -> str:
    html = await response.get_data(as_text=True)
    assert response.status_code == status, html[:3000]
    return html


def has_error(html: str, name: str) -> bool:
    """The form marks the field ``name`` as wrong (both the input and the select macros)."""
    return bool(re.search(rf'<div class="field has-error">\s*<label for="f-{name}"', html))


def field_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input id="f-{name}" name="{name}"[^>]*value="([^"]*)"', html)
    return unescape(match.group(1)) if match else None


async def post_form(client, path: str, form: dict[str, str], token_page: str | None = None):
    token = await csrf_token_for(client, token_page or path)
    return await client.post(path, form={**form, "csrf_token": token})


# ------------------------------------------------------------------------------ who may


ADMIN_GETS = [
    "/admin",
    "/admin/jobs",
    "/admin/jobs/new",
    "/admin/jobs/{id}/edit",
    "/admin/jobs/{id}/delete",
    "/admin/audit",
]


@pytest.mark.parametrize("path", ADMIN_GETS)
async def test_users_get_403(app, user_client, make_job, path) -> None:
    job = await make_job()
    response = await user_client.get(path.format(id=job.id))
    html = await html_of(response, 403)
    assert "<html" in html  # an HTML error page, not JSON


@pytest.mark.parametrize("path", ADMIN_GETS)
async def test_visitors_are_sent_to_sign_in(app, client, make_job, path) -> None:
    job = await make_job()
    response = await client.get(path.format(id=job.id))
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/admin/jobs/new", FORM),
        ("/admin/jobs/{id}/edit", FORM),
        ("/admin/jobs/{id}/status", {"status": "closed"}),
        ("/admin/jobs/{id}/delete", {}),
    ],
)
async def test_users_cannot_post(app, user_client, make_job, path, form) -> None:
    job = await make_job()
    token = await csrf_token_for(user_client, "/")
    response = await user_client.post(path.format(id=job.id), form={**form, "csrf_token": token})
    await html_of(response, 403)
    after = await load_job(app, job.id)
    assert after is not None and after.status == "published" and after.title == job.title


async def test_posts_need_the_csrf_token(app, admin_client, make_job) -> None:
    job = await make_job()
    for path, form in (
        ("/admin/jobs/new", FORM),
        (f"/admin/jobs/{job.id}/status", {"status": "closed"}),
        (f"/admin/jobs/{job.id}/delete", {}),
    ):
        response = await admin_client.post(path, form={**form, "csrf_token": "forged"})
        assert response.status_code == 403, path
    assert (await load_job(app, job.id)).status == "published"


async def test_cross_site_posts_are_refused(app, admin_client, make_job) -> None:
    job = await make_job()
    token = await csrf_token_for(admin_client, "/admin/jobs")
    response = await admin_client.post(
        f"/admin/jobs/{job.id}/delete",
        form={"csrf_token": token},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert await load_job(app, job.id) is not None


# ------------------------------------------------------------------------------ pages


async def test_dashboard(app, admin_client, make_job) -> None:
    await make_job(title="Public one")
    await make_job(title="Draft one", status="draft")
    html = await html_of(await admin_client.get("/admin"))
    assert "Public one" in html and "Draft one" in html  # recent activity
    assert "/admin/jobs?status=draft" in html


async def test_job_list_and_filters(app, admin_client, make_job) -> None:
    public = await make_job(title="Public analyst", category="data")
    draft = await make_job(title="Draft engineer", status="draft")
    closed = await make_job(title="Closed designer", status="closed", category="design")

    def rows(html: str) -> set[int]:
        return {int(n) for n in re.findall(r'<tr data-job-id="(\d+)"', html)}

    everything = await html_of(await admin_client.get("/admin/jobs"))
    assert rows(everything) == {public.id, draft.id, closed.id}
    for params, expected in (
        ({"status": "draft"}, {draft.id}),
        ({"status": "closed"}, {closed.id}),
        ({"category": "data"}, {public.id}),
        ({"q": "engineer"}, {draft.id}),  # drafts are searchable here
        ({"q": "designer", "status": "closed"}, {closed.id}),
        ({"q": "designer", "status": "draft"}, set()),
        ({"status": "bogus"}, {public.id, draft.id, closed.id}),
        ({"category": "bogus", "page": "x"}, {public.id, draft.id, closed.id}),
        ({"q": '"NEAR( *'}, set()),
    ):
        html = await html_of(await admin_client.get("/admin/jobs", query_string=params))
        assert rows(html) == expected, params


async def test_new_job_form_creates_a_job(app, admin) -> None:
    client, actor = admin
    form_page = await html_of(await client.get("/admin/jobs/new"))
    assert 'name="csrf_token"' in form_page
    token = re.search(r'name="csrf_token" value="([^"]+)"', form_page).group(1)
    response = await client.post(
        "/admin/jobs/new", form={**FORM, "remote": "on", "csrf_token": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/jobs")
    (event,) = await events_of(app)
    job = await load_job(app, event.data["id"])
    assert job.title == "Forklift driver" and job.status == "published"
    assert job.category == "logistics" and job.employment_type == "part_time"
    assert job.remote is True
    assert (job.salary_min, job.salary_max, job.salary_currency) == (2000, 2500, "EUR")
    assert job.apply_email == "Jobs@example.com"
    assert job.created_by_id == actor.id
    (row,) = await audit_of(app, job.id)
    assert row.action == "create" and row.actor_id == actor.id
    # The flash message shows on the next page.
    listing = await html_of(await client.get("/admin/jobs"))
    assert "Forklift driver" in listing


async def test_new_job_expiry_date_means_the_end_of_that_day(app, admin_client) -> None:
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    response = await post_form(
        admin_client, "/admin/jobs/new", {**FORM, "expires_at": day.isoformat()}
    )
    assert response.status_code == 302
    (event,) = await events_of(app)
    job = await load_job(app, event.data["id"])
    assert job.expires_at.date() == day and job.expires_at.hour == 23


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "ab"}, "title"),
        ({"content": ""}, "content"),
        ({"salary_min": "lots"}, "salary_min"),
        ({"salary_min": "²"}, "salary_min"),
        ({"salary_min": "-5"}, "salary_min"),
        ({"salary_min": "3000"}, "salary_max"),
        ({"salary_currency": ""}, "salary_currency"),
        ({"salary_currency": "XYZ"}, "salary_currency"),
        ({"salary_period": ""}, "salary_period"),
        ({"category": "astrology"}, "category"),
        ({"status": "archived"}, "status"),
        ({"apply_url": "javascript:alert(1)"}, "apply_url"),
        ({"apply_email": "nope"}, "apply_email"),
        ({"expires_at": "31/12/2030"}, "expires_at"),
        ({"expires_at": "2001-01-01"}, "expires_at"),
    ],
)
async def test_new_job_errors_rerender_with_422(app, admin_client, changes, field) -> None:
    response = await post_form(admin_client, "/admin/jobs/new", {**FORM, **changes})
    html = await html_of(response, 422)
    assert has_error(html, field), field
    # The input is kept.
    assert field_value(html, "location") == "Hamburg"
    assert "Drive **forklifts** safely." in html or field == "content"
    assert await events_of(app) == [] and await audit_of(app) == []


async def test_rerendered_form_escapes_the_input(app, admin_client) -> None:
    response = await post_form(
        admin_client,
        "/admin/jobs/new",
        {**FORM, "title": "ab", "location": '"><script>alert(1)</script>'},
    )
    html = await html_of(response, 422)
    assert "<script>alert(1)" not in html
    assert field_value(html, "location") == '"><script>alert(1)</script>'


async def test_edit_form(app, admin, make_job) -> None:
    client, actor = admin
    job = await make_job(
        title="Cook",
        expires_at=datetime.now(UTC) + timedelta(days=9),
        salary_min=10,
        salary_currency="CNY",
        salary_period="hour",
    )
    path = f"/admin/jobs/{job.id}/edit"
    html = await html_of(await client.get(path))
    assert field_value(html, "title") == "Cook"
    assert field_value(html, "salary_min") == "10"
    assert field_value(html, "expires_at") == job.expires_at.date().isoformat()
    response = await post_form(
        client,
        path,
        {
            "title": "Head cook",
            "content": "Cook well.",
            "category": "hospitality",
            "employment_type": "full_time",
            "location": "Chengdu",
            "status": "published",
            "apply_url": "https://example.com/apply",
            "expires_at": field_value(html, "expires_at"),
        },
    )
    assert response.status_code == 302
    after = await load_job(app, job.id)
    assert after.title == "Head cook" and after.category == "hospitality"
    assert after.salary_min is None and after.salary_currency is None  # cleared in the form
    assert after.updated_by_id == actor.id
    assert [row.action for row in await audit_of(app, job.id)] == ["create", "edit"]
    assert [e.type for e in await events_of(app)] == ["job.created", "job.updated"]


async def test_edit_form_errors_rerender(app, admin_client, make_job) -> None:
    job = await make_job(title="Cook")
    path = f"/admin/jobs/{job.id}/edit"
    response = await post_form(admin_client, path, {**FORM, "title": "x"})
    html = await html_of(response, 422)
    assert has_error(html, "title") and not has_error(html, "location")
    assert field_value(html, "title") == "x"
    assert (await load_job(app, job.id)).title == "Cook"


async def test_edit_of_a_missing_job_is_404(app, admin_client) -> None:
    await html_of(await admin_client.get("/admin/jobs/999999/edit"), 404)
    await html_of(await admin_client.get("/admin/jobs/99999999999999999999/edit"), 404)


async def test_status_buttons(app, admin_client, make_job) -> None:
    job = await make_job(status="draft")
    path = f"/admin/jobs/{job.id}/status"
    response = await post_form(admin_client, path, {"status": "published"}, "/admin/jobs")
    assert response.status_code == 302
    assert (await load_job(app, job.id)).status == "published"
    response = await post_form(admin_client, path, {"status": "closed"}, "/admin/jobs")
    assert response.status_code == 302
    assert (await load_job(app, job.id)).status == "closed"
    assert [row.action for row in await audit_of(app, job.id)] == ["create", "publish", "close"]
    assert [(e.type, e.data["status"]) for e in await events_of(app)] == [
        ("job.created", "published"),
        ("job.updated", "closed"),
    ]


async def test_status_unknown_value(app, admin_client, make_job) -> None:
    job = await make_job()
    response = await post_form(
        admin_client, f"/admin/jobs/{job.id}/status", {"status": "bogus"}, "/admin/jobs"
    )
    assert response.status_code == 422
    assert (await load_job(app, job.id)).status == "published"


async def test_publishing_without_a_way_to_apply_works(app, admin_client, make_job) -> None:
    # The rule changed (issue 12): without an external link or email, people apply on Portal.
    job = await make_job(status="draft", apply_url=None)
    response = await post_form(
        admin_client, f"/admin/jobs/{job.id}/status", {"status": "published"}, "/admin/jobs"
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/jobs")
    assert (await load_job(app, job.id)).status == "published"


async def test_publishing_with_a_bad_field_goes_back_to_the_form(
    app, admin_client, make_job
) -> None:
    job = await make_job(status="draft", expires_at="2099-01-01T00:00:00Z")
    await set_job_columns(app, job.id, expires_at=datetime(2001, 1, 1, tzinfo=UTC))
    response = await post_form(
        admin_client, f"/admin/jobs/{job.id}/status", {"status": "published"}, "/admin/jobs"
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/jobs/{job.id}/edit")
    assert (await load_job(app, job.id)).status == "draft"
    html = await html_of(await admin_client.get(f"/admin/jobs/{job.id}/edit"))
    assert "must be in the future" in html  # the flashed reason


async def test_status_of_a_missing_job_is_404(app, admin_client) -> None:
    response = await post_form(
        admin_client, "/admin/jobs/999999/status", {"status": "closed"}, "/admin/jobs"
    )
    assert response.status_code == 404


async def test_delete_asks_then_deletes(app, admin_client, make_job) -> None:
    job = await make_job(title="Doomed role")
    path = f"/admin/jobs/{job.id}/delete"
    html = await html_of(await admin_client.get(path))
    assert "Doomed role" in html and f'action="{path}"' in html
    assert await load_job(app, job.id) is not None  # asking deletes nothing
    response = await post_form(admin_client, path, {})
    assert response.status_code == 302
    assert await load_job(app, job.id) is None
    assert [row.action for row in await audit_of(app, job.id)] == ["create", "delete"]
    assert [e.type for e in await events_of(app)] == ["job.created", "job.deleted"]
    await html_of(await admin_client.get(path), 404)


async def test_audit_page(app, admin_client, make_job) -> None:
    first = await make_job(title="First audited")
    second = await make_job(title="Second audited")
    html = await html_of(await admin_client.get("/admin/audit"))
    assert "First audited" in html and "Second audited" in html
    html = await html_of(
        await admin_client.get("/admin/audit", query_string={"job_id": str(second.id)})
    )
    assert "Second audited" in html and "First audited" not in html
    assert first.id != second.id
    for job_id in ("x", "²", "-1", "99999999999999999999", ""):
        await html_of(await admin_client.get("/admin/audit", query_string={"job_id": job_id}))


async def test_audit_page_escapes_changes(app, admin_client, make_job) -> None:
    await make_job(title="<script>alert(1)</script> role", location="<b>bold</b>")
    html = await html_of(await admin_client.get("/admin/audit"))
    assert "<script>alert(1)" not in html and "<b>bold</b>" not in html


def changes_of(html: str) -> list[str]:
    """The text of each row's changes cell, tags dropped and spaces collapsed."""
    cells = re.findall(r'<td class="changes">(.*?)</td>', html, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", "", cell)).split()) for cell in cells]


async def audit_trail(admin_client, make_job, language: str) -> list[str]:
    job = await make_job(title="Audited role", status="published", remote=False)
    await post_form(admin_client, f"/admin/jobs/{job.id}/status", {"status": "closed"})
    await post_form(admin_client, f"/admin/jobs/{job.id}/delete", {})
    page = await admin_client.get("/admin/audit", headers={"Accept-Language": language})
    return changes_of(await html_of(page))


async def test_the_audit_log_speaks_of_labelled_fields_and_no_none(app, admin_client, make_job):
    """Issue 13, defect 11: "status: closed → None" and raw field names."""
    deleted, closed, created = await audit_trail(admin_client, make_job, "en")
    assert "None" not in " ".join([deleted, closed, created])
    assert deleted == "Status: closed → (deleted)"
    assert closed == "Status: published → closed"
    assert "Title: Audited role" in created and "Remote work: no" in created
    assert "employment_type" not in created and "Employment type: Full-time" in created


async def test_the_audit_log_speaks_chinese(app, admin_client, make_job) -> None:
    deleted, closed, created = await audit_trail(admin_client, make_job, "zh-CN")
    for text in (deleted, closed, created):
        assert "None" not in text and "status" not in text and "title" not in text, text
        assert re.search(r"[\u4e00-\u9fff]", text), text
    assert "published" not in closed and "closed" not in closed


def test_application_entries_of_the_audit_log_are_in_words() -> None:
    from portal.i18n import force_language
    from portal.jobs.labels import audit_change

    statuses = {"submitted": "已提交", "reviewing": "审核中"}
    with force_language("zh_Hans"):
        moved = audit_change("application", "#5 Ann", ["submitted", "reviewing"], statuses)
        applied = audit_change("apply", "#5 Ann", [None, "submitted"], statuses)
        note = audit_change("note", "#5 Ann", [None, ""], statuses)
    assert moved == {"label": "#5 Ann", "before": "已提交", "after": "审核中"}
    assert applied == {"label": "#5 Ann", "before": None, "after": "已提交"}
    assert note["before"] is None and note["after"] and "None" not in note["after"]
