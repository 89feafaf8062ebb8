"""On the embedded default the mail worker shares the web process: it waits for a pause in
the requests before it takes a message on, so its work is never on a request's path."""

from __future__ import annotations

import asyncio

from quart import Quart
from sqlalchemy import select

from portal.db import get_db
from portal.mail.extension import get_mail
from portal.mail.models import MailDelivery
from portal.mail.pacing import MAX_DEFER_SECONDS, RequestGate
from tests.mail.conftest import SmtpServer


async def _deliveries(app: Quart) -> int:
    async with get_db(app).session_scope() as session:
        return len((await session.execute(select(MailDelivery.event_id))).all())


async def test_a_sign_ups_mail_waits_while_requests_keep_coming(
    smtp_app: Quart, smtp_server: SmtpServer
) -> None:
    # A pause that requests back to back never leave, even on a loaded machine.
    get_mail(smtp_app).gate.quiet = 0.5
    client = smtp_app.test_client()
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "pia@example.com", "nickname": "Pia", "password": "correct horse battery"},
    )
    assert response.status_code == 201
    # Requests back to back for a second: the worker has not touched the message meanwhile.
    loop = asyncio.get_running_loop()
    until = loop.time() + 1.0
    while loop.time() < until:
        assert (await client.get("/healthz")).status_code == 200
    assert smtp_server.inbox.messages == []
    assert await _deliveries(smtp_app) == 0
    # The first pause lets it through.
    mail = await smtp_server.inbox.wait_for(1)
    assert mail[0]["To"] == "pia@example.com"


async def test_under_steady_load_mail_is_late_by_the_cap_at_most() -> None:
    gate = RequestGate(quiet=0.05, max_defer=0.3)
    gate.active = 1  # a request that never ends
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(gate.wait_quiet(), 2)
    assert 0.28 <= loop.time() - started < 1.0
    assert MAX_DEFER_SECONDS <= 10  # a reset link is never held back long


async def test_a_quiet_process_sends_at_once() -> None:
    gate = RequestGate(quiet=0.05, max_defer=5.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await gate.wait_quiet()
    assert loop.time() - started < 0.05
