"""Training videos: tus uploads against the tus Node reference server, downloads against nginx.

    flock /tmp/portal-bench.lock .venv/bin/python bench/media.py                 # 1 GiB, 3 runs
    flock /tmp/portal-bench.lock .venv/bin/python bench/media.py --size-mb 128 --repeat 1

Generates a real video of about --size-mb MiB (ffmpeg: testsrc2, raw frames in Matroska, so it
takes seconds and passes Portal's signature check and its PyAV probe), then in one run:

  upload    tuspy (the same client, file and machine) sends it with 8 MiB chunks (one PATCH
            each, as tuspy does it: a new connection per request) and in one single PATCH
            (tuspy's default: its chunk size is sys.maxsize) to
              - Portal, ``portal serve --workers 1`` with hypercorn.toml, SQLite and the
                embedded broker (the media worker runs in the same process);
              - @tus/server + @tus/file-store, latest from npm, installed into
                /tmp/portal-bench-node on first use (bench/tus_node_server.mjs).
            MB/s (10^6 bytes/s) from the creation POST to the last answer; the server's RSS
            (VmRSS summed over its processes, sampled every 50 ms): baseline just before the
            upload, peak, growth. Processes the server starts during the upload (the media
            worker's PyAV probe, after the last byte) are not counted.
  download  the video Portal stored, from GET /videos/<id> (bearer token), against nginx
            (Debian's, one worker, sendfile on) serving the generated file: whole, then in
            1 MiB ranges (sequential requests on one keep-alive connection, http.client; a
            connection the server closes is reopened and counted; Portal and nginx take turns
            every 16 ranges, so a swing in the shared machine's load falls on both alike).
            MB/s each, the ratio
            (issue 14's targets: whole >= 0.7, ranges >= 0.5), each server's CPU time per
            request, and Portal's RSS over both.

Runs alternate which server goes first; medians over --repeat runs are printed with every
run's figure. Each server's CPU seconds (user+system) and run-queue wait (seconds its threads
were ready but got no core, /proc/<pid>/task/*/schedstat) are printed too: the client and the
servers share the machine's cores with whatever else runs, and a noisy run shows up there.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests
from common import (
    PORTAL,
    ROOT,
    cpu_seconds,
    free_port,
    median,
    process_tree,
    rss_kb,
    runqueue_seconds,
    stop_all,
)
from tusclient.client import TusClient

HERE = Path(__file__).resolve().parent
NODE_DIR = Path(os.environ.get("PORTAL_BENCH_NODE_DIR", "/tmp/portal-bench-node"))  # noqa: S108
NODE_PACKAGES = ("@tus/server@latest", "@tus/file-store@latest")
MIB = 1024 * 1024
CHUNK = 8 * MIB
RANGE = MIB
# Ranges a server answers in a row before the other takes its turn.
BURST = 16
SAMPLE_EVERY = 0.05
# 1280x720 yuv420p: 1,382,400 bytes a frame.
WIDTH, HEIGHT = 1280, 720


# --------------------------------------------------------------------------- processes


@dataclass
class Usage:
    baseline_kb: int = 0
    peak_kb: int = 0
    cpu: float = 0.0
    waited: float = 0.0

    @property
    def growth_mb(self) -> float:
        return (self.peak_kb - self.baseline_kb) / 1024


@contextlib.contextmanager
def sampled(pids: list[int]) -> Iterator[Usage]:
    """RSS of ``pids`` every 50 ms while the block runs (baseline first), and their CPU time."""
    usage = Usage(baseline_kb=rss_kb(pids))
    usage.peak_kb = usage.baseline_kb
    cpu_before, waited_before = cpu_seconds(pids), runqueue_seconds(pids)
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(SAMPLE_EVERY):
            usage.peak_kb = max(usage.peak_kb, rss_kb(pids))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield usage
    finally:
        stop.set()
        thread.join()
        usage.peak_kb = max(usage.peak_kb, rss_kb(pids))
        usage.cpu = cpu_seconds(pids) - cpu_before
        usage.waited = runqueue_seconds(pids) - waited_before


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    pids: list[int] = field(default_factory=list)

    def stop(self) -> None:
        stop_all([self.process])


def wait_answering(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Until the server answers anything at all (a 404 or 405 will do)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@contextlib.contextmanager
def running(name: str, argv: list[str], url: str, logs: Path, *, cwd=None, env=None):
    log_path = logs / f"{name}.log"
    log = log_path.open("ab")
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=log)
    server = Server(name, process)
    try:
        try:
            wait_answering(url, process)
        except RuntimeError:
            sys.stderr.write(log_path.read_text(errors="replace")[-4000:])
            raise
        time.sleep(0.5)  # hypercorn's workers, node's JIT: let start-up settle
        server.pids = process_tree(process.pid)
        yield server
    finally:
        server.stop()
        log.close()


# --------------------------------------------------------------------------- the file


def make_video(path: Path, size_mb: int) -> int:
    """A real Matroska video of raw frames, at least ``size_mb`` MiB; returns its size."""
    if not shutil.which("ffmpeg"):
        raise SystemExit("ffmpeg is missing: apt-get install -y ffmpeg")
    frame = WIDTH * HEIGHT * 3 // 2
    frames = max(2, math.ceil(size_mb * MIB / frame))
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={WIDTH}x{HEIGHT}:rate=25",
            "-frames:v",
            str(frames),
            "-c:v",
            "rawvideo",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
    )
    return path.stat().st_size


# --------------------------------------------------------------------------- Portal


def prepare_portal(data_dir: Path) -> str:
    """Schema and demo data (an admin, published jobs); returns the admin's password."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from portal.config import Settings
    from portal.db import make_engine
    from portal.demo import load_demo_data
    from portal.migrate import upgrade

    settings = Settings(data_dir=data_dir)

    async def run() -> str:
        await upgrade(settings.resolved_database_url)
        engine = make_engine(settings.resolved_database_url)
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                logins = await load_demo_data(session, data_dir, "CN")
        finally:
            await engine.dispose()
        return logins.admin_password

    return asyncio.run(run())


