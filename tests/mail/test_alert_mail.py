"""Alerts by mail: an instant alert mails a confirmed address, with a one-click unsubscribe."""

from __future__ import annotations

import asyncio

from quart import Quart
from sqlalchemy import select, update

from portal.accounts.models import Role, User
from portal.alerts.models import AlertSubscription
from portal.db import get_db, utcnow
from tests.factories import signed_in_client
from tests.jobs.helpers import JOB_DEFAULTS
from tests.mail.conftest import SmtpServer


async def _confirm(app: Quart, user_id: int) -> None:
    async with get_db(app).session_scope() as session:
        await session.execute(
            update(User).where(User.id == user_id).values(email_verified_at=utcnow())
        )
        await session.commit()


async def test_instant_alert_mail_and_one_click_unsubscribe(
    smtp_app: Quart, smtp_server: SmtpServer
) -> None:
    confirmed, user = await signed_in_client(smtp_app, email="ivy@example.com", nickname="Ivy")
    await _confirm(smtp_app, user.id)
    unconfirmed, _other = await signed_in_client(smtp_app, email="jo@example.com", nickname="Jo")
    for client in (confirmed, unconfirmed):
        made = await client.post(
            "/api/v1/subscriptions", json={"keywords": "python", "delivery": "instant"}
        )
        assert made.status_code == 201 and (await made.get_json())["delivery"] == "instant"
    admin, _admin = await signed_in_client(smtp_app, role=Role.ADMIN)
    assert (await admin.post("/api/v1/jobs", json=JOB_DEFAULTS)).status_code == 201

    mail = (await smtp_server.inbox.wait_for(1))[0]
    await asyncio.sleep(0.3)
    assert [m["To"] for m in smtp_server.inbox.messages] == ["ivy@example.com"]  # confirmed only
    assert "Python developer" in mail["Subject"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = mail["List-Unsubscribe"].strip("<>")
    path = url.removeprefix("http://jobs.example.test")
    # A mail provider's one-click POST: no cookie, no CSRF token, no Origin.
    done = await smtp_app.test_client().post(path, form={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    async with get_db(smtp_app).session_scope() as session:
        alert = (
            await session.execute(
                select(AlertSubscription).where(AlertSubscription.user_id == user.id)
            )
        ).scalar_one()
    assert alert.delivery == "live"
    forged = await smtp_app.test_client().post(path[:-3] + "xyz")
    assert forged.status_code == 200
    assert "not valid" in await forged.get_data(as_text=True)


async def test_daily_digest_is_sent_once_per_user_and_day(
    smtp_app: Quart, smtp_server: SmtpServer
) -> None:
    from portal.alerts.digest import send_digests

    client, user = await signed_in_client(smtp_app, email="kai@example.com", nickname="Kai")
    await _confirm(smtp_app, user.id)
    made = await client.post(
        "/api/v1/subscriptions", json={"keywords": "python", "delivery": "digest"}
    )
    assert made.status_code == 201
    admin, _admin = await signed_in_client(smtp_app, role=Role.ADMIN)
    for title in ("Python developer", "Python tester"):
        assert (
            await admin.post("/api/v1/jobs", json={**JOB_DEFAULTS, "title": title})
        ).status_code == 201
    sessionmaker = get_db(smtp_app).sessionmaker
    assert sessionmaker is not None
    now = utcnow()
    # Two consumers running the job at once, and a later run the same day.
    async with smtp_app.app_context():  # as in the worker
        results = await asyncio.gather(
            send_digests(sessionmaker, now), send_digests(sessionmaker, now)
        )
        assert sorted(results) == [0, 1]
        assert await send_digests(sessionmaker, now) == 0
    mail = (await smtp_server.inbox.wait_for(1))[0]
    await asyncio.sleep(0.3)
    assert len(smtp_server.inbox.messages) == 1
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Python developer" in text and "Python tester" in text
    assert mail["List-Unsubscribe"]


async def test_the_alerts_page_shows_each_alerts_delivery_in_the_users_language(
    app: Quart,
) -> None:
    client, _user = await signed_in_client(app, email="una@example.com", nickname="Una")
    for keywords, delivery in (("rust", "live"), ("golang", "instant"), ("haskell", "digest")):
        made = await client.post(
            "/api/v1/subscriptions", json={"keywords": keywords, "delivery": delivery}
        )
        assert made.status_code == 201
    page = await (await client.get("/alerts")).get_data(as_text=True)
    items = page.split('<ul class="plain alerts">', 1)[1].split("</ul>", 1)[0]
    for keywords, label in (
        ("rust", "Inbox only, no mail"),
        ("golang", "A mail for each new job"),
        ("haskell", "A daily digest"),
    ):
        item = next(li for li in items.split("<li>") if keywords in li)
        assert label in item, item
    chinese = await client.get("/alerts", headers={"Accept-Language": "zh-CN"})
    text = await chinese.get_data(as_text=True)
    assert "每日摘要" in text and "仅收件箱" in text
