"""The API documentation page: Swagger UI, served from static/vendor/swagger-ui/.

quart-schema's own /docs, /redocs and /scalar pages load their scripts from a CDN and
initialise them with an inline script, which the site's Content-Security-Policy refuses.
This page uses the vendored copy (scripts/vendor.sh) and static/js/docs.js, and
reads the schema from quart-schema's /openapi.json. Register it with ``init_app`` and turn
quart-schema's pages off (``swagger_ui_path=None, redoc_ui_path=None, scalar_ui_path=None``).
"""

from __future__ import annotations

from quart import Blueprint, Quart, render_template
from quart.typing import ResponseReturnValue
from quart_schema import hide

blueprint = Blueprint("docs", __name__)


@blueprint.get("/docs")
@hide
async def index() -> ResponseReturnValue:
    return await render_template("docs.html")


def init_app(app: Quart) -> None:
    taken = [rule.endpoint for rule in app.url_map.iter_rules() if rule.rule == "/docs"]
    if taken:
        raise RuntimeError(
            f"/docs is already routed to {taken[0]!r}: pass swagger_ui_path=None to QuartSchema"
        )
    app.register_blueprint(blueprint)
