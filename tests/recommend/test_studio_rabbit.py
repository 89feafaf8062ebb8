"""The studio across the real RabbitMQ broker: a serving switch made on one web worker reaches
the recommender consumer (on ``<prefix>.recs``) and every web worker (``recs.algorithm``), and
the consumer's figures reach an admin's socket on another worker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import pytest
from quart import Quart

from portal.accounts.models import Role
from portal.config import Settings
from portal.recommend.extension import ServingChoice
from tests.events import conftest as events_conftest
from tests.events.conftest import AMQP_URL
from tests.factories import csrf_token_for, signed_in_client
from tests.recommend.test_consumer_rabbit import consumer_app, running
from tests.recommend.test_service import make_jobs

amqp_prefix = events_conftest.amqp_prefix
TIMEOUT = 15.0


@pytest.fixture
def broker_settings(settings: Settings, amqp_prefix: str) -> Settings:
    return settings.model_copy(update={"amqp_url": AMQP_URL, "amqp_prefix": amqp_prefix})


@pytest.fixture
async def web(broker_settings: Settings) -> AsyncIterator[tuple[Quart, Quart]]:
    async with running(broker_settings) as first, running(broker_settings) as second:
        yield first, second


def serving(app: Quart) -> str:
    choice = app.extensions["portal.recs.serving"]
    assert isinstance(choice, ServingChoice)
    return choice.algorithm


async def until(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(TIMEOUT):
        while not check():
            await asyncio.sleep(0.05)


async def test_a_switch_on_one_worker_reaches_the_consumer_and_every_worker(
    broker_settings: Settings, web: tuple[Quart, Quart]
) -> None:
    first, second = web
    client, _admin = await signed_in_client(first, role=Role.ADMIN)
    async with consumer_app(broker_settings) as worker:
        assert worker.algorithm == "blend"
        token = await csrf_token_for(client, "/admin/recommendations")
        response = await client.post(
            "/admin/recommendations/algorithm", form={"csrf_token": token, "algorithm": "user"}
        )
        assert response.status_code == 303
        await until(lambda: worker.algorithm == "user")
        await until(lambda: serving(first) == "user" and serving(second) == "user")
        page = await (await client.get("/admin/recommendations")).get_data(as_text=True)
        assert "User-based CF" in page


async def test_the_consumers_figures_reach_an_admin_on_another_worker(
    broker_settings: Settings, web: tuple[Quart, Quart]
) -> None:
    first, second = web
    admin_client, admin = await signed_in_client(second, role=Role.ADMIN)
    member, _user = await signed_in_client(first)
    [job] = await make_jobs(first, admin, ["Python dev"])
    async with consumer_app(broker_settings), admin_client.websocket("/ws") as ws:
        await ws.send(json.dumps({"type": "subscribe", "channel": "recs"}))
        assert json.loads(await asyncio.wait_for(ws.receive(), TIMEOUT))["type"] == ("subscribed")
        response = await member.post("/api/v1/clicks", json={"job_id": job.id})
        assert response.status_code == 201
        async with asyncio.timeout(TIMEOUT):
            while True:
                frame = json.loads(await ws.receive())
                messages = frame["messages"] if frame["type"] == "batch" else [frame]
                stats = [
                    m["data"]
                    for m in messages
                    if m.get("type") == "event" and m["event"] == "recs.stats"
                ]
                if stats and stats[-1]["clicks_total"] >= 1:
                    break
    figures = stats[-1]
    assert figures["users"] == 1 and figures["jobs"] == 1
    assert figures["queue_depth"] is not None  # RabbitMQ answered the passive declare
