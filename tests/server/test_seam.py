"""portal.server checks, at start-up, the releases and internals it was written against."""

from __future__ import annotations

import logging

import pytest
from hypercorn.asyncio import tcp_server
from quart.wrappers.request import Body

from portal import server
from portal.app import create_app
from portal.config import Settings
from portal.server import bodies, versions, wire


def test_the_installed_releases_are_the_tested_ones() -> None:
    # pyproject.toml pins the same minors: a change to one is a change to both.
    assert versions.untested() == {}


def test_a_release_outside_its_tested_minor_is_reported() -> None:
    tested = {"quart": "0.1", "hypercorn": versions.minor(versions.installed("hypercorn") or "")}
    assert versions.untested(tested) == {"quart": versions.installed("quart")}
    assert versions.untested({"no-such-distribution": "1.0"}) == {
        "no-such-distribution": "not installed"
    }


def test_untested_releases_switch_the_fast_paths_off_loudly(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(server, "untested", lambda: {"hypercorn": "0.99.0"})
    monkeypatch.setattr(tcp_server, "MAX_RECV", 2**16)
    try:
        with caplog.at_level(logging.WARNING, logger="portal.server"):
            app = create_app(settings)
        assert not wire.enabled()
        assert wire.direct_socket(object()) is None
        assert tcp_server.MAX_RECV == 2**16  # Hypercorn's own reads
        assert "fast paths off: hypercorn 0.99.0 installed, tested with hypercorn 0.18.x" in (
            caplog.text
        )
        # Uploads still stream: the bodies do not depend on the fast paths.
        assert app.request_class is bodies.PortalRequest
    finally:
        monkeypatch.undo()
        create_app(settings)
    assert wire.enabled()


def test_tested_releases_switch_the_fast_paths_on(settings: Settings) -> None:
    create_app(settings)
    assert wire.enabled()
    assert tcp_server.MAX_RECV >= bodies.SOCKET_READ_BYTES


def test_a_quart_whose_body_state_moved_refuses_to_start(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Body.__init__

    def without_must_raise(self: Body, *args: object) -> None:
        original(self, *args)  # type: ignore[arg-type]
        del self._must_raise

    monkeypatch.setattr(Body, "__init__", without_must_raise)
    with pytest.raises(RuntimeError, match="missing: _must_raise"):
        create_app(settings)
