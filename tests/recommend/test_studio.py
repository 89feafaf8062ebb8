"""The recommender studio on the embedded default: its page and forms, the ``recs`` channel,
background tasks (also after a restart), the serving switch, and reasons in every language."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.app import create_app
from portal.config import Settings
from portal.db import get_db, utcnow
from portal.events.channels import RECS
from portal.events.models import Event
from portal.recommend.models import RecsTask, StoredRecommendations
from portal.recommend.studio_worker import Studio
from tests.factories import csrf_token_for, make_user, signed_in_client
from tests.recommend.test_service import applied, click, make_jobs, seed_clicks, worker

pytestmark = pytest.mark.both_databases

TIMEOUT = 30.0
PAGE = "/admin/recommendations"


@pytest.fixture(autouse=True)
def _both_databases(db_backend: str) -> str:
    return db_backend


@pytest.fixture
async def admin(app: Quart) -> tuple[Client, User]:
    return await signed_in_client(app, role=Role.ADMIN)


@pytest.fixture
async def member(app: Quart, admin: tuple[Client, User]) -> tuple[Client, User]:
    return await signed_in_client(app)


def studio_of(app: Quart) -> Studio:
    found = app.extensions["portal.recommender.studio"]
    assert isinstance(found, Studio)
    return found


async def post_form(client: Client, path: str, **fields: str) -> Any:
    token = await csrf_token_for(client, PAGE)
    return await client.post(path, form={"csrf_token": token, **fields})


async def some_clicks(app: Quart, admin: User) -> list[int]:
    """Six jobs and a few users' histories, enough for every algorithm to rank something."""
    jobs = [j.id for j in await make_jobs(app, admin, [f"Job {n}" for n in range(6)])]
    users = [(await make_user(app)).id for _ in range(8)]
    pairs = [(u, jobs[(n + k) % 6]) for n, u in enumerate(users) for k in range(3)]
    await seed_clicks(app, pairs)
    return jobs


async def task_done(app: Quart, task_id: int) -> RecsTask:
    async with asyncio.timeout(TIMEOUT):
        while True:
            async with get_db(app).session_scope() as session:
                task = await session.get(RecsTask, task_id)
                assert task is not None
                if task.status in ("done", "failed"):
                    return task
            await asyncio.sleep(0.05)


async def newest_task(app: Quart, kind: str) -> RecsTask:
    async with get_db(app).session_scope() as session:
        task = await session.scalar(
            select(RecsTask).where(RecsTask.kind == kind).order_by(RecsTask.id.desc()).limit(1)
        )
    assert task is not None
    return task


# --- who may -------------------------------------------------------------------------------


async def test_only_admins_open_the_studio_or_use_its_forms(
    app: Quart, admin: tuple[Client, User], member: tuple[Client, User]
) -> None:
    visitor = app.test_client()
    assert (await visitor.get(PAGE)).status_code in (302, 401)
    member_client, _user = member
    assert (await member_client.get(PAGE)).status_code == 403
    for path, fields in (
        (f"{PAGE}/tasks", {"kind": "evaluate"}),
        (f"{PAGE}/algorithm", {"algorithm": "user"}),
    ):
        token = await csrf_token_for(member_client, "/")
        response = await member_client.post(path, form={"csrf_token": token, **fields})
        assert response.status_code == 403, path
    async with get_db(app).session_scope() as session:
        assert await session.scalar(select(RecsTask.id).limit(1)) is None
    admin_client, _admin = admin
    page = await admin_client.get(PAGE)
    assert page.status_code == 200
    html = await page.get_data(as_text=True)
    assert "Recommender studio" in html and 'id="chart-clicks"' in html


async def test_only_admins_follow_the_recs_channel(
    app: Quart, admin: tuple[Client, User], member: tuple[Client, User]
) -> None:
    for client, allowed in ((app.test_client(), False), (member[0], False), (admin[0], True)):
        async with client.websocket("/ws") as ws:
            await ws.send(json.dumps({"type": "subscribe", "channel": RECS}))
            answer = json.loads(await asyncio.wait_for(ws.receive(), 5))
            if allowed:
                assert answer["type"] == "subscribed" and answer["channel"] == RECS, answer
            else:
                assert answer["type"] == "error" and answer["code"] == "forbidden", answer


async def test_bad_input_is_a_clear_4xx(app: Quart, admin: tuple[Client, User]) -> None:
    client, _admin = admin
    assert (await post_form(client, f"{PAGE}/tasks", kind="nonsense")).status_code == 422
    assert (await post_form(client, f"{PAGE}/algorithm", algorithm="magic")).status_code == 422
    for query in ("?job=abc", "?job=99999999999", "?job=-1", "?user=%00", "?user=" + "x" * 500):
        assert (await client.get(PAGE + query)).status_code == 200, query


