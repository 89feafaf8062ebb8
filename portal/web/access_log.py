"""Hypercorn's access log, with each field of the line computed only when the format uses it.

Hypercorn builds every possible field for every request before formatting the line: all request
and response headers, and a copy of the whole process environment. That is a measurable part
of a small request's CPU (a click, a tus chunk); the default format needs nine fields.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

from hypercorn.logging import AccessLogAtoms, Logger
from hypercorn.typing import ResponseSummary, WWWScope


def _header(headers: Any, wanted: bytes) -> str:
    for name, value in headers:
        if name.lower() == wanted:
            return str(value.decode("latin1"))
    return "-"


class LazyAtoms(Mapping[str, Any]):
    """The fields of Hypercorn's ``AccessLogAtoms`` that the default format uses, computed on
    demand and the same; any other field comes from a full ``AccessLogAtoms``."""

    def __init__(
        self, request: WWWScope, response: ResponseSummary | None, request_time: float
    ) -> None:
        self.request = request
        self.response = response
        self.request_time = request_time
        self._full: AccessLogAtoms | None = None

    def __getitem__(self, key: str) -> Any:
        request, response = self.request, self.response
        if key == "h":
            client = request.get("client")
            if client is not None and len(client) == 2:
                return f"{client[0]}:{client[1]}"
        elif key == "l":
            return "-"
        elif key == "t":
            return time.strftime("[%d/%b/%Y:%H:%M:%S %z]")
        elif key == "r":
            method = request["method"] if request["type"] == "http" else "GET"
            return f"{method} {request['path']} {request.get('http_version', 'ws')}"
        elif key == "s":
            return str(response["status"]) if response is not None else "-"
        elif key == "b":
            return _header(response.get("headers", []), b"content-length") if response else "-"
        elif key == "f":
            return _header(request["headers"], b"referer")
        elif key == "a":
            return _header(request["headers"], b"user-agent")
        if self._full is None:
            self._full = AccessLogAtoms(request, response, self.request_time)
        return self._full[key]

    def __iter__(self) -> Iterator[str]:
        if self._full is None:
            self._full = AccessLogAtoms(self.request, self.response, self.request_time)
        return iter(self._full)

    def __len__(self) -> int:
        return sum(1 for _key in self)


class AccessLogger(Logger):
    def atoms(
        self, request: WWWScope, response: ResponseSummary | None, request_time: float
    ) -> Mapping[str, str]:
        return LazyAtoms(request, response, request_time)
