"""The saved-jobs capability in an app: /saved and its API."""

from __future__ import annotations

from quart import Quart

from portal.saved import api, views


def init_app(app: Quart) -> None:
    app.register_blueprint(views.blueprint)
    app.register_blueprint(api.blueprint)
