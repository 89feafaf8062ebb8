"""The /ws endpoint through Quart's test client, on the in-process bus."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from quart import Quart
from quart.testing.connections import WebsocketDisconnectError, WebsocketResponseError
from quart.typing import TestClientProtocol as Client
from quart.typing import TestWebsocketConnectionProtocol as Socket
from sqlalchemy import select, update

from portal.accounts.models import Role, User
from portal.db import get_db, utcnow
from portal.events.channels import CONTROL as CONTROL_CHANNEL
from portal.events.channels import user as user_channel
from portal.events.extension import get_events
from portal.events.log import append_event
from portal.events.models import Event
from portal.events.replay import RESUME_WINDOW
from portal.live import ws as ws_module
from portal.live.extension import get_live
from portal.live.hub import Hub, LiveEvent, Subscriber
from portal.live.protocol import MAX_FRAME_BYTES
from tests.factories import signed_in_client
from tests.utils.live import connection_count, subscriber_count

TIMEOUT = 2.0
SAME_ORIGIN = "http://localhost"  # the Quart test client sends "Host: localhost"
JOB = {
    "title": "Python developer",
    "content": "We build **useful** things with Python.",
    "category": "engineering",
    "employment_type": "full_time",
    "location": "Berlin",
    "status": "published",
    "apply_email": "jobs@example.com",
}


# --- helpers -----------------------------------------------------------------------------


async def recv(ws: Socket, timeout: float = TIMEOUT) -> dict[str, Any]:
    raw = await asyncio.wait_for(ws.receive(), timeout)
    assert isinstance(raw, str), raw
    return json.loads(raw)


def flatten(frame: dict[str, Any]) -> list[dict[str, Any]]:
    """A frame as the messages it carries: a batch is its events, in order."""
    if frame["type"] == "batch":
        assert frame["messages"], "an empty batch"
        assert all(m["type"] == "event" for m in frame["messages"])
        return list(frame["messages"])
    return [frame]


async def messages(ws: Socket, count: int, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
    """The next ``count`` messages, batches flattened (failing if a batch overshoots)."""
    found: list[dict[str, Any]] = []
    while len(found) < count:
        found.extend(flatten(await recv(ws, timeout)))
    assert len(found) == count, found
    return found


async def message(ws: Socket) -> dict[str, Any]:
    [found] = await messages(ws, 1)
    return found


async def events(ws: Socket, count: int) -> list[dict[str, Any]]:
    found = await messages(ws, count)
    assert all(m["type"] == "event" for m in found), found
    return found


async def nothing_more(ws: Socket, wait: float = 0.1) -> None:
    with pytest.raises(TimeoutError):
        await recv(ws, wait)


async def close_code(ws: Socket, timeout: float = TIMEOUT) -> int:
    """Read until the server closes; the close code (frames before it are ignored)."""
    async with asyncio.timeout(timeout):
        while True:
            try:
                await ws.receive()
            except WebsocketDisconnectError as closed:
                return closed.args[0]


async def send(ws: Socket, **frame: Any) -> None:
    await ws.send(json.dumps(frame))


async def subscribe(ws: Socket, channel: str, since: int | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "subscribe", "channel": channel}
    if since is not None:
        frame["since"] = since
    await send(ws, **frame)
    answer = await message(ws)
    assert answer["type"] == "subscribed", answer
    assert answer["channel"] == channel
    return answer


async def error_for(ws: Socket, raw: str | bytes) -> dict[str, Any]:
    await ws.send(raw)
    answer = await message(ws)
    assert answer["type"] == "error", answer
    assert set(answer) == {"type", "code", "message"}
    assert answer["message"]
    return answer


def hub(app: Quart) -> Hub:
    return get_live(app).hub


def live(event_id: int, channel: str = "jobs", kind: str = "job.updated", **data: Any) -> LiveEvent:
    return LiveEvent(event_id, channel, kind, data or {"n": event_id}, "2024-05-01T00:00:00+00:00")


async def append(app: Quart, count: int, channel: str = "jobs") -> list[int]:
    """Events written to the log as a service would (they are published after commit)."""
    async with get_db(app).session_scope() as session:
        for i in range(count):
            await append_event(session, channel=channel, type="job.updated", data={"n": i})
        await session.commit()
        newest = await session.scalars(
            select(Event.id).where(Event.channel == channel).order_by(Event.id.desc()).limit(count)
        )
        ids = sorted(newest)
        await session.commit()
    await published(app)
    return ids


async def published(app: Quart) -> None:
    """Wait until what was committed has reached the hub (the after-commit publish tasks).

    Otherwise a socket subscribing right after could get these events live as well.
    """
    publisher = get_events(app).publisher
    assert publisher is not None
    while publisher._tasks:
        await asyncio.wait(set(publisher._tasks))


async def settle() -> None:
    """Let after-commit publishing and the sockets' tasks run."""
    for _ in range(5):
        await asyncio.sleep(0.01)


