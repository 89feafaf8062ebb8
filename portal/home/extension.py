"""The site's own pages in an app."""

from __future__ import annotations

from quart import Quart

from portal.home import views
from portal.web import dates


def init_app(app: Quart) -> None:
    app.register_blueprint(views.blueprint)
    app.add_template_global(dates.when, "when")
