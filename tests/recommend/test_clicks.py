"""Group commit of clicks: concurrent clicks share a transaction, and none is lost with another."""

from __future__ import annotations

import asyncio

import pytest
from quart import Quart
from sqlalchemy import delete, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import Role, User
from portal.accounts.service import create_token
from portal.db import get_db
from portal.recommend import clicks as clicks_module
from portal.recommend.clicks import ClickRecorder
from portal.recommend.service import record_clicks
from tests.factories import make_user
from tests.recommend.test_service import clicks_of, events_on, make_job, set_job, work_channel

pytestmark = pytest.mark.both_databases


@pytest.fixture(autouse=True)
def _both_databases(db_backend: str) -> str:
    return db_backend


def recorder(app: Quart) -> ClickRecorder:
    found = app.extensions["portal.clicks"]
    assert isinstance(found, ClickRecorder)
    return found


def count_transactions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each click transaction from now on."""
    sizes: list[int] = []

    async def counted(session: AsyncSession, clicks: list[tuple[int, int]]) -> list[int | None]:
        sizes.append(len(clicks))
        return await record_clicks(session, clicks)

    monkeypatch.setattr(clicks_module, "record_clicks", counted)
    return sizes


async def test_concurrent_clicks_share_one_transaction(
    app: Quart, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await make_user(app, role=Role.ADMIN)
    users = [await make_user(app) for _ in range(5)]
    jobs = [await make_job(app, admin, title=f"Job {n}") for n in range(4)]
    sizes = count_transactions(monkeypatch)
    pairs = [(user.id, job.id) for user in users for job in jobs]
    ids = await asyncio.gather(*(recorder(app).record(u, j) for u, j in pairs))
    assert sizes == [len(pairs)]
    assert None not in ids and len(set(ids)) == len(pairs)
    stored = {c.id: (c.user_id, c.job_id) for c in await clicks_of(app)}
    assert [stored[click_id] for click_id in ids] == pairs  # each caller got its own click
    queued = await events_on(app, work_channel("clicks"))
    assert [(e.data["click_id"], e.data["user_id"], e.data["job_id"]) for e in queued] == [
        (click_id, u, j) for click_id, (u, j) in zip(ids, pairs, strict=True)
    ]


async def test_a_hidden_job_fails_only_its_own_click(app: Quart) -> None:
    admin = await make_user(app, role=Role.ADMIN)
    user = await make_user(app)
    shown, hidden = await make_job(app, admin), await make_job(app, admin)
    await set_job(app, hidden.id, status="draft")
    ids = await asyncio.gather(
        recorder(app).record(user.id, shown.id),
        recorder(app).record(user.id, hidden.id),
        recorder(app).record(user.id, 999_999),
        recorder(app).record(user.id, shown.id),
    )
    assert ids[1] is None and ids[2] is None
    assert [c.id for c in await clicks_of(app)] == [ids[0], ids[3]]


async def test_a_deleted_user_fails_only_their_own_click(app: Quart) -> None:
    """A user gone between sign-in and the insert (a foreign key fails the batch): the
    others' clicks are stored one by one."""
    admin = await make_user(app, role=Role.ADMIN)
    stays, goes = await make_user(app), await make_user(app)
    job = await make_job(app, admin)
    async with get_db(app).session_scope() as session:
        await session.execute(delete(User).where(User.id == goes.id))
        await session.commit()
    ids = await asyncio.gather(
        recorder(app).record(stays.id, job.id), recorder(app).record(goes.id, job.id)
    )
    assert ids[0] is not None and ids[1] is None
    assert [(c.id, c.user_id) for c in await clicks_of(app)] == [(ids[0], stays.id)]


async def test_a_click_whose_request_was_cancelled_is_stored(app: Quart) -> None:
    admin = await make_user(app, role=Role.ADMIN)
    user = await make_user(app)
    job = await make_job(app, admin)
    task = asyncio.ensure_future(recorder(app).record(user.id, job.id))
    await asyncio.sleep(0)
    task.cancel()
    await recorder(app).stop()
    assert [(c.user_id, c.job_id) for c in await clicks_of(app)] == [(user.id, job.id)]


async def test_clicks_by_bearer_token_are_recognised_from_memory_until_revoked(
    app: Quart,
) -> None:
    """POST /api/v1/clicks needs only who is asking: after the first, a token's clicks skip
    the lookup, and revoking the token refuses the very next click."""
    admin = await make_user(app, role=Role.ADMIN)
    user = await make_user(app)
    job = await make_job(app, admin)
    async with get_db(app).session_scope() as session:
        token, raw = await create_token(session, user, name="clicks", expires_in_days=None)
    headers = {"Authorization": f"Bearer {raw}"}
    client = app.test_client()
    assert (
        await client.post("/api/v1/clicks", json={"job_id": job.id}, headers=headers)
    ).status_code == 201
    engine = get_db(app).engine
    assert engine is not None
    statements: list[str] = []
    event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: statements.append(statement),
    )
    assert (
        await client.post("/api/v1/clicks", json={"job_id": job.id}, headers=headers)
    ).status_code == 201
    assert not [s for s in statements if "api_tokens" in s]
    response = await client.delete(f"/api/v1/me/tokens/{token.id}", headers=headers)
    assert response.status_code == 204, await response.get_data(as_text=True)
    response = await client.post("/api/v1/clicks", json={"job_id": job.id}, headers=headers)
    assert response.status_code == 401


async def test_a_database_outage_is_503_with_retry_after(
    app: Quart, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clicks waiting on a failed batch all get a retryable 503, not a 500."""
    admin = await make_user(app, role=Role.ADMIN)
    user = await make_user(app)
    job = await make_job(app, admin)
    async with get_db(app).session_scope() as session:
        _token, raw = await create_token(session, user, name="clicks", expires_in_days=None)

    async def down(session: AsyncSession, clicks: list[tuple[int, int]]) -> list[int | None]:
        raise OperationalError("INSERT INTO clicks ...", {}, ConnectionRefusedError())

    monkeypatch.setattr(clicks_module, "record_clicks", down)
    client = app.test_client()
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v1/clicks",
                json={"job_id": job.id},
                headers={"Authorization": f"Bearer {raw}"},
            )
            for _ in range(3)
        )
    )
    for response in responses:
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert (await response.get_json())["error"]["code"] == "unavailable"


async def test_a_steady_trickle_of_clicks_shares_transactions(
    app: Quart, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once clicks keep coming, a lone click waits a moment for the next one to share its
    transaction; the first click of a quiet spell is written at once."""
    admin = await make_user(app, role=Role.ADMIN)
    user = await make_user(app)
    job = await make_job(app, admin)
    sizes = count_transactions(monkeypatch)
    recorder(app).linger = 0.2  # wide enough for a slow machine to land the second click
    assert await recorder(app).record(user.id, job.id) is not None
    first = asyncio.ensure_future(recorder(app).record(user.id, job.id))
    await asyncio.sleep(0.05)
    second = asyncio.ensure_future(recorder(app).record(user.id, job.id))
    assert None not in await asyncio.gather(first, second)
    assert sizes == [1, 2]
