"""tus answers given before a PATCH body was read, over one raw keep-alive connection to a real
``portal demo`` server: the connection either serves the next request or says it closes.

Hypercorn ends a connection whose request body was not read to the end; an answer without
``Connection: close`` there made the client send its next request into a closed socket.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.media.conftest import LiveServer
from tests.media.test_tuspy_live import Site

pytestmark = pytest.mark.slow

TIMEOUT = 10.0
SMALL = 64 * 1024  # less than the server reads and drops to keep a connection
LARGE = 8 * 1024 * 1024  # announced; the server reads a little of it and closes


@pytest.fixture
def site(live_server: LiveServer) -> Iterator[Site]:
    with contextlib.closing(Site(live_server)) as site:
        yield site


class Connection:
    """One HTTP/1.1 connection, written and read by hand."""

    def __init__(self, url: str) -> None:
        target = urlsplit(url)
        self.host = target.netloc
        self.sock = socket.create_connection((target.hostname, target.port), timeout=TIMEOUT)
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def send_head(self, method: str, path: str, headers: dict[str, str]) -> None:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def _more(self) -> bytes:
        data = self.sock.recv(65536)
        self.buffer += data
        return data

    def read_response(self) -> tuple[int, dict[str, str]]:
        """The status and (lower-cased) headers of the next response; its body is skipped."""
        while b"\r\n\r\n" not in self.buffer:
            if not self._more():
                raise ConnectionError(f"closed before a response: {self.buffer!r}")
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _sep, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            if not self._more():
                raise ConnectionError("closed inside a response body")
        self.buffer = self.buffer[length:]
        return int(status_line.split(" ")[1]), headers

    def closed_by_server(self) -> bool:
        return self.buffer == b"" and self._more() == b""


# How each refusal is provoked: (status, what it changes in a good PATCH at offset 0).
REFUSALS: dict[str, tuple[int, dict[str, str | None]]] = {
    "wrong offset": (409, {"Upload-Offset": "5"}),
    "bad checksum header": (400, {"Upload-Checksum": "crc32 AAAA"}),
    "unknown upload": (404, {"path": "/api/v1/uploads/nope"}),
    "no credentials": (401, {"Authorization": None}),
}


@pytest.fixture
def upload_path(site: Site, sample_video: Path) -> str:
    url = site.uploader(sample_video).create_url()
    assert url is not None
    return urlsplit(url).path


def refused_patch(
    connection: Connection, site: Site, upload_path: str, refusal: str, length: int
) -> int:
    """Send the headers of a PATCH refused for ``refusal``; the status it must get."""
    status, changes = REFUSALS[refusal]
    headers = site.patch_headers(0) | {"Content-Length": str(length)}
    path = changes.get("path") or upload_path
    for name, value in changes.items():
        if name == "path":
            continue
        if value is None:
            del headers[name]
        else:
            headers[name] = value
    connection.send_head("PATCH", path, headers)
    return status


@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_a_refused_patch_with_a_small_body_keeps_the_connection(
    site: Site, upload_path: str, refusal: str
) -> None:
    connection = Connection(site.url)
    try:
        # The headers first and the body a moment later, as clients write them: the refusal
        # is decided before the body arrives.
        status = refused_patch(connection, site, upload_path, refusal, SMALL)
        time.sleep(0.3)
        connection.sock.sendall(b"\0" * SMALL)
        got, headers = connection.read_response()
        assert got == status
        assert headers.get("connection", "").lower() != "close"
        # The same connection serves the next request.
        connection.send_head("HEAD", upload_path, site.auth | {"Tus-Resumable": "1.0.0"})
        got, headers = connection.read_response()
        assert got == 200
        assert headers["upload-offset"] == "0"
    finally:
        connection.close()


@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_a_refused_patch_with_a_large_body_says_the_connection_closes(
    site: Site, upload_path: str, refusal: str
) -> None:
    connection = Connection(site.url)
    try:
        status = refused_patch(connection, site, upload_path, refusal, LARGE)
        connection.sock.sendall(b"\0" * (512 * 1024))  # of the 8 MiB announced
        got, headers = connection.read_response()
        assert got == status
        assert headers.get("connection", "").lower() == "close"
        assert connection.closed_by_server()
    finally:
        connection.close()
    assert site.offset(site.url + upload_path) == 0


def test_a_patch_refused_after_its_body_keeps_the_connection(
    site: Site, upload_path: str, sample_video: Path
) -> None:
    """A checksum that does not match the whole body: nothing was left unread."""
    data = sample_video.read_bytes()[:SMALL]
    wrong = base64.b64encode(hashlib.sha1(b"other").digest()).decode()  # noqa: S324 - tus checksum
    connection = Connection(site.url)
    try:
        headers = site.patch_headers(0) | {
            "Content-Length": str(len(data)),
            "Upload-Checksum": f"sha1 {wrong}",
        }
        connection.send_head("PATCH", upload_path, headers)
        connection.sock.sendall(data)
        got, answer = connection.read_response()
        assert got == 460
        assert answer.get("connection", "").lower() != "close"
        connection.send_head("OPTIONS", upload_path, {})
        got, _headers = connection.read_response()
        assert got == 204
    finally:
        connection.close()
