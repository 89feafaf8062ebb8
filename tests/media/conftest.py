"""Fixtures for the media tests: real video files, the live-server fixtures of the browser
tests (``live_server`` / ``live_server_factory``: ``portal demo`` or ``portal serve`` in a
subprocess on a free port) reused here without a browser, and media consumer processes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from portal.config import Settings
from tests.browser.conftest import LiveServer, live_server, live_server_factory
from tests.utils.consumers import ConsumerProcess, Consumers, running_consumers

__all__ = [
    "ConsumerProcess",
    "Consumers",
    "LiveServer",
    "consumers",
    "live_server",
    "live_server_factory",
    "make_video",
    "media_consumer",
    "sample_video",
]

# Both ways a deployment starts the media consumer.
CONSUMER_COMMANDS = {
    "module": [sys.executable, "-m", "consumers.media"],
    "cli": [str(Path(sys.executable).with_name("portal")), "consumer", "media"],
}


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


def media_consumer(settings: Settings, log_path: Path, how: str = "module") -> ConsumerProcess:
    """The media consumer as a deployment runs it (``how``: a key of ``CONSUMER_COMMANDS``),
    under the test's media root; faulthandler on, for where it hangs."""
    return ConsumerProcess(
        settings,
        log_path,
        CONSUMER_COMMANDS[how],
        name="the media consumer",
        extra_env={
            "PORTAL_MEDIA_ROOT": str(settings.resolved_media_root),
            "PYTHONFAULTHANDLER": "1",
        },
    )


@pytest.fixture
def consumers(tmp_path: Path) -> Iterator[Consumers]:
    """Start media consumers with ``consumers.spawn(settings)`` (``how="cli"``: through
    ``portal consumer media``); any still running at the end is killed."""
    with running_consumers(tmp_path, media_consumer) as started:
        yield started
