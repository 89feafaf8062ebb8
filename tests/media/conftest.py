"""Fixtures for the media tests: real video files, the live-server fixtures of the browser
tests (``live_server`` / ``live_server_factory``: ``portal demo`` or ``portal serve`` in a
subprocess on a free port) reused here without a browser, and media consumer processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from portal.config import Settings
from tests.browser.conftest import LiveServer, live_server, live_server_factory

__all__ = [
    "ConsumerProcess",
    "Consumers",
    "LiveServer",
    "consumers",
    "live_server",
    "live_server_factory",
    "make_video",
    "sample_video",
]

REPO = Path(__file__).parent.parent.parent
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


class ConsumerProcess:
    """The media consumer as a deployment runs it, with the test's settings in its
    environment; its own process group (the probe child goes down with it on a kill)."""

    def __init__(self, settings: Settings, log_path: Path, how: str = "module") -> None:
        self.settings = settings
        self.log_path = log_path
        self.command = CONSUMER_COMMANDS[how]
        self.process: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
        env.update(
            PORTAL_ENV=self.settings.env,
            PORTAL_DATA_DIR=str(self.settings.data_dir),
            PORTAL_MEDIA_ROOT=str(self.settings.resolved_media_root),
            PORTAL_DATABASE_URL=self.settings.resolved_database_url,
            PORTAL_SECRET_KEY=self.settings.secret_key or "",
            PORTAL_AMQP_URL=self.settings.amqp_url or "",
            PORTAL_AMQP_PREFIX=self.settings.amqp_prefix,
            PYTHONUNBUFFERED="1",
            PYTHONFAULTHANDLER="1",
        )
        return env

    def start(self) -> ConsumerProcess:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=REPO,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def wait(self, timeout: float = 20.0) -> int:
        assert self.process is not None
        return await asyncio.to_thread(self.process.wait, timeout)

    def kill_now(self) -> None:
        """SIGKILL to its process group: no shutdown, no acks, the connection just drops."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    async def kill(self) -> None:
        await asyncio.to_thread(self.kill_now)

    async def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, as a deployment stops it; the exit status."""
        return await asyncio.to_thread(self.stop_now, timeout)

    def stop_now(self, timeout: float = 20.0) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            # Where it hangs: faulthandler (on in its environment) prints every thread's stack.
            self.process.send_signal(signal.SIGABRT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
            raise AssertionError(
                f"the media consumer ignored SIGTERM for {timeout} s\n{self.log()[-6000:]}"
            ) from None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Consumers:
    """Media consumer processes started by a test; ``spawn(settings)`` starts one."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[ConsumerProcess] = []

    def spawn(self, settings: Settings, how: str = "module") -> ConsumerProcess:
        log_path = self.folder / f"consumer-{len(self.started)}.log"
        consumer = ConsumerProcess(settings, log_path, how)
        self.started.append(consumer)
        return consumer.start()

    def kill_all(self) -> None:
        for consumer in self.started:
            consumer.kill_now()


@pytest.fixture
def consumers(tmp_path: Path) -> Iterator[Consumers]:
    """Start media consumers with ``consumers.spawn(settings)``; any still running at the end
    is killed."""
    started = Consumers(tmp_path)
    try:
        yield started
    finally:
        started.kill_all()
