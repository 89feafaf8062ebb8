"""HTTP conditional and range requests (RFC 9110), free of I/O.

``decide`` turns the request's headers and the file's validators into what to send: 304, 416,
the whole file (200) or one byte range (206). Several ranges are answered with the whole file,
which the RFC allows and every player accepts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from werkzeug.datastructures import Headers

# What Quart hands us, or a plain mapping in tests.
HeaderMap = Mapping[str, str] | Headers

RANGE = re.compile(r"bytes\s*=\s*(.+)", re.IGNORECASE)
SPEC = re.compile(r"\s*([0-9]*)\s*-\s*([0-9]*)\s*")
# Larger than any file: a position with more digits than this is simply "beyond the end".
HUGE = 10**19


@dataclass(frozen=True)
class Plan:
    status: int  # 200, 206, 304 or 416
    start: int = 0
    end: int = -1  # inclusive; -1 with start 0 is an empty body

    @property
    def length(self) -> int:
        return self.end - self.start + 1


# Both are pure and asked for the same few videos on every range request a player makes.
@functools.lru_cache(maxsize=1024)
def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def _parse_date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # HTTP dates are GMT; a date without a zone (or "-0000") parses naive, and comparing a
    # naive with an aware datetime raises.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _number(digits: str) -> int:
    """A byte position; thousands of digits would exceed int()'s string limit (a 500)."""
    digits = digits.lstrip("0") or "0"
    return HUGE if len(digits) > 19 else int(digits)


def _etag_matches(header: str, etag: str, *, weak: bool) -> bool:
    if header.strip() == "*":
        return True
    for candidate in header.split(","):
        candidate = candidate.strip()
        if weak:
            candidate = candidate.removeprefix("W/")
        if candidate == etag:
            return True
    return False


def parse_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """One satisfiable range as (start, end), None to ignore the header (send it all), or
    False when no range can be satisfied (416)."""
    match = RANGE.fullmatch(header.strip())
    if match is None:
        return None  # not a bytes range we understand: ignored, as the RFC says
    specs = match.group(1).split(",")
    if len(specs) > 1:
        return None
    spec = SPEC.fullmatch(specs[0])
    if spec is None:
        return None
    first, last = spec.groups()
    if first == "" and last == "":
        return None
    if first == "":
        suffix = _number(last)
        if suffix == 0 or size == 0:
            return False
        return max(0, size - suffix), size - 1
    start = _number(first)
    if last and _number(last) < start:
        return None  # syntactically invalid: ignored
    if start >= size:
        return False  # "bytes=<beyond the end>-" too: 416, not the whole file
    end = _number(last) if last else size - 1
    return start, min(end, size - 1)


def decide(
    headers: HeaderMap, *, size: int, etag: str, last_modified: datetime, method: str
) -> Plan:
    whole = Plan(200, 0, size - 1)
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        if _etag_matches(if_none_match, etag, weak=True):
            return Plan(304)
    else:
        since = _parse_date(headers.get("If-Modified-Since", ""))
        if since is not None and last_modified.replace(microsecond=0) <= since:
            return Plan(304)
    header = headers.get("Range")
    if header is None or method not in {"GET", "HEAD"}:
        return whole
    if_range = headers.get("If-Range")
    if if_range is not None and not _if_range_holds(if_range, etag, last_modified):
        return whole
    chosen = parse_range(header, size)
    if chosen is None:
        return whole
    if chosen is False:
        return Plan(416)
    start, end = chosen  # type: ignore[misc]
    return Plan(206, start, end)


def _if_range_holds(value: str, etag: str, last_modified: datetime) -> bool:
    value = value.strip()
    if value.startswith('"') or value.startswith("W/"):
        # A strong comparison: a weak validator never allows a range.
        return value == etag
    moment = _parse_date(value)
    return moment is not None and moment == last_modified.replace(microsecond=0)


@functools.lru_cache(maxsize=1024)
def content_disposition(filename: str, *, attachment: bool) -> str:
    """RFC 6266: an ASCII fallback plus ``filename*`` (RFC 8187) for the real name."""
    from urllib.parse import quote

    kind = "attachment" if attachment else "inline"
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
