"""``portal consumer recommender --health-bind``: its ``/readyz`` says whether it holds the
clicks queue's turn. Two consumers on the real broker with the standby setting: the first says
``active``, the second ``standby``; the first killed with SIGKILL, the second says ``active``."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from quart import Quart

from portal.config import Settings
from portal.recommend.turn import ACTIVE_WINDOW, PROBE_SECONDS
from tests.events import conftest as events_conftest
from tests.events.conftest import AMQP_URL
from tests.faults.harness import free_port
from tests.utils.consumers import ConsumerProcess, Consumers, running_consumers

amqp_prefix = events_conftest.amqp_prefix
# Start-up (the app, the model rebuilt) plus the window a role needs to show.
TIMEOUT = 30.0


@pytest.fixture
def settings(settings: Settings, amqp_prefix: str) -> Settings:
    """The suite's settings on the real broker, with the standby's queue; the suite's ``app``
    fixture then makes the database and declares the queue as the web side does."""
    return settings.model_copy(
        update={"amqp_url": AMQP_URL, "amqp_prefix": amqp_prefix, "recommender_standby": True}
    )


def recommender(settings: Settings, log_path: Path, *, port: int) -> ConsumerProcess:
    return ConsumerProcess(
        settings,
        log_path,
        [str(Path(sys.executable).with_name("portal")), "consumer", "recommender"],
        name="a recommender consumer",
        extra_env={
            "PORTAL_RECOMMENDER_STANDBY": "true",
            "PORTAL_CONSUMER_HEALTH_BIND": f"127.0.0.1:{port}",
        },
        timeout=TIMEOUT,
    )


@pytest.fixture
def consumers(tmp_path: Path) -> Iterator[Consumers]:
    with running_consumers(tmp_path, recommender) as started:
        yield started


def readiness(port: int) -> tuple[int, dict[str, Any]] | None:
    try:
        response = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
    except requests.RequestException:
        return None
    return response.status_code, response.json()


async def role_becomes(port: int, role: str, consumer: ConsumerProcess) -> float:
    """Seconds until the consumer on ``port`` reports ``role`` (ready, 200)."""
    began = time.monotonic()
    async with asyncio.timeout(TIMEOUT):
        while True:
            assert consumer.alive(), consumer.log()[-4000:]
            found = await asyncio.to_thread(readiness, port)
            if found is not None and found[0] == 200 and found[1].get("role") == role:
                assert found[1]["consumer"] == "recommender"
                assert found[1]["checks"] == {"database": "ok", "broker": "ok"}
                return time.monotonic() - began
            await asyncio.sleep(0.2)


async def test_readyz_tells_the_active_consumer_from_the_standby(
    app: Quart, settings: Settings, consumers: Consumers
) -> None:
    first_port, second_port = free_port(), free_port()
    first = consumers.spawn(settings, port=first_port)
    await role_becomes(first_port, "active", first)
    second = consumers.spawn(settings, port=second_port)
    await role_becomes(second_port, "standby", second)
    # Probes of both reach the first alone: it stays active while the second stands by.
    await asyncio.sleep(PROBE_SECONDS * 1.5)
    assert (await asyncio.to_thread(readiness, first_port) or (0, {}))[1]["role"] == "active"
    assert (await asyncio.to_thread(readiness, second_port) or (0, {}))[1]["role"] == "standby"
    assert requests.get(f"http://127.0.0.1:{second_port}/healthz", timeout=2).json() == {
        "status": "ok"
    }

    await first.kill()
    took = await role_becomes(second_port, "active", second)
    assert took <= ACTIVE_WINDOW + PROBE_SECONDS
    # Probes are not clicks: nothing was taken for a malformed click.
    assert "malformed" not in first.log() + second.log()
