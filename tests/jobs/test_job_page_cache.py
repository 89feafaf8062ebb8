"""Anonymous job pages are rendered once and kept: correct the moment the job, its videos or
its company change (each writes a job event), and never past the job's expiry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from portal.companies import service as companies
from portal.companies.schemas import CompanyData
from portal.db import get_db
from portal.jobs.cache import JobListCache
from portal.jobs.schemas import job_path
from tests.jobs.helpers import set_job_columns
from tests.jobs.test_pages import json_ld, page


async def test_an_anonymous_job_page_is_kept_until_a_job_event(
    app, client, admin_client, make_job
) -> None:
    job = await make_job(title="Platform engineer", content="First words.")
    path = job_path(job)
    assert "First words." in await page(client, path)
    # Behind the service's back (no event): the kept page is still served.
    await set_job_columns(app, job.id, content="Changed quietly.")
    assert "First words." in await page(client, path)
    response = await admin_client.patch(f"/api/v1/jobs/{job.id}", json={"content": "New words."})
    assert response.status_code == 200
    html = await page(client, path)
    assert "New words." in html and "First words." not in html


async def test_a_closed_or_deleted_job_is_never_served_from_memory(
    app, client, admin_client, make_job
) -> None:
    job = await make_job(title="Data analyst")
    path = job_path(job)
    await page(client, path)
    response = await admin_client.patch(f"/api/v1/jobs/{job.id}", json={"status": "closed"})
    assert response.status_code == 200
    assert "This job is closed" in await page(client, path)
    other = await make_job(title="Designer")
    await page(client, job_path(other))
    response = await admin_client.delete(f"/api/v1/jobs/{other.id}")
    assert response.status_code in (200, 204)
    await page(client, job_path(other), status=404)


async def test_a_company_change_shows_on_its_kept_job_pages(
    app, client, admin_client, make_job
) -> None:
    data = CompanyData.model_validate({"name": "Ledgerline", "website": "https://old.example.com"})
    async with get_db(app).session_scope() as session:
        company = await companies.create_company(session, data)
    job = await make_job(title="Accountant", company_id=company.id)
    path = job_path(job)
    assert "Ledgerline" in await page(client, path)
    response = await admin_client.patch(
        f"/api/v1/companies/{company.id}", json={"website": "https://new.example.com"}
    )
    assert response.status_code == 200
    (ld,) = json_ld(await page(client, path))
    assert ld["hiringOrganization"]["sameAs"] == "https://new.example.com"
    response = await admin_client.patch(
        f"/api/v1/companies/{company.id}", json={"name": "Ledgerline Group"}
    )
    assert response.status_code == 200
    assert "Ledgerline Group" in await page(client, path)


async def test_a_kept_job_page_goes_when_the_job_expires(app, client, make_job) -> None:
    job = await make_job(title="Short contract")
    path = job_path(job)
    await set_job_columns(app, job.id, expires_at=datetime.now(UTC) + timedelta(seconds=1.5))
    assert "This job has expired" not in await page(client, path)
    await asyncio.sleep(1.6)
    assert "This job has expired" in await page(client, path)


async def test_signed_in_visitors_get_their_own_page(app, client, user_client, make_job) -> None:
    job = await make_job(title="Support lead")
    path = job_path(job)
    assert 'href="/register"' in await page(client, path)
    signed_in = await page(user_client, path)
    assert 'href="/register"' not in signed_in and "Sign out" in signed_in
    assert 'href="/register"' in await page(client, path)


async def test_a_plain_url_still_redirects_when_the_page_is_kept(app, client, make_job) -> None:
    job = await make_job(title="Site reliability engineer")
    await page(client, job_path(job))
    for _ in range(2):
        response = await client.get(f"/jobs/{job.id}")
        assert response.status_code == 301
        assert response.headers["Location"].endswith(job_path(job))


def test_a_page_read_before_a_job_event_is_not_kept() -> None:
    cache = JobListCache()
    generation = cache.generation
    cache.clear()  # a job event arrives while the page renders
    cache.put_job_page(("en", "/jobs/1-a"), "<html>old</html>", generation)
    assert cache.get_job_page(("en", "/jobs/1-a")) is None
    cache.put_job_page(("en", "/jobs/1-a"), "<html>new</html>", cache.generation)
    assert cache.get_job_page(("en", "/jobs/1-a")) == "<html>new</html>"
