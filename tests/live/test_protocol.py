"""The websocket protocol's pure half: parsing client frames and building server frames."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.live.protocol import (
    CHANNELS,
    MAX_FRAME_BYTES,
    PONG,
    Ping,
    ProtocolError,
    Subscribe,
    Unsubscribe,
    batch_frame,
    error_frame,
    event_frame,
    parse_client_frame,
    subscribed_frame,
    unsubscribed_frame,
)


def frame(**message: Any) -> str:
    return json.dumps(message)


def error_code(raw: str | bytes) -> str:
    with pytest.raises(ProtocolError) as caught:
        parse_client_frame(raw)
    assert caught.value.message
    assert str(caught.value) == caught.value.message
    return caught.value.code


# --- valid frames ------------------------------------------------------------------------


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_subscribe_without_since(channel: str) -> None:
    assert parse_client_frame(frame(type="subscribe", channel=channel)) == Subscribe(channel)
    assert parse_client_frame(frame(type="subscribe", channel=channel)).since is None


@pytest.mark.parametrize("since", [0, 1, 123, 2**63 - 1])
def test_subscribe_with_since(since: int) -> None:
    parsed = parse_client_frame(frame(type="subscribe", channel="jobs", since=since))
    assert parsed == Subscribe("jobs", since)


def test_subscribe_with_null_since_is_no_since() -> None:
    parsed = parse_client_frame(frame(type="subscribe", channel="jobs", since=None))
    assert parsed == Subscribe("jobs", None)


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_unsubscribe(channel: str) -> None:
    assert parse_client_frame(frame(type="unsubscribe", channel=channel)) == Unsubscribe(channel)


def test_ping() -> None:
    assert parse_client_frame('{"type": "ping"}') == Ping()


def test_extra_fields_and_whitespace_are_tolerated() -> None:
    raw = ' \n{"type": "subscribe", "channel": "me", "since": 5, "extra": [1, 2]}\t'
    assert parse_client_frame(raw) == Subscribe("me", 5)
    assert parse_client_frame('{"type": "ping", "channel": 42}') == Ping()


def test_a_frame_of_exactly_the_limit_is_accepted() -> None:
    head = '{"type": "ping", "pad": "'
    raw = head + "x" * (MAX_FRAME_BYTES - len(head) - 2) + '"}'
    assert len(raw) == MAX_FRAME_BYTES
    assert parse_client_frame(raw) == Ping()


# --- malformed frames --------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not json",
        "{",
        '{"type": "ping"',
        "{'type': 'ping'}",
        '{"type": "ping"} trailing',
        "NaN ]",
        "[" * 4000,  # deeper than Python's stack: RecursionError, not a crashed socket
        '{"a":' * 1300 + "1" + "}" * 1300,
    ],
)
def test_malformed_json_is_bad_request(raw: str) -> None:
    assert error_code(raw) == "bad_request"


@pytest.mark.parametrize("raw", ["[]", '["ping"]', '"ping"', "42", "null", "true", "1.5"])
def test_non_object_is_bad_request(raw: str) -> None:
    assert error_code(raw) == "bad_request"


@pytest.mark.parametrize("raw", [b'{"type": "ping"}', b"", b"\xff\xfe"])
def test_binary_frames_are_bad_request(raw: bytes) -> None:
    assert error_code(raw) == "bad_request"


def test_oversize_frame_is_bad_request() -> None:
    raw = json.dumps({"type": "ping", "pad": "x" * MAX_FRAME_BYTES})
    assert len(raw) > MAX_FRAME_BYTES
    assert error_code(raw) == "bad_request"


def test_oversize_frame_is_refused_before_parsing() -> None:
    # Not JSON at all, yet the answer is about the size: no parser time spent on it.
    with pytest.raises(ProtocolError) as caught:
        parse_client_frame("[" * (MAX_FRAME_BYTES + 1))
    assert str(MAX_FRAME_BYTES) in caught.value.message


@pytest.mark.parametrize(
    "message",
    [
        {},
        {"type": "publish", "channel": "jobs"},
        {"type": "SUBSCRIBE", "channel": "jobs"},
        {"type": "pong"},
        {"type": None, "channel": "jobs"},
        {"type": 1, "channel": "jobs"},
        {"type": ["subscribe"], "channel": "jobs"},
        {"channel": "jobs"},
    ],
)
def test_unknown_type_is_bad_request(message: dict[str, Any]) -> None:
    assert error_code(json.dumps(message)) == "bad_request"


@pytest.mark.parametrize("kind", ["subscribe", "unsubscribe"])
@pytest.mark.parametrize("channel", ["", None, 1, 1.5, True, ["jobs"], {"name": "jobs"}])
def test_missing_empty_or_non_string_channel_is_bad_request(kind: str, channel: Any) -> None:
    assert error_code(frame(type=kind, channel=channel)) == "bad_request"


@pytest.mark.parametrize("kind", ["subscribe", "unsubscribe"])
def test_missing_channel_is_bad_request(kind: str) -> None:
    assert error_code(frame(type=kind)) == "bad_request"


@pytest.mark.parametrize("kind", ["subscribe", "unsubscribe"])
@pytest.mark.parametrize(
    "channel", ["JOBS", "job", "control", "user:1", "user:me", " jobs", "uploads/", "x" * 300]
)
def test_unknown_channel(kind: str, channel: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_client_frame(frame(type=kind, channel=channel))
    assert caught.value.code == "unknown_channel"
    # The echo of a client's string is cut short.
    assert len(caught.value.message) < 80


@pytest.mark.parametrize(
    "since", [-1, -(2**70), 1.5, 0.0, 7.0, True, False, "5", "", [5], {"id": 5}, 2**63, 10**30]
)
def test_bad_since_is_bad_request(since: Any) -> None:
    assert error_code(frame(type="subscribe", channel="jobs", since=since)) == "bad_request"


def test_since_is_checked_after_the_channel() -> None:
    # An unknown channel wins over a bad since: the client has the wrong idea of the channel.
    raw = frame(type="subscribe", channel="nope", since=-1)
    assert error_code(raw) == "unknown_channel"


def test_unsubscribe_ignores_since() -> None:
    parsed = parse_client_frame(frame(type="unsubscribe", channel="jobs", since="whatever"))
    assert parsed == Unsubscribe("jobs")


# --- properties --------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)

plausible_messages = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["subscribe", "unsubscribe", "ping", "pong", ""]) | json_values,
        "channel": st.sampled_from([*sorted(CHANNELS), "", "control", "user:1"]) | json_values,
        "since": st.integers(min_value=-(2**70), max_value=2**70) | json_values,
    },
)


def _parse_or_protocol_error(raw: str | bytes) -> None:
    try:
        result = parse_client_frame(raw)
    except ProtocolError as error:
        assert error.code in {"bad_request", "unknown_channel"}
        assert isinstance(error.message, str) and error.message
    else:
        assert isinstance(result, Subscribe | Unsubscribe | Ping)


@given(st.text(max_size=MAX_FRAME_BYTES + 50))
def test_any_text_parses_or_raises_protocol_error(raw: str) -> None:
    _parse_or_protocol_error(raw)


@given(st.binary(max_size=64))
def test_any_bytes_raise_protocol_error(raw: bytes) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_client_frame(raw)
    assert caught.value.code == "bad_request"


@given(json_values)
def test_any_json_value_parses_or_raises_protocol_error(value: Any) -> None:
    _parse_or_protocol_error(json.dumps(value))


@given(plausible_messages)
def test_any_message_parses_to_what_it_says_or_raises(message: dict[str, Any]) -> None:
    raw = json.dumps(message)
    try:
        result = parse_client_frame(raw)
    except ProtocolError:
        return
    if isinstance(result, Ping):
        assert message["type"] == "ping"
        return
    assert result.channel == message["channel"] and result.channel in CHANNELS
    if isinstance(result, Subscribe):
        assert message["type"] == "subscribe"
        since = message.get("since")
        assert result.since == since
        assert since is None or (type(since) is int and 0 <= since < 2**63)
    else:
        assert message["type"] == "unsubscribe"


@given(
    st.sampled_from(sorted(CHANNELS)),
    st.one_of(st.none(), st.integers(min_value=0, max_value=2**63 - 1)),
)
def test_valid_subscribe_round_trips(channel: str, since: int | None) -> None:
    message: dict[str, Any] = {"type": "subscribe", "channel": channel}
    if since is not None:
        message["since"] = since
    assert parse_client_frame(json.dumps(message)) == Subscribe(channel, since)


# --- server frames -----------------------------------------------------------------------


def test_event_frame_is_compact_json_starting_with_its_type() -> None:
    raw = event_frame("jobs", 457, "job.created", {"id": 1, "title": "Köchin 厨师"}, "2024-01-02")
    # ws.py relies on this prefix to tell event frames from the others without parsing.
    assert raw.startswith('{"type":"event"')
    assert ", " not in raw and '": ' not in raw
    assert "Köchin 厨师" in raw  # not \u-escaped: fewer bytes on the wire
    assert json.loads(raw) == {
        "type": "event",
        "channel": "jobs",
        "id": 457,
        "event": "job.created",
        "data": {"id": 1, "title": "Köchin 厨师"},
        "at": "2024-01-02",
    }


@given(
    st.sampled_from(sorted(CHANNELS)),
    st.integers(min_value=1, max_value=2**63 - 1),
    st.text(min_size=1, max_size=30),
    json_values,
    st.text(max_size=30),
)
def test_event_frame_round_trips(
    channel: str, event_id: int, kind: str, data: Any, at: str
) -> None:
    raw = event_frame(channel, event_id, kind, data, at)
    assert raw.startswith('{"type":"event"')
    parsed = json.loads(raw)
    assert parsed == {
        "type": "event",
        "channel": channel,
        "id": event_id,
        "event": kind,
        "data": data,
        "at": at,
    }


def test_batch_frame_keeps_the_order() -> None:
    frames = [event_frame("jobs", i, "job.updated", {"n": i}, "t") for i in (3, 1, 2)]
    parsed = json.loads(batch_frame(frames))
    assert parsed["type"] == "batch"
    assert list(parsed) == ["type", "messages"]
    assert [m["id"] for m in parsed["messages"]] == [3, 1, 2]
    assert parsed["messages"] == [json.loads(f) for f in frames]


@given(st.lists(st.tuples(st.integers(min_value=1), json_values), max_size=20))
def test_batch_frame_is_valid_json_of_its_frames(items: list[tuple[int, Any]]) -> None:
    frames = [event_frame("me", i, "notification", data, "at") for i, data in items]
    assert json.loads(batch_frame(frames)) == {
        "type": "batch",
        "messages": [json.loads(f) for f in frames],
    }


def test_other_server_frames() -> None:
    assert json.loads(PONG) == {"type": "pong"}
    assert json.loads(error_frame("forbidden", "no")) == {
        "type": "error",
        "code": "forbidden",
        "message": "no",
    }
    assert json.loads(subscribed_frame("jobs", 456)) == {
        "type": "subscribed",
        "channel": "jobs",
        "last_id": 456,
    }
    assert json.loads(subscribed_frame("jobs", 456, reload=True)) == {
        "type": "subscribed",
        "channel": "jobs",
        "last_id": 456,
        "reload": True,
    }
    assert json.loads(unsubscribed_frame("me")) == {"type": "unsubscribed", "channel": "me"}
    # None of them can be mistaken for an event frame by its prefix.
    for raw in (PONG, error_frame("x", "y"), subscribed_frame("jobs", 1), unsubscribed_frame("me")):
        assert not raw.startswith('{"type":"event"')
