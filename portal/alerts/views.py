"""The alerts page: manage job alerts and read the inbox."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from quart import Blueprint, Quart, current_app, flash, redirect, request, url_for
from quart.typing import ResponseReturnValue

from portal.accounts.auth import load_principal, require_user
from portal.alerts import service
from portal.alerts.labels import DELIVERY_LABELS
from portal.alerts.schemas import AlertData
from portal.db import get_session
from portal.domain_errors import DomainError, Invalid
from portal.errors import fields_from_validation
from portal.events import channels
from portal.events.replay import last_event_id
from portal.i18n import gettext as _
from portal.web import csrf
from portal.web.forms import form_data, render_form

blueprint = Blueprint("alerts", __name__)


async def _page(
    values: dict[str, str] | None = None, error: DomainError | None = None
) -> ResponseReturnValue:
    user = await require_user()
    session = get_session()
    since_jobs = await last_event_id(session, channels.JOBS)  # before the jobs are read
    notifications = await service.list_notifications(session, user, limit=50)
    return await render_form(
        "alerts/alerts.html",
        values=values or {},
        error=error,
        alerts=await service.list_alerts(session, user),
        notifications=notifications,
        removed_jobs=await service.removed_jobs(session, notifications),
        since_jobs=since_jobs,
        DELIVERY_LABELS=DELIVERY_LABELS,
    )


def alert_data_from_form(values: dict[str, str]) -> AlertData:
    """The alert form as ``AlertData``; refused (422) with every field's message at once, the
    service's rules told with the schema's (nothing is cut short silently)."""
    raw: dict[str, Any] = {
        "keywords": values.get("keywords", ""),
        "category": values.get("category") or None,
        "location": values.get("location", "").strip() or None,
        "remote": True if values.get("remote") == "on" else None,
        "delivery": values.get("delivery") or "live",
    }
    errors = service.alert_errors(keywords=raw["keywords"] or "", category=raw["category"])
    try:
        data = AlertData.model_validate(raw)
    except ValidationError as invalid:
        raise Invalid({**errors, **fields_from_validation(invalid)}) from None
    if errors:
        raise Invalid(errors)
    return data


@blueprint.get("/alerts")
async def alerts_page() -> ResponseReturnValue:
    return await _page()


@blueprint.post("/alerts")
async def post_alert() -> ResponseReturnValue:
    user = await require_user()
    values = await form_data()
    try:
        data = alert_data_from_form(values)
        await service.create_alert(
            get_session(),
            user,
            keywords=data.keywords,
            category=data.category.value if data.category else None,
            location=data.location,
            remote=data.remote,
            delivery=service.parse_delivery(data.delivery),
        )
    except DomainError as error:
        return await _page(values, error)
    await flash(_("Alert saved. We will tell you when a matching job is published."), "success")
    return redirect(url_for("alerts.alerts_page"))


@blueprint.post("/alerts/<int:alert_id>/delete")
async def delete_alert(alert_id: int) -> ResponseReturnValue:
    user = await require_user()
    await service.delete_alert(get_session(), user, alert_id)
    await flash(_("Alert deleted."), "success")
    return redirect(url_for("alerts.alerts_page"))


@blueprint.post("/notifications/read")
async def read_notifications() -> ResponseReturnValue:
    user = await require_user()
    await service.mark_read(get_session(), user, None)
    return redirect(url_for("alerts.alerts_page") + "#inbox")


def init_app(app: Quart) -> None:
    @app.context_processor
    async def _unread() -> dict[str, object]:
        principal = await load_principal()
        if principal.user is None:
            return {"unread_notifications": 0}
        return {
            "unread_notifications": await service.unread_count(get_session(), principal.user.id)
        }


@blueprint.route("/alerts/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
async def unsubscribe(token: str) -> ResponseReturnValue:
    """The link in alert mail: GET shows a button; POST (the button, or a mail client's
    one-click List-Unsubscribe-Post) stops the mail, keeping the alert live only."""
    if request.method == "GET":
        return await render_form("alerts/unsubscribe.html", token=token[:500])
    done = await service.unsubscribe(get_session(), token[:500], current_app.secret_key or "")
    return await render_form("alerts/unsubscribe.html", token=token[:500], done=done)
