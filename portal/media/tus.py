"""The tus 1.0.0 protocol, free of I/O: header parsing and the answers' fixed headers.

Everything a client sends is checked here and turned into a :class:`TusError` with the status
the specification asks for, so the routes only decide what to do with valid values.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from werkzeug.datastructures import Headers

# What Quart hands us, or a plain mapping in tests.
HeaderMap = Mapping[str, str] | Headers

TUS_VERSION = "1.0.0"
EXTENSIONS = ("creation", "creation-with-upload", "termination", "expiration", "checksum")
CHECKSUM_ALGORITHMS = ("sha1", "sha256", "md5")
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
# Base64 of a 1 KiB value is about 1.4 KiB: nothing we keep needs more.
MAX_METADATA_HEADER = 4096
MAX_METADATA_PAIRS = 16
KEY = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}")
DIGITS = re.compile(r"[0-9]{1,19}")
OPTIONAL_WHITESPACE = " \t"
RESUMABLE_HEADERS = {"Tus-Resumable": TUS_VERSION}
EXPOSED_HEADERS = (
    "Location, Upload-Offset, Upload-Length, Upload-Expires, Upload-Metadata, Tus-Resumable, "
    "Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm"
)


@dataclass
class TusError(Exception):
    """A refusal with the status code the tus specification gives it."""

    status: int
    code: str
    message: str

    def __str__(self) -> str:
        return self.message


def check_resumable(headers: HeaderMap) -> None:
    """Every request but OPTIONS names the protocol version; we speak 1.0.0 only."""
    version = headers.get("Tus-Resumable")
    if version != TUS_VERSION:
        raise TusError(
            412, "unsupported_version", f"Tus-Resumable must be {TUS_VERSION} (got {version!r})."
        )


def parse_size(value: str | None, name: str) -> int | None:
    """A non-negative decimal integer header, or None when it is absent."""
    if value is None:
        return None
    # ASCII digits only (str.isdigit and int() take "²" and "٣" too), between the spaces and
    # tabs HTTP allows around a value (str.strip would take NBSP and separators as well).
    value = value.strip(OPTIONAL_WHITESPACE)
    if not DIGITS.fullmatch(value):
        raise TusError(400, "bad_request", f"{name} must be a non-negative integer.")
    return int(value)


def parse_metadata(value: str | None) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs (value optional).

    Values are decoded as UTF-8 text; an empty header is an empty mapping (tuspy always sends
    the header, empty when it has no metadata).
    """
    if value is None or not value.strip():
        return {}
    if len(value) > MAX_METADATA_HEADER:
        raise TusError(400, "bad_request", "Upload-Metadata is too long.")
    result: dict[str, str] = {}
    pairs = value.split(",")
    if len(pairs) > MAX_METADATA_PAIRS:
        raise TusError(400, "bad_request", "Upload-Metadata has too many keys.")
    for pair in pairs:
        parts = pair.strip().split(" ")
        if len(parts) > 2 or not KEY.fullmatch(parts[0]):
            raise TusError(400, "bad_request", "Upload-Metadata is malformed.")
        key = parts[0]
        if key in result:
            raise TusError(400, "bad_request", f"Upload-Metadata repeats the key {key!r}.")
        raw = parts[1] if len(parts) == 2 else ""
        try:
            decoded = base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise TusError(
                400, "bad_request", f"Upload-Metadata value of {key!r} is not base64 UTF-8."
            ) from None
        result[key] = decoded
    return result


def encode_metadata(metadata: Mapping[str, str]) -> str:
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in metadata.items()
    )


@dataclass(frozen=True)
class Checksum:
    algorithm: str
    digest: bytes

    def hasher(self) -> hashlib._Hash:
        return hashlib.new(self.algorithm)


def parse_checksum(value: str | None) -> Checksum | None:
    """``Upload-Checksum: <algorithm> <base64 digest>``."""
    if value is None:
        return None
    algorithm, _sep, encoded = value.strip().partition(" ")
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise TusError(
            400,
            "bad_request",
            f"Unsupported checksum algorithm; use one of {', '.join(CHECKSUM_ALGORITHMS)}.",
        )
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        raise TusError(400, "bad_request", "Upload-Checksum digest is not base64.") from None
    if len(digest) != hashlib.new(algorithm).digest_size:
        raise TusError(400, "bad_request", "Upload-Checksum digest has the wrong length.")
    return Checksum(algorithm, digest)


def effective_method(method: str, headers: HeaderMap) -> str:
    """``X-HTTP-Method-Override`` lets clients behind restrictive proxies send PATCH/DELETE."""
    override = headers.get("X-HTTP-Method-Override", "").strip().upper()
    if method == "POST" and override in {"PATCH", "DELETE", "HEAD"}:
        return override
    return method


def check_patch_content_type(headers: HeaderMap) -> None:
    content_type = headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if content_type != OFFSET_CONTENT_TYPE:
        raise TusError(
            415, "unsupported_media_type", f"Content-Type must be {OFFSET_CONTENT_TYPE}."
        )


def options_headers(max_size: int) -> dict[str, str]:
    return {
        "Tus-Resumable": TUS_VERSION,
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": ",".join(EXTENSIONS),
        "Tus-Max-Size": str(max_size),
        "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS),
    }