# --- the live figures ----------------------------------------------------------------------


async def test_a_tick_publishes_the_consumers_figures_on_recs(
    app: Quart, admin: tuple[Client, User], member: tuple[Client, User]
) -> None:
    _client, admin_user = admin
    studio = studio_of(app)
    await studio.stop()  # its own ticks: this test ticks by hand
    await studio.tick()  # an idle start says nothing (no background write for nothing)
    async with get_db(app).session_scope() as session:
        assert await session.scalar(select(Event.id).where(Event.type == "recs.stats")) is None
    [job, *_rest] = await make_jobs(app, admin_user, ["Python dev", "Rust dev"])
    member_client, user = member
    await applied(app, user.id, await click(member_client, job.id))
    await studio.tick()
    async with get_db(app).session_scope() as session:
        rows = (
            await session.scalars(
                select(Event).where(Event.channel == RECS, Event.type == "recs.stats")
            )
        ).all()
    figures = rows[-1].data
    assert figures["clicks"] == 1 and figures["clicks_per_minute"] > 0
    assert figures["users"] == 1 and figures["jobs"] == 1 and figures["clicks_total"] == 1
    assert figures["lag_ms_p95"] is not None and figures["lag_ms_p95"] >= 0
    assert figures["queue_depth"] == 0 and figures["memory_bytes"] > 0
    assert figures["algorithm"] == "blend" and figures["rebuilt_at"] is not None
    # Nothing happened since: the next tick is quiet (figures again only after QUIET_SECONDS).
    await studio.tick()
    async with get_db(app).session_scope() as session:
        count = len(
            (await session.scalars(select(Event.id).where(Event.type == "recs.stats"))).all()
        )
    assert count == len(rows)


# --- tasks ---------------------------------------------------------------------------------


async def test_an_evaluation_runs_in_the_background_and_is_kept(
    app: Quart, admin: tuple[Client, User]
) -> None:
    client, admin_user = admin
    await some_clicks(app, admin_user)
    response = await post_form(client, f"{PAGE}/tasks", kind="evaluate")
    assert response.status_code == 303
    task = await task_done(app, (await newest_task(app, "evaluate")).id)
    assert task.status == "done", task.error
    assert task.progress == 1.0 and task.clicks == 24
    results = task.result["results"] if task.result else []
    assert [r["protocol"] for r in results] == ["random", "last"]
    for result in results:
        assert set(result["algorithms"]) == {"popularity", "item-cf", "user-cf", "blend", "ease"}
        for metrics in result["algorithms"].values():
            assert {"precision", "recall", "ndcg", "hit_rate", "coverage"} <= set(metrics)
    html = await (await client.get(PAGE)).get_data(as_text=True)
    assert 'id="results-random"' in html and 'id="results-last"' in html
    # Its progress was announced on recs as it went, up to 100%.
    async with get_db(app).session_scope() as session:
        reports = [
            e.data
            for e in await session.scalars(
                select(Event).where(Event.type == "recs.task").order_by(Event.id)
            )
        ]
    assert reports[-1]["status"] == "done" and reports[-1]["progress"] == 1.0
    assert any(r["status"] == "running" for r in reports)


async def test_one_task_of_a_kind_at_a_time(app: Quart, admin: tuple[Client, User]) -> None:
    client, _admin = admin
    async with get_db(app).session_scope() as session:
        session.add(RecsTask(kind="evaluate", status="running", heartbeat_at=utcnow()))
        await session.commit()
    await post_form(client, f"{PAGE}/tasks", kind="evaluate")
    async with get_db(app).session_scope() as session:
        assert len((await session.scalars(select(RecsTask.id))).all()) == 1


async def test_a_task_left_by_a_dead_worker_is_taken_up_after_a_restart(
    settings: Settings, tmp_path: Path
) -> None:
    """A web worker (with the embedded consumer) killed mid-evaluation: the row says running,
    its heartbeat stops; the next process takes it up and finishes it."""
    first = create_app(settings)
    async with first.test_app():
        admin_user = await make_user(first, role=Role.ADMIN)
        await some_clicks(first, admin_user)
        async with get_db(first).session_scope() as session:
            stale = utcnow() - timedelta(minutes=5)
            dead = RecsTask(
                kind="evaluate",
                status="running",
                progress=0.4,
                claimed_by="a-dead-process",
                heartbeat_at=stale,
                started_at=stale,
                attempts=1,
            )
            lost = RecsTask(kind="train", status="queued")  # its command never arrived
            session.add_all([dead, lost])
            await session.commit()
            dead_id, lost_id = dead.id, lost.id
    second = create_app(settings)
    async with second.test_app():
        evaluated = await task_done(second, dead_id)
        trained = await task_done(second, lost_id)
    assert evaluated.status == "done" and evaluated.attempts == 2, evaluated.error
    assert evaluated.claimed_by != "a-dead-process"
    assert trained.status == "done" and trained.result and trained.result["jobs"] == 6


