"""``portal demo`` and ``portal serve`` on an address something else already listens on."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal.cli import main


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another program listens on for the test's length."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize("command", [["demo"], ["serve", "--workers", "1"]])
def test_a_taken_port_is_one_line_and_a_failure(
    command: list[str], taken_port: int, tmp_path: Path
) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        [*command, "--bind", f"127.0.0.1:{taken_port}"],
        env={"PORTAL_DATA_DIR": str(tmp_path / "data"), "PORTAL_ENV": "development"},
    )
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "running" not in result.output and "admin:" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        f"Error: 127.0.0.1:{taken_port} is already in use (another Portal or another program "
        "listens there): stop it, or choose another address with --bind HOST:PORT"
    ]
    # Nothing was started on the way: no schema, no demo data.
    assert not (tmp_path / "data" / "portal.db").exists()
