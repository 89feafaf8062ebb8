"""The built package works on its own: a wheel installed into a fresh venv serves the site.

static/ and templates/ live at the top of the repository and setup.py maps them into the
wheel as portal/_static and portal/_templates; these tests catch a wheel that forgets them.
The wheel holds nothing but ``portal`` (the top-level consumers/ scripts stay in the checkout),
and every ``portal`` command works from it outside the checkout, with the serving settings
built in rather than read from the repository's hypercorn.toml.
One sdist and wheel are built per run (from a copy of the working tree, so no stale build/
directory leaks in) and installed once into a venv without the repository on its path.
"""

from __future__ import annotations

import http.cookiejar
import json
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
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.events import conftest as events_conftest
from tests.events.conftest import AMQP_URL

pytestmark = pytest.mark.slow
amqp_prefix = events_conftest.amqp_prefix

REPO = Path(__file__).parent.parent
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "build",
    "dist",
    "var",
    "test-artifacts",
    "node_modules",
    "*.egg-info",
    "__pycache__",
    "*.pyc",
    ".*_cache",
    ".hypothesis",
)


def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure the assertion shows its output."""
    result = subprocess.run(  # type: ignore[call-overload]
        command, capture_output=True, text=True, timeout=900, check=False, **kwargs
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} exited with {result.returncode}\n{result.stdout}\n{result.stderr}"
    )
    return result


@dataclass(frozen=True)
class Built:
    source: Path  # the copy of the working tree the distributions were built from
    wheel: Path


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """An sdist, and the wheel built from that sdist, as ``pip install`` from PyPI would."""
    root = tmp_path_factory.mktemp("build")
    source = root / "portal"
    shutil.copytree(REPO, source, ignore=NOT_SOURCE)
    out = root / "dist"
    run([sys.executable, "-m", "build", "--outdir", str(out), str(source)])
    wheels = list(out.glob("portal-*.whl"))
    assert len(wheels) == 1, wheels
    return Built(source=source, wheel=wheels[0])


@dataclass(frozen=True)
class Installed:
    bin: Path
    package: Path  # the installed portal/ directory

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of someone who activated the venv: no repository, no PORTAL_*."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("PORTAL_")
            and key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSAFEPATH"}
        }
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONUNBUFFERED"] = "1"
        env.update(extra)
        return env


@pytest.fixture(scope="session")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel in a brand-new venv (no system site-packages), dependencies from the index."""
    root = tmp_path_factory.mktemp("installed")
    venv = root / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--no-input", str(built.wheel)], cwd=root)
    probe = run(
        [str(python), "-c", "import portal, pathlib; print(pathlib.Path(portal.__file__).parent)"],
        cwd=root,
        env=Installed(venv / "bin", root).env(),
    )
    package = Path(probe.stdout.strip())
    assert package.is_relative_to(venv), f"portal imported from {package}, not the venv"
    return Installed(bin=venv / "bin", package=package)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def open_url(
    opener: urllib.request.OpenerDirector, url: str, data: dict[str, str] | None = None
) -> tuple[int, str, bytes]:
    """``(status, content type, body)``; JSON-encodes ``data`` into a POST."""
    request = urllib.request.Request(url)  # noqa: S310 - a local http URL built by the test
    if data is not None:
        request.data = json.dumps(data).encode()
        request.add_header("Content-Type", "application/json")
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def new_opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
    )


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def start_portal(installed: Installed, tmp_path: Path) -> Iterator[object]:
    """``start(*args)`` runs ``portal <args> --bind 127.0.0.1:<port>`` from a directory outside
    the repository and waits until ``/`` answers; stopped with SIGTERM at the end."""
    servers: list[Server] = []

    def start(*args: str, env: dict[str, str]) -> Server:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = tmp_path / f"portal-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(installed.bin / "portal"), *args, "--bind", f"127.0.0.1:{port}"],
                cwd=tmp_path,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        server = Server(process, url, log)
        servers.append(server)
        opener = new_opener()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, f"portal {args[0]} exited:\n{server.output()}"
            try:
                if open_url(opener, url + "/")[0] == 200:
                    return server
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"portal {args[0]} did not answer on {url}:\n{server.output()}")

    yield start
    failures = []
    for server in servers:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
            try:
                server.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
                failures.append(f"ignored SIGTERM:\n{server.output()}")
                continue
        if server.process.returncode != 0 or "Traceback" in server.output():
            failures.append(f"exit status {server.process.returncode}:\n{server.output()}")
    assert not failures, "\n\n".join(failures)


