"""Admins who opt in (at /admin/mail) are mailed each new application, in their language,
through the outbox of the application's own transaction."""

from __future__ import annotations

import asyncio

from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy import update

from portal.accounts.models import Role, User
from portal.db import get_db, utcnow
from tests.applications.helpers import applied
from tests.factories import csrf_token_for, signed_in_client
from tests.jobs.helpers import JOB_DEFAULTS
from tests.mail.conftest import SmtpServer


async def _set_user(app: Quart, user_id: int, **values: object) -> None:
    async with get_db(app).session_scope() as session:
        await session.execute(update(User).where(User.id == user_id).values(**values))
        await session.commit()


async def _opt(client: Client, on: bool) -> str:
    token = await csrf_token_for(client, "/admin/mail")
    form = {"csrf_token": token, **({"new_applications": "on"} if on else {})}
    answer = await client.post("/admin/mail/preferences", form=form)
    assert answer.status_code in (302, 303), await answer.get_data(as_text=True)
    return await (await client.get("/admin/mail")).get_data(as_text=True)


async def test_opted_in_admins_are_mailed_each_new_application_in_their_language(
    smtp_app: Quart, smtp_server: SmtpServer
) -> None:
    english, en_admin = await signed_in_client(
        smtp_app, role=Role.ADMIN, email="ada@example.com", nickname="Ada"
    )
    chinese, zh_admin = await signed_in_client(
        smtp_app, role=Role.ADMIN, email="wang@example.com", nickname="王"
    )
    quiet, quiet_admin = await signed_in_client(
        smtp_app, role=Role.ADMIN, email="quiet@example.com", nickname="Quiet"
    )
    for admin in (en_admin, zh_admin, quiet_admin):
        await _set_user(smtp_app, admin.id, email_verified_at=utcnow())
    await _set_user(smtp_app, zh_admin.id, language="zh_Hans")
    page = await _opt(english, True)
    assert 'id="f-new-applications" name="new_applications" type="checkbox" checked' in page
    await _opt(chinese, True)
    await _opt(quiet, True)
    page = await _opt(quiet, False)  # and changed its mind
    assert 'type="checkbox" checked' not in page

    job = await english.post("/api/v1/jobs", json={**JOB_DEFAULTS, "apply_url": None})
    assert job.status_code == 201, await job.get_data(as_text=True)
    applicant, _user = await signed_in_client(smtp_app, email="cat@example.com", nickname="Cat")
    application = await applied(applicant, (await job.get_json())["id"])

    mails = await smtp_server.inbox.wait_for(2)
    await asyncio.sleep(0.3)
    by_address = {mail["To"]: mail for mail in smtp_server.inbox.messages}
    assert set(by_address) == {"ada@example.com", "wang@example.com"}, len(mails)
    en_mail, zh_mail = by_address["ada@example.com"], by_address["wang@example.com"]
    assert "Cat" in en_mail["Subject"] and "Python developer" in en_mail["Subject"]
    text = en_mail.get_body(preferencelist=("plain",)).get_content()
    assert f"http://jobs.example.test/admin/applications/{application['id']}" in text
    assert "新申请" in zh_mail["Subject"] and zh_mail["Content-Language"] == "zh-Hans"


async def test_an_unconfirmed_or_opted_out_admin_and_a_user_cannot_get_them(
    smtp_app: Quart, smtp_server: SmtpServer
) -> None:
    admin, _admin = await signed_in_client(
        smtp_app, role=Role.ADMIN, email="una@example.com", nickname="Una"
    )
    page = await _opt(admin, True)
    assert "confirm it on your profile first" in page
    user, _user = await signed_in_client(smtp_app, email="u@example.com", nickname="U")
    refused = await user.post("/admin/mail/preferences", form={"new_applications": "on"})
    assert refused.status_code in (302, 401, 403)
    job = await admin.post("/api/v1/jobs", json={**JOB_DEFAULTS, "apply_url": None})
    await applied(user, (await job.get_json())["id"])
    await asyncio.sleep(0.5)
    assert smtp_server.inbox.messages == []  # the address was never confirmed
