"""JSON API: /api/v1/subscriptions (job alerts) and /api/v1/notifications (the inbox)."""

from __future__ import annotations

from quart import Blueprint
from quart_schema import (
    document_response,
    validate_querystring,
    validate_request,
    validate_response,
)

from portal.accounts.auth import require_user
from portal.alerts import service
from portal.alerts.models import Delivery
from portal.alerts.schemas import (
    AlertData,
    AlertList,
    AlertPublic,
    NotificationFilter,
    NotificationList,
    NotificationPublic,
    ReadData,
    Unread,
)
from portal.db import get_session
from portal.errors import ErrorEnvelope

blueprint = Blueprint("alerts_api", __name__, url_prefix="/api/v1")


@blueprint.get("/subscriptions")
@validate_response(AlertList)
@document_response(ErrorEnvelope, 401)
async def get_subscriptions() -> AlertList:
    """The signed-in user's job alerts."""
    user = await require_user()
    alerts = await service.list_alerts(get_session(), user)
    return AlertList(items=[AlertPublic.of(a) for a in alerts])


@blueprint.post("/subscriptions")
@validate_request(AlertData)
@validate_response(AlertPublic, 201)
@document_response(ErrorEnvelope, 409)
@document_response(ErrorEnvelope, 422)
async def post_subscription(data: AlertData) -> tuple[AlertPublic, int]:
    """Create a job alert: a notification when a matching job is published."""
    user = await require_user()
    alert = await service.create_alert(
        get_session(),
        user,
        keywords=data.keywords,
        category=data.category.value if data.category else None,
        location=data.location,
        remote=data.remote,
        delivery=Delivery(data.delivery),
    )
    return AlertPublic.of(alert), 201


@blueprint.delete("/subscriptions/<int:alert_id>")
@document_response(ErrorEnvelope, 404)
async def delete_subscription(alert_id: int) -> tuple[str, int]:
    """Delete a job alert."""
    user = await require_user()
    await service.delete_alert(get_session(), user, alert_id)
    return "", 204


@blueprint.get("/notifications")
@validate_querystring(NotificationFilter)
@validate_response(NotificationList)
@document_response(ErrorEnvelope, 401)
async def get_notifications(query_args: NotificationFilter) -> NotificationList:
    """The inbox, newest first (``before`` pages back by id)."""
    user = await require_user()
    session = get_session()
    notes = await service.list_notifications(
        session, user, limit=query_args.limit, before_id=query_args.before
    )
    return NotificationList(
        items=[NotificationPublic.of(n) for n in notes],
        unread=await service.unread_count(session, user.id),
    )


@blueprint.post("/notifications/read")
@validate_request(ReadData)
@validate_response(Unread)
async def post_notifications_read(data: ReadData) -> Unread:
    """Mark notifications read; returns how many are still unread."""
    user = await require_user()
    return Unread(unread=await service.mark_read(get_session(), user, data.ids))
