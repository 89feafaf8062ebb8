"""``/admin/mail``: what the file sinks hold (the embedded default), parked messages, and the
admin's own choice of a mail per new application."""

from __future__ import annotations

from quart import Blueprint, flash, redirect, url_for
from quart.typing import ResponseReturnValue
from sqlalchemy import select

from portal.accounts import service as accounts
from portal.accounts.auth import require_admin
from portal.config import get_settings
from portal.db import get_session
from portal.i18n import gettext as _
from portal.mail.models import DeliveryStatus, MailDelivery
from portal.mail.transports import list_stored
from portal.web.forms import form_data, render_form

blueprint = Blueprint("mail", __name__)


@blueprint.get("/admin/mail")
async def admin_mail() -> ResponseReturnValue:
    admin = await require_admin()
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
        admin=admin,
    )


@blueprint.post("/admin/mail/preferences")
async def post_mail_preferences() -> ResponseReturnValue:
    admin = await require_admin()
    values = await form_data()
    on = values.get("new_applications") == "on"
    await accounts.set_new_application_mail(get_session(), admin, on)
    await flash(
        _("You will get a mail for each new application.")
        if on
        else _("You will get no mail for new applications.")
    )
    return redirect(url_for("mail.admin_mail"))
