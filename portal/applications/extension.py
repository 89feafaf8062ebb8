"""The applications capability in an app: applying, the pipeline, their pages and API."""

from __future__ import annotations

from quart import Quart

from portal.applications import api, views


def init_app(app: Quart) -> None:
    app.register_blueprint(views.blueprint)
    app.register_blueprint(api.blueprint)
