"""The mail capability in an app: the transports chosen by the settings, the worker (inside
the web process without a broker; ``portal consumer mail`` with one) and ``/admin/mail``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from datetime import timedelta

from quart import Quart, current_app
from sqlalchemy import select

from portal.alerts import digest
from portal.config import Settings, get_settings
from portal.db import get_db, utcnow
from portal.events import hooks
from portal.events.extension import get_events
from portal.events.models import WorkItem
from portal.mail import notices, views
from portal.mail.models import DeliveryStatus, MailDelivery
from portal.mail.outbox import QUEUE
from portal.mail.pacing import RequestGate
from portal.mail.transports import (
    FileMailSink,
    FileSmsSink,
    HttpSmsGateway,
    MailTransport,
    SmsGateway,
    SmtpTransport,
)
from portal.mail.worker import MailWorker

# On the embedded default the in-process queue dies with the process: at start, what was
# queued this recently and never sent or parked is queued again.
REQUEUE_WINDOW = timedelta(days=2)


def mail_transport(settings: Settings) -> MailTransport:
    if settings.smtp_url:
        return SmtpTransport(settings.smtp_url)
    return FileMailSink(settings.mail_dir / "mail")


def sms_gateway(settings: Settings) -> SmsGateway:
    if settings.sms_url:
        return HttpSmsGateway(settings.sms_url)
    return FileSmsSink(settings.mail_dir / "sms")


async def start_worker(app: Quart) -> MailWorker:
    """Consume the mail work queue on this app's bus."""
    db = get_db(app)
    assert db.sessionmaker is not None
    settings = get_settings(app)
    # In the web process (no broker), the worker yields to requests; its own process needn't.
    embedded = settings.amqp_url is None
    worker = MailWorker(
        db.sessionmaker,
        env=app.jinja_env,
        mail=mail_transport(settings),
        sms=sms_gateway(settings),
        sender=settings.mail_from,
        lease=settings.mail_lease_seconds,
        pace=get_mail(app).gate.wait_quiet if embedded else None,
    )
    events = get_events(app)
    assert events.bus is not None
    queue = settings.queue_name(QUEUE)
    if embedded:
        async with db.sessionmaker() as session:
            done = select(MailDelivery.event_id).where(
                MailDelivery.status != DeliveryStatus.SENDING.value
            )
            rows = await session.execute(
                select(WorkItem)
                .where(
                    WorkItem.queue == QUEUE,
                    WorkItem.created_at > utcnow() - REQUEUE_WINDOW,
                    WorkItem.published_at.is_not(None),
                    WorkItem.id.not_in(done),
                )
                .order_by(WorkItem.id)
            )
            pending = [(dict(row.data, event_id=row.id), str(row.id)) for row in rows.scalars()]
        if pending:
            await events.bus.send_work_many(queue, pending)
    # Several at once: one slow server answer does not hold up the rest.
    await events.bus.consume_work(queue, worker.handle, prefetch=8)
    app.extensions["portal.mail.worker"] = worker
    get_mail(app).digests = asyncio.create_task(digest.run_forever(db.sessionmaker))
    return worker


class Mail:
    def __init__(self, app: Quart) -> None:
        # The daily digest job, where the worker runs.
        self.digests: asyncio.Task[None] | None = None
        # Requests in flight, which the embedded worker waits out (see portal.mail.pacing).
        self.gate = RequestGate()
        self.gate.init_app(app)
        app.extensions["portal.mail"] = self
        app.while_serving(self._lifespan)

    async def _lifespan(self) -> AsyncGenerator[None, None]:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        if get_settings(app).amqp_url is None:
            # With a broker, `portal consumer mail` runs the worker as its own process.
            await start_worker(app)
        yield
        if self.digests is not None:
            self.digests.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.digests


def get_mail(app: Quart | None = None) -> Mail:
    mail: Mail = (app or current_app).extensions["portal.mail"]
    return mail


def init_app(app: Quart) -> Mail:
    mail = Mail(app)
    get_events(app).reactions.on(hooks.APPLICATION_CREATED, notices.mail_admins_new_application)
    app.register_blueprint(views.blueprint)
    return mail
