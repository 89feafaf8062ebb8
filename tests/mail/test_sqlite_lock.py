"""On SQLite the mail worker records a delivery with the write lock taken up front: a sign-up
that commits between its read and its write would otherwise make the write fail at once with
"database is locked" (SQLite cannot upgrade a read snapshot another writer has moved past)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from quart import Quart
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.config import get_settings
from portal.db import get_db
from portal.mail.extension import mail_transport, sms_gateway
from portal.mail.models import DeliveryStatus, MailDelivery
from portal.mail.worker import MailWorker
from tests.factories import PASSWORD
from tests.mail.conftest import reset_mail


class SignUpsDuringReads(AsyncSession):
    """A session that, each time it has read a delivery row, lets sign-ups run for a moment:
    the worst interleaving, every time, instead of by luck under load."""

    during_read: Callable[[], Awaitable[None]] | None = None

    async def get(self, entity: Any, *args: Any, **kwargs: Any) -> Any:
        row = await super().get(entity, *args, **kwargs)
        if entity is MailDelivery and self.during_read is not None:
            await self.during_read()
        return row


async def test_deliveries_and_concurrent_sign_ups_both_succeed(app: Quart) -> None:
    db = get_db(app)
    assert db.engine is not None
    settings = get_settings(app)
    client = app.test_client()
    sign_ups: list[asyncio.Task[Any]] = []

    async def sign_up() -> None:
        number = len(sign_ups)
        sign_ups.append(
            asyncio.create_task(
                client.post(
                    "/api/v1/auth/register",
                    json={
                        "email": f"new{number}@example.com",
                        "nickname": f"New {number}",
                        "password": PASSWORD,
                    },
                )
            )
        )
        # Long enough for it to commit, unless it waits for the worker's write lock.
        await asyncio.sleep(0.3)

    class Session(SignUpsDuringReads):
        during_read = staticmethod(sign_up)

    worker = MailWorker(
        async_sessionmaker(db.engine, class_=Session, expire_on_commit=False),
        env=app.jinja_env,
        mail=mail_transport(settings),
        sms=sms_gateway(settings),
        sender=settings.mail_from,
        backoff=(0.01,),
    )
    outcomes = []
    for event_id in (901, 902, 903):
        body = reset_mail(f"u{event_id}@example.com", "U")
        outcomes.append(await asyncio.wait_for(worker.deliver(event_id, body), 20))
    assert [outcome.status for outcome in outcomes] == [DeliveryStatus.SENT] * 3
    answers = await asyncio.wait_for(asyncio.gather(*sign_ups), 20)
    assert len(answers) >= 3 and all(answer.status_code == 201 for answer in answers)
