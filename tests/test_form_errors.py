"""Issue 13, defect 4 on the remaining forms (alerts, company, apply, an application's status):
every error at once, in plain translated sentences next to their fields, keeping what was
typed. The job forms have theirs in tests/jobs/test_form_errors.py, the account forms in
tests/accounts/test_form_errors.py."""

from __future__ import annotations

import re
from html import unescape

from portal.accounts.models import Role
from tests.applications.helpers import applied
from tests.factories import csrf_token_for, signed_in_client
from tests.jobs.conftest import MakeJob, make_job  # noqa: F401 - the fixture

CHINESE = re.compile(r"[\u4e00-\u9fff]")
RAW = ("should have", "Input should", "String should", "Value error")


def error_of(html: str, name: str, control: str | None = None) -> str | None:
    """The message shown under the field ``name``, when its control points at it."""
    control_id = f"f-{name}" if control is None else control
    tied = not control_id or re.search(
        rf'id="{control_id}"[^>]*aria-invalid="true" aria-describedby="e-{name}', html
    )
    message = re.search(rf'<p class="error" id="e-{name}">(.*?)</p>', html, re.S)
    return unescape(message.group(1)).strip() if tied and message else None


async def post(client, page: str, form: dict[str, str], language: str = "en", **kw) -> str:
    token = await csrf_token_for(client, kw.pop("form_page", page))
    response = await client.post(
        page, form={**form, "csrf_token": token}, headers={"Accept-Language": language}, **kw
    )
    html = await response.get_data(as_text=True)
    assert response.status_code in {400, 409, 413, 415, 422}, (response.status_code, html[:1500])
    assert not any(raw in html for raw in RAW), html
    return html


BAD_ALERT = {"keywords": " ", "category": "astrology", "location": "l" * 121, "delivery": "often"}


async def test_the_alert_form_shows_every_error_at_once(app) -> None:
    client, _user = await signed_in_client(app)
    for language in ("en", "zh-CN"):
        html = await post(client, "/alerts", BAD_ALERT, language)
        if language == "en":  # a length of text, not a count of items
            assert error_of(html, "location") == "Use at most 120 characters."
        for name in ("keywords", "category", "location"):
            message = error_of(html, name)
            assert message, (language, name)
            if language == "zh-CN":
                assert CHINESE.search(message), (name, message)
        assert 'value="' + "l" * 121 + '"' in html  # what was typed stays, not cut to 120


BAD_COMPANY = {"name": "", "website": "javascript:alert(1)", "description": "d" * 5001}


async def test_the_company_form_shows_every_error_at_once(app) -> None:
    client, _user = await signed_in_client(app, role=Role.ADMIN)
    for language in ("en", "zh-CN"):
        html = await post(client, "/admin/companies/new", BAD_COMPANY, language)
        for name, control in (("name", None), ("website", None), ("description", "f-content")):
            message = error_of(html, name, control)
            assert message, (language, name)
            if language == "zh-CN":
                assert CHINESE.search(message), (name, message)
        assert 'value="javascript:alert(1)"' in html


async def test_the_apply_form_shows_every_error_at_once(
    app,
    make_job: MakeJob,  # noqa: F811 - the fixture imported above
) -> None:
    job = await make_job(title="Welder", apply_url=None)
    client, _user = await signed_in_client(app)
    for language in ("en", "zh-CN"):
        html = await post(client, f"/jobs/{job.id}/apply", {"cover_letter": "c" * 5001}, language)
        for name, control in (("cover_letter", None), ("resume", "f-resume")):
            message = error_of(html, name, control)
            assert message, (language, name, html[-3000:])
            if language == "zh-CN":
                assert CHINESE.search(message), (name, message)
        assert "c" * 5001 in html


async def test_the_status_form_shows_every_error_at_once(
    app,
    make_job: MakeJob,  # noqa: F811 - the fixture imported above
) -> None:
    job = await make_job(title="Welder", apply_url=None)
    applicant, _user = await signed_in_client(app)
    application = await applied(applicant, job.id)
    admin, _admin = await signed_in_client(app, role=Role.ADMIN)
    page = f"/admin/applications/{application['id']}"
    for language in ("en", "zh-CN"):
        html = await post(admin, page, {"status": "hired!", "note": "n" * 5001}, language)
        # The status is a row of buttons: their fieldset points at the message.
        assert '<fieldset class="field moves has-error" aria-describedby="e-status"' in html
        for name, control in (("status", ""), ("note", None)):
            message = error_of(html, name, control)
            assert message, (language, name)
            if language == "zh-CN":
                assert CHINESE.search(message), (name, message)
        assert "n" * 5001 in html
