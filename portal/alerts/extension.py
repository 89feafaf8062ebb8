"""The alerts capability in an app: a job that becomes public is matched against alerts in
its publishing transaction; every page knows the reader's unread count."""

from __future__ import annotations

from quart import Quart

from portal.alerts import api, service, views
from portal.events import hooks
from portal.events.extension import get_events


def init_app(app: Quart) -> None:
    reactions = get_events(app).reactions
    reactions.on(hooks.JOB_PUBLISHED, service.notify_matching_alerts)
    reactions.on(hooks.APPLICATION_MOVED, service.notify_application_moved)
    views.init_app(app)
    app.register_blueprint(views.blueprint)
    app.register_blueprint(api.blueprint)
