"""The pure parts load without the web stack (``portal/__init__.py`` imports nothing)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module",
    ["portal", "portal.recommend.engine", "portal.live.protocol", "portal.events.channels"],
)
def test_a_pure_module_loads_without_the_web_stack(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "web = {'quart', 'sqlalchemy', 'aio_pika'}\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules} & web)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
