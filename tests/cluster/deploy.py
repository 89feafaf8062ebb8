"""Portal as it runs on several hosts, on this one machine: ``scripts/cluster up|down|status``.

- three RabbitMQ nodes in one cluster (private nodes on spare ports; never the machine's broker
  on 5672), listening on the bridge's address;
- two web "hosts" and one consumer "host": network namespaces (``ip netns``) joined to a
  bridge by veth pairs, each with its own address. Each web host runs ``portal serve
  --workers 2``; the consumer host runs ``portal consumer recommender|media|mail``;
- HAProxy in front of the web hosts (health check ``GET /readyz``, websocket upgrades passed
  through), which also carries PostgreSQL from the bridge to the machine's server (it listens
  on 127.0.0.1 only);
- PostgreSQL: a fresh database ``portal_cluster_<id>`` on the machine's server;
- a shared media directory, as a network file system would be shared.

Everything lives under one state directory (``PORTAL_CLUSTER_DIR``, default
/tmp/portal-cluster), and ``down`` removes all of it: processes, namespaces, bridge, database.
Needs root (namespaces, veth, the bridge).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tests.faults.broker_node import BrokerNode, kill_nodes_under, new_cookie

REPO = Path(__file__).resolve().parents[2]
PORTAL = Path(sys.executable).with_name("portal")
BRIDGE = "ptlbr0"
SUBNET = "10.77.0"
GATEWAY = f"{SUBNET}.1"
HOSTS = {"web1": f"{SUBNET}.11", "web2": f"{SUBNET}.12", "work": f"{SUBNET}.13"}
WEB_PORT = 8000
BALANCER_PORT = 18080
PG_PORT = 15432
# name -> what runs: the second recommender stands by (PORTAL_RECOMMENDER_STANDBY).
CONSUMERS = {
    "recommender": "recommender",
    "recommender-standby": "recommender",
    "media": "media",
    "mail": "mail",
}
# Where each consumer answers /healthz and /readyz (--health-bind) on the consumer host.
HEALTH_PORTS = {"recommender": 8091, "recommender-standby": 8092, "media": 8093, "mail": 8094}
# deploy/haproxy.cfg checks every second and takes a host out after two failures.
CHECK_INTERVAL = 1.0
# ... and back in after two successes: how long after a host is ready the balancer uses it.
BACK_IN_BALANCER = 2 * CHECK_INTERVAL + 0.5

# The balancer's configuration is the one deploy/ recommends, with its addresses from the
# environment; HAProxy reaches PostgreSQL for the namespaces too (a second file).
HAPROXY_CONFIG = REPO / "deploy" / "haproxy.cfg"
POSTGRES_BRIDGE = """\
frontend postgres
    mode tcp
    bind {gateway}:{pg_port}
    default_backend postgres

backend postgres
    mode tcp
    timeout server 1h
    server local 127.0.0.1:5432
