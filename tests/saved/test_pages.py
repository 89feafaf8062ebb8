"""The /saved page, the save toggles' form posts, and the toggles on the home page."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from portal.jobs.models import JobStatus
from tests.factories import csrf_token_for, signed_in_client
from tests.jobs.helpers import set_job_columns
from tests.jobs.test_pages import card_ids, elements, page

API = "/api/v1/me/saved-jobs"


def save_forms(html: str) -> dict[int, dict[str, str | None]]:
    """The save toggles on a page: job id -> the form's attributes and its button's state."""
    found: dict[int, dict[str, str | None]] = {}
    form: dict[str, str | None] | None = None
    for tag, attrs in elements(html):
        if tag == "form" and "data-save-toggle" in attrs:
            form = dict(attrs)
            found[int(attrs["data-job-id"] or 0)] = form
        elif tag == "button" and form is not None and "save-button" in (attrs.get("class") or ""):
            form["aria-pressed"] = attrs.get("aria-pressed")
            form = None
    return found


def saved_card_ids(html: str) -> list[int]:
    return [
        int(n)
        for n in re.findall(r'<article class="job-card saved-card[^"]*" data-job-id="(\d+)"', html)
    ]


def closed_card_ids(html: str) -> list[int]:
    return [
        int(n)
        for n in re.findall(
            r'<article class="job-card saved-card closed" data-job-id="(\d+)"', html
        )
    ]


@pytest.mark.both_databases
async def test_the_page_lists_saved_jobs_and_marks_closed_ones(
    app, db_backend, user_client, admin_client, make_job
) -> None:
    open_job = await make_job(title="Open role")
    closed = await make_job(title="Closed role")
    expired = await make_job(title="Expired role", expires_at=datetime.now(UTC) + timedelta(days=1))
    await make_job(title="Not saved")
    for job in (open_job, closed, expired):
        assert (await user_client.put(f"{API}/{job.id}")).status_code == 204
    await admin_client.patch(f"/api/v1/jobs/{closed.id}", json={"status": "closed"})
    await set_job_columns(app, expired.id, expires_at=datetime.now(UTC) - timedelta(seconds=1))

    response = await user_client.get("/saved")
    html = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert saved_card_ids(html) == [expired.id, closed.id, open_job.id]
    assert sorted(closed_card_ids(html)) == sorted([closed.id, expired.id])
    assert html.count(">Closed</span>") == 2
    assert "Not saved" not in html
    forms = save_forms(html)
    assert set(forms) == {open_job.id, closed.id, expired.id}
    for job_id, form in forms.items():
        assert form["aria-pressed"] == "true"
        assert form["action"] == f"/saved/{job_id}/delete"
        assert form["data-save-action"] == f"/saved/{job_id}"
    assert re.search(r'name="csrf_token" value="[^"]+"', html)
    assert "/static/js/saved.js" in html
    # The page extends the site's layout, whose navigation links here.
    assert 'data-testid="nav-saved"' in html and 'href="/saved"' in html


async def test_the_page_without_saved_jobs(app, user_client) -> None:
    html = await page(user_client, "/saved")
    assert saved_card_ids(html) == []
    assert "You have not saved any jobs yet" in html


async def test_the_page_is_in_chinese_too(app, user_client, make_job) -> None:
    job = await make_job(title="Closed role")
    await user_client.put(f"{API}/{job.id}")
    await set_job_columns(app, job.id, status=JobStatus.CLOSED.value)
    response = await user_client.get("/saved", headers={"Accept-Language": "zh-CN"})
    html = await response.get_data(as_text=True)
    assert "收藏的职位" in html and "已关闭" in html and "已收藏" in html


async def test_signed_out_visitors_are_sent_to_sign_in(app, client) -> None:
    response = await client.get("/saved")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login?next=/saved")
    response = await client.get("/saved?page=2")
    assert response.headers["Location"].endswith("/login?next=/saved?page%3D2")


async def test_users_only_see_their_own_saved_jobs(app, make_job) -> None:
    alice, _ = await signed_in_client(app)
    bob, _ = await signed_in_client(app)
    hers, his = await make_job(title="Alice's pick"), await make_job(title="Bob's pick")
    await alice.put(f"{API}/{hers.id}")
    await bob.put(f"{API}/{his.id}")
    alice_html = await page(alice, "/saved")
    assert saved_card_ids(alice_html) == [hers.id] and "Bob's pick" not in alice_html
    bob_html = await page(bob, "/saved")
    assert saved_card_ids(bob_html) == [his.id] and "Alice's pick" not in bob_html


# ------------------------------------------------------------------------- form posts


@pytest.mark.both_databases
async def test_save_and_unsave_without_javascript(app, db_backend, user_client, make_job) -> None:
    job = await make_job(title="Form role")
    token = await csrf_token_for(user_client, "/saved")
    for _ in range(2):  # twice: idempotent
        response = await user_client.post(
            f"/saved/{job.id}", form={"csrf_token": token, "next": "/?q=form"}
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/?q=form"
    html = await page(user_client, "/saved")
    assert saved_card_ids(html) == [job.id]
    assert "Saved “Form role”." in html  # the flash message

    for _ in range(2):
        response = await user_client.post(f"/saved/{job.id}/delete", form={"csrf_token": token})
        assert response.status_code == 302
        assert response.headers["Location"] == "/saved"
    html = await page(user_client, "/saved")
    assert saved_card_ids(html) == []
    assert "Removed from your saved jobs." in html


async def test_the_form_post_needs_the_csrf_token(app, user_client, make_job) -> None:
    job = await make_job()
    for path in (f"/saved/{job.id}", f"/saved/{job.id}/delete"):
        for form in ({}, {"csrf_token": "forged"}):
            response = await user_client.post(path, form=form)
            assert response.status_code == 403, path
    assert (await (await user_client.get(API)).get_json())["items"] == []


async def test_the_form_post_never_redirects_off_site(app, user_client, make_job) -> None:
    job = await make_job()
    token = await csrf_token_for(user_client, "/saved")
    for target in ("https://evil.example/", "//evil.example", "/\t/evil.example"):
        response = await user_client.post(
            f"/saved/{job.id}", form={"csrf_token": token, "next": target}
        )
        assert response.headers["Location"] == "/saved", target


async def test_saving_a_draft_by_form_is_a_404(app, user_client, make_job) -> None:
    draft = await make_job(status="draft")
    token = await csrf_token_for(user_client, "/saved")
    response = await user_client.post(f"/saved/{draft.id}", form={"csrf_token": token})
    assert response.status_code == 404
    response = await user_client.post("/saved/999999", form={"csrf_token": token})
    assert response.status_code == 404


async def test_a_signed_out_form_post_saves_nothing(app, client, make_job) -> None:
    job = await make_job()
    token = await csrf_token_for(client, "/login")
    response = await client.post(f"/saved/{job.id}", form={"csrf_token": token})
    assert response.status_code == 401


# ------------------------------------------------------------------------------ home


@pytest.mark.both_databases
async def test_home_cards_carry_save_toggles_for_signed_in_users(
    app, db_backend, user_client, client, make_job
) -> None:
    kept, other = await make_job(title="Kept"), await make_job(title="Other")
    await user_client.put(f"{API}/{kept.id}")
    # An anonymous visit first: it fills the shared card cache, which has no toggles.
    anonymous = await page(client, "/")
    assert card_ids(anonymous) == [other.id, kept.id]
    assert save_forms(anonymous) == {} and 'id="saved-data"' not in anonymous

    html = await page(user_client, "/")
    assert card_ids(html) == [other.id, kept.id]
    forms = save_forms(html)
    assert forms[kept.id]["aria-pressed"] == "true"
    assert forms[kept.id]["action"] == f"/saved/{kept.id}/delete"
    assert forms[other.id]["aria-pressed"] == "false"
    assert forms[other.id]["action"] == f"/saved/{other.id}"
    data = re.search(r'<script type="application/json" id="saved-data">(.*?)</script>', html, re.S)
    assert data and json.loads(data.group(1))["ids"] == [kept.id]
    assert "/static/js/saved.js" in html

    # ...and the anonymous page that follows is still everyone's, without anyone's token.
    again = await page(client, "/")
    assert save_forms(again) == {} and "csrf_token" not in again.split('id="job-list"')[1]


async def test_two_users_home_pages_show_their_own_state(app, make_job) -> None:
    job = await make_job()
    alice, _ = await signed_in_client(app)
    bob, _ = await signed_in_client(app)
    await alice.put(f"{API}/{job.id}")
    assert save_forms(await page(alice, "/"))[job.id]["aria-pressed"] == "true"
    assert save_forms(await page(bob, "/"))[job.id]["aria-pressed"] == "false"
    assert save_forms(await page(alice, "/"))[job.id]["aria-pressed"] == "true"


async def test_the_job_page_partial_shows_the_state(app, user_client, make_job) -> None:
    """The partial a job page includes looks the state up itself (and is empty signed out)."""
    from quart import render_template_string

    job = await make_job(title="Partial role")
    await user_client.put(f"{API}/{job.id}")
    source = '{% with save_job = job %}{% include "saved/_save_button.html" %}{% endwith %}'
    async with app.test_request_context("/jobs/1"):
        assert "save-button" not in await render_template_string(source, job=job)
    cookie = user_client.cookie_jar  # the signed-in client's session
    headers = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in cookie)}
    async with app.test_request_context(f"/jobs/{job.id}", headers=headers):
        html = await render_template_string(source, job=job)
    forms = save_forms(html)
    assert forms[job.id]["aria-pressed"] == "true"
    assert "/static/js/saved.js" in html


async def test_the_job_page_carries_the_toggle(app, user_client, client, make_job) -> None:
    job = await make_job(title="Page role")
    path = (await client.get(f"/jobs/{job.id}")).headers["Location"]  # the slugged URL
    assert save_forms(await page(user_client, path))[job.id]["aria-pressed"] == "false"
    await user_client.put(f"{API}/{job.id}")
    forms = save_forms(await page(user_client, path))
    assert forms[job.id]["aria-pressed"] == "true"
    assert forms[job.id]["action"] == f"/saved/{job.id}/delete"
    assert save_forms(await page(client, path)) == {}