class PortalAPI:
    def __init__(self, base: str, password: str) -> None:
        self.base = base
        with requests.Session() as session:
            answer = session.post(
                f"{base}/api/v1/auth/login", json={"login": "admin", "password": password}
            )
            answer.raise_for_status()
            answer = session.post(f"{base}/api/v1/me/tokens", json={"name": "bench/media.py"})
            answer.raise_for_status()
            self.token = answer.json()["token"]
        self.auth = {"Authorization": f"Bearer {self.token}"}
        answer = requests.get(f"{base}/api/v1/jobs?per_page=1", headers=self.auth, timeout=30)
        answer.raise_for_status()
        self.job_id = answer.json()["items"][0]["id"]

    def ready_videos(self) -> dict[int, dict]:
        answer = requests.get(
            f"{self.base}/api/v1/jobs/{self.job_id}", headers=self.auth, timeout=30
        )
        answer.raise_for_status()
        return {video["id"]: video for video in answer.json()["videos"]}

    def wait_ready(self, known: set[int], timeout: float = 300.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = [v for i, v in self.ready_videos().items() if i not in known]
            if new:
                return new[0]
            time.sleep(0.25)
        raise RuntimeError("the uploaded video did not become ready (portal.log: run with --keep)")

    def delete(self, video_id: int) -> None:
        requests.delete(f"{self.base}/api/v1/videos/{video_id}", headers=self.auth, timeout=30)


def portal_server(data_dir: Path, size: int, logs: Path):
    port = free_port()
    env = {**os.environ, "PORTAL_DATA_DIR": str(data_dir), "PORTAL_ENV": "development"}
    env.pop("PORTAL_AMQP_URL", None)  # the embedded broker: one worker, media worker in it
    env["PORTAL_MAX_UPLOAD_BYTES"] = str(max(4 * 1024**3, 2 * size))
    argv = [PORTAL, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    argv += ["--config", str(ROOT / "hypercorn.toml")]
    base = f"http://127.0.0.1:{port}"
    return running("portal", argv, base + "/api/v1/uploads", logs, env=env), base


# --------------------------------------------------------------------------- tus Node server


def node_install() -> str:
    """@tus/server and @tus/file-store (latest) in NODE_DIR; returns their versions."""
    if not shutil.which("node") or not shutil.which("npm"):
        raise SystemExit("node and npm are missing (Node >= 20.19 for @tus/server 2)")
    installed = NODE_DIR / "node_modules" / "@tus" / "server" / "package.json"
    if not installed.exists():
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        (NODE_DIR / "package.json").write_text('{"private": true, "type": "module"}\n')
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", *NODE_PACKAGES],
            cwd=NODE_DIR,
            check=True,
        )
    shutil.copy(HERE / "tus_node_server.mjs", NODE_DIR / "tus_node_server.mjs")
    versions = []
    for name in ("server", "file-store"):
        meta = json.loads((NODE_DIR / "node_modules/@tus" / name / "package.json").read_text())
        versions.append(f"@tus/{name} {meta['version']}")
    return ", ".join(versions)


def node_version() -> str:
    return subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()


def node_server(store: Path, logs: Path):
    port = free_port()
    argv = ["node", str(NODE_DIR / "tus_node_server.mjs"), str(port), str(store)]
    # The tus server answers GET on its path with 404 at once: enough to know it listens.
    base = f"http://127.0.0.1:{port}"
    return running("node", argv, base + "/", logs, cwd=NODE_DIR), base


# --------------------------------------------------------------------------- nginx


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    default_type application/octet-stream;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


def nginx_server(tmp: Path, root: Path):
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise SystemExit("nginx is missing: apt-get install -y nginx")
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, root=root))
    argv = [binary, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "nginx-error.log")]
    base = f"http://127.0.0.1:{port}"
    return running("nginx", argv, base + "/", tmp), base


