"""Fixtures for the media tests: real video files, and the live-server fixtures of the
browser tests (``live_server`` / ``live_server_factory``: ``portal demo`` or ``portal serve``
in a subprocess on a free port), reused here without a browser.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, live_server, live_server_factory

__all__ = ["LiveServer", "live_server", "live_server_factory", "make_video", "sample_video"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # live_server_factory prints the server's log when the test failed: it reads these.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def make_video(path: Path, *, seconds: float = 4, noise: int = 6, size: str = "320x240") -> Path:
    """A real H.264/AAC MP4 made by ffmpeg; ``noise`` makes it bigger (6: ~600 KB for 4 s)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        message = "ffmpeg is not installed: the media tests generate their videos with it"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    subprocess.run(
        [
            ffmpeg,
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=size={size}:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine",
            "-t",
            str(seconds),
            "-vf",
            f"noise=alls={noise}:allf=t",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            str(path),
        ],
        check=True,
        timeout=120,
    )
    return path


@pytest.fixture(scope="session")
def sample_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-second 320x240 MP4 of a few hundred KB, made once per run."""
    return make_video(tmp_path_factory.mktemp("videos") / "training.mp4")
