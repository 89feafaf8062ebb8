"""``/admin/mail``: what the file sinks hold (the embedded default) and parked messages."""

from __future__ import annotations

from quart import Blueprint
from quart.typing import ResponseReturnValue
from sqlalchemy import select

from portal.accounts.auth import require_admin
from portal.config import get_settings
from portal.db import get_session
from portal.mail.models import DeliveryStatus, MailDelivery
from portal.mail.transports import list_stored
from portal.web.forms import render_form

blueprint = Blueprint("mail", __name__)


@blueprint.get("/admin/mail")
async def admin_mail() -> ResponseReturnValue:
    await require_admin()
    settings = get_settings()
    parked = (
        await get_session().execute(
            select(MailDelivery)
            .where(MailDelivery.status == DeliveryStatus.PARKED.value)
            .order_by(MailDelivery.event_id.desc())
            .limit(100)
        )
    ).scalars()
    return await render_form(
        "admin/mail.html",
        stored=list_stored(settings.mail_dir),
        parked=list(parked),
        smtp=bool(settings.smtp_url),
    )