# --------------------------------------------------------------------------- measurements


def upload(url: str, path: Path, job_id: int, chunk: int | None, headers: dict) -> float:
    """Seconds for tuspy to create and send the upload (one PATCH when chunk is None)."""
    client = TusClient(url, headers=headers)
    options: dict = {"chunk_size": chunk} if chunk else {}
    metadata = {"filename": path.name, "filetype": "video/x-matroska", "job_id": str(job_id)}
    start = time.perf_counter()
    uploader = client.uploader(file_path=str(path), metadata=metadata, **options)
    uploader.upload()
    elapsed = time.perf_counter() - start
    if uploader.offset != path.stat().st_size:
        raise RuntimeError(f"upload stopped at {uploader.offset}")
    return elapsed


class Downloader:
    """Sequential GETs on one keep-alive connection, read into one reused buffer."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=120)
        self.headers = headers
        self.buffer = memoryview(bytearray(RANGE))
        self.reconnects = 0

    def get(self, path: str, first: int | None = None, last: int | None = None) -> int:
        headers = dict(self.headers)
        if first is not None:
            headers["Range"] = f"bytes={first}-{last}"
        self.connection.request("GET", path, headers=headers)
        response = self.connection.getresponse()
        expected = 206 if first is not None else 200
        if response.status != expected:
            raise RuntimeError(f"GET {path} {headers.get('Range')}: {response.status}")
        got = 0
        while count := response.readinto(self.buffer):
            got += count
        if response.will_close:
            self.reconnects += 1
            self.connection.close()
        return got

    def whole(self, path: str, size: int) -> float:
        start = time.perf_counter()
        if self.get(path) != size:
            raise RuntimeError("short download")
        return time.perf_counter() - start

    def ranges(self, path: str, size: int, firsts: range | None = None) -> float:
        """Seconds for the 1 MiB ranges starting at ``firsts`` (all of the file by default)."""
        start = time.perf_counter()
        for first in firsts if firsts is not None else range(0, size, RANGE):
            last = min(size, first + RANGE) - 1
            if self.get(path, first, last) != last - first + 1:
                raise RuntimeError("short range")
        return time.perf_counter() - start

    def check(self, path: str, source: Path) -> None:
        """One range in the middle of the file equals the source's bytes."""
        size = source.stat().st_size
        first = (size // 2) // RANGE * RANGE
        last = min(size, first + RANGE) - 1
        self.get(path, first, last)
        with source.open("rb") as file:
            file.seek(first)
            if file.read(last - first + 1) != bytes(self.buffer[: last - first + 1]):
                raise RuntimeError(f"{path}: bytes differ from the source")

    def close(self) -> None:
        self.connection.close()


def interleaved_ranges(
    size: int, order: list[str], downloaders: dict[str, Downloader], paths: dict[str, str]
) -> dict[str, float]:
    """Every 1 MiB range of the file from each server, the two taking turns every
    :data:`BURST` ranges, so that a swing in the machine's load falls on both alike."""
    seconds = dict.fromkeys(order, 0.0)
    for turn, first in enumerate(range(0, size, RANGE * BURST)):
        firsts = range(first, min(size, first + RANGE * BURST), RANGE)
        for name in order if turn % 2 == 0 else order[::-1]:
            seconds[name] += downloaders[name].ranges(paths[name], size, firsts)
    return seconds


# --------------------------------------------------------------------------- report


def mb_s(size: int, seconds: float) -> float:
    return size / seconds / 1e6


def row(label: str, values: list[float], fmt: str = "{:.0f}") -> str:
    runs = " ".join(fmt.format(v) for v in values)
    return f"  {label:<44} {fmt.format(median(values)):>8}   runs: {runs}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB")
    parser.add_argument("--repeat", type=int, default=3, help="runs of every measurement")
    parser.add_argument("--skip-upload", action="store_true", help="one untimed upload only")
    parser.add_argument("--skip-download", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-media-"))
    tmp.chmod(0o755)  # nginx's worker runs as nobody
    try:
        run(args, tmp)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, tmp: Path) -> None:
    served = tmp / "www"
    served.mkdir(mode=0o755)
    video = served / "bench.mkv"
    began = time.perf_counter()
    size = make_video(video, args.size_mb)
    video.chmod(0o644)
    print(
        f"file: {size / MIB:.0f} MiB raw-video Matroska ({size} bytes), made in "
        f"{time.perf_counter() - began:.1f}s; {args.repeat} run(s); {os.cpu_count()} cores"
    )
    versions = node_install() if not args.skip_upload else ""
    data_dir = tmp / "portal"
    password = prepare_portal(data_dir)
    node_store = tmp / "node-store"
    node_store.mkdir()

    portal_cm, portal_base = portal_server(data_dir, size, tmp)
    with portal_cm as portal:
        api = PortalAPI(portal_base, password)
        portal_url = f"{portal_base}/api/v1/uploads"
        known: set[int] = set(api.ready_videos())
        current: int | None = None

        def portal_upload(chunk: int | None) -> tuple[float, Usage]:
            nonlocal current
            with sampled(portal.pids) as usage:
                seconds = upload(portal_url, video, api.job_id, chunk, api.auth)
            ready = api.wait_ready(known)
            known.add(ready["id"])
            if current is not None:
                api.delete(current)
            current = ready["id"]
            return seconds, usage

        if args.skip_upload:
            portal_upload(None)
        else:
            print(f"node: {versions}, node {node_version()}")
            node_cm, node_base = node_server(node_store, tmp)
            with node_cm as node:
                node_url = f"{node_base}/files"

                def node_upload(chunk: int | None) -> tuple[float, Usage]:
                    with sampled(node.pids) as usage:
                        seconds = upload(node_url, video, api.job_id, chunk, {})
                    for stored in node_store.iterdir():
                        stored.unlink()
                    return seconds, usage

                upload_report(args.repeat, size, portal_upload, node_upload)

        if not args.skip_download:
            assert current is not None
            nginx_cm, nginx_base = nginx_server(tmp, served)
            with nginx_cm as nginx:
                download_report(
                    args.repeat, size, video, portal, portal_base, api, current, nginx, nginx_base
                )


