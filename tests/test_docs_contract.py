"""docs/design.md is the public contract: every route, event type and setting it names exists,
and every event type and setting the code has is documented there."""

from __future__ import annotations

import re
from pathlib import Path

from quart import Quart

from portal.config import Settings
from portal.events.channels import EVENT_TYPES

DESIGN = Path(__file__).parents[1] / "docs" / "design.md"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
SPAN = re.compile(r"`([^`]+)`")


def documented_routes(text: str) -> set[tuple[str, str]]:
    """``(method, path)`` from the contract's tables: `GET /a`, `PATCH`/`DELETE /a/<id>`."""
    routes: set[tuple[str, str]] = set()
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        waiting: list[str] = []
        first_cell = line.split("|")[1]
        for span in SPAN.findall(first_cell):
            method, _, path = span.partition(" ")
            if method not in METHODS:
                continue
            waiting.append(method)
            if path.startswith("/"):
                routes.update((m, canonical(path)) for m in waiting)
                waiting = []
    return routes


def canonical(path: str) -> str:
    """The path without its query, every ``<placeholder>`` alike."""
    return re.sub(r"<[^>]*>", "<>", path.split("?")[0])


def documented_event_types(text: str) -> set[str]:
    found: set[str] = set()
    for paragraph in re.findall(r"Event types[^:]*:(.*?)(?:\.\s|\n\n|\n- )", text, re.S):
        found.update(s for s in SPAN.findall(paragraph) if re.fullmatch(r"[a-z]+(\.[a-z]+)?", s))
    return found


def test_every_documented_route_exists(app: Quart) -> None:
    served = {
        (method, canonical(rule.rule))
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
    }
    routes = documented_routes(DESIGN.read_text())
    assert len(routes) > 40  # the tables were read
    assert sorted(routes - served) == []


def test_event_types_are_the_documented_ones() -> None:
    assert documented_event_types(DESIGN.read_text()) == EVENT_TYPES


def test_every_setting_is_documented_and_exists() -> None:
    text = DESIGN.read_text()
    section = text[text.index("## Configuration (contract)") :]
    section = section[: section.index("\n## ")]
    documented = set(re.findall(r"`PORTAL_([A-Z_]+)`", section))
    # "`PORTAL_X_PER_ACCOUNT` / `_PER_ADDRESS`": the second replaces as many words of the first.
    for first, suffix in re.findall(r"`PORTAL_([A-Z_]+)` / `_([A-Z_]+)`", section):
        words, ending = first.split("_"), suffix.split("_")
        documented.add("_".join(words[: -len(ending)] + ending))
    settings = {name.upper() for name in Settings.model_fields}
    assert documented == settings
