"""Every committed event reaches every subscribed socket exactly once, through broker outages,
worker crashes and consumer crashes (DESIGN: "Delivery").

Each scenario runs a real deployment (``portal serve --workers 2`` on PostgreSQL and the private
broker node), writers through the API and four websocket clients, then compares what each client
saw with the event log. The figures go to test-artifacts/faults.txt. ``PORTAL_FAULT_ROUNDS``
scales the number of faults per scenario (default 1: the counts below).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from portal.config import Settings
from tests.faults.broker_node import BrokerNode
from tests.faults.harness import (
    PASSWORD,
    Clicker,
    Clients,
    Site,
    Writers,
    assert_exactly_once,
    committed,
    newest_id,
    postgres_database,
    report,
    site,
)

POSTGRES_URL = os.environ.get("PORTAL_TEST_POSTGRES_URL")
ROUNDS = max(1, int(os.environ.get("PORTAL_FAULT_ROUNDS", "1")))
CLIENTS = 4


@pytest.fixture
async def database() -> AsyncIterator[str]:
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("PORTAL_TEST_POSTGRES_URL is not set: fault tests must run in CI")
        pytest.skip("PORTAL_TEST_POSTGRES_URL is not set")
    url = POSTGRES_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
    async with postgres_database(url) as database_url:
        yield database_url


@pytest.fixture
async def served(broker_node: BrokerNode, database: str, tmp_path: Path) -> AsyncIterator[Site]:
    settings = Settings(
        env="test",
        data_dir=tmp_path / "data",
        database_url=database,
        secret_key="fault-test-secret-key-that-is-long-enough",
        amqp_url=broker_node.url,
        amqp_prefix=f"faults-{uuid.uuid4().hex[:10]}",
    )
    with site(settings, tmp_path) as running:
        await asyncio.to_thread(
            running.run, "create-admin", "--username", "boss", "--password", PASSWORD
        )
        await asyncio.to_thread(running.serve, 2)
        yield running


async def test_broker_outages_lose_and_repeat_nothing(
    served: Site, broker_node: BrokerNode, database: str
) -> None:
    token = await asyncio.to_thread(served.sign_in, "boss")
    start = await newest_id(database)
    rng = random.Random(11)
    outages: list[str] = []
    async with Clients(served, "jobs", start, CLIENTS) as clients:
        with Writers(served, token) as writers:
            for n in range(16 * ROUNDS):
                await asyncio.sleep(rng.uniform(0.3, 1.5))
                length = rng.uniform(0.1, 2.5)
                began = time.monotonic()
                if n % 8 == 7:  # abrupt: the broker's VM killed
                    await asyncio.to_thread(broker_node.kill)
                    await asyncio.sleep(length)
                    await asyncio.to_thread(broker_node.restart)
                    kind = "kill"
                else:
                    await asyncio.to_thread(broker_node.stop_app)
                    await asyncio.sleep(length)
                    await asyncio.to_thread(broker_node.start_app)
                    kind = "stop"
                outages.append(f"{kind} {time.monotonic() - began:.1f}s")
            await asyncio.sleep(2)  # writes go on after the last outage
        await asyncio.to_thread(served.wait_ready)
        truth = await committed(database, "jobs", start)
        await clients.settle(truth, timeout=45)
        books = clients.books(truth)
    text = report(
        "broker outages", books, served.folder, outages=outages, writes=dict(writers.statuses)
    )
    assert_exactly_once(books, text + "\n" + served.server_log())


async def test_worker_crashes_lose_and_repeat_nothing(served: Site, database: str) -> None:
    token = await asyncio.to_thread(served.sign_in, "boss")
    start = await newest_id(database)
    killed: list[int] = []
    async with Clients(served, "jobs", start, CLIENTS) as clients:
        with Writers(served, token) as writers:
            for _ in range(4 * ROUNDS):
                await asyncio.sleep(1.5)
                # The worker holding most of the clients' sockets: they must resume elsewhere.
                held = served.sockets_by_worker()
                workers = served.worker_pids()
                victim = max(workers, key=lambda pid: held.get(pid, 0))
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
                await asyncio.sleep(1.0)
            await asyncio.sleep(2)
        assert served.server is not None and served.server.alive(), served.server_log()
        assert len(served.worker_pids()) == 2, served.server_log()
        truth = await committed(database, "jobs", start)
        await clients.settle(truth, timeout=45)
        books = clients.books(truth)
    text = report(
        "worker crashes", books, served.folder, killed=killed, writes=dict(writers.statuses)
    )
    assert_exactly_once(books, text + "\n" + served.server_log())


async def test_recommender_crashes_lose_and_repeat_nothing(served: Site, database: str) -> None:
    from portal.events.channels import user as user_channel

    admin = await asyncio.to_thread(served.sign_in, "boss")
    with Writers(served, admin, count=1):
        await asyncio.sleep(1.5)  # a few jobs to click
    jobs = await _job_ids(served, admin)
    user_id = await asyncio.to_thread(_register, served, "pat")
    token = await asyncio.to_thread(served.sign_in, "pat")
    consumer = served.start_consumer("recommender")
    start = await newest_id(database)
    crashes = 0
    async with Clients(served, "me", start, CLIENTS, token=token) as clients:
        with Clicker(served, token, jobs, per_second=1.5) as clicker:
            for _ in range(3 * ROUNDS):
                await asyncio.sleep(3)
                await consumer.kill()
                crashes += 1
                await asyncio.sleep(1)
                consumer = served.start_consumer("recommender")
            await asyncio.sleep(4)
        truth = await committed(database, user_channel(user_id), start)
        await clients.settle(truth, timeout=45)
        books = clients.books(truth)
    text = report(
        "recommender crashes", books, served.folder, crashes=crashes, clicks=dict(clicker.statuses)
    )
    assert_exactly_once(books, text + "\n" + consumer.log()[-4000:])


async def _job_ids(served: Site, token: str) -> list[int]:
    import requests

    def fetch() -> list[int]:
        response = requests.get(
            served.url + "/api/v1/jobs?per_page=50",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return [job["id"] for job in response.json()["items"]]

    ids = await asyncio.to_thread(fetch)
    assert ids
    return ids


def _register(served: Site, username: str) -> int:
    import requests

    response = requests.post(
        served.url + "/api/v1/auth/register",
        json={"username": username, "nickname": username, "password": PASSWORD},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])
