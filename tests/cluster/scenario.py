"""The fault run on a cluster made by :mod:`tests.cluster.deploy`, shared by
tests/cluster/test_deployment.py and bench/cluster.py: what every websocket saw against what
was committed, clicks accepted against the model, failed requests, takeover and restart times.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from portal.recommend.models import Click, StoredRecommendations
from tests.cluster import deploy
from tests.faults.harness import Clicker, Clients, Writers, committed, newest_id, report

JOB = {"title": "Job", "content": "Work", "status": "published", "apply_email": "a@b.cn"}


@dataclass
class Run:
    books: list[dict[str, int]]  # one per socket (tests.faults.harness.Client.books)
    figures: dict[str, Any]
    text: str


class Client:
    """A signed-in API client, through the balancer."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.csrf = ""

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(  # noqa: S310 (the balancer, over http)
            self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Content-Type": "application/json",
                "Origin": self.base,
                "X-CSRF-Token": self.csrf,
            },
        )
        with self.opener.open(request, timeout=10) as response:
            self.csrf = response.headers.get("x-csrf-token") or self.csrf
            return json.loads(response.read() or b"null")


def busiest_node(state: deploy.State) -> int:
    """The index of the RabbitMQ node that holds the most client connections."""
    # A connection's pid names its node: <faults-1-2@localhost.1663153839.1097.0>.
    listed = deploy.nodes[0].ctl("list_connections", "pid")
    counts = Counter(
        i for line in listed.splitlines() for i, name in enumerate(state.broker_names)
        if line.strip().startswith(f"<{name}.")
    )  # fmt: skip
    return max(range(len(state.broker_names)), key=lambda i: counts[i])


# The active recommender and its standby, as tests/cluster/deploy.py starts them.
RECS = ("recommender", "recommender-standby")


async def faults(cluster: deploy.State, *, sockets: int, cut_seconds: float) -> Run:
    """Writers post jobs and a user clicks through the balancer, and ``sockets`` websockets
    follow ``jobs`` through it (resuming with ``since`` when cut), while the busiest RabbitMQ
    node is killed (and started again), a web host's workers are killed (and the host
    restarted), the other web host is cut off the network for ``cut_seconds``, and the active
    recommender is killed (the standby takes over)."""
    site = SimpleNamespace(url=cluster.balancer)
    database = f"postgresql+asyncpg://root@127.0.0.1:5432/{cluster.database}"
    admin = Client(cluster.balancer)
    await asyncio.to_thread(
        admin.call,
        "POST",
        "/api/v1/auth/login",
        {"login": "admin", "password": cluster.admin_password},
    )
    token = (await asyncio.to_thread(admin.call, "POST", "/api/v1/me/tokens", {"name": "faults"}))[
        "token"
    ]
    me = await asyncio.to_thread(admin.call, "GET", "/api/v1/me")
    jobs = [
        (await asyncio.to_thread(admin.call, "POST", "/api/v1/jobs", {**JOB, "title": f"Job {n}"}))[
            "id"
        ]
        for n in range(6)
    ]
    since = await newest_id(database)
    timings: dict[str, float] = {}
    async with Clients(site, "jobs", since, count=sockets) as clients:  # type: ignore[arg-type]
        with (
            Writers(site, token, count=2, pause=0.05) as writers,  # type: ignore[arg-type]
            Clicker(site, token, jobs, per_second=1.5) as clicker,  # type: ignore[arg-type]
        ):
            await asyncio.sleep(2)
            victim = deploy.nodes[busiest_node(cluster)]
            await asyncio.to_thread(victim.kill)
            await asyncio.sleep(5)
            await asyncio.to_thread(victim.start)

            deploy.kill(cluster, "web1")
            await asyncio.sleep(3)
            started = time.monotonic()
            deploy.start_web(cluster, "web1")
            await asyncio.to_thread(deploy.wait_web_ready, "web1")
            timings["web1 restart to ready (s)"] = round(time.monotonic() - started, 1)
            # Ready, but the balancer sends it nothing until its checks say so: cutting the
            # other host before that would leave the balancer with none.
            await asyncio.sleep(deploy.BACK_IN_BALANCER)

            deploy.cut("web2")
            await asyncio.sleep(cut_seconds)
            deploy.cut("web2", down=False)
            await asyncio.to_thread(deploy.wait_web_ready, "web2")
            await asyncio.sleep(deploy.BACK_IN_BALANCER)

            roles = {name: await asyncio.to_thread(deploy.consumer_role, name) for name in RECS}
            # After an earlier run the standby may hold the turn: kill whichever does.
            active = next((name for name, role in roles.items() if role == "active"), RECS[0])
            standby = RECS[1 - RECS.index(active)]
            newest, _stored = await click_books(database, me["id"])
            killed = time.monotonic()
            deploy.kill(cluster, active)
            async with asyncio.timeout(60):
                while (await click_books(database, me["id"]))[1] <= newest:
                    await asyncio.sleep(0.2)
            timings["recommender takeover (s)"] = round(time.monotonic() - killed, 1)
            async with asyncio.timeout(60):
                while await asyncio.to_thread(deploy.consumer_role, standby) != "active":
                    await asyncio.sleep(0.2)
            timings["standby's /readyz says active (s)"] = round(time.monotonic() - killed, 1)
            # Back as the standby, as its supervisor would restart it.
            deploy.start_consumer(cluster, active)
            await asyncio.sleep(3)
        truth = await committed(database, "jobs", since)
        await clients.settle(truth, timeout=60)
        books = clients.books(truth)
    # Every click accepted reached the model: the user's stored list follows their newest.
    deadline = time.monotonic() + 30
    while (clicked := await click_books(database, me["id"]))[1] < clicked[0]:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    newest, stored = await click_books(database, me["id"])
    figures: dict[str, Any] = {
        "sockets": sockets,
        "events committed": len(truth),
        "writes": dict(writers.statuses),
        "clicks": dict(clicker.statuses),
        # Click ids past the one the user's stored list reflects: accepted, never applied.
        "clicks not in the model": max(newest - stored, 0),
        "longest_failing_s": round(writers.longest_failing, 1),
        "recommender roles before the kill": roles,
        "reconnects per socket (max)": max(book["reconnects"] for book in books),
        **timings,
    }
    text = report(
        "cluster: rabbitmq node kill -9, web host kill -9, web host cut, recommender kill -9",
        books,
        Path(cluster.root),
        **figures,
    )
    return Run(books, figures, text)


async def click_books(database: str, user_id: int) -> tuple[int, int]:
    """(the user's newest click id, the click id their stored list reflects)."""
    engine = create_async_engine(database)
    try:
        async with engine.connect() as connection:
            newest = await connection.scalar(
                select(func.max(Click.id)).where(Click.user_id == user_id)
            )
            stored = await connection.scalar(
                select(StoredRecommendations.last_click_id).where(
                    StoredRecommendations.user_id == user_id
                )
            )
        return int(newest or 0), int(stored or 0)
    finally:
        await engine.dispose()
