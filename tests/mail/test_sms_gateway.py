"""The HTTP text-message gateway against a real HTTP server (Quart under Hypercorn, on a free
port): what is POSTed, Basic auth from the URL, a 5xx or 429 tried again, a 4xx parked."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, request

from portal.config import get_settings
from portal.db import get_db
from portal.mail.models import DeliveryStatus, MailDelivery
from portal.mail.outbox import OutgoingMessage
from portal.mail.transports import FileMailSink, HttpSmsGateway, TransientError
from portal.mail.worker import MailWorker
from tests.mail.conftest import free_port


@dataclass
class Gateway:
    """A provider's endpoint: records each request and answers the next status in line."""

    port: int
    answers: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)

    def url(self, userinfo: str = "") -> str:
        return f"http://{userinfo}127.0.0.1:{self.port}/send?account=7"


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    state = Gateway(free_port())
    provider = Quart(__name__)

    @provider.post("/send")
    async def send() -> tuple[dict[str, str], int]:
        assert request.args.get("account") == "7"  # the URL's query is kept
        state.received.append((await request.get_json(), request.headers.get("Authorization")))
        return {"ok": "yes"}, state.answers.pop(0) if state.answers else 200

    config = Config()
    config.bind = [f"127.0.0.1:{state.port}"]
    config.accesslog = None
    config.errorlog = None
    stop = asyncio.Event()
    # Quart is an ASGI app; Hypercorn's stubs want its own framework protocol type.
    server = asyncio.create_task(serve(provider, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", state.port), timeout=0.1):
                break
        except OSError:
            await asyncio.sleep(0.05)
    try:
        yield state
    finally:
        stop.set()
        await asyncio.wait_for(server, 10)


def text_worker(app: Quart, sms: HttpSmsGateway, tmp_path: Path) -> MailWorker:
    settings = get_settings(app)
    db = get_db(app)
    assert db.sessionmaker is not None
    return MailWorker(
        db.sessionmaker,
        env=app.jinja_env,
        mail=FileMailSink(tmp_path / "mail"),
        sms=sms,
        sender=settings.mail_from,
        backoff=(0.05, 0.05, 0.05),
    )


CODE = OutgoingMessage(
    kind="reset",
    channel="sms",
    to="+8613800138000",
    language="en",
    base_url="http://x",
    context={"token": "123456", "minutes": 10},
)


async def _row(app: Quart, event_id: int) -> MailDelivery:
    async with get_db(app).session_scope() as session:
        row = await session.get(MailDelivery, event_id)
    assert row is not None
    return row


async def test_a_text_is_posted_as_json_with_basic_auth_from_the_url(
    app: Quart, gateway: Gateway, tmp_path: Path
) -> None:
    sms = HttpSmsGateway(gateway.url("portal%40example:s%3Acret@"))
    outcome = await text_worker(app, sms, tmp_path).deliver(31, CODE)
    assert outcome.status == DeliveryStatus.SENT and outcome.attempts == 1
    [(body, authorization)] = gateway.received
    assert body["to"] == "+8613800138000" and body["id"] == "sms-31"
    assert "123456" in body["body"] and "10 minutes" in body["body"]
    assert authorization == "Basic " + base64.b64encode(b"portal@example:s:cret").decode()


async def test_without_userinfo_no_authorization_is_sent(
    app: Quart, gateway: Gateway, tmp_path: Path
) -> None:
    await text_worker(app, HttpSmsGateway(gateway.url()), tmp_path).deliver(32, CODE)
    assert [authorization for _body, authorization in gateway.received] == [None]


async def test_a_5xx_or_429_is_tried_again_with_the_same_id(
    app: Quart, gateway: Gateway, tmp_path: Path
) -> None:
    gateway.answers = [503, 429]
    outcome = await text_worker(app, HttpSmsGateway(gateway.url()), tmp_path).deliver(33, CODE)
    assert outcome.status == DeliveryStatus.SENT and outcome.attempts == 3
    assert [body["id"] for body, _auth in gateway.received] == ["sms-33"] * 3
    assert (await _row(app, 33)).status == DeliveryStatus.SENT.value


async def test_a_4xx_is_parked_with_the_reason(
    app: Quart, gateway: Gateway, tmp_path: Path
) -> None:
    gateway.answers = [400]
    outcome = await text_worker(app, HttpSmsGateway(gateway.url()), tmp_path).deliver(34, CODE)
    assert outcome.status == DeliveryStatus.PARKED and outcome.attempts == 1
    assert len(gateway.received) == 1
    row = await _row(app, 34)
    assert row.status == DeliveryStatus.PARKED.value and "400" in row.reason


async def test_a_gateway_that_keeps_failing_is_parked_after_the_last_retry(
    app: Quart, gateway: Gateway, tmp_path: Path
) -> None:
    gateway.answers = [500] * 10
    outcome = await text_worker(app, HttpSmsGateway(gateway.url()), tmp_path).deliver(35, CODE)
    assert outcome.status == DeliveryStatus.PARKED and outcome.attempts == 4
    assert "gave up" in (await _row(app, 35)).reason and "500" in (await _row(app, 35)).reason


async def test_a_gateway_not_listening_is_a_transient_error() -> None:
    sms = HttpSmsGateway(f"http://127.0.0.1:{free_port()}/send", timeout=2.0)
    with pytest.raises(TransientError):
        await sms.send("+8613800138000", "hello", message_id="sms-1")
