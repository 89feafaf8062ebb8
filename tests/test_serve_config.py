"""``portal serve``'s Hypercorn settings are built in (``SERVE_DEFAULTS``): an installed wheel
run outside the checkout serves with them, and the repository's hypercorn.toml only restates
them (and overrides, where someone edits it)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypercorn.config import Config as HypercornConfig

from portal.cli import SERVE_DEFAULTS, PortalConfig, _hypercorn_config

REPO = Path(__file__).parent.parent


def test_every_key_in_hypercorn_toml_is_the_built_in_default() -> None:
    with (REPO / "hypercorn.toml").open("rb") as file:
        values = tomllib.load(file)
    assert values, "hypercorn.toml was read"
    assert dict(values) == dict(SERVE_DEFAULTS)
    built_in = PortalConfig()
    for key, value in values.items():
        assert getattr(built_in, key) == value, key


def test_without_a_toml_file_serve_uses_the_built_in_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = _hypercorn_config(None, None, None)
    assert config.websocket_max_message_size == 65536
    assert config.keep_alive_timeout == 20
    assert config.graceful_timeout == 10
    assert config.h11_max_incomplete_size == 16384
    assert config.websocket_ping_interval is None
    assert config.bind == ["127.0.0.1:8000"]
    assert config.workers == 2
    assert config.worker_class == "asyncio"
    assert (config.accesslog, config.errorlog, config.loglevel) == ("-", "-", "INFO")
    # Not Hypercorn's own (16 MiB messages, 5 s keep-alive, 3 s graceful stop, no access log,
    # one worker), which is what an installed wheel used to fall back to.
    hypercorn = HypercornConfig()
    for key in (
        "websocket_max_message_size",
        "keep_alive_timeout",
        "graceful_timeout",
        "accesslog",
        "workers",
    ):
        assert getattr(config, key) != getattr(hypercorn, key), key


def test_a_toml_file_overrides_only_what_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hypercorn.toml").write_text("keep_alive_timeout = 7\n")
    config = _hypercorn_config(None, None, None)
    assert config.keep_alive_timeout == 7
    assert config.websocket_max_message_size == 65536
    assert config.graceful_timeout == 10
    other = tmp_path / "other.toml"
    other.write_text('bind = ["127.0.0.1:9000"]\nworkers = 3\n')
    config = _hypercorn_config(None, None, str(other))
    assert (config.bind, config.workers, config.keep_alive_timeout) == (["127.0.0.1:9000"], 3, 20)
    # The command's options win over both.
    config = _hypercorn_config("127.0.0.1:0", 1, str(other))
    assert (config.bind, config.workers) == (["127.0.0.1:0"], 1)


def test_built_in_lists_are_not_shared_between_configs() -> None:
    first = PortalConfig()
    first.bind.append("127.0.0.1:1")
    assert PortalConfig().bind == ["127.0.0.1:8000"]
