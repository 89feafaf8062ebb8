"""``scripts/cluster up``: Portal on two web hosts behind HAProxy, a 3-node RabbitMQ cluster,
PostgreSQL and a consumer host, all on this machine; ``down`` leaves nothing behind.

A job posted through the balancer reaches a websocket on each web host and one through the
balancer: the fan-out crosses hosts over the cluster.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import websockets
from tusclient.client import TusClient

from tests.cluster import deploy, scenario
from tests.faults.harness import (
    assert_exactly_once,
)
from tests.media.conftest import make_video

pytestmark = pytest.mark.slow

SOCKETS = 50
CUT_SECONDS = 20
# Small, so that one upload takes many PATCHes and the balancer spreads them.
UPLOAD_CHUNK = 64 * 1024


def can_make_namespaces() -> bool:
    if os.geteuid() != 0:
        return False
    probe = subprocess.run(["ip", "netns", "add", "ptl-probe"], capture_output=True, check=False)
    subprocess.run(["ip", "netns", "del", "ptl-probe"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[deploy.State]:
    if not can_make_namespaces():
        if os.environ.get("CI"):
            pytest.fail("cluster tests need root and network namespaces, as CI has")
        pytest.skip("needs root and network namespaces")
    os.environ["PORTAL_CLUSTER_DIR"] = str(tmp_path_factory.mktemp("cluster") / "state")
    try:
        yield deploy.up()
    finally:
        deploy.down()


async def job_created(
    url: str, origin: str, title: str, subscribed: asyncio.Semaphore
) -> dict[str, Any]:
    async with websockets.connect(url, origin=origin) as ws:  # type: ignore[arg-type]
        await ws.send(json.dumps({"type": "subscribe", "channel": "jobs"}))
        async with asyncio.timeout(30):
            while True:
                frame = json.loads(await ws.recv())
                if frame["type"] == "subscribed":
                    subscribed.release()  # the job may be posted now
                messages = frame["messages"] if frame["type"] == "batch" else [frame]
                for message in messages:
                    if message.get("event") == "job.created" and message["data"]["title"] == title:
                        return message


async def test_a_job_reaches_sockets_on_every_host(cluster: deploy.State) -> None:
    base = cluster.balancer
    admin = scenario.Client(base)
    await asyncio.to_thread(
        admin.call,
        "POST",
        "/api/v1/auth/login",
        {"login": "admin", "password": cluster.admin_password},
    )
    # (websocket URL, the Origin a page served from there would send)
    sockets = [(base.replace("http", "ws") + "/ws", base)]
    for host in ("web1", "web2"):
        direct = f"{deploy.HOSTS[host]}:{deploy.WEB_PORT}"
        sockets.append((f"ws://{direct}/ws", f"http://{direct}"))
    title = "Site reliability engineer"
    subscribed = asyncio.Semaphore(0)
    waiting = [
        asyncio.create_task(job_created(url, origin, title, subscribed)) for url, origin in sockets
    ]
    async with asyncio.timeout(30):
        for _ in sockets:
            await subscribed.acquire()
    job = await asyncio.to_thread(
        admin.call,
        "POST",
        "/api/v1/jobs",
        {"title": title, "content": "On call", "status": "published", "apply_email": "a@b.cn"},
    )
    got = await asyncio.gather(*waiting)
    assert {message["data"]["id"] for message in got} == {job["id"]}
    assert len({message["id"] for message in got}) == 1


async def test_faults_lose_no_committed_event(cluster: deploy.State) -> None:
    """The fault run of tests/cluster/scenario.py with 50 sockets (bench/cluster.py: 200)."""
    run = await scenario.faults(cluster, sockets=SOCKETS, cut_seconds=CUT_SECONDS)
    assert_exactly_once(run.books, run.text)
    # A request may fail while the balancer has not yet seen a host go (two checks a second
    # apart), or was in flight on it; never for longer than that and 5 s.
    assert run.figures["longest_failing_s"] <= 2 * deploy.CHECK_INTERVAL + 5, run.text
    assert run.figures["recommender takeover (s)"] <= 10, run.text
    roles = run.figures["recommender roles before the kill"]
    assert sorted(roles.values()) == ["active", "standby"], run.text
    assert run.figures["standby's /readyz says active (s)"] <= 10, run.text
    assert run.figures["clicks not in the model"] == 0, run.text


def test_an_upload_spread_over_both_hosts_arrives_whole(
    cluster: deploy.State, tmp_path: Path
) -> None:
    """tus PATCHes through the balancer go round-robin to both web hosts, which append to the
    shared media directory under its lock; the consumer host processes the finished video
    and either web host serves it, byte for byte."""
    video = make_video(tmp_path / "cluster.mp4")
    data = video.read_bytes()
    with requests.Session() as http:
        signed_in = http.post(
            cluster.balancer + "/api/v1/auth/login",
            json={"login": "admin", "password": cluster.admin_password},
            timeout=10,
        )
        assert signed_in.status_code == 200, signed_in.text
        token = http.post(
            cluster.balancer + "/api/v1/me/tokens", json={"name": "tus"}, timeout=10
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        job = http.post(
            cluster.balancer + "/api/v1/jobs",
            json={"title": "Video editor", "content": "Cut", "status": "published",
                  "apply_email": "a@b.cn"},
            headers=auth, timeout=10,
        ).json()  # fmt: skip
        before = {host: patches(cluster, host) for host in ("web1", "web2")}
        with video.open("rb") as stream:
            uploader = TusClient(cluster.balancer + "/api/v1/uploads", headers=auth).uploader(
                file_stream=stream,
                chunk_size=UPLOAD_CHUNK,
                metadata={"filename": video.name, "filetype": "video/mp4",
                          "job_id": str(job["id"])},
            )  # fmt: skip
            uploader.upload()
        for host in ("web1", "web2"):
            assert patches(cluster, host) > before[host], f"no PATCH reached {host}"
        deadline = time.monotonic() + 90
        ready: dict[str, Any] | None = None
        while ready is None and time.monotonic() < deadline:
            videos = http.get(
                f"{cluster.balancer}/api/v1/jobs/{job['id']}", headers=auth, timeout=10
            ).json()["videos"]
            ready = next((v for v in videos if v["filename"] == video.name), None)
            time.sleep(0.5)
        assert ready is not None, "the video never became ready"
        for host in ("web1", "web2"):
            served = http.get(
                f"http://{deploy.HOSTS[host]}:{deploy.WEB_PORT}{ready['url']}",
                headers=auth,
                timeout=30,
            )
            assert served.status_code == 200, served.text
            assert hashlib.sha256(served.content).hexdigest() == hashlib.sha256(data).hexdigest()


def patches(state: deploy.State, host: str) -> int:
    """How many tus PATCHes a web host's access log shows."""
    log = (Path(state.root) / f"{host}.log").read_text(errors="replace")
    return log.count('"PATCH /api/v1/uploads/')


def test_down_leaves_nothing_behind(cluster: deploy.State) -> None:
    root = Path(cluster.root)
    deploy.down()
    assert not root.exists()
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "ptl-" not in namespaces
    links = subprocess.run(["ip", "link"], capture_output=True, text=True).stdout
    assert deploy.BRIDGE not in links
    for pgid in cluster.processes.values():
        assert not deploy.alive(pgid)
    databases = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "root", "-d", "postgres", "-tAc",
         f"SELECT 1 FROM pg_database WHERE datname = '{cluster.database}'"],  # noqa: S608
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert databases.strip() == ""
