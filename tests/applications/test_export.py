"""The CSV export: the route (admins only, BOM, filters, no caching) and the pure writer
(formula cells neutralised, Chinese round-trips)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from portal.accounts.models import User
from portal.applications.export import BOM, HEADER, applications_csv, neutralise
from portal.applications.models import Application, Resume
from portal.applications.schemas import ApplicationView
from portal.companies.models import Company
from tests.applications.helpers import applied
from tests.factories import signed_in_client

EXPORT = "/admin/applications/export.csv"


def rows_of(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), data[:10]
    text = data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.both_databases
async def test_the_export_round_trips_chinese_and_neutralises_formulas(
    app, db_backend, admin_client, make_job
) -> None:
    job = await make_job(title="仓库管理员 Warehouse", apply_url=None)
    other_job = await make_job(title="Other job", apply_url=None)
    wang, _ = await signed_in_client(app, username="wang", nickname="王小明")
    await applied(wang, job.id, cover_letter='=HYPERLINK("https://evil.example","CV")')
    eve, _ = await signed_in_client(app, username="eve", nickname="=cmd|' /C calc'!A0")
    await applied(eve, job.id, cover_letter="@SUM(1+1)\n第二行")
    await applied(eve, other_job.id, cover_letter="-2+3")

    response = await admin_client.get(EXPORT)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "applications.csv" in response.headers["Content-Disposition"]
    assert {"private", "no-store"} <= {
        part.strip() for part in response.headers["Cache-Control"].split(",")
    }
    data = await response.get_data()
    assert b"\r\n" in data
    rows = rows_of(data)
    assert list(rows[0]) == list(HEADER)
    assert [r["id"] for r in rows] == ["1", "2", "3"]  # in the order they came
    first, second, third = rows
    assert first["applicant"] == "王小明" and first["job_title"] == "仓库管理员 Warehouse"
    assert first["cover_letter"] == '\'=HYPERLINK("https://evil.example","CV")'
    assert first["username"] == "wang" and first["status"] == "submitted"
    assert first["resume_url"].endswith("/applications/1/resume")
    assert first["resume_url"].startswith("http")
    assert second["applicant"] == "'=cmd|' /C calc'!A0"
    assert second["cover_letter"] == "'@SUM(1+1)\n第二行"
    assert third["cover_letter"] == "'-2+3"
    assert datetime.fromisoformat(first["applied_at"]).tzinfo is not None

    # Filters narrow it, and the file is named after the job.
    response = await admin_client.get(EXPORT, query_string={"job_id": other_job.id})
    assert f"applications-job-{other_job.id}.csv" in response.headers["Content-Disposition"]
    assert [r["id"] for r in rows_of(await response.get_data())] == ["3"]
    response = await admin_client.get(EXPORT, query_string={"status": "hired"})
    assert rows_of(await response.get_data()) == []


# ------------------------------------------------------------------------------ pure


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        (" =1", " =1"),
        ("王小明", "王小明"),
        ("", ""),
        (None, ""),
        (42, "42"),
        (-5, "'-5"),
    ],
)
def test_neutralise(value, expected) -> None:
    assert neutralise(value) == expected


def view(**overrides) -> ApplicationView:
    at = datetime(2024, 5, 1, 8, 30, 15, 123456, tzinfo=UTC)
    user = User(id=7, nickname=overrides.pop("nickname", "李雷"), username="lilei", email=None)
    user.phone = "+8613800000000"
    application = Application(
        id=3,
        job_id=11,
        job_title="司机 Driver",
        user_id=7,
        resume_id=1,
        cover_letter=overrides.pop("cover_letter", "Hello"),
        status="reviewing",
        note=overrides.pop("note", ""),
        created_at=at,
        updated_at=at,
    )
    resume = overrides.pop("resume", Resume(id=1, filename="cv.pdf", size=1, storage_name="x"))
    company = Company(id=2, name="云帆 =Yunfan")
    return ApplicationView(application, None, company, resume, user)


def test_applications_csv_is_utf8_with_bom_and_header() -> None:
    text = applications_csv(
        [view(note="=secret()", cover_letter="Line 1\r\nLine 2")], "https://portal.example"
    )
    assert text.startswith(BOM)
    reader = list(csv.reader(io.StringIO(text[len(BOM) :], newline="")))
    assert reader[0] == list(HEADER)
    row = dict(zip(HEADER, reader[1], strict=True))
    assert row == {
        "id": "3",
        "status": "reviewing",
        "job_id": "11",
        "job_title": "司机 Driver",
        "company": "云帆 =Yunfan",
        "applicant": "李雷",
        "username": "lilei",
        "email": "",
        "phone": "'+8613800000000",
        "applied_at": "2024-05-01T08:30:15+00:00",
        "updated_at": "2024-05-01T08:30:15+00:00",
        "cover_letter": "Line 1\r\nLine 2",
        "note": "'=secret()",
        "resume_url": "https://portal.example/applications/3/resume",
    }
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")


def test_no_resume_no_url_and_no_rows_only_the_header() -> None:
    text = applications_csv([view(resume=None)], "https://p.example")
    assert text.splitlines()[1].endswith(",")
    assert applications_csv([], "https://p.example") == BOM + ",".join(HEADER) + "\r\n"
