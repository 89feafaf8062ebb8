"""Jobs belong to companies: the API, cards, job pages, JSON-LD, the feed, search, events."""

from __future__ import annotations

import pytest

from portal.companies import service as companies
from portal.db import get_db
from tests.jobs.helpers import JOB_DEFAULTS, error_of, events_of, load_job
from tests.jobs.test_pages import ATOM, json_ld, page, parse_feed

pytestmark = pytest.mark.both_databases
JOBS = "/api/v1/jobs"


async def test_a_job_is_created_with_its_company(app, db_backend, admin_client, make_company):
    company = await make_company(name="云帆科技 Yunfan", website="https://yunfan.example.cn")
    response = await admin_client.post(JOBS, json={**JOB_DEFAULTS, "company_id": company.id})
    assert response.status_code == 201, await response.get_json()
    job = await response.get_json()
    assert job["company_id"] == company.id
    assert job["company"] == {
        "id": company.id,
        "name": "云帆科技 Yunfan",
        "url": f"/companies/{company.id}-yunfan",
        "logo_url": None,
    }
    listed = (await (await admin_client.get(JOBS)).get_json())["items"]
    assert listed[0]["company"]["name"] == "云帆科技 Yunfan"
    (created,) = [e for e in await events_of(app) if e.type == "job.created"]
    assert created.data["company"]["id"] == company.id


async def test_an_unknown_company_is_a_field_error_with_the_others(
    app, db_backend, admin_client
) -> None:
    for company_id in (999_999, 0, -1, 2**31, 10**30):
        body = {**JOB_DEFAULTS, "company_id": company_id, "salary_min": 5}
        error = await error_of(await admin_client.post(JOBS, json=body), 422)
        assert error["fields"].keys() >= {"company_id", "salary_currency"}, company_id
        assert error["fields"]["company_id"] == "No such company."
    assert await events_of(app) == []


async def test_the_company_error_is_translated(app, db_backend, admin_client) -> None:
    response = await admin_client.post(
        JOBS, json={**JOB_DEFAULTS, "company_id": 424242}, headers={"Accept-Language": "zh-CN"}
    )
    error = await error_of(response, 422)
    assert error["fields"]["company_id"] == "没有这家公司。"


async def test_patch_sets_changes_and_clears_the_company(
    app, db_backend, admin_client, make_job, make_company
) -> None:
    first, second = await make_company(name="First"), await make_company(name="Second")
    job = await make_job()
    for company_id, name in ((first.id, "First"), (second.id, "Second"), (None, None)):
        response = await admin_client.patch(f"{JOBS}/{job.id}", json={"company_id": company_id})
        assert response.status_code == 200, await response.get_json()
        data = await response.get_json()
        assert data["company_id"] == company_id
        assert (data["company"] or {}).get("name") == name
    updates = [e.data["company"] for e in await events_of(app) if e.type == "job.updated"]
    assert [c and c["name"] for c in updates] == ["First", "Second", None]
    error = await error_of(
        await admin_client.patch(f"{JOBS}/{job.id}", json={"company_id": 7}), 422
    )
    assert set(error["fields"]) == {"company_id"}
    assert (await load_job(app, job.id)).company_id is None


async def test_publishing_without_an_apply_link(app, db_backend, admin_client) -> None:
    body = {"title": "Barista", "content": "Coffee.", "status": "published"}
    response = await admin_client.post(JOBS, json=body)
    assert response.status_code == 201, await response.get_json()
    job = await response.get_json()
    assert job["status"] == "published" and job["apply_url"] is job["apply_email"] is None
    html = await page(admin_client, job["url"])
    assert "Apply right here on Portal." in html


# ------------------------------------------------------------------------------ pages


async def test_cards_and_job_page_show_the_company_or_the_site(
    app, db_backend, client, make_job, make_company
) -> None:
    company = await make_company(name="Harbour <Pay>")
    with_company = await make_job(title="Analyst", company_id=company.id)
    without = await make_job(title="Cook")
    home = await page(client, "/")
    assert f'<a href="/companies/{company.id}-harbour-pay">Harbour &lt;Pay&gt;</a>' in home
    assert '<p class="employer">Portal</p>' in home
    job_page = await page(client, f"/jobs/{with_company.id}-analyst")
    assert "Harbour &lt;Pay&gt;</a>" in job_page
    assert '<p class="employer">Portal</p>' in await page(client, f"/jobs/{without.id}-cook")


