"""The per-process hub and its subscribers: routing, deduplication, bounds, replay hand-over."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from portal.events.channels import CONTROL as CONTROL_CHANNEL
from portal.events.channels import browser_name as public_channel
from portal.live.hub import (
    DEFAULT_MAX_PENDING,
    DEFAULT_MAX_PENDING_BYTES,
    PING_SECONDS,
    STALL_SECONDS,
    Hub,
    LiveEvent,
    Subscriber,
)
from portal.live.protocol import PING_FRAME
from portal.live.sequence import MAX_WAITING
from tests.utils.live import connection_count, subscriber_count


def ev(event_id: int, channel: str = "jobs", kind: str = "job.created", **data: Any) -> LiveEvent:
    return LiveEvent(
        id=event_id, channel=channel, type=kind, data=data or {"n": event_id}, at="2024-05-01"
    )


def ids(sub: Subscriber) -> list[int]:
    """The event ids queued for ``sub`` (drained), checking each frame is an event."""
    frames = [json.loads(f) for f in sub.drain()]
    assert all(f["type"] == "event" for f in frames), frames
    return [f["id"] for f in frames]


def joined(hub: Hub, channel: str, user_id: int | None = None, **kwargs: Any) -> Subscriber:
    sub = Subscriber(user_id=user_id, **kwargs)
    hub.connect(sub)
    hub.subscribe(sub, channel)
    return sub


# --- LiveEvent ---------------------------------------------------------------------------


def test_frame_is_the_contract_event_frame() -> None:
    event = ev(7, kind="job.updated", title="x")
    assert json.loads(event.frame) == {
        "type": "event",
        "channel": "jobs",
        "id": 7,
        "event": "job.updated",
        "data": {"title": "x"},
        "at": "2024-05-01",
    }


def test_user_channel_is_me_to_browsers() -> None:
    assert public_channel("user:42") == "me"
    assert public_channel("jobs") == "jobs"
    assert public_channel("uploads") == "uploads"
    assert json.loads(ev(1, "user:42", "notification").frame)["channel"] == "me"


def test_message_round_trip() -> None:
    event = ev(9, "user:3", "notification", text="hi")
    again = LiveEvent.from_wire(json.loads(json.dumps(event.to_wire())))
    assert again.to_wire() == event.to_wire()
    assert again.frame == event.frame


def test_from_message_coerces_and_defaults() -> None:
    event = LiveEvent.from_wire({"id": "12", "channel": "jobs", "type": "job.deleted"})
    assert (event.id, event.channel, event.type, event.data, event.at) == (
        12,
        "jobs",
        "job.deleted",
        None,
        "",
    )


@pytest.mark.parametrize("message", [{}, {"id": 1}, {"id": "x", "channel": "a", "type": "b"}])
def test_from_message_rejects_malformed(message: dict[str, Any]) -> None:
    with pytest.raises((KeyError, TypeError, ValueError)):
        LiveEvent.from_wire(message)


# --- routing -----------------------------------------------------------------------------


def test_events_go_only_to_subscribers_of_their_channel() -> None:
    hub = Hub()
    jobs = joined(hub, "jobs")
    uploads = joined(hub, "uploads")
    both = joined(hub, "jobs")
    hub.subscribe(both, "uploads")
    idle = Subscriber()
    hub.connect(idle)

    hub.route(ev(1, "jobs"))
    hub.route(ev(2, "uploads", "upload.progress"))
    hub.route(ev(3, "nobody-listens"))

    assert ids(jobs) == [1]
    assert ids(uploads) == [2]
    assert ids(both) == [1, 2]
    assert ids(idle) == []
    assert subscriber_count(hub, "jobs") == 2
    assert subscriber_count(hub, "uploads") == 2
    assert subscriber_count(hub, "nobody-listens") == 0
    assert connection_count(hub) == 3


def test_user_events_go_only_to_that_user_and_say_me() -> None:
    hub = Hub()
    alice = joined(hub, "user:1", user_id=1)
    alice_other_tab = joined(hub, "user:1", user_id=1)
    bob = joined(hub, "user:2", user_id=2)
    anonymous_jobs = joined(hub, "jobs")

    hub.route(ev(5, "user:1", "notification", text="for alice"))

    for sub in (alice, alice_other_tab):
        [frame] = [json.loads(f) for f in sub.drain()]
        assert frame["channel"] == "me"
        assert frame["data"] == {"text": "for alice"}
    assert bob.drain() == []
    assert anonymous_jobs.drain() == []


def test_frames_are_encoded_once_per_event() -> None:
    hub = Hub()
    subs = [joined(hub, "jobs") for _ in range(50)]
    event = ev(1)
    hub.route(event)
    frames = [sub.drain() for sub in subs]
    assert all(len(f) == 1 for f in frames)
    first = frames[0][0]
    assert all(f[0] is first for f in frames)  # the same str object, not equal copies
    assert event.frame is first


def test_unsubscribe_stops_delivery() -> None:
    hub = Hub()
    sub = joined(hub, "jobs")
    hub.subscribe(sub, "uploads")
    hub.unsubscribe(sub, "jobs")
    hub.unsubscribe(sub, "jobs")  # twice is harmless
    hub.unsubscribe(sub, "never")
    hub.route(ev(1, "jobs"))
    hub.route(ev(2, "uploads"))
    assert ids(sub) == [2]
    assert sub.channels == {"uploads"}
    assert subscriber_count(hub, "jobs") == 0


def test_disconnect_removes_from_every_channel() -> None:
    hub = Hub()
    sub = joined(hub, "jobs", user_id=4)
    hub.subscribe(sub, "uploads")
    hub.subscribe(sub, "user:4")
    other = joined(hub, "jobs")
    hub.disconnect(sub)
    hub.disconnect(sub)  # idempotent

    for event in (ev(1, "jobs"), ev(2, "uploads"), ev(3, "user:4")):
        hub.route(event)
    assert ids(sub) == []
    assert ids(other) == [1]
    assert sub.channels == set()
    assert subscriber_count(hub, "uploads") == 0
    assert subscriber_count(hub, "user:4") == 0
    assert connection_count(hub) == 1
    # Nothing left behind for the user either: a control event finds nobody.
    hub.route(ev(4, CONTROL_CHANNEL, "auth.changed", user_id=4))
    assert not sub.auth_changed
    assert hub._channels.keys() == {"jobs"}
    assert hub._users == {}


def test_dispatch_tolerates_subscribe_changes_during_delivery() -> None:
    hub = Hub()

    class Leaving(Subscriber):
        def offer(self, event: LiveEvent) -> None:
            super().offer(event)
            hub.disconnect(self)

    leaving = Leaving()
    hub.subscribe(leaving, "jobs")
    staying = joined(hub, "jobs")
    hub.route(ev(1))
    hub.route(ev(2))
    assert ids(leaving) == [1]
    assert ids(staying) == [1, 2]


# --- deduplication -----------------------------------------------------------------------


def test_hub_drops_an_id_it_has_seen() -> None:
    hub = Hub()
    sub = joined(hub, "jobs")
    hub.dispatch(ev(1))
    hub.dispatch(ev(1))
    hub.dispatch(LiveEvent(id=1, channel="jobs", type="job.updated", data={}, at=""))
    hub.dispatch(ev(2))
    assert ids(sub) == [1, 2]


def test_a_late_lower_id_is_delivered_in_order_not_dropped() -> None:
    # Events reach the bus in publish order, not id order (concurrent commits, the relay's
    # backlog). A browser dropping ids below the last it saw would lose the late one: the hub
    # holds the higher ids until the lower arrive, so every socket sees ids in order.
    hub = Hub()
    sub = joined(hub, "jobs")
    for event_id in (1, 2, 2, 1, 5, 3, 3):
        hub.dispatch(ev(event_id, "quiet" if event_id == 4 else "jobs"))
    assert ids(sub) == [1, 2, 3]
    assert hub.sequence.waiting == 1 and hub.sequence.gap_since is not None
    hub.dispatch(ev(4, "quiet"))  # another channel's event fills the gap
    assert ids(sub) == [5]
    assert hub.sequence.gap_since is None


def test_a_gap_the_bus_never_fills_is_filled_from_the_log() -> None:
    hub = Hub()
    sub = joined(hub, "jobs")
    gaps: list[int] = []
    hub.on_gap = lambda: gaps.append(hub.sequence.position or 0)
    hub.dispatch(ev(1))
    hub.dispatch(ev(4))
    hub.dispatch(ev(6))
    assert ids(sub) == [1] and gaps == [1]  # one call per gap, not per waiting event
    # The log has 2 and 4 (3 was rolled back: a hole) up to 4; 5 and 6 are not settled yet.
    hub.fill([ev(2), ev(4)], through=4)
    assert ids(sub) == [2, 4]
    hub.fill([ev(5), ev(6), ev(7)], through=7)
    assert ids(sub) == [5, 6, 7]
    hub.dispatch(ev(6))
    hub.dispatch(ev(7))  # the bus's late copies
    hub.dispatch(ev(8))
    assert ids(sub) == [8]


def test_released_events_reach_the_listener_in_order() -> None:
    hub = Hub()
    heard: list[int] = []
    hub.on_release = lambda event: heard.append(event.id)
    for event_id in (2, 3, 1):
        hub.dispatch(ev(event_id))
    assert heard == [1, 2, 3]


def test_events_wait_until_the_start_position_is_known() -> None:
    hub = Hub(position=None)
    sub = joined(hub, "jobs")
    hub.dispatch(ev(11))
    hub.dispatch(ev(12))
    hub.dispatch(ev(9))
    assert ids(sub) == []
    hub.start_at(10)  # the log stood at 10 when the worker started: 9 is old news
    assert ids(sub) == [11, 12]


def test_a_gap_that_cannot_be_filled_asks_every_socket_to_resume() -> None:
    hub = Hub()
    sub = joined(hub, "jobs")
    hub.dispatch(ev(1))
    for event_id in range(3, 3 + MAX_WAITING + 1):
        hub.dispatch(ev(event_id, "quiet"))
    assert sub.overflowed and sub.ready  # its sender closes it with 1013: resume with since
    assert hub.sequence.waiting == 0 and hub.sequence.position == 2 + MAX_WAITING + 1
    hub.dispatch(ev(3 + MAX_WAITING + 1, "quiet"))
    assert hub.sequence.gap_since is None


def test_a_replayed_id_is_not_sent_again_when_its_live_copy_comes_later() -> None:
    # The replay read the log up to 7 while the hub had released only up to 5: 6 and 7 come
    # through the hub after the hand-over, and must not reach the socket twice.
    hub = Hub()
    for event_id in range(1, 6):
        hub.dispatch(ev(event_id))
    sub = Subscriber()
    hub.connect(sub)
    sub.hold("jobs")
    hub.subscribe(sub, "jobs")
    sub.release("jobs", [ev(4), ev(5), ev(6), ev(7)], floor=3)
    assert ids(sub) == [4, 5, 6, 7]
    for event_id in (6, 7, 8):
        hub.dispatch(ev(event_id))
    assert ids(sub) == [8]
    assert sub.floors is None  # the check ends with the first event past the replay


# --- bounded queues ----------------------------------------------------------------------


def test_default_bound() -> None:
    assert Subscriber().max_pending == DEFAULT_MAX_PENDING


def test_the_queue_is_bounded_in_size_too() -> None:
    """A few large events overflow it long before the count bound: a stalled socket on a
    channel of large events must not hold megabytes."""
    sub = Subscriber(max_pending=1000, max_pending_bytes=10_000)
    for _ in range(3):
        sub.push("x" * 3000)
    assert len(sub.pending) == 3 and sub.pending_bytes == 9000 and not sub.overflowed
    assert not sub.room_for(["y" * 1001]) and sub.room_for(["y" * 1000])
    sub.push("x" * 3000)
    assert sub.overflowed and sub.pending == [] and sub.pending_bytes == 0
    assert Subscriber().max_pending_bytes == DEFAULT_MAX_PENDING_BYTES


def test_overflow_marks_the_subscriber_and_frees_its_queue() -> None:
    hub = Hub()
    slow = joined(hub, "jobs", max_pending=3)
    for i in range(1, 4):
        hub.route(ev(i))
    assert len(slow.pending) == 3 and not slow.overflowed
    hub.route(ev(4))
    assert slow.overflowed
    assert len(slow.pending) == 0
    # Once overflowed, nothing more is kept.
    for i in range(5, 50):
        hub.route(ev(i))
    slow.push('{"type":"pong"}')
    assert len(slow.pending) == 0
    assert slow.overflowed


async def test_overflow_wakes_the_sender() -> None:
    slow = Subscriber(max_pending=1)
    slow.push("a")
    slow.drain()
    waiter = asyncio.create_task(slow.wait())
    await asyncio.sleep(0)
    assert not waiter.done()
    slow.push("a")
    slow._ready = False  # pretend the sender has not looked yet
    slow.push("b")  # past the bound
    await asyncio.wait_for(waiter, 1)
    assert slow.overflowed


def test_one_stalled_subscriber_among_a_thousand_does_not_affect_the_rest() -> None:
    hub = Hub()
    stalled = joined(hub, "jobs", max_pending=5)
    healthy = [joined(hub, "jobs", max_pending=5) for _ in range(1000)]
    for round_start in range(1, 41, 4):
        for event_id in range(round_start, round_start + 4):
            hub.route(ev(event_id))
        for sub in healthy:  # the healthy ones keep up; the stalled one never reads
            assert ids(sub) == list(range(round_start, round_start + 4))
            assert not sub.overflowed
    assert stalled.overflowed
    assert len(stalled.pending) == 0
    assert subscriber_count(hub, "jobs") == 1001


# --- replay hand-over --------------------------------------------------------------------


def test_hold_and_release_deliver_replay_and_held_once_each_in_order() -> None:
    hub = Hub()
    sub = Subscriber()
    hub.connect(sub)
    sub.hold("jobs")
    hub.subscribe(sub, "jobs")
    # Live events arrive while the history is being read; some overlap with it.
    for event_id in (6, 7, 9):
        hub.route(ev(event_id))
    assert sub.drain() == []  # held, not yet queued
    sub.push('{"type":"subscribed"}')
    sub.release("jobs", [ev(4), ev(5), ev(6), ev(7)])
    frames = sub.drain()
    assert json.loads(frames[0]) == {"type": "subscribed"}
    assert [json.loads(f)["id"] for f in frames[1:]] == [4, 5, 6, 7, 9]
    # After the hand-over, live events flow again.
    hub.route(ev(10))
    assert ids(sub) == [10]


def test_hold_only_affects_its_channel() -> None:
    sub = Subscriber()
    sub.hold("jobs")
    sub.offer(ev(1, "jobs"))
    sub.offer(ev(2, "uploads"))
    assert ids(sub) == [2]
    sub.release("jobs", [])
    assert ids(sub) == [1]


def test_release_without_hold_and_empty_release() -> None:
    sub = Subscriber()
    sub.release("jobs", [ev(2), ev(1)])
    assert ids(sub) == [1, 2]
    sub.hold("jobs")
    sub.release("jobs", [])
    assert ids(sub) == []


def test_held_events_at_or_below_the_floor_are_dropped() -> None:
    # Resubscribing with since=3: the replay starts after 3, and live events that arrived
    # meanwhile with ids the client already has are not sent again.
    sub = Subscriber()
    sub.hold("jobs")
    for event_id in (2, 3, 5):
        sub.offer(ev(event_id))
    sub.release("jobs", [ev(4)], floor=3)
    assert ids(sub) == [4, 5]


def test_release_respects_the_bound() -> None:
    sub = Subscriber(max_pending=3)
    sub.hold("jobs")
    sub.release("jobs", [ev(i) for i in range(1, 10)])
    assert sub.overflowed and len(sub.pending) == 0


# --- control channel ---------------------------------------------------------------------


async def test_auth_changed_marks_the_users_subscribers_only() -> None:
    hub = Hub()
    alice_tabs = [joined(hub, "jobs", user_id=1) for _ in range(2)]
    alice_idle = Subscriber(user_id=1)  # connected, subscribed to nothing yet
    hub.connect(alice_idle)
    bob = joined(hub, "jobs", user_id=2)
    anonymous = joined(hub, "jobs")

    waiter = asyncio.create_task(alice_idle.wait())
    hub.route(ev(1, CONTROL_CHANNEL, "auth.changed", user_id=1))
    await asyncio.wait_for(waiter, 1)

    assert all(s.auth_changed for s in [*alice_tabs, alice_idle])
    assert not bob.auth_changed and not anonymous.auth_changed
    # Control events are never forwarded to anyone.
    assert all(s.drain() == [] for s in [*alice_tabs, alice_idle, bob, anonymous])


@pytest.mark.parametrize(
    "event",
    [
        ev(1, CONTROL_CHANNEL, "auth.changed", user_id=99),
        ev(1, CONTROL_CHANNEL, "something.else", user_id=1),
        LiveEvent(id=1, channel=CONTROL_CHANNEL, type="auth.changed", data=None, at=""),
        LiveEvent(id=1, channel=CONTROL_CHANNEL, type="auth.changed", data=[1], at=""),
    ],
)
def test_other_control_events_change_nothing(event: LiveEvent) -> None:
    hub = Hub()
    sub = joined(hub, "jobs", user_id=1)
    hub.subscribe(sub, CONTROL_CHANNEL)  # even a (wrong) subscription gets nothing
    hub.route(event)
    assert not sub.auth_changed
    assert sub.drain() == []


def test_control_events_are_deduplicated_too() -> None:
    hub = Hub()
    sub = joined(hub, "jobs", user_id=1)
    hub.dispatch(ev(1, CONTROL_CHANNEL, "auth.changed", user_id=1))
    sub.auth_changed = False
    hub.dispatch(ev(1, CONTROL_CHANNEL, "auth.changed", user_id=1))
    assert not sub.auth_changed


# --- waking the sender -------------------------------------------------------------------


async def test_wait_returns_when_something_is_queued_and_drain_rearms() -> None:
    hub = Hub()
    sub = joined(hub, "jobs")
    waiter = asyncio.create_task(sub.wait())
    await asyncio.sleep(0)
    assert not waiter.done()
    hub.route(ev(1))
    await asyncio.wait_for(waiter, 1)
    assert ids(sub) == [1]
    again = asyncio.create_task(sub.wait())
    await asyncio.sleep(0.01)
    assert not again.done()  # drained: nothing to send
    again.cancel()
    with pytest.raises(asyncio.CancelledError):
        await again


def test_the_sweep_cuts_off_a_socket_whose_send_is_blocked() -> None:
    hub = Hub()
    stalled, healthy = Subscriber(), Subscriber()
    for sub in (stalled, healthy):
        hub.subscribe(sub, "jobs")
    cancelled: list[bool] = []
    stalled.cancel_send = lambda: cancelled.append(True)
    stalled.sending_since = 100.0
    healthy.sending_since = 125.0
    assert hub.sweep_stalled(now=131.0, limit=30.0) == 1
    assert cancelled == [True]
    assert stalled.overflowed and not healthy.overflowed


class Writer:
    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def write(self, frame: bytes) -> bool:
        self.frames.append(frame)
        return True

    def abort(self) -> None:
        pass


def test_every_socket_is_pinged_with_or_without_a_fast_path() -> None:
    hub = Hub()
    fast, plain, busy = Subscriber(), Subscriber(), Subscriber()
    fast.direct = Writer()
    for sub in (fast, plain, busy):
        hub.connect(sub)
    busy.push("queued already")
    hub.sweep_stalled(now=0.0, limit=STALL_SECONDS)
    hub.sweep_stalled(now=PING_SECONDS, limit=STALL_SECONDS)
    assert fast.direct.frames == [PING_FRAME]
    # Quart cannot send a ping control frame: a keepalive message is traffic all the same.
    assert [json.loads(frame) for frame in plain.drain()] == [{"type": "keepalive"}]
    # A socket with frames on their way needs no keepalive.
    assert busy.drain() == ["queued already"]
