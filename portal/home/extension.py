"""The site's own pages in an app."""

from __future__ import annotations

from quart import Quart

from portal.home import views


def init_app(app: Quart) -> None:
    app.register_blueprint(views.blueprint)
