"""Where messages go: an SMTP server or a text-message gateway, else files in the data dir.

Each transport raises ``TransientError`` when trying again later may work (the server is down,
a 4xx answer) and ``PermanentError`` when it cannot (the address is refused for good).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

from portal.db import utcnow

SMTP_TIMEOUT = 30.0
SMS_TIMEOUT = 15.0


class TransientError(Exception):
    """Not accepted now; a later attempt may succeed."""


class PermanentError(Exception):
    """Refused for good: retrying cannot help."""


class MailTransport(Protocol):
    async def send(self, mail: EmailMessage) -> None: ...


class SmsGateway(Protocol):
    async def send(self, to: str, body: str, *, message_id: str) -> None: ...


@dataclass(frozen=True)
class SmtpTransport:
    """``smtp://user:pw@host:587`` (STARTTLS whenever the server offers it) or
    ``smtps://user:pw@host:465`` (TLS from the first byte)."""

    url: str
    timeout: float = SMTP_TIMEOUT

    async def send(self, mail: EmailMessage) -> None:
        import aiosmtplib

        parts = urlsplit(self.url)
        tls = parts.scheme.lower() == "smtps"
        try:
            await aiosmtplib.send(
                mail,
                hostname=parts.hostname,
                port=parts.port or (465 if tls else 587),
                username=unquote(parts.username) if parts.username else None,
                password=unquote(parts.password) if parts.password else None,
                use_tls=tls,
                # None: upgrade with STARTTLS when offered (never on an smtps connection).
                start_tls=False if tls else None,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [response.code for response in error.recipients]
            if codes and all(code >= 500 for code in codes):
                raise PermanentError(str(error)) from error
            raise TransientError(str(error)) from error
        except aiosmtplib.SMTPResponseException as error:
            if error.code >= 500:
                raise PermanentError(f"{error.code} {error.message}") from error
            raise TransientError(f"{error.code} {error.message}") from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise TransientError(f"{type(error).__name__}: {error}") from error


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%S")


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_bytes(data)
    os.replace(partial, path)


@dataclass(frozen=True)
class FileMailSink:
    """The embedded default: each mail becomes ``<dir>/<time>-<id>.eml``, named after its
    Message-ID, so a resend overwrites it instead of adding a second copy."""

    directory: Path

    async def send(self, mail: EmailMessage) -> None:
        key = str(mail["Message-ID"]).strip("<>").partition("@")[0]
        existing = list(self.directory.glob(f"*-{key}.eml")) if self.directory.is_dir() else []
        path = existing[0] if existing else self.directory / f"{_stamp(utcnow())}-{key}.eml"
        await asyncio.to_thread(_write_atomically, path, mail.as_bytes(policy=policy.SMTP))


@dataclass(frozen=True)
class FileSmsSink:
    """The embedded default for text messages: ``<dir>/<time>-<id>.txt``."""

    directory: Path

    async def send(self, to: str, body: str, *, message_id: str) -> None:
        existing = (
            list(self.directory.glob(f"*-{message_id}.txt")) if self.directory.is_dir() else []
        )
        path = existing[0] if existing else self.directory / f"{_stamp(utcnow())}-{message_id}.txt"
        text = f"To: {to}\nDate: {utcnow().isoformat()}\n\n{body}\n"
        await asyncio.to_thread(_write_atomically, path, text.encode())


@dataclass(frozen=True)
class HttpSmsGateway:
    """A provider's REST API: ``POST <url>`` with ``{"to", "body", "id"}`` as JSON; the URL's
    user and password, if any, go as HTTP Basic auth. 2xx is accepted; 429 and 5xx are tried
    again later; any other answer is a refusal."""

    url: str
    timeout: float = SMS_TIMEOUT

    def _post(self, payload: bytes) -> int:
        parts = urlsplit(self.url)
        netloc = parts.hostname or ""
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked by the settings
            urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
            data=payload,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "Portal"},
        )
        if parts.username:
            secret = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            request.add_header(
                "Authorization", "Basic " + base64.b64encode(secret.encode()).decode()
            )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    async def send(self, to: str, body: str, *, message_id: str) -> None:
        payload = json.dumps({"to": to, "body": body, "id": message_id}).encode()
        try:
            status = await asyncio.to_thread(self._post, payload)
        except (OSError, TimeoutError) as error:
            raise TransientError(f"{type(error).__name__}: {error}") from error
        if 200 <= status < 300:
            return
        if status == 429 or status >= 500:
            raise TransientError(f"the gateway answered {status}")
        raise PermanentError(f"the gateway answered {status}")


@dataclass(frozen=True)
class StoredMessage:
    """A message in the file sink, as the admin page lists it."""

    name: str
    channel: str
    to: str
    subject: str
    date: str
    text: str


def _read_mail(path: Path) -> StoredMessage:
    mail = message_from_bytes(path.read_bytes(), policy=policy.default)
    body = mail.get_body(preferencelist=("plain",)) if isinstance(mail, EmailMessage) else None
    return StoredMessage(
        name=path.name,
        channel="email",
        to=str(mail.get("To", "")),
        subject=str(mail.get("Subject", "")),
        date=str(mail.get("Date", "")),
        text=body.get_content() if body is not None else "",
    )


def _read_text(path: Path) -> StoredMessage:
    head, _, body = path.read_text(errors="replace").partition("\n\n")
    fields = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    return StoredMessage(
        name=path.name,
        channel="sms",
        to=fields.get("To", ""),
        subject="",
        date=fields.get("Date", ""),
        text=body.strip(),
    )


def list_stored(directory: Path, *, limit: int = 200) -> list[StoredMessage]:
    """The newest ``limit`` messages the file sinks wrote (mail and texts), newest first."""
    if not directory.is_dir():
        return []
    paths = [p for p in directory.glob("*/*") if p.suffix in (".eml", ".txt")]
    paths.sort(key=lambda p: p.name, reverse=True)
    return [
        _read_mail(path) if path.suffix == ".eml" else _read_text(path) for path in paths[:limit]
    ]
