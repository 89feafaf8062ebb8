"""Mail as background work: real SMTP, MIME, languages, retries, dedupe and reset tokens."""

from __future__ import annotations

import asyncio
import re

from quart import Quart
from sqlalchemy import select, update

from portal.accounts.models import User
from portal.db import get_db
from portal.mail.models import DeliveryStatus, MailDelivery
from tests.factories import PASSWORD, make_user
from tests.mail.conftest import SmtpServer, reset_mail

LINK = re.compile(r"http://jobs\.example\.test/password/reset\?token=([A-Za-z0-9_-]+)")


async def _reset_link(app: Quart, smtp: SmtpServer, login: str, count: int = 1) -> str:
    client = app.test_client()
    response = await client.post("/api/v1/auth/password-reset", json={"login": login})
    assert response.status_code == 202
    mail = (await smtp.inbox.wait_for(count))[-1]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    match = LINK.search(text)
    assert match, text
    return match.group(1)


async def test_reset_mail_is_valid_mime_and_resets_once(
    smtp_app: Quart, smtp_server: SmtpServer
) -> None:
    await make_user(smtp_app, email="ann@example.com", nickname="Ann")
    token = await _reset_link(smtp_app, smtp_server, "ann@example.com")
    mail = smtp_server.inbox.messages[0]
    assert mail.get_content_type() == "multipart/alternative"
    assert mail["To"] == "ann@example.com"
    assert mail["Message-ID"].startswith("<mail-") and mail["Date"]
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert f"/password/reset?token={token}" in html

    client = smtp_app.test_client()
    new = "a brand new passphrase"
    answer = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": new}
    )
    assert answer.status_code == 200, await answer.get_data(as_text=True)
    again = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "another one!"}
    )
    assert again.status_code == 422
    assert (await again.get_json())["error"]["fields"]["token"]
    login = await client.post(
        "/api/v1/auth/login", json={"login": "ann@example.com", "password": new}
    )
    assert login.status_code == 200


async def test_chinese_recipient_gets_chinese_mail(
    smtp_app: Quart, smtp_server: SmtpServer
) -> None:
    user = await make_user(smtp_app, email="li@example.com", nickname="李雷")
    async with get_db(smtp_app).session_scope() as session:
        await session.execute(update(User).where(User.id == user.id).values(language="zh_Hans"))
        await session.commit()
    await _reset_link(smtp_app, smtp_server, "li@example.com")
    mail = smtp_server.inbox.messages[0]
    assert "重置" in mail["Subject"]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "李雷" in text and "重置" in text
    assert mail["Content-Language"] == "zh-Hans"


async def test_unknown_account_gets_the_same_answer_and_no_mail(
    smtp_app: Quart, smtp_server: SmtpServer
) -> None:
    client = smtp_app.test_client()
    for login in ("nobody@example.com", "no-such-user", "x" * 250, "13800138000"):
        response = await client.post("/api/v1/auth/password-reset", json={"login": login})
        assert response.status_code == 202
    await asyncio.sleep(0.3)
    assert smtp_server.inbox.messages == []


async def test_forged_and_expired_tokens_are_a_clear_page(
    smtp_app: Quart, smtp_server: SmtpServer
) -> None:
    await make_user(smtp_app, email="bo@example.com", nickname="Bo")
    token = await _reset_link(smtp_app, smtp_server, "bo@example.com")
    from portal.accounts.models import AccountToken
    from portal.db import utcnow

    async with get_db(smtp_app).session_scope() as session:
        await session.execute(update(AccountToken).values(expires_at=utcnow()))
        await session.commit()
    client = smtp_app.test_client()
    for forged in (token, "forged" * 6, "123456", "", "\x00" * 30):
        page = await client.get(f"/password/reset?token={forged}")
        assert page.status_code == 200
        api = await client.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": forged, "password": "a brand new passphrase"},
        )
        assert api.status_code == 422, forged


async def test_smtp_down_then_back_sends_the_queued_mail(
    smtp_app: Quart, smtp_server: SmtpServer
) -> None:
    await make_user(smtp_app, email="cy@example.com", nickname="Cy")
    smtp_server.stop()
    client = smtp_app.test_client()
    response = await client.post("/api/v1/auth/password-reset", json={"login": "cy@example.com"})
    assert response.status_code == 202  # the site is unaffected
    assert (await client.get("/login")).status_code == 200
    await asyncio.sleep(0.4)
    smtp_server.start()
    mails = await smtp_server.inbox.wait_for(1)
    assert len(mails) == 1
    async with asyncio.timeout(10):  # the server accepted it; the row is marked right after
        while True:
            async with get_db(smtp_app).session_scope() as session:
                row = (await session.execute(select(MailDelivery))).scalar_one()
            if row.status != DeliveryStatus.SENDING.value:
                break
            await asyncio.sleep(0.02)
    assert row.status == DeliveryStatus.SENT.value and row.attempts > 1


