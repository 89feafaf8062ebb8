"""Browser fixtures: a live Portal server process, and Chromium driven by Playwright.

``live_server`` runs ``portal demo --bind 127.0.0.1:<free port>`` in a subprocess, as a user
would, against this test's own migrated SQLite copy (the ``settings`` fixture of
tests/conftest.py). Users, jobs and the like are made straight in that database with
``live_server.create_user(...)``, ``live_server.create_jobs(...)`` or
``live_server.run_db(coroutine_function)``; ``setup_server`` does the same before a server
starts.

Browser tests are plain ``def`` tests using Playwright's sync API. While a sync Playwright
instance is alive it marks its event loop as running in this thread, so ``asyncio.run`` and
async tests or fixtures cannot run beside it: every test in this folder must be synchronous
(checked at collection), and the database helpers run their coroutines in a worker thread.

    def test_profile(live_server, page, screenshot):
        live_server.create_user(email="ada@example.com")
        live_server.sign_in(page, "ada@example.com")
        page.goto("/profile")  # relative URLs resolve against the live server
        screenshot(page, "profile")
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    expect,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import service
from portal.accounts.models import Role, User
from portal.config import Settings
from portal.db import make_engine
from portal.jobs import service as jobs_service
from portal.jobs.models import Job
from portal.jobs.schemas import JobData
from tests.factories import PASSWORD
from tests.utils.environment import portal_environment

T = TypeVar("T")

BROWSER_DIR = Path(__file__).parent
REPO = BROWSER_DIR.parent.parent
CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
COMMANDS = {
    # The embedded default, as a user first runs it: schema, demo data, everything in-process.
    "demo": ("demo",),
    # The production path: Hypercorn with hypercorn.toml, the app in a worker process.
    "serve": ("serve", "--workers", "1"),
}
STARTUP_SECONDS = 30
# Logged at shutdown, not errors of ours: Hypercorn cancels the connections that outlive the
# graceful timeout, and CPython 3.11's asyncio.streams then calls exception() on the cancelled
# task in a done-callback (later Pythons check task.cancelled() first).
KNOWN_NOISE = [
    re.compile(
        r"(?m)^Exception in callback StreamReaderProtocol\.connection_made.*\n"
        r"(?:handle: .*\n)?Traceback \(most recent call last\):\n(?:[ \t].*\n)*"
        r"asyncio\.exceptions\.CancelledError$"
    ),
]
SHUTDOWN_SECONDS = 20
_usernames = itertools.count(1)


# ---------------------------------------------------------------------------- collection


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark everything here ``browser``; refuse async tests (see the module docstring)."""
    for item in items:
        if BROWSER_DIR not in item.path.parents:
            continue
        item.add_marker(pytest.mark.browser)
        if inspect.iscoroutinefunction(getattr(item, "obj", None)):
            raise pytest.UsageError(
                f"{item.nodeid}: browser tests must be plain `def` tests; the sync Playwright "
                "API cannot share the thread with a running asyncio loop"
            )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Kept on the item so fixtures can add screenshots and server logs to a failure.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _test_failed(request: pytest.FixtureRequest) -> bool:
    report = getattr(request.node, "report_call", None)
    return report is not None and report.failed


# ---------------------------------------------------------------------------- live server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def portal_command() -> list[str]:
    """The ``portal`` console script of the running interpreter's environment."""
    script = Path(sys.executable).with_name("portal")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from portal.cli import main; main()"]


def run_in_thread(work: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine function to completion in a fresh loop on a worker thread.

    Works whether or not a loop runs in this thread (sync Playwright marks its own as running).
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(work())).result()  # type: ignore[arg-type]