async def post_job(client: Client, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/jobs", json={**JOB, **fields})
    assert response.status_code == 201, await response.get_data(as_text=True)
    return await response.get_json()


def subscribers_of(app: Quart, channel: str) -> list[Subscriber]:
    return list(hub(app)._channels.get(channel, ()))


@pytest.fixture(autouse=True)
def no_crashed_socket_tasks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A socket task that crashed is logged by ws.py and would otherwise go unnoticed."""
    caplog.set_level(logging.WARNING)
    yield
    crashes = [r for r in caplog.records if r.name.startswith("portal") and r.exc_info]
    assert not crashes, [r.getMessage() for r in crashes]


@pytest.fixture
async def admin(app: Quart) -> tuple[Client, User]:
    return await signed_in_client(app, role=Role.ADMIN)


@pytest.fixture
def small_queues(monkeypatch: pytest.MonkeyPatch) -> int:
    """Sockets get a bound of 5 pending frames.

    ws.py builds ``Subscriber(user_id=...)`` and the bound's default was bound when hub.py was
    imported, so patching ``hub.DEFAULT_MAX_PENDING`` alone would not reach new sockets.
    """
    bound = 5

    class SmallSubscriber(Subscriber):
        def __init__(self, user_id: int | None = None, max_pending: int = bound) -> None:
            super().__init__(user_id, max_pending)

    monkeypatch.setattr(ws_module, "Subscriber", SmallSubscriber)
    return bound


# --- subscribing and authorisation ---------------------------------------------------------


async def test_subscribed_frame_carries_the_channels_last_id(app: Quart, client) -> None:
    async with client.websocket("/ws") as ws:
        assert await subscribe(ws, "jobs") == {
            "type": "subscribed",
            "channel": "jobs",
            "last_id": 0,
        }
    ids = await append(app, 3)
    await append(app, 2, channel="uploads")  # other channels' ids don't count
    async with client.websocket("/ws") as ws:
        assert (await subscribe(ws, "jobs"))["last_id"] == ids[-1]
        assert (await subscribe(ws, "jobs", since=ids[-1]))["last_id"] == ids[-1]


async def test_anonymous_gets_jobs_only(app: Quart, client) -> None:
    async with client.websocket("/ws") as ws:
        await subscribe(ws, "jobs")
        for channel in ("uploads", "me"):
            await send(ws, type="subscribe", channel=channel)
            answer = await message(ws)
            assert answer["type"] == "error" and answer["code"] == "forbidden", answer
        assert subscriber_count(hub(app), "uploads") == 0
        # Forbidden is not fatal: the socket still works.
        await send(ws, type="ping")
        assert await message(ws) == {"type": "pong"}
        hub(app).route(live(1))
        hub(app).route(live(2, "uploads", "upload.progress"))
        assert [e["id"] for e in await events(ws, 1)] == [1]
        await nothing_more(ws)


async def test_signed_in_user_gets_me_but_not_uploads(app: Quart) -> None:
    client, user = await signed_in_client(app)
    _other_client, other = await signed_in_client(app)
    async with client.websocket("/ws") as ws:
        await subscribe(ws, "me")
        answer = await error_for(ws, json.dumps({"type": "subscribe", "channel": "uploads"}))
        assert answer["code"] == "forbidden"

        hub(app).route(live(1, user_channel(other.id), "notification", text="not yours"))
        hub(app).route(live(2, user_channel(user.id), "notification", text="yours"))
        [event] = await events(ws, 1)
        assert event["channel"] == "me"
        assert event["id"] == 2 and event["event"] == "notification"
        assert event["data"] == {"text": "yours"}
        await nothing_more(ws)


async def test_admin_gets_uploads(app: Quart, admin) -> None:
    client, _user = admin
    async with client.websocket("/ws") as ws:
        await subscribe(ws, "uploads")
        await subscribe(ws, "me")
        await subscribe(ws, "jobs")
        hub(app).route(live(1, "uploads", "upload.progress", offset=10, length=100))
        [event] = await events(ws, 1)
        assert event["channel"] == "uploads"
        assert event["data"] == {"offset": 10, "length": 100}


async def test_ping_pong(client) -> None:
    async with client.websocket("/ws") as ws:
        for _ in range(3):
            await send(ws, type="ping")
            assert await message(ws) == {"type": "pong"}


async def test_unsubscribe_stops_events(app: Quart, client) -> None:
    async with client.websocket("/ws") as ws:
        await subscribe(ws, "jobs")
        await send(ws, type="unsubscribe", channel="jobs")
        assert await message(ws) == {"type": "unsubscribed", "channel": "jobs"}
        assert subscriber_count(hub(app), "jobs") == 0
        hub(app).route(live(1))
        # Unsubscribing from a channel one may not have is answered, not an error.
        await send(ws, type="unsubscribe", channel="uploads")
        assert await message(ws) == {"type": "unsubscribed", "channel": "uploads"}
        await nothing_more(ws)


async def test_disconnect_leaves_the_hub(app: Quart, admin) -> None:
    client, _user = admin
    async with client.websocket("/ws") as ws:
        await subscribe(ws, "jobs")
        await subscribe(ws, "uploads")
        assert connection_count(hub(app)) == 1
    await settle()
    assert connection_count(hub(app)) == 0
    assert hub(app)._users == {}


# --- bad frames ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "bad_request"),
        ("[1, 2]", "bad_request"),
        (b'{"type": "ping"}', "bad_request"),
        (json.dumps({"type": "ping", "pad": "x" * MAX_FRAME_BYTES}), "bad_request"),
        ('{"type": "shout"}', "bad_request"),
        ('{"type": []}', "bad_request"),
        ('{"type": "subscribe"}', "bad_request"),
        ('{"type": "subscribe", "channel": ""}', "bad_request"),
        ('{"type": "subscribe", "channel": 7}', "bad_request"),
        ('{"type": "subscribe", "channel": "control"}', "unknown_channel"),
        ('{"type": "subscribe", "channel": "user:1"}', "unknown_channel"),
        ('{"type": "subscribe", "channel": "jobs", "since": -1}', "bad_request"),
        ('{"type": "subscribe", "channel": "jobs", "since": 1.5}', "bad_request"),
        ('{"type": "subscribe", "channel": "jobs", "since": true}', "bad_request"),
        ('{"type": "subscribe", "channel": "jobs", "since": "3"}', "bad_request"),
        ('{"type": "subscribe", "channel": "jobs", "since": 1e30}', "bad_request"),
        ('{"type": "subscribe", "channel": "jobs", "since": 99999999999999999999}', "bad_request"),
    ],
)
async def test_bad_frames_get_error_frames(client, raw: str | bytes, code: str) -> None:
    async with client.websocket("/ws") as ws:
        assert (await error_for(ws, raw))["code"] == code
        await send(ws, type="ping")  # still open
        assert await message(ws) == {"type": "pong"}


async def test_too_many_bad_frames_close_the_socket(client) -> None:
    async with client.websocket("/ws") as ws:
        for _ in range(ws_module.MAX_ERRORS):
            assert (await error_for(ws, "nope"))["code"] == "bad_request"
        await send(ws, type="ping")  # good frames don't reset or add to the count
        assert await message(ws) == {"type": "pong"}
        await ws.send("one too many")
        assert await close_code(ws) == 1008


async def test_a_flood_of_bad_frames_closes_the_socket(client) -> None:
    async with client.websocket("/ws") as ws:
        for _ in range(ws_module.MAX_ERRORS + 10):
            await ws.send(b"\x00")
        assert await close_code(ws) == 1008


# --- handshake -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "http://localhost.evil.example"},
        {"Origin": "http://localhost:8080"},
        {"Origin": "null"},
        {"Origin": "https://localhost"},  # the host matches, the scheme does not
        # A browser that says the page is another site's, whatever Origin claims.
        {"Origin": SAME_ORIGIN, "Sec-Fetch-Site": "cross-site"},
    ],
)
async def test_cross_origin_handshake_is_refused(
    app: Quart, client, origin: dict[str, str]
) -> None:
    async with client.websocket("/ws", headers=origin) as ws:
        with pytest.raises(WebsocketResponseError) as refused:
            await asyncio.wait_for(ws.receive(), TIMEOUT)
    assert refused.value.response.status_code == 403
    assert connection_count(hub(app)) == 0


@pytest.mark.parametrize("headers", [{"Origin": SAME_ORIGIN}, {}])
async def test_same_origin_or_no_origin_is_accepted(client, headers: dict[str, str]) -> None:
    async with client.websocket("/ws", headers=headers) as ws:
        await send(ws, type="ping")
        assert await message(ws) == {"type": "pong"}


async def test_configured_origin_is_accepted(app: Quart, client, monkeypatch) -> None:
    settings = app.config["PORTAL_SETTINGS"]
    monkeypatch.setattr(settings, "allowed_origins", ["https://app.example"])
    async with client.websocket("/ws", headers={"Origin": "https://app.example"}) as ws:
        await send(ws, type="ping")
        assert await message(ws) == {"type": "pong"}


async def test_bearer_token_grants_me(app: Quart) -> None:
    client, user = await signed_in_client(app)
    response = await client.post("/api/v1/me/tokens", json={"name": "live script"})
    assert response.status_code == 201, await response.get_data(as_text=True)
    token = (await response.get_json())["token"]

    script = app.test_client()  # no cookie: the token alone
    async with script.websocket("/ws", headers={"Authorization": f"Bearer {token}"}) as ws:
        await subscribe(ws, "me")
        hub(app).route(live(1, user_channel(user.id), "notification"))
        [event] = await events(ws, 1)
        assert event["channel"] == "me"

    async with script.websocket("/ws", headers={"Authorization": "Bearer pt_wrong"}) as ws:
        await send(ws, type="subscribe", channel="me")
        assert (await message(ws))["code"] == "forbidden"


# --- live events ---------------------------------------------------------------------------


async def test_a_new_job_reaches_subscribers_within_a_second(app: Quart, client, admin) -> None:
    admin_client, _user = admin
    async with client.websocket("/ws") as ws, admin_client.websocket("/ws") as admin_ws:
        await subscribe(ws, "jobs")
        await subscribe(admin_ws, "jobs")
        loop = asyncio.get_running_loop()
        started = loop.time()
        job = await post_job(admin_client, title="Live wire")
        for socket in (ws, admin_ws):
            [event] = flatten(await recv(socket, timeout=1.0))
            assert event["type"] == "event"
            assert event["event"] == "job.created"
            assert event["channel"] == "jobs"
            assert event["data"]["id"] == job["id"]
            assert event["data"]["title"] == "Live wire"
            assert event["at"]
        assert loop.time() - started < 1.0
        # The event the sockets saw is the one in the log.
        async with get_db(app).session_scope() as session:
            row = (await session.execute(select(Event).where(Event.channel == "jobs"))).scalar_one()
        assert row.id == event["id"] and row.type == "job.created"
        assert datetime.fromisoformat(event["at"]) == row.created_at


async def test_drafts_do_not_reach_the_jobs_channel(client, admin) -> None:
    admin_client, _user = admin
    async with client.websocket("/ws") as ws:
        await subscribe(ws, "jobs")
        await post_job(admin_client, status="draft")
        await nothing_more(ws, 0.2)


async def test_quick_events_arrive_in_order_single_or_batched(app: Quart, client) -> None:
    async with client.websocket("/ws") as ws:
        await subscribe(ws, "jobs")
        for event_id in range(1, 31):
            hub(app).route(live(event_id))
            if event_id % 7 == 0:
                await asyncio.sleep(0)  # sometimes let the sender run mid-burst
        assert [e["id"] for e in await events(ws, 30)] == list(range(1, 31))
        await nothing_more(ws)


async def test_duplicate_deliveries_reach_the_socket_once(app: Quart, client) -> None:
    async with client.websocket("/ws") as ws:
        await subscribe(ws, "jobs")
        for event_id in (1, 2, 1, 3, 2, 3):
            # As from an at-least-once bus: the same message again.
            get_events(app)._dispatch(live(event_id).to_wire())
        assert [e["id"] for e in await events(ws, 3)] == [1, 2, 3]
        await nothing_more(ws)


# --- resume --------------------------------------------------------------------------------


async def test_resume_replays_exactly_what_was_missed_then_live(app: Quart, client, admin) -> None:
    admin_client, _user = admin
    async with client.websocket("/ws") as ws:
        await subscribe(ws, "jobs")
        first = await post_job(admin_client, title="seen 1")
        seen = await events(ws, 1)
        assert seen[0]["data"]["id"] == first["id"]
    last_seen = seen[0]["id"]

    missed = [(await post_job(admin_client, title=f"missed {i}"))["id"] for i in range(4)]
    await append(app, 2, channel="uploads")  # interleaved ids of another channel

    async with client.websocket("/ws") as ws:
        answer = await subscribe(ws, "jobs", since=last_seen)
        replayed = await events(ws, 4)
        assert [e["data"]["id"] for e in replayed] == missed
        ids = [e["id"] for e in replayed]
        assert ids == sorted(set(ids)) and ids[0] > last_seen
        assert answer["last_id"] == ids[-1]
        assert "reload" not in answer
        assert all(e["event"] == "job.created" and e["channel"] == "jobs" for e in replayed)
        # The published copies of those events (already in the hub) don't come again.
        for event_id in ids:
            hub(app).route(live(event_id))
        await nothing_more(ws)

        fresh = await post_job(admin_client, title="live again")
        [event] = await events(ws, 1)
        assert event["data"]["id"] == fresh["id"] and event["id"] > ids[-1]
        await nothing_more(ws)


async def test_resume_matches_the_live_frames(app: Quart, client, admin) -> None:
    """A replayed event looks exactly like the live one did."""
    admin_client, _user = admin
    async with client.websocket("/ws") as ws:
        await subscribe(ws, "jobs")
        await post_job(admin_client)
        [live_event] = await events(ws, 1)
    async with client.websocket("/ws") as ws:
        await subscribe(ws, "jobs", since=live_event["id"] - 1)
        [replayed] = await events(ws, 1)
    assert replayed == live_event


async def test_resume_of_me_replays_only_the_users_own(app: Quart) -> None:
    client, user = await signed_in_client(app)
    _other_client, other = await signed_in_client(app)
    mine = await append(app, 2, channel=user_channel(user.id))
    await append(app, 2, channel=user_channel(other.id))
    async with client.websocket("/ws") as ws:
        answer = await subscribe(ws, "me", since=0)
        assert answer["last_id"] == mine[-1]
        replayed = await events(ws, 2)
        assert [e["id"] for e in replayed] == mine
        assert all(e["channel"] == "me" for e in replayed)
        await nothing_more(ws)


async def test_events_during_the_replay_come_once_in_order(app: Quart, client) -> None:
    ids = await append(app, 3)
    real_release = Subscriber.release

    def release_after_more_live_events(
        self: Subscriber, channel: str, replayed: list, floor: int = 0
    ) -> None:
        # Published while the history was being read: one overlapping, two new.
        hub(app).route(live(ids[-1]))
        hub(app).route(live(ids[-1] + 100))
        hub(app).route(live(ids[-1] + 101))
        real_release(self, channel, replayed, floor)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Subscriber, "release", release_after_more_live_events)
        async with client.websocket("/ws") as ws:
            await subscribe(ws, "jobs", since=ids[0])
            got = [e["id"] for e in await events(ws, 4)]
            assert got == [ids[1], ids[2], ids[-1] + 100, ids[-1] + 101]
            await nothing_more(ws)


async def test_resume_from_before_the_window_asks_for_a_reload(app: Quart, client) -> None:
    ids = await append(app, 3)
    async with get_db(app).session_scope() as session:
        await session.execute(
            update(Event)
            .where(Event.id.in_(ids[:2]))
            .values(created_at=utcnow() - RESUME_WINDOW - timedelta(hours=1))
        )
        await session.commit()
    async with client.websocket("/ws") as ws:
        answer = await subscribe(ws, "jobs", since=0)
        assert answer == {
            "type": "subscribed",
            "channel": "jobs",
            "last_id": ids[-1],
            "reload": True,
        }
        await nothing_more(ws)  # no partial history
        hub(app).route(live(ids[-1] + 1))
        [event] = await events(ws, 1)
        assert event["id"] == ids[-1] + 1
    # From inside the window it resumes normally.
    async with client.websocket("/ws") as ws:
        answer = await subscribe(ws, "jobs", since=ids[1])
        assert "reload" not in answer
        assert [e["id"] for e in await events(ws, 1)] == [ids[2]]


async def test_resume_from_the_future_or_now_replays_nothing(app: Quart, client) -> None:
    ids = await append(app, 2)
    async with client.websocket("/ws") as ws:
        for since in (ids[-1], ids[-1] + 1000):
            answer = await subscribe(ws, "jobs", since=since)
            assert answer["last_id"] == ids[-1] and "reload" not in answer
        await nothing_more(ws)


# --- slow clients --------------------------------------------------------------------------


async def test_a_burst_past_the_bound_closes_with_1013(app: Quart, client, small_queues) -> None:
    async with client.websocket("/ws") as ws, client.websocket("/ws") as other:
        await subscribe(ws, "jobs")
        [sub] = subscribers_of(app, "jobs")
        await send(other, type="ping")
        assert await message(other) == {"type": "pong"}
        for event_id in range(1, small_queues + 5):
            hub(app).route(live(event_id))  # no await: the socket gets no chance to send
        assert sub.overflowed and len(sub.pending) == 0
        assert await close_code(ws) == 1013
        await settle()
        assert connection_count(hub(app)) == 0
        # Others are unaffected.
        await send(other, type="ping")
        assert await message(other) == {"type": "pong"}


def _stalled_transport(conn: Socket) -> asyncio.Event:
    """Make the test connection's server→client path block like a full TCP buffer."""
    flowing = asyncio.Event()
    flowing.set()
    deliver = conn._asgi_send  # type: ignore[attr-defined]

    async def send_when_flowing(message: dict[str, Any]) -> None:
        if message["type"] == "websocket.send":
            await flowing.wait()
        await deliver(message)

    conn._asgi_send = send_when_flowing  # type: ignore[attr-defined]
    return flowing


async def test_a_stalled_client_is_cut_off_and_resumes(
    app: Quart, client, admin, small_queues, monkeypatch
) -> None:
    admin_client, _user = admin
    conn = client.websocket("/ws")
    flowing = _stalled_transport(conn)
    async with conn as ws, client.websocket("/ws") as healthy:
        await subscribe(ws, "jobs")
        await subscribe(healthy, "jobs")
        flowing.clear()  # the client stops reading

        created = [(await post_job(admin_client, title=f"job {i}"))["id"] for i in range(8)]
        await settle()
        # The healthy socket got everything, promptly.
        assert [e["data"]["id"] for e in await events(healthy, 8)] == created
        # The stalled one holds no more than its bound, then nothing at all.
        stalled = [s for s in subscribers_of(app, "jobs") if s.overflowed]
        assert len(stalled) == 1 and len(stalled[0].pending) == 0

        flowing.set()  # it reads again: what was in flight, then the close
        got: list[dict[str, Any]] = []
        with pytest.raises(WebsocketDisconnectError) as closed:
            while True:
                got.extend(flatten(await recv(ws)))
        assert closed.value.args[0] == 1013
        assert len(got) <= small_queues
        ids = [e["id"] for e in got]
        assert ids == sorted(ids)

    # Reconnecting with since gets exactly the rest (with the normal bound, as the rest of
    # a burst larger than the small one can't fit in it by construction).
    monkeypatch.setattr(ws_module, "Subscriber", Subscriber)
    since = ids[-1] if ids else 0
    async with client.websocket("/ws") as ws:
        await subscribe(ws, "jobs", since=since)
        rest = await events(ws, 8 - len(got))
        assert [e["data"]["id"] for e in [*got, *rest]] == created
        await nothing_more(ws)


async def test_a_replay_larger_than_the_bound_asks_for_a_reload(
    app: Quart, client, small_queues
) -> None:
    """Otherwise the client would be cut off (1013) and resume from the same id, forever."""
    ids = await append(app, small_queues * 2)
    async with client.websocket("/ws") as ws:
        answer = await subscribe(ws, "jobs", since=0)
        assert answer["reload"] is True and answer["last_id"] == ids[-1]
        await nothing_more(ws)
        hub(app).route(live(ids[-1] + 1))
        assert [e["id"] for e in await events(ws, 1)] == [ids[-1] + 1]
    # A gap that fits is replayed as usual.
    async with client.websocket("/ws") as ws:
        await subscribe(ws, "jobs", since=ids[-3])
        assert [e["id"] for e in await events(ws, 2)] == ids[-2:]


# --- account changes -------------------------------------------------------------------------


async def _set_role(app: Quart, user: User, role: Role) -> None:
    async with get_db(app).session_scope() as session:
        await session.execute(update(User).where(User.id == user.id).values(role=role.value))
        await session.commit()


async def test_a_demoted_admin_loses_uploads(app: Quart, admin) -> None:
    client, user = admin
    async with client.websocket("/ws") as ws:
        await subscribe(ws, "uploads")
        await subscribe(ws, "jobs")
        await _set_role(app, user, Role.USER)
        hub(app).route(live(1, CONTROL_CHANNEL, "auth.changed", user_id=user.id))
        answer = await message(ws)
        assert answer["type"] == "error" and answer["code"] == "forbidden"
        hub(app).route(live(2, "uploads", "upload.progress"))
        hub(app).route(live(3, "jobs"))
        assert [e["id"] for e in await events(ws, 1)] == [3]
        await send(ws, type="subscribe", channel="uploads")
        assert (await message(ws))["code"] == "forbidden"


async def test_an_unchanged_user_keeps_the_socket(app: Quart, admin) -> None:
    client, user = admin
    async with client.websocket("/ws") as ws:
        await subscribe(ws, "uploads")
        hub(app).route(live(1, CONTROL_CHANNEL, "auth.changed", user_id=user.id))
        hub(app).route(live(2, "uploads", "upload.progress"))
        assert [e["id"] for e in await events(ws, 1)] == [2]
        # The re-read account is usable afterwards (subscribing reads it again).
        await subscribe(ws, "me")
        await subscribe(ws, "uploads")
        hub(app).route(live(3, user_channel(user.id), "notification"))
        assert [e["id"] for e in await events(ws, 1)] == [3]


async def test_signing_out_closes_the_users_sockets(app: Quart) -> None:
    client, user = await signed_in_client(app)
    async with client.websocket("/ws") as ws:
        await subscribe(ws, "me")
        response = await client.post("/api/v1/auth/logout", json={})
        assert response.status_code in {200, 204}
        hub(app).route(live(1, CONTROL_CHANNEL, "auth.changed", user_id=user.id))
        assert await close_code(ws) == 1008
