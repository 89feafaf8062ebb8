"""A private RabbitMQ node for fault tests, started from Debian's ``rabbitmq-server``.

The node has its own name, AMQP port, Erlang distribution port, Erlang cookie and data, log and
config directories under one temporary directory, so killing it never touches the machine's
broker (``rabbit@localhost`` on 5672). Only epmd is shared. The machine's
``/etc/rabbitmq/rabbitmq-env.conf`` (which sets ``NODENAME`` and ``ERL_FLAGS``) is never read.

Tests take the ``broker_node`` fixture (``tests/faults/conftest.py``). Every method blocks; from
an asyncio test call them through ``asyncio.to_thread``::

    connection = await aio_pika.connect_robust(broker_node.url)
    await asyncio.to_thread(broker_node.stop_app)  # fast outage: connections dropped, VM stays
    await asyncio.to_thread(broker_node.start_app)
    await asyncio.to_thread(broker_node.kill)  # abrupt outage: kill -9 of the Erlang VM
    await asyncio.to_thread(broker_node.restart)  # same data, same port
    await asyncio.to_thread(broker_node.shutdown)  # clean stop of the VM, then restart()
    await asyncio.to_thread(broker_node.ctl, "close_all_connections", "fault test")

Outside pytest, ``with BrokerNode() as node:`` starts the node, and leaving the block stops it
for good: a clean stop, ``kill -9`` as the fallback, the directory removed. A node still up
when the interpreter exits is killed then.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import random
import secrets
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")

# Ports are drawn below the kernel's ephemeral range, so an outgoing connection cannot take the
# AMQP port while the node is down, and away from the machine's broker ports.
PORT_RANGE = (20000, 32000)
RESERVED_PORTS = frozenset({5672, 15672, 25672, 4369, *range(35672, 35683)})

LOOPBACK_ERL_ARGS = "-kernel inet_dist_use_interface {127,0,0,1}"

CONFIG = """\
listeners.tcp.default = {host}:{port}
default_user = guest
default_pass = guest
loopback_users.guest = {loopback_only}
# A shared CI disk must not set off the free-space alarm, which blocks every publisher.
disk_free_limit.absolute = 1MB
log.console = false
log.file.level = info
"""

_names = itertools.count(1)


class BrokerNodeError(RuntimeError):
    """The private node did not start, stop or answer in time."""


class BrokerNode:
    """One private RabbitMQ node on spare ports; see the module docstring for the lifecycle."""

    def __init__(
        self,
        *,
        name: str | None = None,
        base_dir: str | os.PathLike[str] | None = None,
        start_timeout: float = 60.0,
        stop_timeout: float = 30.0,
        cookie: str | None = None,
        host: str = "127.0.0.1",
        outlive_interpreter: bool = False,
    ) -> None:
        """``cookie``: the Erlang cookie, shared by the nodes of one cluster (else random).
        ``host``: the address AMQP listens on (guest may connect from elsewhere than loopback
        when it is not 127.0.0.1). ``outlive_interpreter``: the node stays up when this
        process exits (scripts/cluster); ``stop_node_at`` stops it later."""
        self.host = host
        self.node_name = name or f"faults-{os.getpid()}-{next(_names)}@localhost"
        self._cookie = cookie or new_cookie()
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.port = free_port()
        self.dist_port = free_port(exclude={self.port})
        self.root = Path(tempfile.mkdtemp(prefix="faults-rabbit-", dir=base_dir))
        self._home = self.root / "home"
        self._etc = self.root / "etc"
        self._log_dir = self.root / "log"
        self._pid_file = self.root / "node.pid"
        self._launch_log = self.root / "launch.log"
        self._stopped = False
        self._write_files()
        self._env = self._environment()
        self._outlive = outlive_interpreter
        if not outlive_interpreter:
            atexit.register(self._kill_at_exit)

    @property
    def url(self) -> str:
        """The AMQP URL of this node (guest/guest, default vhost)."""
        return f"amqp://guest:guest@{self.host}:{self.port}/"

    # Lifecycle

    def start(self) -> None:
        """Start the node detached; return once it accepts AMQP and has finished booting."""
        if self._stopped:
            raise BrokerNodeError(f"{self.node_name} was stopped for good: make a new BrokerNode")
        if self.beam_pids():
            raise BrokerNodeError(f"{self.node_name} is already running")
        if self.accepting():
            raise BrokerNodeError(f"port {self.port} is taken by another process")
        deadline = time.monotonic() + self.start_timeout
        with self._launch_log.open("ab") as log:
            # Erlang's -detached forks the VM off and returns at once.
            launcher = subprocess.run(
                [RABBITMQ_BIN / "rabbitmq-server", "-detached"],
                env=self._env,
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=self.start_timeout,
                check=False,
            )
        if launcher.returncode != 0:
            raise self._error(f"rabbitmq-server -detached exited {launcher.returncode}")
        # The VM it forked may not be there yet on a busy machine: "died" means seen, then gone.
        self._wait(lambda: bool(self.beam_pids()), deadline, f"{self.node_name}'s VM to appear")
        self._wait(
            self.accepting,
            deadline,
            f"{self.node_name} to accept AMQP on port {self.port}",
            alive=True,
        )
        self.ctl("await_startup", timeout=max(deadline - time.monotonic(), 5.0))

    def stop_app(self) -> None:
        """The fast outage: stop the RabbitMQ application; the Erlang VM stays up."""
        self.ctl("stop_app")
        self._wait(lambda: not self.accepting(), self._stop_deadline(), "the AMQP port to close")

    def start_app(self) -> None:
        """Bring the application back after ``stop_app``; return once AMQP accepts again."""
        deadline = time.monotonic() + self.start_timeout
        self.ctl("start_app", timeout=self.start_timeout)
        self._wait(self.accepting, deadline, "AMQP to accept again", alive=True)

    def kill(self) -> None:
        """The abrupt outage: ``kill -9`` the node's Erlang VM and its helper processes."""
        pids = self.beam_pids()
        if not pids:
            raise BrokerNodeError(f"{self.node_name} is not running")
        self._kill_all(pids)

    def shutdown(self) -> None:
        """Stop the node and its VM cleanly, keeping its data so that ``restart()`` works."""
        pids = self.beam_pids()
        if not pids:
            return
        try:
            self.ctl("stop", str(self._pid_file), timeout=self.stop_timeout)
            self._wait(lambda: not self.beam_pids(), self._stop_deadline(), "the VM to exit")
        except BrokerNodeError:
            self._kill_all(self.beam_pids())
        self._wait(lambda: not self.accepting(), self._stop_deadline(), "the AMQP port to close")

    def restart(self) -> None:
        """Start the node again after ``kill()`` or ``shutdown()``: same data, same port.

        A node still running is shut down cleanly first."""
        self.shutdown()
        self.start()

    def join_cluster(self, other: BrokerNode) -> None:
        """Make this running node a member of ``other``'s cluster (their cookies must match);
        this node's own data is reset."""
        self.ctl("stop_app")
        self.ctl("reset")
        self.ctl("join_cluster", other.node_name, timeout=self.start_timeout)
        self.start_app()
        self.ctl("await_startup", timeout=self.start_timeout)

    def ensure_running(self) -> None:
        """Undo whatever outage a previous test left behind (killed node, stopped app)."""
        if not self.beam_pids():
            self.start()
        elif not self.accepting():
            self.start_app()

    def stop(self) -> None:
        """Stop for good: clean stop (``kill -9`` as a fallback), then remove the directory."""
        if self._stopped:
            return
        try:
            self.shutdown()
        finally:
            try:
                self._kill_all(self.beam_pids())
            finally:
                self._stopped = True
                if not self._outlive:
                    atexit.unregister(self._kill_at_exit)
                shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> BrokerNode:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # Inspection

    def ctl(self, *args: str, timeout: float = 30.0) -> str:
        """Run ``rabbitmqctl -n <node> ARGS`` against this node; its output, or an error."""
        try:
            result = subprocess.run(
                [RABBITMQ_BIN / "rabbitmqctl", "-n", self.node_name, *args],
                env=self._env,
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise self._error(
                f"rabbitmqctl {' '.join(args)} took more than {timeout:.0f} s"
            ) from exc
        if result.returncode != 0:
            raise self._error(
                f"rabbitmqctl {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout}{result.stderr}"
            )
        return result.stdout

    def accepting(self) -> bool:
        """Whether the AMQP port accepts TCP connections right now."""
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def beam_pids(self) -> list[int]:
        """The node's Erlang VM and its descendants (port programs), VM first; empty if down.

        The VM is found by its ``-home`` argument, this node's private HOME."""
        marker = f"\0-home\0{self._home}\0".encode()
        processes = _processes()
        return _with_descendants(
            [
                pid
                for pid, (_, cmdline) in processes.items()
                if b"beam" in cmdline.split(b"\0", 1)[0] and marker in cmdline
            ],
            processes,
        )

    def log_tail(self, lines: int = 40) -> str:
        """The node's error lines and last log lines, its launch output and any crash dump."""
        node_log = self._log_dir / f"{self.node_name}.log"
        parts = []
        if node_log.exists():
            errors = [line for line in _read_lines(node_log) if "[error]" in line]
            if errors:
                parts.append("--- errors in the node log ---\n" + "\n".join(errors[:lines]))
        for path in (self._launch_log, node_log, self.root / "erl_crash.dump"):
            if path.exists():
                parts.append(f"--- {path.name} ---\n" + "\n".join(_read_lines(path)[-lines:]))
        return "\n".join(parts) or "(no log written)"

    # Internals

    def _write_files(self) -> None:
        for directory in (self._home, self._etc, self._log_dir, self.root / "mnesia"):
            directory.mkdir(parents=True)
        cookie = self._home / ".erlang.cookie"
        cookie.write_text(self._cookie)
        # Erlang refuses a cookie file that others can read.
        cookie.chmod(0o400)
        loopback_only = "true" if self.host == "127.0.0.1" else "false"
        (self._etc / "rabbitmq.conf").write_text(
            CONFIG.format(host=self.host, port=self.port, loopback_only=loopback_only)
        )
        (self._etc / "enabled_plugins").write_text("[].\n")
        (self._etc / "rabbitmq-env.conf").write_text("")

    def _environment(self) -> dict[str, str]:
        # Inherited RABBITMQ_* and ERL_* settings (ERL_FLAGS, ERL_LIBS...) would reach this node.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update(
            HOME=str(self._home),
            ERL_EPMD_ADDRESS="127.0.0.1",
            RABBITMQ_CONF_ENV_FILE=str(self._etc / "rabbitmq-env.conf"),
            RABBITMQ_NODENAME=self.node_name,
            RABBITMQ_NODE_IP_ADDRESS=self.host,
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_CONFIG_FILE=str(self._etc / "rabbitmq.conf"),
            RABBITMQ_CONFIG_FILES=str(self._etc / "conf.d" / "*.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(self._etc / "advanced.config"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self._etc / "enabled_plugins"),
            RABBITMQ_MNESIA_BASE=str(self.root / "mnesia"),
            RABBITMQ_LOG_BASE=str(self._log_dir),
            RABBITMQ_PID_FILE=str(self._pid_file),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=LOOPBACK_ERL_ARGS,
            RABBITMQ_CTL_ERL_ARGS=LOOPBACK_ERL_ARGS,
        )
        return env

    def _stop_deadline(self) -> float:
        return time.monotonic() + self.stop_timeout

    def _wait(
        self, done: Callable[[], bool], deadline: float, what: str, *, alive: bool = False
    ) -> None:
        """Poll ``done`` until ``deadline``; with ``alive``, fail at once if the VM has died."""
        while not done():
            if alive and not self.beam_pids():
                raise self._error(f"{self.node_name} died while waiting for {what}")
            if time.monotonic() > deadline:
                raise self._error(f"timed out waiting for {what}")
            time.sleep(0.1)

    def _kill_all(self, pids: list[int]) -> None:
        _sigkill(pids)
        self._wait(lambda: not self.beam_pids(), self._stop_deadline(), "the VM to die")
        self._wait(lambda: not self.accepting(), self._stop_deadline(), "the AMQP port to close")

    def _kill_at_exit(self) -> None:
        """A last resort when a run ends without ``stop()``: no node may outlive it."""
        _sigkill(self.beam_pids())
        shutil.rmtree(self.root, ignore_errors=True)

    def _error(self, message: str) -> BrokerNodeError:
        return BrokerNodeError(f"{message}\n{self.log_tail()}")


def new_cookie() -> str:
    return "".join(secrets.choice(string.ascii_uppercase) for _ in range(20))


def rabbitmq_installed() -> bool:
    """Whether Debian's rabbitmq-server scripts are where this module expects them."""
    return all(
        os.access(RABBITMQ_BIN / tool, os.X_OK) for tool in ("rabbitmq-server", "rabbitmqctl")
    )


def free_port(exclude: set[int] | frozenset[int] = frozenset()) -> int:
    """A loopback TCP port nobody listens on, below the ephemeral range."""
    for _ in range(200):
        port = random.randint(*PORT_RANGE)
        if port in RESERVED_PORTS or port in exclude:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise BrokerNodeError(f"no free port in {PORT_RANGE}")


def _with_descendants(found: list[int], processes: dict[int, tuple[int, bytes]]) -> list[int]:
    """``found`` and every descendant of theirs in ``processes``, parents first."""
    for parent in found:  # grows while it is walked: a breadth-first walk of the tree
        found.extend(pid for pid, (ppid, _) in processes.items() if ppid == parent)
    return found


def _read_lines(path: Path) -> list[str]:
    return path.read_text(errors="replace").splitlines()


def _sigkill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _processes() -> dict[int, tuple[int, bytes]]:
    """``{pid: (parent pid, NUL-separated command line)}`` of every live process in sight.

    Zombies are left out: their command line is empty, and nothing reaps them in some
    containers."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            cmdline = Path(entry.path, "cmdline").read_bytes()
        except OSError:
            continue
        # The command name in parentheses may hold spaces: split only what follows it.
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state != "Z" and cmdline:
            found[int(entry.name)] = (int(ppid), cmdline)
    return found


def kill_nodes_under(directory: Path) -> int:
    """``kill -9`` every node whose private directory lies under ``directory`` (nodes another
    process started with ``outlive_interpreter``); how many VMs and helpers were killed."""
    marker = f"\0-home\0{directory}/".encode()
    processes = _processes()
    found = _with_descendants(
        [pid for pid, (_, cmdline) in processes.items() if marker in cmdline], processes
    )
    _sigkill(found)
    return len(found)