Measure = Callable[[int | None], tuple[float, Usage]]


def upload_report(repeat: int, size: int, portal: Measure, node: Measure) -> None:
    for label, chunk in (("8 MiB chunks", CHUNK), ("one PATCH", None)):
        figures: dict[str, list[tuple[float, Usage]]] = {"portal": [], "node": []}
        for index in range(repeat):
            order = [("portal", portal), ("node", node)]
            for name, measure in order if index % 2 == 0 else order[::-1]:
                figures[name].append(measure(chunk))
        print(f"\nupload, tuspy, {label}")
        for name in ("portal", "node"):
            runs = figures[name]
            print(row(f"{name} MB/s", [mb_s(size, s) for s, _ in runs]))
            print(row(f"{name} RSS baseline MB", [u.baseline_kb / 1024 for _, u in runs]))
            print(row(f"{name} RSS peak MB", [u.peak_kb / 1024 for _, u in runs]))
            print(row(f"{name} RSS growth MB", [u.growth_mb for _, u in runs], "{:.1f}"))
            print(row(f"{name} CPU s", [u.cpu for _, u in runs], "{:.2f}"))
            print(row(f"{name} run-queue wait s", [u.waited for _, u in runs], "{:.2f}"))
        ratios = [n / p for (p, _), (n, _) in zip(figures["portal"], figures["node"], strict=True)]
        print(row("Portal/Node throughput (target >= 1.0)", ratios, "{:.2f}"))