def test_wheel_holds_the_package_its_templates_and_static_files(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as archive:
        names = set(archive.namelist())
    tops = {name.split("/", 1)[0] for name in names}
    assert tops <= {"portal", "portal-0.1.0.dist-info"}, tops
    # A generic top-level package in site-packages could collide with another distribution's.
    assert not any(name.startswith("consumers") for name in names), tops
    assert "portal/consumer.py" in names
    for folder, mapped in (("static", "portal/_static"), ("templates", "portal/_templates")):
        expected = {
            f"{mapped}/{path.relative_to(built.source / folder).as_posix()}"
            for path in (built.source / folder).rglob("*")
            if path.is_file()
        }
        assert expected, f"nothing in {folder}/"
        assert expected <= names, f"missing from the wheel: {sorted(expected - names)}"
    for needed in (
        "portal/migrations/alembic.ini",
        "portal/migrations/script.py.mako",
        "portal/migrations/env.py",
        "portal/py.typed",
        "portal/_templates/base.html",
        "portal/_static/css/portal.css",
    ):
        assert needed in names, f"{needed} is not in the wheel"
    catalogues = {
        path.relative_to(built.source).as_posix()
        for path in (built.source / "portal" / "translations").rglob("*.po")
    }
    assert catalogues <= names, f"missing catalogues: {sorted(catalogues - names)}"
    assert not any(name.startswith(("portal/tests", "tests/")) for name in names)


def test_installed_package_has_its_assets(installed: Installed) -> None:
    assert (installed.package / "_static" / "css" / "portal.css").stat().st_size > 0
    assert (installed.package / "_templates" / "base.html").is_file()
    assert (installed.package / "_templates" / "accounts" / "login.html").is_file()
    assert any((installed.package / "migrations" / "versions").glob("0001_*.py"))
    where = run(
        [
            str(installed.bin / "python"),
            "-c",
            "from portal.app import asset_dir; print(asset_dir('static')); "
            "print(asset_dir('templates'))",
        ],
        cwd=installed.package.parent,
        env=installed.env(),
    )
    static, templates = where.stdout.split()
    assert Path(static) == installed.package / "_static"
    assert Path(templates) == installed.package / "_templates"


def test_installed_wheel_init_db_then_serve(
    installed: Installed, start_portal, tmp_path: Path
) -> None:
    env = installed.env(PORTAL_DATA_DIR=str(tmp_path / "data"))
    result = run([str(installed.bin / "portal"), "init-db"], cwd=tmp_path, env=env)
    assert "newest schema" in result.stdout
    assert (tmp_path / "data" / "portal.db").is_file()
    # Twice is fine: upgrading an up-to-date schema does nothing.
    run([str(installed.bin / "portal"), "init-db"], cwd=tmp_path, env=env)

    # No hypercorn.toml here: the built-in settings serve two workers, which need a broker.
    refused = subprocess.run(
        [str(installed.bin / "portal"), "serve"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode != 0
    assert "2 workers need a message broker" in refused.stderr, refused.stderr
    server = start_portal("serve", "--workers", "1", env=env)
    opener = new_opener()
    status, content_type, body = open_url(opener, server.url + "/")
    assert status == 200 and content_type.startswith("text/html")
    stylesheet = re.search(rb'<link rel="stylesheet" href="([^"?]+)', body)
    assert stylesheet, body[:500]
    # Quart names the static route after the folder's name unless told: /_static when installed.
    href = stylesheet.group(1).decode()
    assert href == "/static/css/portal.css", f"the installed site links its CSS as {href}"
    status, content_type, body = open_url(opener, server.url + "/static/css/portal.css")
    assert status == 200 and content_type.startswith("text/css")
    assert body == (installed.package / "_static" / "css" / "portal.css").read_bytes()
    assert len(body) > 100
    status, content_type, body = open_url(opener, server.url + "/login")
    assert status == 200 and content_type.startswith("text/html")
    assert re.search(rb'name="csrf_token" value="[^"]{20,}"', body)
    status, content_type, _body = open_url(opener, server.url + "/openapi.json")
    assert status == 200 and content_type.startswith("application/json")


def test_installed_wheel_has_the_serving_settings_built_in(
    installed: Installed, tmp_path: Path
) -> None:
    """Run outside the checkout, with no hypercorn.toml: the values of the repository's file,
    not Hypercorn's own defaults (16 MiB websocket messages, 5 s keep-alive...)."""
    code = (
        "import json; from portal.cli import _hypercorn_config; c = _hypercorn_config(None, None,"
        " None); print(json.dumps({k: getattr(c, k) for k in ('websocket_max_message_size',"
        " 'keep_alive_timeout', 'graceful_timeout', 'h11_max_incomplete_size', 'workers',"
        " 'bind', 'accesslog', 'errorlog')}))"
    )
    result = run([str(installed.bin / "python"), "-c", code], cwd=tmp_path, env=installed.env())
    assert json.loads(result.stdout) == {
        "websocket_max_message_size": 65536,
        "keep_alive_timeout": 20,
        "graceful_timeout": 10,
        "h11_max_incomplete_size": 16384,
        "workers": 2,
        "bind": ["127.0.0.1:8000"],
        "accesslog": "-",
        "errorlog": "-",
    }


def test_installed_wheel_has_no_consumers_package(installed: Installed, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(installed.bin / "python"), "-c", "import consumers"],
        cwd=tmp_path,
        env=installed.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0 and "ModuleNotFoundError" in result.stderr, result.stderr


@pytest.mark.parametrize("name", ["media", "recommender"])
def test_installed_wheel_consumer_needs_a_broker(
    installed: Installed, tmp_path: Path, name: str
) -> None:
    env = installed.env(PORTAL_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run(
        [str(installed.bin / "portal"), "consumer", name],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert f"the {name} consumer needs PORTAL_AMQP_URL" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize("name", ["media", "recommender"])
async def test_installed_wheel_consumer_runs_on_the_broker(
    installed: Installed, tmp_path: Path, amqp_prefix: str, name: str
) -> None:
    env = installed.env(
        PORTAL_DATA_DIR=str(tmp_path / "data"),
        PORTAL_AMQP_URL=AMQP_URL or "",
        PORTAL_AMQP_PREFIX=amqp_prefix,
    )
    run([str(installed.bin / "portal"), "init-db"], cwd=tmp_path, env=env)
    log = tmp_path / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(installed.bin / "portal"), "consumer", name],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while f"{name} consumer running" not in log.read_text(errors="replace"):
            assert process.poll() is None, f"exited:\n{log.read_text(errors='replace')}"
            assert time.monotonic() < deadline, f"not running:\n{log.read_text(errors='replace')}"
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log.read_text(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")


def test_installed_wheel_demo_signs_in_the_demo_admin(
    installed: Installed, start_portal, tmp_path: Path
) -> None:
    env = installed.env(PORTAL_DATA_DIR=str(tmp_path / "data"))
    server = start_portal("demo", env=env)
    printed = re.search(r"admin: (\S+) / (\S+)", server.output())
    assert printed, server.output()
    opener = new_opener()
    status, _type, body = open_url(
        opener,
        server.url + "/api/v1/auth/login",
        {"login": printed.group(1), "password": printed.group(2)},
    )
    assert status == 200, body
    assert json.loads(body)["role"] == "admin"
    status, content_type, _body = open_url(opener, server.url + "/admin")
    assert status == 200 and content_type.startswith("text/html")
