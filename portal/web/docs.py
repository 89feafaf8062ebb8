"""The API documentation: Swagger UI at /docs, and the error answers /openapi.json states.

quart-schema's own /docs, /redocs and /scalar pages load their scripts from a CDN and
initialise them with an inline script, which the site's Content-Security-Policy refuses.
This page uses the vendored copy (scripts/vendor.sh) and static/js/docs.js, and
reads the schema from quart-schema's /openapi.json. Register it with ``init_app`` and turn
quart-schema's pages off (``swagger_ui_path=None, redoc_ui_path=None, scalar_ui_path=None``).

``init_app`` also makes the schema true about failures without a decorator on every route
(``DocumentedErrors``, a quart-schema ``OpenAPIProvider``): each operation gets the error
answers that its route's metadata implies (credentials required, a rate limit, ids in the
path, a request body, the tus headers, the database), in the JSON error envelope, with
``Retry-After`` on 429 and 503; a route's own ``document_response`` keeps its place. Request
bodies of routes with a model are required, and so are the header and query parameters
their models require (quart-schema leaves both optional). ``document_status`` states what
the metadata cannot tell: a success answer without a body. A public route says so with
quart-schema's ``security_scheme([])`` (no 401 is then implied).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel
from quart import Blueprint, Quart, render_template
from quart.typing import ResponseReturnValue
from quart_rate_limiter import (
    QUART_RATE_LIMITER_EXEMPT_ATTRIBUTE,
    QUART_RATE_LIMITER_LIMITS_ATTRIBUTE,
)
from quart_schema import OpenAPIProvider, hide
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, Rule

from portal.errors import ErrorEnvelope

blueprint = Blueprint("docs", __name__)
F = TypeVar("F", bound=Callable[..., Any])
STATUSES_ATTRIBUTE = "_portal_documented_statuses"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A werkzeug rule's variable part, ``<name>`` or ``<converter(arguments):name>``.
VARIABLE = re.compile(r"<(?:[^>:]+:)?([^>:]+)>")
RETRY_AFTER = {
    "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 0}}
}
# What each error means where the metadata implies it; a route's own wording is kept when
# it has one (quart-schema's default is the envelope's docstring).
MEANING = {
    400: "The body is not JSON (or not UTF-8).",
    401: "No valid credentials: sign in, or send a personal token as `Bearer`.",
    403: "Not allowed: admins only, or a cross-site request (CSRF) refused.",
    404: "No such resource, or not one this caller may see.",
    405: "The path names another resource, which does not take this method.",
    412: "`Tus-Resumable` is missing or not `1.0.0`; `Tus-Version` lists what is spoken.",
    413: "The body is larger than the server accepts.",
    422: "Some fields are not valid; `error.fields` names each with its message.",
    429: "Too many requests; `Retry-After` says when to try again.",
    503: "The database is busy or restarting; `Retry-After` says when to try again.",
}


@blueprint.get("/docs")
@hide
async def index() -> ResponseReturnValue:
    return await render_template("docs.html")


def document_status(status: int, description: str) -> Callable[[F], F]:
    """Document a success answer without a JSON body (``document_response`` needs a model);
    an operation that documents no 2xx answer at all is taken to answer 204."""

    def decorate(view: F) -> F:
        statuses = {**getattr(view, STATUSES_ATTRIBUTE, {}), status: description}
        setattr(view, STATUSES_ATTRIBUTE, statuses)
        return view

    return decorate


class DocumentedErrors(OpenAPIProvider):
    """quart-schema's provider, and the answers each operation gives that its route did not
    document one by one (see the module's docstring). ``init_app`` puts it in front of the
    provider class the app's ``QuartSchema`` was given."""

    def build_paths(self, rule: Rule) -> tuple[dict, dict]:
        paths, components = super().build_paths(rule)
        envelope, envelope_components = self.build_response_object(ErrorEnvelope, None)
        components.update(envelope_components)
        for path_object in paths.values():
            for method, shared in path_object.items():
                # The methods of one rule share their responses and parameters: a copy each.
                operation = copy.deepcopy(shared)
                self._complete(rule, method.upper(), operation, envelope)
                path_object[method] = operation
        return paths, components

    def build_headers_parameters(
        self, model: type[Any]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        parameters, components = super().build_headers_parameters(model)
        return _mark_required(parameters, model, header=True), components

    def build_querystring_parameters(
        self, model: type[Any]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        parameters, components = super().build_querystring_parameters(model)
        return _mark_required(parameters, model, header=False), components

    def _complete(
        self, rule: Rule, method: str, operation: dict[str, Any], envelope: dict[str, Any]
    ) -> None:
        envelope_text = envelope["description"]
        responses = {str(status): value for status, value in operation["responses"].items()}
        for status, description in self._successes(rule, responses).items():
            responses.setdefault(str(status), {"description": description})
        for implied in sorted(self._statuses(rule, method, operation)):
            responses.setdefault(str(implied), copy.deepcopy(envelope))
        for key, response in responses.items():
            if response.get("description") in ("", envelope_text) and int(key) in MEANING:
                response["description"] = MEANING[int(key)]
        for key in ("429", "503"):
            if key in responses:
                responses[key].setdefault("headers", {}).update(copy.deepcopy(RETRY_AFTER))
        if "requestBody" in operation:
            # quart-schema leaves it optional; a route with a model always needs one.
            operation["requestBody"]["required"] = True
        operation["responses"] = dict(sorted(responses.items()))

    def _statuses(self, rule: Rule, method: str, operation: dict[str, Any]) -> set[int]:
        statuses = {503}  # every request may reach the database (who is asking, at least)
        parameters = operation["parameters"]
        located = {parameter["in"] for parameter in parameters}
        headers = {p["name"].lower() for p in parameters if p["in"] == "header"}
        security = operation.get("security", self._extension.security)
        if security and {} not in security:
            statuses.add(401)
        if method in UNSAFE_METHODS:
            statuses.add(403)  # the cross-origin check of portal.web.csrf
        if self._rate_limited(rule):
            statuses.add(429)
        if "path" in located:
            statuses.add(404)
            if _shadowed(self._app.url_map, rule, method):
                statuses.add(405)
        if "query" in located:
            statuses.add(422)
        if "requestBody" in operation:
            statuses |= {400, 413, 422}
        if "tus-resumable" in headers:
            statuses.add(412)
        return statuses

    def _successes(self, rule: Rule, responses: dict[str, Any]) -> dict[int, str]:
        declared: dict[int, str] = getattr(self._view(rule), STATUSES_ATTRIBUTE, {})
        if declared or any(status.startswith("2") for status in responses):
            return declared
        return {204: "Done; no content."}

    def _rate_limited(self, rule: Rule) -> bool:
        view = self._view(rule)
        if getattr(view, QUART_RATE_LIMITER_EXEMPT_ATTRIBUTE, False):
            return False
        owner = self._app.blueprints.get(rule.endpoint.rpartition(".")[0])
        return bool(
            getattr(view, QUART_RATE_LIMITER_LIMITS_ATTRIBUTE, [])
            or getattr(owner, QUART_RATE_LIMITER_LIMITS_ATTRIBUTE, [])
        )

    def _view(self, rule: Rule) -> Callable[..., Any]:
        return self._app.view_functions[rule.endpoint]


def _mark_required(
    parameters: Iterable[dict[str, Any]], model: type[Any], *, header: bool
) -> list[dict[str, Any]]:
    """quart-schema looks for ``required`` on each property, where pydantic never puts it:
    mark the parameters the model requires (header names compare without case)."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return list(parameters)
    required = set(model.model_json_schema(by_alias=True).get("required", []))
    if header:
        required = {name.lower().replace("_", "-") for name in required}
    marked = []
    for parameter in parameters:
        name = parameter["name"].lower() if header else parameter["name"]
        if name in required:
            parameter = {**parameter, "required": True}
        marked.append(parameter)
    return marked


def _shadowed(url_map: Map, rule: Rule, method: str) -> bool:
    """Whether a path of this shape that the rule's converters refuse (``/jobs/preview`` for
    ``/jobs/<int:job_id>``) is another route's, without ``method``: werkzeug's 405."""
    mine = rule.rule.strip("/").split("/")
    adapter = url_map.bind("localhost")
    for other in url_map.iter_rules():
        theirs = other.rule.strip("/").split("/")
        if other.arguments or len(theirs) != len(mine):
            continue
        if any(a != b and not VARIABLE.fullmatch(a) for a, b in zip(mine, theirs, strict=True)):
            continue
        try:
            adapter.match(other.rule, method=method)
        except MethodNotAllowed:
            return True
        except HTTPException:
            continue
    return False


def init_app(app: Quart) -> None:
    taken = [rule.endpoint for rule in app.url_map.iter_rules() if rule.rule == "/docs"]
    if taken:
        raise RuntimeError(
            f"/docs is already routed to {taken[0]!r}: pass swagger_ui_path=None to QuartSchema"
        )
    app.register_blueprint(blueprint)
    extension = app.extensions["QUART_SCHEMA"]
    base = extension.openapi_provider_class
    if not issubclass(base, DocumentedErrors):
        # In front of the app's own provider (portal.app's ApiOnlyProvider), keeping its
        # choice of rules: what QuartSchema(openapi_provider_class=...) would have built.
        base = type(f"Documented{base.__name__}", (DocumentedErrors, base), {})
        extension.openapi_provider_class = base
    extension.openapi_provider = base(app, extension)
