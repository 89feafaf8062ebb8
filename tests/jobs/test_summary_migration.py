"""Migration 0011 writes every job's stored summary anew: headings left out, blocks apart."""

from __future__ import annotations

from quart import Quart
from sqlalchemy import text

from portal.accounts.models import Role
from portal.config import Settings
from portal.db import get_db
from portal.jobs import service as jobs_service
from portal.jobs.schemas import JobData
from portal.migrate import upgrade
from tests.factories import make_user
from tests.mail.test_migration import _downgrade

CONTENT = "# 职位介绍\n\n负责分布式系统。\n\n## 要求\n\n五年经验"


async def test_0011_rewrites_the_summaries_stored_by_the_old_rule(
    app: Quart, settings: Settings
) -> None:
    admin = await make_user(app, role=Role.ADMIN, username="boss")
    data = JobData.model_validate(
        {"title": "工程师", "content": CONTENT, "status": "published", "apply_email": "a@b.cn"}
    )
    async with get_db(app).session_scope() as session:
        job = await jobs_service.create_job(session, admin, data)
        new_rule = job.summary
        # What the rule before 0011 stored: the headings run into the text.
        await session.execute(
            text("UPDATE jobs SET summary = :old WHERE id = :id"),
            {"old": "职位介绍负责分布式系统。要求五年经验", "id": job.id},
        )
        await session.commit()
    url = settings.resolved_database_url
    await _downgrade(url, "0010")
    await upgrade(url)
    async with get_db(app).session_scope() as session:
        stored = (await session.execute(text("SELECT summary FROM jobs"))).scalar_one()
    assert stored == new_rule
    assert "职位介绍" not in stored and "要求" not in stored