"""


class ClusterError(RuntimeError):
    pass


@dataclass
class State:
    """What ``up`` made, written to <state dir>/cluster.json for ``status`` and ``down``."""

    root: str
    database: str
    secret_key: str
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    brokers: list[str] = field(default_factory=list)  # AMQP URLs
    broker_names: list[str] = field(default_factory=list)
    processes: dict[str, int] = field(default_factory=dict)  # name -> process group id

    @property
    def amqp_url(self) -> str:
        return ",".join(self.brokers)

    @property
    def balancer(self) -> str:
        return f"http://127.0.0.1:{BALANCER_PORT}"


def state_dir() -> Path:
    # A fixed name so that `down` finds what `up` made; only root runs this.
    return Path(os.environ.get("PORTAL_CLUSTER_DIR", "/tmp/portal-cluster"))  # noqa: S108


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise ClusterError(f"{' '.join(command)}: {result.stdout}{result.stderr}".strip())
    return result


def netns(host: str) -> str:
    return f"ptl-{host}"


# The network


def network_up() -> None:
    run("ip", "link", "add", BRIDGE, "type", "bridge")
    run("ip", "addr", "add", f"{GATEWAY}/24", "dev", BRIDGE)
    run("ip", "link", "set", BRIDGE, "up")
    for host, address in HOSTS.items():
        ns, outside = netns(host), f"ptl-{host}-h"
        run("ip", "netns", "add", ns)
        run("ip", "link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", ns)
        run("ip", "link", "set", outside, "master", BRIDGE)
        run("ip", "link", "set", outside, "up")
        run("ip", "netns", "exec", ns, "ip", "addr", "add", f"{address}/24", "dev", "eth0")
        run("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up")
        run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")


def network_down() -> None:
    for host in HOSTS:
        run("ip", "netns", "del", netns(host), check=False)
        run("ip", "link", "del", f"ptl-{host}-h", check=False)
    run("ip", "link", "del", BRIDGE, check=False)


def cut(host: str, down: bool = True) -> None:
    """Take a host off the network (its link down inside its namespace), or bring it back."""
    run("ip", "netns", "exec", netns(host), "ip", "link", "set", "eth0", "down" if down else "up")


# Processes


def environment(state: State, host: str) -> dict[str, str]:
    root = Path(state.root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_ENV="production",
        PORTAL_DATA_DIR=str(root / host),
        PORTAL_DATABASE_URL=f"postgresql+asyncpg://root@{GATEWAY}:{PG_PORT}/{state.database}",
        PORTAL_AMQP_URL=state.amqp_url,
        PORTAL_AMQP_QUORUM_QUEUES="true",
        PORTAL_RECOMMENDER_STANDBY="true",
        PORTAL_MEDIA_ROOT=str(root / "media"),
        PORTAL_SECRET_KEY=state.secret_key,
        PORTAL_PUBLIC_URL=state.balancer,
        PORTAL_TRUSTED_PROXIES=f"{GATEWAY}/32",
        PORTAL_COOKIE_SECURE="false",
        PYTHONPATH=str(REPO),
    )
    return env


# The processes this interpreter started, reaped when killed (scripts/cluster up exits and
# leaves them to run; a test process kills them itself).
_children: dict[int, subprocess.Popen[bytes]] = {}
# The RabbitMQ nodes this interpreter started, for tests that kill and restart them.
nodes: list[BrokerNode] = []


def spawn(state: State, name: str, host: str, *command: str) -> None:
    with (Path(state.root) / f"{name}.log").open("ab") as log:
        process = subprocess.Popen(
            ["ip", "netns", "exec", netns(host), *command],
            env=environment(state, host),
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: down kills it and its workers
        )
    _children[process.pid] = process
    state.processes[name] = process.pid
    save(state)  # down, from any process, must find it


def start_web(state: State, host: str) -> None:
    bind = f"{HOSTS[host]}:{WEB_PORT}"
    spawn(state, host, host, str(PORTAL), "serve", "--workers", "2", "--bind", bind)


def start_consumer(state: State, name: str) -> None:
    health = f"{HOSTS['work']}:{HEALTH_PORTS[name]}"
    spawn(state, name, "work", str(PORTAL), "consumer", CONSUMERS[name], "--health-bind", health)


def subscribed(state: State) -> bool:
    """Whether the clicks queue has a consumer."""
    if not nodes:
        return True  # nodes of another process: nothing to ask
    listed = nodes[0].ctl("list_queues", "name", "consumers")
    return any(line.split() == ["portal.clicks", "1"] for line in listed.splitlines())


def wait_web_ready(host: str, timeout: float = 90) -> None:
    url = f"http://{HOSTS[host]}:{WEB_PORT}/readyz"
    wait_for(f"{host} to be ready", lambda: get(url) == 200, timeout)


def kill(state: State, name: str, sig: int = signal.SIGKILL) -> None:
    pgid = state.processes.get(name)
    if pgid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)
    child = _children.pop(pgid, None)
    if child is not None and sig == signal.SIGKILL:
        child.wait(10)


def alive(pgid: int) -> bool:
    """Whether a process of the group still runs (zombies left out: in some containers
    nothing reaps a killed server's orphaned workers)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == pgid:
            return True
    return False


def get(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (http only)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def consumer_role(name: str) -> str:
    """What the consumer's /readyz says it is doing (a recommender: active or standby)."""
    url = f"http://{HOSTS['work']}:{HEALTH_PORTS[name]}/readyz"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return str(json.load(response).get("role", "?"))
    except urllib.error.HTTPError as error:
        return f"not ready ({error.code})"
    except (OSError, ValueError):
        return "not answering"


def wait_for(what: str, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise ClusterError(f"timed out waiting for {what}")
        time.sleep(0.2)


# The whole


def save(state: State) -> None:
    (Path(state.root) / "cluster.json").write_text(json.dumps(asdict(state), indent=2))


def load() -> State | None:
    path = state_dir() / "cluster.json"
    if not path.exists():
        return None
    return State(**json.loads(path.read_text()))


def up() -> State:
    root = state_dir()
    if root.exists():
        raise ClusterError(f"{root} exists: run `scripts/cluster down` first")
    root.mkdir(parents=True)
    (root / "media").mkdir()
    state = State(
        root=str(root),
        database=f"portal_cluster_{secrets.token_hex(4)}",
        secret_key=secrets.token_urlsafe(32),
    )
    save(state)
    try:
        network_up()
        cookie = new_cookie()
        made = [
            BrokerNode(base_dir=root, cookie=cookie, host=GATEWAY, outlive_interpreter=True)
            for _ in range(3)
        ]
        for node in made:
            node.start()
        for node in made[1:]:
            node.join_cluster(made[0])
        nodes[:] = made
        state.brokers = [node.url for node in made]
        state.broker_names = [node.node_name for node in made]
        save(state)
        bridge = root / "postgres.cfg"
        bridge.write_text(POSTGRES_BRIDGE.format(gateway=GATEWAY, pg_port=PG_PORT))
        subprocess.run(
            ["haproxy", "-f", str(HAPROXY_CONFIG), "-f", str(bridge)],
            env={
                **os.environ,
                "PORTAL_LB_BIND": f"127.0.0.1:{BALANCER_PORT}",
                "PORTAL_LB_STATE": str(root),
                "PORTAL_WEB1": f"{HOSTS['web1']}:{WEB_PORT}",
                "PORTAL_WEB2": f"{HOSTS['web2']}:{WEB_PORT}",
            },
            check=True,
            capture_output=True,
        )
        run("psql", "-h", "127.0.0.1", "-U", "root", "-d", "postgres", "-c",
            f"CREATE DATABASE {state.database}")  # fmt: skip
        for command in (
            ["init-db"],
            ["create-admin", "--username", "admin", "--password", state.admin_password],
        ):
            subprocess.run(
                ["ip", "netns", "exec", netns("work"), str(PORTAL), *command],
                env=environment(state, "work"),
                cwd=REPO,
                check=True,
                capture_output=True,
            )
        for host in ("web1", "web2"):
            start_web(state, host)
        for name in CONSUMERS:
            start_consumer(state, name)
            if name == "recommender":
                # The first to subscribe is the active one: let it be this one.
                wait_for("the recommender to subscribe", lambda: subscribed(state), 60)
        save(state)
        for host in ("web1", "web2"):
            wait_web_ready(host)
        wait_for("the balancer", lambda: get(state.balancer + "/readyz") == 200, 30)
    except BaseException:
        down()
        raise
    return state


def down() -> None:
    """Stop and remove everything ``up`` made (also after a half-finished ``up``)."""
    root = state_dir()
    state = load()
    if state is not None:
        for name in state.processes:
            kill(state, name)
        run("psql", "-h", "127.0.0.1", "-U", "root", "-d", "postgres", "-c",
            f"DROP DATABASE IF EXISTS {state.database} WITH (FORCE)", check=False)  # fmt: skip
    pid_file = root / "haproxy.pid"
    if pid_file.exists():
        for pid in pid_file.read_text().split():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
    if root.exists():
        kill_nodes_under(root)
    nodes.clear()
    network_down()
    shutil.rmtree(root, ignore_errors=True)


def status() -> dict[str, str]:
    state = load()
    if state is None:
        return {"cluster": "down"}
    found = {"balancer": f"{state.balancer} /readyz {get(state.balancer + '/readyz')}"}
    for host in ("web1", "web2"):
        code = get(f"http://{HOSTS[host]}:{WEB_PORT}/readyz")
        found[host] = f"{HOSTS[host]}:{WEB_PORT} /readyz {code}"
    for name, pgid in state.processes.items():
        if name in CONSUMERS:
            found[f"consumer {name}"] = f"running, {consumer_role(name)}" if alive(pgid) else "dead"
    for url in state.brokers:
        port = int(url.rsplit(":", 1)[1].strip("/"))
        found[f"rabbitmq :{port}"] = "up" if get_tcp(GATEWAY, port) else "down"
    found["database"] = state.database
    return found


def get_tcp(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    if command == "up":
        state = up()
        print(f"Portal cluster up: {state.balancer}/ (state in {state.root})")
        print(f"  admin: admin / {state.admin_password}")
        for name, value in status().items():
            print(f"  {name}: {value}")
    elif command == "down":
        down()
        print("Portal cluster down: nothing left behind")
    elif command == "status":
        for name, value in status().items():
            print(f"{name}: {value}")
    else:
        print("usage: scripts/cluster up|down|status", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
