"""The accounts capability in an app: sign-in (quart-auth, the principal cache) and its pages
and API."""

from __future__ import annotations

from quart import Quart

from portal.accounts import api, auth, views


def init_app(app: Quart) -> None:
    auth.init_app(app)
    app.register_blueprint(views.blueprint)
    app.register_blueprint(api.blueprint)
