"""Demo data for the embedded default: an admin and a user, companies (with logos drawn
here), jobs and clicks."""

from __future__ import annotations

import io
import json
import os
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import service
from portal.accounts.models import User
from portal.applications import service as applications
from portal.applications.models import ApplicationStatus
from portal.applications.resumes import ResumeStore
from portal.companies import service as companies
from portal.companies.logos import LogoStore, reencode
from portal.companies.schemas import CompanyData
from portal.db import utcnow
from portal.jobs import service as jobs
from portal.jobs.models import Job, JobStatus
from portal.jobs.schemas import JobData
from portal.recommend.models import Click

DEMO_USER_PASSWORD = "demo-user-2026"  # noqa: S105 - the demo user is public by design


@cache
def demo_catalogue() -> dict[str, Any]:
    """The demo's employers and postings, read from ``portal/demo_jobs.json`` (package data).

    ``companies``: by key, each with a name, maybe a website, a Markdown description, and the
    initials and colour of the logo drawn for it here. ``jobs``: 32 fictional postings in
    Simplified Chinese and English, each with the fields of ``portal.jobs.schemas.JobData``
    (title, Markdown content, category, employment type, location, salary, how to apply,
    status) plus ``age_days``, how many days ago it was published (turned into timestamps
    here), and maybe ``company``, the key of its employer (the others show the site's name).
    Two jobs have no external link or e-mail: people apply to them on Portal. Companies, places
    of work and contacts are invented; links and addresses use the example.com / example.cn
    domains. Several postings share a theme (Python backend, data analysis, design, nursing)
    so that search and recommendations have something to show."""
    text = resources.files("portal").joinpath("demo_jobs.json").read_text(encoding="utf-8")
    catalogue: dict[str, Any] = json.loads(text)
    return catalogue


@dataclass(frozen=True)
class DemoLogins:
    admin_login: str
    admin_password: str
    user_login: str
    user_password: str


def _admin_password(data_dir: Path) -> str:
    """Random per installation, kept beside the database so every start can print it."""
    path = data_dir / "demo-admin-password"
    if path.exists():
        return path.read_text().strip()
    password = "demo-" + secrets.token_urlsafe(9)
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(password)
    path.chmod(0o600)
    return password


async def load_demo_data(
    session: AsyncSession, data_dir: Path, region: str, *, media_root: Path | None = None
) -> DemoLogins:
    """Create the demo accounts once; later runs only report the logins.

    ``media_root`` is where the companies' logos go: by default ``PORTAL_MEDIA_ROOT``, else
    the data dir's ``media``, as the app resolves it."""
    logins = DemoLogins("admin", _admin_password(data_dir), "demo@example.com", DEMO_USER_PASSWORD)
    users = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    if users == 0:
        admin, _created = await service.ensure_admin(
            session,
            username="admin",
            password=logins.admin_password,
            email="admin@example.com",
            region=region,
        )
        await service.register_user(
            session,
            nickname="Demo User",
            password=DEMO_USER_PASSWORD,
            username="demo",
            email=logins.user_login,
            phone="+86 138 0013 8000",
            region=region,
        )
        if media_root is None:
            configured = os.environ.get("PORTAL_MEDIA_ROOT")
            media_root = Path(configured) if configured else data_dir / "media"
        employers = await load_demo_companies(session, media_root)
        await load_demo_jobs(session, admin, employers)
        await load_demo_clicks(session, region)
        await load_demo_applications(session, admin, media_root)
    return logins


async def load_demo_clicks(session: AsyncSession, region: str) -> None:
    """A few people with tastes (by category), so "Recommended for you" has data to learn."""
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    published = (
        (await session.execute(select(Job).where(Job.status == JobStatus.PUBLISHED.value)))
        .scalars()
        .all()
    )
    by_category: dict[str, list[Job]] = {}
    for job in published:
        by_category.setdefault(job.category, []).append(job)
    tastes = [
        ["engineering", "data"],
        ["design", "product", "marketing"],
        ["healthcare", "education"],
        ["logistics", "manufacturing", "operations"],
    ]
    now = utcnow()
    for number in range(12):
        person = await service.register_user(
            session,
            nickname=f"Demo reader {number + 1}",
            password=secrets.token_urlsafe(16),
            username=f"reader{number + 1}",
            region=region,
        )
        liked = [
            job
            for category in tastes[number % len(tastes)]
            for job in by_category.get(category, [])
        ]
        for job in rng.sample(liked, min(len(liked), rng.randint(3, 6))):
            session.add(
                Click(
                    user_id=person.id,
                    job_id=job.id,
                    created_at=now - timedelta(hours=rng.randint(1, 240)),
                )
            )
    await session.commit()


