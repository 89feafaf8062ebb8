"""Company pages: the public page with its open jobs, and the admin screens."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.datastructures import FileStorage

from portal.companies.logos import MAX_LOGO_BYTES
from tests.companies import images
from tests.companies.test_logos import logo_files
from tests.factories import csrf_token_for
from tests.jobs.helpers import load_job, set_job_columns
from tests.jobs.test_admin_pages import field_value, has_error, html_of
from tests.jobs.test_pages import card_ids, page


async def post_company_form(client, path: str, form: dict[str, str], logo: bytes | None = None):
    token = await csrf_token_for(client, path)
    files = {}
    if logo is not None:
        files["logo"] = FileStorage(io.BytesIO(logo), filename="logo.png", content_type="image/png")
    return await client.post(path, form={**form, "csrf_token": token}, files=files)


# ------------------------------------------------------------------------------ public


@pytest.mark.both_databases
async def test_company_page_lists_only_its_public_jobs(
    app, db_backend, client, make_job, make_company
) -> None:
    company = await make_company(
        name="云帆科技 Yunfan",
        website="https://yunfan.example.cn",
        description="**SaaS** for teams. <script>alert(1)</script>",
    )
    other = await make_company(name="Other")
    public = await make_job(title="Open job", company_id=company.id)
    await make_job(title="Draft job", company_id=company.id, status="draft")
    closed = await make_job(title="Closed job", company_id=company.id)
    await set_job_columns(app, closed.id, status="closed")
    expired = await make_job(
        title="Expired job",
        company_id=company.id,
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    await set_job_columns(app, expired.id, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    await make_job(title="Someone else's", company_id=other.id)
    await make_job(title="Nobody's")

    html = await page(client, f"/companies/{company.id}-yunfan")
    assert card_ids(html) == [public.id]
    assert "<h1>云帆科技 Yunfan</h1>" in html
    assert '<a href="https://yunfan.example.cn" rel="nofollow noopener" target="_blank">' in html
    assert "<strong>SaaS</strong>" in html and "<script>alert(1)" not in html
    assert f'<link rel="canonical" href="http://localhost/companies/{company.id}-yunfan">' in html


async def test_company_page_redirects_to_its_canonical_address(app, client, make_company):
    company = await make_company(name="Harbour Pay")
    for path in (f"/companies/{company.id}", f"/companies/{company.id}-old-slug"):
        response = await client.get(path)
        assert response.status_code == 301, path
        assert response.headers["Location"].endswith(f"/companies/{company.id}-harbour-pay")


async def test_a_company_without_latin_letters_lives_at_its_id(app, client, make_company):
    company = await make_company(name="星桥数据")
    assert "<h1>星桥数据</h1>" in await page(client, f"/companies/{company.id}")


@pytest.mark.parametrize("path", ["/companies/999999", "/companies/999999-x", "/companies/0"])
async def test_unknown_companies_are_404(app, client, path) -> None:
    await page(client, path, status=404)


async def test_a_company_without_jobs_says_so(app, client, make_company) -> None:
    company = await make_company(name="Quiet")
    assert "no open jobs right now" in await page(client, f"/companies/{company.id}-quiet")


# ------------------------------------------------------------------------------ admin


@pytest.mark.parametrize(
    "path",
    [
        "/admin/companies",
        "/admin/companies/new",
        "/admin/companies/{id}/edit",
        "/admin/companies/{id}/delete",
    ],
)
async def test_admin_pages_are_for_admins(app, client, user_client, make_company, path):
    company = await make_company()
    path = path.format(id=company.id)
    response = await user_client.get(path)
    assert response.status_code == 403
    response = await client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


async def test_admin_list_shows_logos_and_job_counts(
    app, admin_client, make_job, make_company
) -> None:
    with_logo = await make_company(name="Ledgerline")
    await admin_client.put(f"/api/v1/companies/{with_logo.id}/logo", data=images.png())
    await make_company(name="Alpha")
    await make_job(company_id=with_logo.id)
    await make_job(company_id=with_logo.id, status="draft")
    html = await html_of(await admin_client.get("/admin/companies"))
    rows = re.findall(r'<tr data-company-id="(\d+)">(.*?)</tr>', html, re.S)
    assert [int(company_id) for company_id, _row in rows] == [
        (await load_company_id(app, "Alpha")),
        with_logo.id,
    ]
    ledger = dict(rows)[str(with_logo.id)]
    assert f'src="/companies/{with_logo.id}/logo?v=' in ledger
    assert "<td>2</td>" in ledger
    assert 'href="/admin/companies"' in html  # the admin navigation links here


async def load_company_id(app, name: str) -> int:
    from sqlalchemy import select

    from portal.companies.models import Company
    from portal.db import get_db

    async with get_db(app).session_scope() as session:
        return (await session.execute(select(Company.id).where(Company.name == name))).scalar_one()


async def test_create_a_company_with_a_logo(app, admin_client, client) -> None:
    form = {"name": "Fernleaf", "website": "https://fernleaf.example", "description": "*Design*"}
    response = await post_company_form(admin_client, "/admin/companies/new", form, images.jpeg())
    assert response.status_code == 302, await response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/admin/companies")
    company_id = await load_company_id(app, "Fernleaf")
    html = await page(client, f"/companies/{company_id}-fernleaf")
    match = re.search(r'<img class="company-logo" src="([^"]+)"', html)
    assert match and match.group(1).startswith(f"/companies/{company_id}/logo?v=")
    logo = await client.get(match.group(1))
    assert logo.mimetype == "image/jpeg"
    assert "<em>Design</em>" in html


async def test_form_errors_all_at_once_and_the_input_is_kept(app, admin_client) -> None:
    form = {"name": "", "website": "nope", "description": "Kept <b>text</b>"}
    response = await post_company_form(admin_client, "/admin/companies/new", form, images.gif())
    html = await html_of(response, 422)
    for name in ("name", "website"):
        assert has_error(html, name), name
    assert 'class="field logo-field has-error"' in html
    assert "A logo must be a whole PNG, JPEG or WebP image" in html
    assert field_value(html, "website") == "nope"
    assert "Kept &lt;b&gt;text&lt;/b&gt;</textarea>" in html
    assert logo_files(app) == []


async def test_a_bad_logo_alone_keeps_its_status(app, admin_client) -> None:
    form = {"name": "Fine"}
    response = await post_company_form(
        admin_client, "/admin/companies/new", form, b"<html>not an image</html>"
    )
    html = await html_of(response, 415)
    assert "A logo must be a whole PNG, JPEG or WebP image" in html
    assert field_value(html, "name") == "Fine"
    large = images.png() + b"\x00" * (MAX_LOGO_BYTES + 10 - len(images.png()))
    response = await post_company_form(admin_client, "/admin/companies/new", form, large)
    assert "A logo is at most 2 MiB." in await html_of(response, 413)
    assert logo_files(app) == []


async def test_a_form_far_past_the_limit_is_refused_before_parsing(app, admin_client) -> None:
    response = await post_company_form(
        admin_client, "/admin/companies/new", {"name": "Big"}, b"\x00" * (3 * MAX_LOGO_BYTES)
    )
    assert response.status_code == 413
    assert logo_files(app) == []


async def test_edit_replaces_and_removes_the_logo(app, admin_client, make_company) -> None:
    company = await make_company(name="Gull")
    path = f"/admin/companies/{company.id}/edit"
    response = await post_company_form(admin_client, path, {"name": "Gull 海鸥"}, images.png())
    assert response.status_code == 302
    html = await html_of(await admin_client.get(path))
    assert field_value(html, "name") == "Gull 海鸥"
    assert f'<img id="logo-preview" src="/companies/{company.id}/logo?v=' in html
    assert 'name="remove_logo"' in html
    first = logo_files(app)
    await post_company_form(admin_client, path, {"name": "Gull 海鸥"}, images.webp())
    second = logo_files(app)
    assert len(second) == 1 and second != first and second[0].suffix == ".webp"
    await post_company_form(admin_client, path, {"name": "Gull 海鸥", "remove_logo": "on"})
    assert logo_files(app) == []
    assert "No logo yet." in await html_of(await admin_client.get(path))


async def test_delete_asks_first_and_keeps_the_jobs(
    app, admin_client, make_job, make_company
) -> None:
    company = await make_company(name="Doomed")
    job = await make_job(company_id=company.id)
    path = f"/admin/companies/{company.id}/delete"
    html = await html_of(await admin_client.get(path))
    assert "Delete “Doomed”?" in html and "Its 1 job stays, without a company" in html
    response = await post_company_form(admin_client, path, {})
    assert response.status_code == 302
    assert (await admin_client.get(f"/companies/{company.id}")).status_code == 404
    assert (await load_job(app, job.id)).company_id is None


async def test_the_job_form_offers_the_companies(app, admin_client, make_job, make_company):
    company = await make_company(name="Ledgerline")
    html = await html_of(await admin_client.get("/admin/jobs/new"))
    assert f'<option value="{company.id}" >Ledgerline</option>' in html
    job = await make_job(company_id=company.id)
    html = await html_of(await admin_client.get(f"/admin/jobs/{job.id}/edit"))
    assert f'<option value="{company.id}" selected>Ledgerline</option>' in html