def download_report(
    repeat: int,
    size: int,
    source: Path,
    portal: Server,
    portal_base: str,
    api: PortalAPI,
    video_id: int,
    nginx: Server,
    nginx_base: str,
) -> None:
    portal_path = f"/videos/{video_id}"
    portal_dl = Downloader(portal_base, api.auth)
    nginx_dl = Downloader(nginx_base, {})
    portal_dl.check(portal_path, source)
    nginx_dl.check("/" + source.name, source)
    targets = {"whole": 0.7, "ranges": 0.5}
    for label, method in (("whole file", "whole"), ("1 MiB ranges", "ranges")):
        figures: dict[str, list[float]] = {"portal": [], "nginx": []}
        usages: list[Usage] = []
        nginx_usages: list[Usage] = []
        portal_dl.reconnects = 0
        for index in range(repeat):
            order = ["portal", "nginx"] if index % 2 == 0 else ["nginx", "portal"]
            if method == "ranges":
                with sampled(portal.pids) as usage, sampled(nginx.pids) as nginx_usage:
                    seconds_of = interleaved_ranges(
                        size,
                        order,
                        {"portal": portal_dl, "nginx": nginx_dl},
                        {"portal": portal_path, "nginx": "/" + source.name},
                    )
                usages.append(usage)
                nginx_usages.append(nginx_usage)
                for name in order:
                    figures[name].append(mb_s(size, seconds_of[name]))
                continue
            for name in order:
                if name == "portal":
                    with sampled(portal.pids) as usage:
                        seconds = getattr(portal_dl, method)(portal_path, size)
                    usages.append(usage)
                else:
                    with sampled(nginx.pids) as usage:
                        seconds = getattr(nginx_dl, method)("/" + source.name, size)
                    nginx_usages.append(usage)
                figures[name].append(mb_s(size, seconds))
        print(
            f"\ndownload, {label}"
            + (f", {size // RANGE} requests a run" if method == "ranges" else "")
        )
        print(row("portal MB/s", figures["portal"]))
        print(row("nginx MB/s", figures["nginx"]))
        ratios = [p / n for p, n in zip(figures["portal"], figures["nginx"], strict=True)]
        print(row(f"Portal/nginx throughput (target >= {targets[method]})", ratios, "{:.2f}"))
        requests_a_run = math.ceil(size / RANGE) if method == "ranges" else 1
        for name, runs in (("portal", usages), ("nginx", nginx_usages)):
            # CPU per request: less at the mercy of other processes than wall-clock MB/s.
            cpu_ms = [1000 * u.cpu / requests_a_run for u in runs]
            print(row(f"{name} CPU ms per request", cpu_ms, "{:.2f}"))
        print(row("portal RSS baseline MB", [u.baseline_kb / 1024 for u in usages]))
        print(row("portal RSS peak MB", [u.peak_kb / 1024 for u in usages]))
        print(row("portal RSS growth MB", [u.growth_mb for u in usages], "{:.1f}"))
        print(row("portal CPU s", [u.cpu for u in usages], "{:.2f}"))
        print(row("portal run-queue wait s", [u.waited for u in usages], "{:.2f}"))
        if portal_dl.reconnects:
            print(f"  (Portal closed the keep-alive connection {portal_dl.reconnects} time(s))")
    portal_dl.close()
    nginx_dl.close()


if __name__ == "__main__":
    sys.exit(main())