def demo_pdf(title: str) -> bytes:
    """A one-page PDF saying ``title`` (ASCII): a résumé that opens in any viewer."""
    text = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 24 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


# Who applies where, and how far the admin has taken each: (username, status).
DEMO_APPLICANTS = (
    ("demo", ApplicationStatus.REVIEWING),
    ("reader1", ApplicationStatus.SUBMITTED),
    ("reader2", ApplicationStatus.INTERVIEW),
    ("reader3", ApplicationStatus.REJECTED),
)


async def load_demo_applications(session: AsyncSession, admin: User, media_root: Path) -> None:
    """A few applications to the jobs people apply to on Portal, at several stages."""
    store = ResumeStore(media_root)
    targets = [
        job
        for job in (await session.execute(select(Job).order_by(Job.id))).scalars()
        if applications.takes_applications_here(job)
    ]
    if not targets:
        return
    for number, (username, status) in enumerate(DEMO_APPLICANTS):
        person = await session.scalar(select(User).where(User.username == username))
        if person is None:
            continue
        view = await applications.apply(
            session,
            store,
            person,
            targets[number % len(targets)].id,
            cover_letter=f"Hello, I am {person.nickname} and I would like to join your team.",
            resume=applications.NewResume(
                io.BytesIO(demo_pdf(f"{person.nickname} - CV")), f"{username}-cv.pdf"
            ),
            use_saved_resume=False,
            keep_resume=username == "demo",
        )
        path = [ApplicationStatus.REVIEWING, ApplicationStatus.INTERVIEW]
        moves = path[: path.index(status) + 1] if status in path else [status]
        for step in moves if status != ApplicationStatus.SUBMITTED else []:
            await applications.update_application(
                session, admin, view.application.id, status=step, note=None
            )


def demo_logo(initials: str, colour: str, side: int = 256) -> bytes:
    """A PNG logo: the initials, white, on a coloured square."""
    image = Image.new("RGB", (side, side), colour)
    # Pillow's own font (no system fonts needed); Latin initials, as every demo logo has.
    font = ImageFont.load_default(size=side * 0.45 if len(initials) > 1 else side * 0.55)
    ImageDraw.Draw(image).text((side / 2, side / 2), initials, fill="white", font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def load_demo_companies(session: AsyncSession, media_root: Path) -> dict[str, int]:
    """The demo employers, each with a drawn logo stored like an uploaded one; their ids by
    key."""
    store = LogoStore(media_root)
    ids = {}
    for key, entry in demo_catalogue()["companies"].items():
        data = CompanyData.model_validate(
            {k: entry[k] for k in ("name", "website", "description") if k in entry}
        )
        company = await companies.create_company(session, data)
        logo = reencode(demo_logo(entry["initials"], entry["colour"]))
        stored = companies.StoredLogo(store.save(logo), logo.kind.content_type, logo.sha256)
        await companies.set_logo(session, company.id, stored)
        ids[key] = company.id
    return ids


async def load_demo_jobs(
    session: AsyncSession, admin: User, employers: dict[str, int] | None = None
) -> None:
    """Create the demo postings through the service, then date them as if posted over weeks."""
    now = utcnow()
    employers = employers or {}
    for entry in sorted(demo_catalogue()["jobs"], key=lambda e: -int(e["age_days"])):
        fields = {k: v for k, v in entry.items() if k not in ("age_days", "company")}
        fields["company_id"] = employers.get(str(entry.get("company")))
        job = await jobs.create_job(session, admin, JobData.model_validate(fields))
        if job.published_at is not None:
            age = timedelta(days=int(entry["age_days"]), hours=len(job.title) % 12)
            job.published_at = job.created_at = job.updated_at = now - age
    await session.commit()