async def test_a_training_from_the_page_reports_its_weights(
    app: Quart, admin: tuple[Client, User]
) -> None:
    client, admin_user = admin
    await some_clicks(app, admin_user)
    await post_form(client, f"{PAGE}/tasks", kind="train")
    task = await task_done(app, (await newest_task(app, "train")).id)
    assert task.status == "done", task.error
    assert task.result and task.result["jobs"] == 6 and task.result["lambda"] > 0
    assert worker(app).weights is not None
    assert "EASE" in await (await client.get(PAGE)).get_data(as_text=True)


# --- serving -------------------------------------------------------------------------------


async def test_switching_the_algorithm_refreshes_every_list_and_is_kept(
    app: Quart, settings: Settings, admin: tuple[Client, User]
) -> None:
    client, admin_user = admin
    await some_clicks(app, admin_user)
    await worker(app).refresh_all()
    response = await post_form(client, f"{PAGE}/algorithm", algorithm="user")
    assert response.status_code == 303
    async with asyncio.timeout(TIMEOUT):
        while True:
            async with get_db(app).session_scope() as session:
                rows = (await session.scalars(select(StoredRecommendations))).all()
            sources = {item["source"] for row in rows for item in row.items}
            if worker(app).algorithm == "user" and sources <= {"user", "popular"} and rows:
                break
            await asyncio.sleep(0.05)
    assert app.extensions["portal.recs.serving"].algorithm == "user"
    assert "User-based CF" in await (await client.get(PAGE)).get_data(as_text=True)
    # A restart serves the persisted choice, not the setting's.
    again = create_app(settings)
    async with again.test_app():
        assert worker(again).algorithm == "user"
        assert again.extensions["portal.recs.serving"].algorithm == "user"


# --- reasons in the reader's language --------------------------------------------------------


async def test_reasons_are_worded_in_the_readers_language(
    app: Quart, admin: tuple[Client, User], member: tuple[Client, User]
) -> None:
    _client, admin_user = admin
    python, rust = await make_jobs(app, admin_user, ["Python dev", "Rust dev"])
    other = await make_user(app)
    await seed_clicks(app, [(other.id, python.id), (other.id, rust.id)])
    member_client, user = member
    row = await applied(app, user.id, await click(member_client, python.id))
    assert row.items[0]["reason_code"] == "viewed_job"
    assert row.items[0]["reason_params"] == {"job_id": python.id, "title": "Python dev"}
    member_client.set_cookie("localhost", "portal_lang", "zh_Hans")
    body = await (await member_client.get("/api/v1/recommendations")).get_json()
    assert body[0]["reason"] == "因为你浏览过“Python dev”"
    html = await (await member_client.get("/")).get_data(as_text=True)
    assert "因为你浏览过“Python dev”" in html
    assert "Because you viewed" not in html  # nor in the live list's templates


# --- explore -------------------------------------------------------------------------------


async def test_explore_shows_a_jobs_neighbours_and_a_users_reasons(
    app: Quart, admin: tuple[Client, User], member: tuple[Client, User]
) -> None:
    client, admin_user = admin
    python, rust, go = await make_jobs(app, admin_user, ["Python dev", "Rust dev", "Go dev"])
    others = [await make_user(app) for _ in range(3)]
    await seed_clicks(
        app,
        [
            (others[0].id, python.id),
            (others[0].id, rust.id),
            (others[1].id, python.id),
            (others[1].id, rust.id),
            (others[2].id, python.id),
            (others[2].id, go.id),
        ],
    )
    member_client, user = member
    await applied(app, user.id, await click(member_client, python.id))
    html = await (await client.get(f"{PAGE}?job={python.id}")).get_data(as_text=True)
    assert 'id="nearest-jobs"' in html
    assert html.index("Rust dev") < html.index("Go dev")  # two co-clicks before one
    html = await (await client.get(f"{PAGE}?user={user.username}")).get_data(as_text=True)
    assert 'id="user-history"' in html and "Because you viewed “Python dev”" in html
    client.set_cookie("localhost", "portal_lang", "zh_Hans")
    html = await (await client.get(f"{PAGE}?user={user.id}")).get_data(as_text=True)
    assert "因为你浏览过“Python dev”" in html and "Because you viewed" not in html