# Never use a proxy for the local server, whatever the environment says.
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    """``(status, headers, body)`` of a GET; error statuses are returned, not raised."""
    try:
        with _http.open(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@dataclass
class LiveServer:
    """One Portal server process on 127.0.0.1 and helpers that reach its database."""

    settings: Settings
    workdir: Path
    command: Sequence[str] = COMMANDS["demo"]
    extra_env: Mapping[str, str] = field(default_factory=dict)
    # Set to True in a test that provokes server errors on purpose.
    allow_tracebacks: bool = False
    url: str = ""
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    # -- process

    def environment(self) -> dict[str, str]:
        env = portal_environment(self.settings)
        env.update(self.extra_env)
        return env

    def write_hypercorn_toml(self) -> None:
        """The repository's hypercorn.toml (both commands read it from the working directory),
        with a short graceful timeout: Hypercorn keeps a closed websocket's connection until
        its next ping is due, so every stop after a page with a live socket would wait it out.
        """
        config = (REPO / "hypercorn.toml").read_text()
        config = re.sub(r"(?m)^graceful_timeout\s*=.*$", "", config)
        (self.workdir / "hypercorn.toml").write_text(config + "\ngraceful_timeout = 1\n")

    def start(self) -> LiveServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.write_hypercorn_toml()
        for _attempt in range(3):
            port = free_port()
            self.url = f"http://127.0.0.1:{port}"
            self.log_path = self.workdir / f"server-{port}.log"
            with self.log_path.open("wb") as log:
                # Output goes to a file: an unread pipe would fill up and stall the server.
                self.process = subprocess.Popen(
                    [*portal_command(), *self.command, "--bind", f"127.0.0.1:{port}"],
                    cwd=self.workdir,
                    env=self.environment(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    # Its own process group, so a kill also reaches `serve`'s worker process.
                    start_new_session=True,
                )
            if self._wait_until_ready():
                return self
            if "address already in use" not in self.log_text().lower():
                break  # a real failure, not the port race between free_port() and bind
        raise RuntimeError(f"the live server did not start:\n{self.log_tail()}")

    def _wait_until_ready(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if http_get(self.url + "/", timeout=2)[0] == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        self._kill()
        return False

    def _kill(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """Stop gracefully (Hypercorn handles SIGTERM), then check it ended cleanly."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=SHUTDOWN_SECONDS)
            except subprocess.TimeoutExpired:
                self._kill()
                raise AssertionError(
                    f"the live server ignored SIGTERM for {SHUTDOWN_SECONDS} s\n{self.log_tail()}"
                ) from None
        problems = []
        if self.process.returncode != 0:
            problems.append(f"the live server exited with status {self.process.returncode}")
        if self.tracebacks() and not self.allow_tracebacks:
            problems.append("the live server logged tracebacks")
        if problems:
            raise AssertionError("; ".join(problems) + "\n" + self.log_tail(200))

    def log_text(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def tracebacks(self) -> list[str]:
        """Tracebacks in the server's output, but for the shutdown noise of ``KNOWN_NOISE``."""
        text = self.log_text()
        for noise in KNOWN_NOISE:
            text = noise.sub("", text)
        return re.split(r"(?=Traceback \(most recent call last\))", text)[1:]

    @property
    def demo_admin_password(self) -> str:
        """The demo admin's (user name ``admin``) password, when running ``portal demo``."""
        return (self.settings.data_dir / "demo-admin-password").read_text().strip()

    # -- database

    def run_db(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``await work(session)`` against the server's database; ``work`` commits."""
        url = self.settings.resolved_database_url

        async def main() -> T:
            engine = make_engine(url)
            try:
                async with AsyncSession(engine, expire_on_commit=False) as session:
                    return await work(session)
            finally:
                await engine.dispose()

        return run_in_thread(main)

    def create_user(
        self,
        *,
        role: Role = Role.USER,
        password: str = PASSWORD,
        nickname: str | None = None,
        **identifiers: str,
    ) -> User:
        """A user (``username``/``email``/``phone``; a fresh user name when none is given)."""
        if not identifiers:
            identifiers = {"username": f"user{next(_usernames)}"}
        if nickname is None:
            nickname = identifiers.get("username") or "Someone"
        region = self.settings.default_phone_region
        return self.run_db(
            lambda session: service.register_user(
                session,
                nickname=nickname,
                password=password,
                role=role,
                region=region,
                **identifiers,
            )
        )

    def create_jobs(self, author: User, *jobs: Mapping[str, Any]) -> list[Job]:
        """Published jobs by ``author``, one a mapping of ``JobData`` fields (``title``,
        ``content``, ``category``; status and apply e-mail have defaults)."""

        async def work(session: AsyncSession) -> list[Job]:
            made = []
            for fields in jobs:
                data = JobData.model_validate(
                    {"status": "published", "apply_email": "jobs@example.com", **fields}
                )
                made.append(await jobs_service.create_job(session, author, data))
            return made

        return self.run_db(work)

    def get_user(self, user_id: int) -> User:
        async def load(session: AsyncSession) -> User:
            user = await session.get(User, user_id)
            assert user is not None, f"no user {user_id}"
            return user

        return self.run_db(load)

    # -- browser sessions

    def sign_in(self, page: Page, login: str, password: str = PASSWORD) -> None:
        """Sign in through the /login form, as a person would."""
        page.goto(self.url + "/login")
        page.locator("#f-login").fill(login)
        page.locator("#f-password").fill(password)
        page.locator("main form").get_by_role("button", name="Sign in").click()
        expect(page.get_by_test_id("nav-profile")).to_be_visible()

    def sign_in_quickly(
        self, context: BrowserContext, login: str, password: str = PASSWORD
    ) -> None:
        """Sign a browser context in through the JSON API (no page load): set-up, not UI."""
        response = context.request.post(
            self.url + "/api/v1/auth/login", data={"login": login, "password": password}
        )
        assert response.status == 200, response.text()


@pytest.fixture
def live_server_factory(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path
) -> Iterator[Callable[..., LiveServer]]:
    """``start(mode="demo" | "serve", env={...})``: a server on this test's database.

    Several may run at once (e.g. two ``serve`` workers sharing a broker via
    ``env={"PORTAL_AMQP_URL": ...}``); all are stopped, and checked, at the end.
    """
    servers: list[LiveServer] = []

    def start(mode: str = "demo", env: Mapping[str, str] | None = None) -> LiveServer:
        server = LiveServer(
            settings=settings,
            workdir=tmp_path / f"server-{len(servers)}",
            command=COMMANDS[mode],
            extra_env=env or {},
        )
        server.start()
        servers.append(server)
        return server

    yield start
    if _test_failed(request):
        for server in servers:  # shown under "Captured stdout teardown"
            print(f"---- {' '.join(server.command)} at {server.url}\n{server.log_tail(100)}")
    failures = []
    for server in reversed(servers):
        try:
            server.stop()
        except AssertionError as error:
            failures.append(str(error))
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


@pytest.fixture
def setup_server(settings: Settings, tmp_path: Path) -> LiveServer:
    """Not started: the database helpers on this test's database, for the data a test puts
    in before its server starts (``live_server_factory()`` then serves that database)."""
    return LiveServer(settings=settings, workdir=tmp_path / "setup")


@pytest.fixture
def live_server(live_server_factory: Callable[..., LiveServer]) -> LiveServer:
    """``portal demo`` on a free port with this test's fresh database."""
    return live_server_factory()


# ---------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, one per test module (never a downloaded browser)."""
    if not CHROMIUM.exists():
        message = (
            f"Chromium is not at {CHROMIUM}: `apt-get install chromium`, or point "
            "PORTAL_CHROMIUM at a Chromium binary"
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@dataclass
class BrowserLog:
    """What the pages said: uncaught script errors fail the test, the rest is kept to assert on.

    ``console_errors`` leaves out the favicon request Chromium makes on its own.
    """

    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    error_responses: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: self._console(page, message))
        page.on("response", lambda response: self._response(response))

    def _console(self, page: Page, message: ConsoleMessage) -> None:
        source = message.location.get("url", "") if message.location else ""
        if message.type == "error" and not source.endswith("/favicon.ico"):
            self.console_errors.append(f"{page.url}: {message.text} ({source})")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.error_responses.append(
                f"{response.status} {response.request.method} {response.url}"
            )


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:120]


@pytest.fixture
def screenshot_dir(request: pytest.FixtureRequest, artifacts: Path) -> Path:
    """``test-artifacts/browser/<test name>/``, emptied at the start of the test."""
    folder = artifacts / "browser" / _safe_name(request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    return folder


@pytest.fixture
def screenshot(screenshot_dir: Path) -> Callable[[Page, str], Path]:
    """``screenshot(page, "name")`` saves a numbered full-page PNG and returns its path."""
    counter = itertools.count(1)

    def take(page: Page, name: str) -> Path:
        screenshot_dir.mkdir(parents=True, exist_ok=True)
        path = screenshot_dir / f"{next(counter):02d}-{_safe_name(name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def new_page(
    request: pytest.FixtureRequest,
    browser: Browser,
    browser_log: BrowserLog,
    screenshot_dir: Path,
) -> Iterator[Callable[..., Page]]:
    """``new_page(**context_options)``: a page in a fresh context (its own cookies).

    With ``live_server`` in the test, relative URLs (``page.goto("/login")``) go to it.
    """
    base_url = (
        request.getfixturevalue("live_server").url
        if "live_server" in request.fixturenames
        else None
    )
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> Page:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        options.setdefault("locale", "en-US")
        if base_url:
            options.setdefault("base_url", base_url)
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        browser_log.watch(page)
        return page

    yield make
    failed = _test_failed(request)
    for number, context in enumerate(contexts, 1):
        if failed:
            screenshot_dir.mkdir(parents=True, exist_ok=True)
            for index, page in enumerate(context.pages, 1):
                with contextlib.suppress(PlaywrightError):  # a crashed page has no picture
                    page.screenshot(path=str(screenshot_dir / f"FAILED-{number}-{index}.png"))
        context.close()
    if browser_log.page_errors:
        pytest.fail("uncaught script errors:\n" + "\n".join(browser_log.page_errors))


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A page in a fresh browser context, English, 1280x800."""
    return new_page()
