"""The companies JSON API: reading, writing, who may, and every field's error at once."""

from __future__ import annotations

import pytest

from tests.jobs.helpers import JOB_DEFAULTS, error_of, load_job

pytestmark = pytest.mark.both_databases
COMPANIES = "/api/v1/companies"
BODY = {
    "name": "云帆科技 Yunfan",
    "website": "https://yunfan.example.cn",
    "description": "We build **SaaS**.\n\n<script>alert(1)</script> [x](javascript:alert(1))",
}


async def test_create_read_update_delete(app, db_backend, admin_client, client) -> None:
    response = await admin_client.post(COMPANIES, json=BODY)
    assert response.status_code == 201, await response.get_json()
    company = await response.get_json()
    assert company["name"] == "云帆科技 Yunfan" and company["slug"] == "yunfan"
    assert company["url"] == f"/companies/{company['id']}-yunfan"
    assert company["website"] == "https://yunfan.example.cn"
    assert company["logo_url"] is None
    # Sanitised exactly like job content.
    assert "<strong>SaaS</strong>" in company["description_html"]
    assert "<script>" not in company["description_html"]
    assert 'href="javascript' not in company["description_html"]

    public = await client.get(f"{COMPANIES}/{company['id']}")
    assert public.status_code == 200 and (await public.get_json()) == company
    listing = await (await client.get(COMPANIES)).get_json()
    assert listing["total"] == 1 and listing["items"] == [company]

    response = await admin_client.patch(
        f"{COMPANIES}/{company['id']}", json={"name": "Gull 海鸥", "website": None}
    )
    assert response.status_code == 200, await response.get_json()
    patched = await response.get_json()
    assert patched["name"] == "Gull 海鸥" and patched["slug"] == "gull"
    assert patched["website"] is None and patched["description"] == company["description"]

    response = await admin_client.delete(f"{COMPANIES}/{company['id']}")
    assert response.status_code == 204
    await error_of(await client.get(f"{COMPANIES}/{company['id']}"), 404)
    assert (await error_of(await admin_client.delete(f"{COMPANIES}/{company['id']}"), 404))[
        "code"
    ] == "not_found"


async def test_the_list_is_by_name_and_paginated(app, db_backend, client, make_company):
    for name in ("beta", "Alpha", "gamma", "Delta"):
        await make_company(name=name)
    page = await (await client.get(COMPANIES, query_string={"per_page": 3})).get_json()
    assert [c["name"] for c in page["items"]] == ["Alpha", "beta", "Delta"]
    assert page["total"] == 4 and page["page"] == 1 and page["per_page"] == 3
    page = await (await client.get(COMPANIES, query_string={"per_page": 3, "page": 2})).get_json()
    assert [c["name"] for c in page["items"]] == ["gamma"]
    error = await error_of(await client.get(COMPANIES, query_string={"per_page": 1000}), 422)
    assert "per_page" in error["fields"]


async def test_anonymous_writes_are_401_and_users_403(
    app, db_backend, client, user_client, make_company
) -> None:
    company = await make_company()
    writes = [
        ("POST", COMPANIES, {"json": BODY}),
        ("PATCH", f"{COMPANIES}/{company.id}", {"json": {"name": "X"}}),
        ("DELETE", f"{COMPANIES}/{company.id}", {}),
        ("PUT", f"{COMPANIES}/{company.id}/logo", {"data": b"\x89PNG\r\n\x1a\n"}),
        ("DELETE", f"{COMPANIES}/{company.id}/logo", {}),
    ]
    for visitor, status in ((client, 401), (user_client, 403)):
        for method, path, body in writes:
            response = await visitor.open(path, method=method, **body)
            error = await error_of(response, status)
            assert error["code"] == ("unauthorized" if status == 401 else "forbidden"), path
    listing = await (await client.get(COMPANIES)).get_json()
    assert [c["name"] for c in listing["items"]] == ["Ledgerline"]


async def test_every_field_error_at_once(app, db_backend, admin_client) -> None:
    body = {"name": "  ", "website": "javascript:alert(1)", "description": "x" * 5001}
    error = await error_of(await admin_client.post(COMPANIES, json=body), 422)
    assert error["code"] == "validation_failed"
    assert error["fields"] == {
        "name": "Give the company's name.",
        "website": "Give a full web address starting with https://.",
        "description": "The description has at most 5000 characters.",
    }


async def test_field_errors_are_translated(app, db_backend, admin_client) -> None:
    body = {"name": "N" * 121, "website": "ftp://example.com"}
    response = await admin_client.post(
        COMPANIES, json=body, headers={"Accept-Language": "zh-CN,zh;q=0.9"}
    )
    error = await error_of(response, 422)
    assert error["fields"] == {
        "name": "公司名称最多 120 个字符。",
        "website": "请填写以 https:// 开头的完整网址。",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Line\nbreak"}, "name"),
        ({"name": "Tab\there"}, "name"),
        ({"name": "NUL\x00"}, "name"),
        ({"name": 42}, "name"),
        ({"name": None}, "name"),
        ({"website": "example.com"}, "website"),
        ({"website": "https://example.com/" + "x" * 500}, "website"),
        ({"website": "http://[::1"}, "website"),
        ({"description": "bell \x07"}, "description"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_fields(app, admin_client, body, field) -> None:
    error = await error_of(await admin_client.post(COMPANIES, json={"name": "Ok", **body}), 422)
    assert field in error["fields"], error


async def test_patch_rules(app, db_backend, admin_client, make_company) -> None:
    company = await make_company(website="https://a.example")
    path = f"{COMPANIES}/{company.id}"
    for body, field in (({"name": None}, "name"), ({"description": None}, "description")):
        error = await error_of(await admin_client.patch(path, json=body), 422)
        assert set(error["fields"]) == {field}
    response = await admin_client.patch(path, json={"website": ""})  # empty clears
    assert (await response.get_json())["website"] is None
    response = await admin_client.patch(path, json={})
    assert response.status_code == 200
    await error_of(await admin_client.patch(f"{COMPANIES}/999999", json={"name": "X"}), 404)


async def test_deleting_a_company_keeps_its_jobs(
    app, db_backend, admin_client, make_job, make_company
) -> None:
    company = await make_company()
    job = await make_job(company_id=company.id)
    assert (await admin_client.delete(f"{COMPANIES}/{company.id}")).status_code == 204
    response = await admin_client.get(f"/api/v1/jobs/{job.id}")
    data = await response.get_json()
    assert data["company_id"] is None and data["company"] is None
    assert (await load_job(app, job.id)).company_id is None


async def test_a_job_can_be_posted_for_a_company_made_through_the_api(
    app, db_backend, admin_client
) -> None:
    company = await (await admin_client.post(COMPANIES, json={"name": "Fernleaf"})).get_json()
    response = await admin_client.post(
        "/api/v1/jobs", json={**JOB_DEFAULTS, "company_id": company["id"]}
    )
    assert (await response.get_json())["company"]["name"] == "Fernleaf"