async def test_json_ld_names_the_company(app, db_backend, client, make_job, make_company):
    company = await make_company(name="Ledgerline", website="https://ledgerline.example.com")
    job = await make_job(title="Engineer", company_id=company.id)
    (ld,) = json_ld(await page(client, f"/jobs/{job.id}-engineer"))
    assert ld["hiringOrganization"] == {
        "@type": "Organization",
        "name": "Ledgerline",
        "sameAs": "https://ledgerline.example.com",
    }


async def test_json_ld_of_a_job_without_a_company_names_the_site(app, client, make_job):
    job = await make_job(title="Engineer")
    (ld,) = json_ld(await page(client, f"/jobs/{job.id}-engineer"))
    assert ld["hiringOrganization"] == {
        "@type": "Organization",
        "name": "Portal",
        "sameAs": "http://localhost",
    }


async def test_atom_authors_are_the_companies(app, db_backend, client, make_job, make_company):
    company = await make_company(name="星桥数据")
    await make_job(title="Without")
    await make_job(title="With", company_id=company.id)
    feed = parse_feed(await (await client.get("/jobs.atom")).get_data())
    authors = {
        entry.find(f"{ATOM}title").text: entry.find(f"{ATOM}author")
        for entry in feed.findall(f"{ATOM}entry")
    }
    assert authors["With"].find(f"{ATOM}name").text == "星桥数据"
    assert authors["With"].find(f"{ATOM}uri").text == f"http://localhost/companies/{company.id}"
    assert authors["Without"].find(f"{ATOM}name").text == "Portal"


# ------------------------------------------------------------------------------ search


async def search(client, q: str) -> list[str]:
    response = await client.get(JOBS, query_string={"q": q})
    assert response.status_code == 200
    return [item["title"] for item in (await response.get_json())["items"]]


async def test_company_names_are_searchable(app, db_backend, client, make_job, make_company):
    yunfan = await make_company(name="云帆科技")
    ledger = await make_company(name="Ledgerline")
    await make_job(title="后端工程师", company_id=yunfan.id)
    await make_job(title="Backend engineer", company_id=ledger.id)
    await make_job(title="Unrelated")
    assert await search(client, "云帆") == ["后端工程师"]
    assert await search(client, "云帆科技") == ["后端工程师"]
    assert await search(client, "ledgerline") == ["Backend engineer"]
    assert await search(client, "Ledger") == ["Backend engineer"]  # as you type


async def test_renaming_a_company_reindexes_and_announces_its_jobs(
    app, db_backend, client, admin_user, make_job, make_company
) -> None:
    company = await make_company(name="Old Name")
    public = await make_job(title="Public", company_id=company.id)
    await make_job(title="Draft", company_id=company.id, status="draft")
    before = len(await events_of(app))
    assert "Old Name" in await page(client, "/")  # the anonymous page, now cached
    async with get_db(app).session_scope() as session:
        await companies.update_company(session, company.id, {"name": "海鸥 Gull"})
    events = (await events_of(app))[before:]
    assert [(e.type, e.data["id"]) for e in events] == [("job.updated", public.id)]
    assert events[0].data["company"]["name"] == "海鸥 Gull"
    assert await search(client, "old") == []
    assert await search(client, "海鸥") == ["Public"]
    home = await page(client, "/")
    assert "海鸥 Gull" in home and "Old Name" not in home


async def test_deleting_a_company_leaves_its_jobs_without_one(
    app, db_backend, client, admin_user, make_job, make_company
) -> None:
    company = await make_company(name="Vanishing")
    job = await make_job(title="Stays", company_id=company.id)
    async with get_db(app).session_scope() as session:
        await companies.delete_company(session, admin_user, company.id)
    stored = await load_job(app, job.id)
    assert stored is not None and stored.company_id is None
    (update,) = [e for e in await events_of(app) if e.type == "job.updated"]
    assert update.data["id"] == job.id and update.data["company"] is None
    assert await search(client, "vanishing") == []
    assert await search(client, "stays") == ["Stays"]
    assert '<p class="employer">Portal</p>' in await page(client, f"/jobs/{job.id}-stays")


async def test_json_ld_carries_the_logo(
    app, db_backend, client, admin_client, make_job, make_company
) -> None:
    from tests.companies import images

    company = await make_company(name="Ledgerline")
    response = await admin_client.put(f"/api/v1/companies/{company.id}/logo", data=images.png())
    logo_url = (await response.get_json())["logo_url"]
    job = await make_job(title="Engineer", company_id=company.id)
    (ld,) = json_ld(await page(client, f"/jobs/{job.id}-engineer"))
    assert ld["hiringOrganization"] == {
        "@type": "Organization",
        "name": "Ledgerline",
        "logo": "http://localhost" + logo_url,
    }
