"""The lazy access-log fields equal Hypercorn's own."""

from __future__ import annotations

from typing import Any

import pytest
from hypercorn.config import Config
from hypercorn.logging import AccessLogAtoms

from portal.web.access_log import LazyAtoms

REQUEST: Any = {
    "type": "http",
    "http_version": "1.1",
    "method": "POST",
    "scheme": "http",
    "path": "/api/v1/clicks",
    "query_string": b"lang=zh",
    "client": ("10.0.0.7", 51234),
    "headers": [
        (b"host", b"portal.example"),
        (b"User-Agent", b"Mozilla/5.0 (X11)"),
        (b"referer", b"https://portal.example/jobs/7"),
    ],
}
RESPONSE: Any = {"status": 201, "headers": [(b"content-length", b"9")]}


@pytest.mark.parametrize(
    ("request_", "response"),
    [
        (REQUEST, RESPONSE),
        ({**REQUEST, "headers": [], "client": None}, None),
        ({**REQUEST, "type": "websocket", "http_version": "1.1"}, {"status": 101, "headers": []}),
    ],
)
def test_every_field_matches_hypercorn(request_: Any, response: Any) -> None:
    theirs = AccessLogAtoms(request_, response, 0.0123)
    ours = LazyAtoms(request_, response, 0.0123)
    for key in ["h", "l", "r", "s", "b", "f", "a", "R", "m", "U", "q", "H", "D", "{host}i"]:
        assert ours[key] == theirs[key], key
    assert ours["t"].startswith("[") and len(ours["t"]) == len(theirs["t"])
    default = Config.access_log_format.replace("%(t)s", "")
    assert default % ours == default % theirs
