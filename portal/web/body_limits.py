"""Per-route request body limits above ``MAX_CONTENT_LENGTH``: a logo, a résumé."""

from __future__ import annotations

import re
from collections.abc import Iterable

# (methods, whole-path pattern, bytes), registered at import like the routes themselves.
_LARGER_BODIES: list[tuple[frozenset[str], re.Pattern[str], int]] = []


def allow_larger_body(methods: Iterable[str], path: str, limit: int) -> None:
    """Let requests to ``path`` (a regular expression the whole path must match) carry a
    body, or a form, of up to ``limit`` bytes instead of ``MAX_CONTENT_LENGTH``. The route
    still checks its own sizes."""
    _LARGER_BODIES.append((frozenset(methods), re.compile(path), limit))


def larger_body_limit(method: str, path: str) -> int | None:
    for methods, pattern, limit in _LARGER_BODIES:
        if method in methods and pattern.fullmatch(path):
            return limit
    return None