async def test_a_redelivered_message_is_sent_once(smtp_app: Quart, smtp_server: SmtpServer) -> None:
    worker = smtp_app.extensions["portal.mail.worker"]
    body = reset_mail("dee@example.com", "Dee", "http://jobs.example.test").to_data()
    await worker.handle({**body, "event_id": 987654})
    await worker.handle({**body, "event_id": 987654})
    await asyncio.sleep(0.2)
    assert len(smtp_server.inbox.messages) == 1


async def test_a_message_is_parked_with_the_reason_after_the_last_retry(
    smtp_app: Quart, smtp_server: SmtpServer
) -> None:
    worker = smtp_app.extensions["portal.mail.worker"]
    worker.backoff = (0.01, 0.01)
    smtp_server.inbox.refuse = True
    body = reset_mail("ed@example.com", "Ed").to_data()
    await worker.handle({**body, "event_id": 55})
    async with get_db(smtp_app).session_scope() as session:
        row = await session.get(MailDelivery, 55)
    assert row is not None and row.status == DeliveryStatus.PARKED.value
    assert row.attempts == 3 and "451" in row.reason


async def test_killed_mid_send_and_restarted_sends_once(
    tmp_path, database_url, smtp_server: SmtpServer
) -> None:
    """A worker cancelled while backing off (its message unacked) and a fresh one given the
    redelivery: the mail arrives once, and the attempts already made are remembered."""
    from portal.app import create_app
    from portal.config import Settings

    settings = Settings(
        env="test",
        data_dir=tmp_path / "d",
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-for-anything",
        smtp_url=smtp_server.url,
    )
    app = create_app(settings)
    body = {
        **reset_mail("fi@example.com", "Fi").to_data(),
        "event_id": 77,
    }
    async with app.test_app():
        worker = app.extensions["portal.mail.worker"]
        worker.backoff = (30.0,) * 5
        smtp_server.inbox.refuse = True
        first = asyncio.create_task(worker.handle(body))
        await asyncio.sleep(0.5)
        first.cancel()  # killed while waiting for the next attempt
        await asyncio.gather(first, return_exceptions=True)
        smtp_server.inbox.refuse = False
        worker.backoff = (0.01,) * 5
        await worker.handle(body)  # the redelivery
        await worker.handle(body)  # and a duplicate of it
        async with get_db(app).session_scope() as session:
            row = await session.get(MailDelivery, 77)
    assert len(smtp_server.inbox.messages) == 1
    assert row is not None and row.status == DeliveryStatus.SENT.value and row.attempts == 2


async def test_confirming_an_email_address_by_the_mailed_link(
    smtp_app: Quart, smtp_server: SmtpServer
) -> None:
    from tests.factories import login

    await make_user(smtp_app, email="gus@example.com", nickname="Gus")
    client = smtp_app.test_client()
    await login(client, "gus@example.com")
    assert (await client.post("/api/v1/me/verify", json={"channel": "phone"})).status_code == 422
    assert (await client.post("/api/v1/me/verify", json={"channel": "email"})).status_code == 202
    text = (
        (await smtp_server.inbox.wait_for(1))[0].get_body(preferencelist=("plain",)).get_content()
    )
    token = re.search(r"/verify\?token=([A-Za-z0-9_-]+)", text)
    assert token, text
    bad = await client.post("/api/v1/me/verify/confirm", json={"token": "nope" * 8})
    assert bad.status_code == 422
    good = await client.post("/api/v1/me/verify/confirm", json={"token": token.group(1)})
    assert good.status_code == 200 and (await good.get_json())["email_verified"] is True
    page = await client.get("/profile")
    assert "confirmed" in await page.get_data(as_text=True)
    # A new address is unconfirmed again.
    changed = await client.patch("/api/v1/me", json={"email": "gus2@example.com"})
    assert (await changed.get_json())["email_verified"] is False


async def test_embedded_default_writes_eml_files_listed_for_admins(app: Quart) -> None:
    from portal.accounts.models import Role
    from tests.factories import signed_in_client

    await make_user(app, email="hal@example.com", nickname="Hal")
    client = app.test_client()
    assert (
        await client.post("/api/v1/auth/password-reset", json={"login": "hal@example.com"})
    ).status_code == 202
    admin, _user = await signed_in_client(app, role=Role.ADMIN)
    async with asyncio.timeout(10):
        while True:
            page = await (await admin.get("/admin/mail")).get_data(as_text=True)
            if "Reset your Portal password" in page:
                break
            await asyncio.sleep(0.05)
    assert "hal@example.com" in page and "/password/reset?token=" in page
    assert (await client.get("/admin/mail")).status_code in (302, 401, 403)


async def test_sign_up_mails_a_confirmation_link(smtp_app: Quart, smtp_server: SmtpServer) -> None:
    client = smtp_app.test_client()
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "kim@example.com", "nickname": "Kim", "password": PASSWORD},
    )
    assert response.status_code == 201
    mail = (await smtp_server.inbox.wait_for(1))[0]
    assert mail["To"] == "kim@example.com"
    assert "/verify?token=" in mail.get_body(preferencelist=("plain",)).get_content()
