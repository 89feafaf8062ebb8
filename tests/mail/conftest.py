"""A real SMTP server (aiosmtpd) that the tests start, and an app that sends to it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from quart import Quart

from portal.app import create_app
from portal.config import Settings
from portal.mail.outbox import OutgoingMessage


class Inbox:
    """What the server accepted, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False
        # Seconds each mail takes to be accepted: a slow server keeps a send in flight.
        self.delay = 0.0
        # Seconds each recipient takes to be accepted: a send held up before its DATA.
        self.rcpt_delay = 0.0

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, _server: object, _session: object, envelope: object, address: str, _options: object
    ) -> str:
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        envelope.rcpt_tos.append(address)  # type: ignore[attr-defined]
        return "250 OK"

    async def handle_DATA(self, _server: object, _session: object, envelope: object) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse:
            return "451 try again later"
        data = envelope.content  # type: ignore[attr-defined]
        self.messages.append(message_from_bytes(data, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        async with asyncio.timeout(timeout):
            while len(self.messages) < count:
                await asyncio.sleep(0.02)
        return self.messages


def reset_mail(to: str, name: str, base_url: str = "http://x") -> OutgoingMessage:
    """A password-reset mail, the tests' usual message (nobody checks its token)."""
    return OutgoingMessage(
        kind="reset",
        channel="email",
        to=to,
        language="en",
        base_url=base_url,
        context={"name": name, "token": "t" * 43, "minutes": 30},
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def smtp_app(
    tmp_path: Path, database_url: str, smtp_server: SmtpServer
) -> AsyncIterator[Quart]:
    settings = Settings(
        env="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-for-anything",
        smtp_url=smtp_server.url,
        public_url="http://jobs.example.test",
    )
    application = create_app(settings)
    async with application.test_app():
        # Fast retries: the schedule is the worker's, not what these tests check.
        application.extensions["portal.mail.worker"].backoff = (0.05,) * 200
        yield application
