"""Issue 13, defect 4: a form shows every error at once, in plain translated sentences next to
its fields, keeping what was typed; the API's messages are the same sentences."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.factories import csrf_token_for
from tests.jobs.admin_forms import FORM

BAD = {
    "title": "ab",
    "salary_min": "-5",
    "salary_max": "100",
    "status": "draft",
    "apply_url": "javascript:alert(1)",
    "expires_at": "2001-01-01",
}


def error_of(html: str, name: str) -> str | None:
    """The message shown under the field ``name``, when its control points at it."""
    control = re.search(rf'id="f-{name}"[^>]*aria-invalid="true" aria-describedby="e-{name}', html)
    message = re.search(rf'<p class="error" id="e-{name}">(.*?)</p>', html, re.S)
    return unescape(message.group(1)) if control and message else None


async def post_new_job(client, headers: dict[str, str] | None = None) -> str:
    token = await csrf_token_for(client, "/admin/jobs/new")
    response = await client.post(
        "/admin/jobs/new", form={**FORM, **BAD, "csrf_token": token}, headers=headers or {}
    )
    html = await response.get_data(as_text=True)
    assert response.status_code == 422, html[:2000]
    return html


async def test_the_job_form_shows_every_error_at_once_in_plain_words(app, admin_client) -> None:
    html = await post_new_job(admin_client)
    assert error_of(html, "title") == "Use at least 3 characters."
    # Not "Give a whole number": it is one, only below zero.
    assert error_of(html, "salary_min") == "Give a number of 0 or more."
    # The service's rules are told in the same round as the schema's.
    assert error_of(html, "apply_url") == "Give a full web address starting with https://."
    # A draft given a past expiry was saved silently.
    assert error_of(html, "expires_at") == "The expiry date must be in the future."
    assert "should have" not in html and "Input should" not in html
    assert 'value="Hamburg"' in html and 'value="-5"' in html  # what was typed stays


async def test_the_job_form_speaks_chinese(app, admin_client) -> None:
    html = await post_new_job(admin_client, {"Accept-Language": "zh-CN"})
    for name in ("title", "salary_min", "expires_at", "apply_url"):
        message = error_of(html, name)
        assert message and re.search(r"[\u4e00-\u9fff]", message), (name, message)
    assert "String should" not in html


async def test_a_past_expiry_on_an_edited_job_is_refused(app, admin_client, make_job) -> None:
    job = await make_job(status="draft")
    token = await csrf_token_for(admin_client, f"/admin/jobs/{job.id}/edit")
    response = await admin_client.post(
        f"/admin/jobs/{job.id}/edit",
        form={**FORM, "status": "draft", "expires_at": "2001-01-01", "csrf_token": token},
    )
    html = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_of(html, "expires_at") == "The expiry date must be in the future."


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"title": "ab"}, "title", "Use at least 3 characters."),
        ({"salary_min": -5}, "salary_min", "Give a number of 0 or more."),
        ({"salary_max": "lots"}, "salary_max", "Give a whole number."),
        ({"category": "astrology"}, "category", "Choose one of the options offered."),
        (
            {"expires_at": "2030-01-01T00:00"},
            "expires_at",
            "Add the time zone, e.g. +08:00 or Z for UTC.",
        ),
        ({"bogus": 1}, "bogus", "This field is not accepted here."),
    ],
)
async def test_the_api_keeps_its_envelope_with_plain_messages(
    app, admin_client, body, field, message
) -> None:
    response = await admin_client.post(
        "/api/v1/jobs", json={"title": "Forklift driver", "content": "Drive.", **body}
    )
    assert response.status_code == 422
    error = (await response.get_json())["error"]
    assert error["code"] == "validation_failed"
    assert error["fields"][field] == message


async def test_the_api_messages_follow_the_language(app, admin_client) -> None:
    response = await admin_client.post(
        "/api/v1/jobs",
        json={"title": "ab", "content": "Drive."},
        headers={"Accept-Language": "zh-CN"},
    )
    message = (await response.get_json())["error"]["fields"]["title"]
    assert re.search(r"[\u4e00-\u9fff]", message), message
