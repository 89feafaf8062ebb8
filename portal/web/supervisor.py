"""``portal serve``'s worker processes: Hypercorn workers on listening sockets bound once here,
each one replaced as soon as it dies while the others serve on, the whole server stopped with
a failure status when workers keep dying.

Where the platform lets sockets share a port (SO_REUSEPORT) each worker has listening sockets
of its own and the kernel spreads new connections over them. With one shared socket,
whichever worker wakes first accepts a whole burst (asyncio accepts up to the backlog per
wake-up), and 64 connections opened at once often all land on one worker while the other
idles. A dead worker's sockets stay open here, so connections meant for it wait in their
queue for its replacement instead of being refused.

Pure process management: the app is imported in the workers only (``config.application_path``).
Only Hypercorn's public API is used: ``Config.create_sockets``, ``hypercorn.asyncio.serve`` and
``fd://`` binds (how a worker picks up the sockets it inherits).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import multiprocessing
import os
import signal
import socket
import time
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config, Sockets

# A child of Hypercorn's error logger: the same format and destination (``errorlog``).
log = logging.getLogger("hypercorn.error.supervisor")

WORKER_CLASSES = ("asyncio", "uvloop")
# After graceful_timeout a worker still runs the app's shutdown (engine, broker connection).
SHUTDOWN_MARGIN = 10.0
PARENT_CHECK_SECONDS = 1.0


@dataclass
class RestartPolicy:
    """When a crashed worker is replaced, and when to give up.

    Crashes form a streak while they come less than ``window`` seconds apart or from workers
    that lived less than that (a start-up that fails, however slowly): the first is replaced
    at once, the next after a delay that doubles each time, the ``max_crashes``-th ends the
    server.
    """

    max_crashes: int = 5
    window: float = 10.0
    first_delay: float = 0.5
    max_delay: float = 5.0
    streak: list[float] = field(default_factory=list)

    def crashed(self, now: float, lived: float) -> float | None:
        """The delay before the replacement starts, or None: give up."""
        if self.streak and now - self.streak[-1] > self.window and lived > self.window:
            self.streak.clear()
        self.streak.append(now)
        count = len(self.streak)
        if count >= self.max_crashes:
            return None
        if count == 1:
            return 0.0
        return min(self.first_delay * 2 ** (count - 2), self.max_delay)


def describe_exit(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with code {exitcode}"


def supervise(config: Config, policy: RestartPolicy | None = None) -> int:
    """Bind ``config``'s sockets, run ``config.workers`` workers until told to stop; the exit
    status: 0 after SIGTERM or SIGINT, 1 when the workers kept crashing."""
    if config.worker_class not in WORKER_CLASSES:
        raise ValueError(f"worker_class must be one of {', '.join(WORKER_CLASSES)}")
    # Hypercorn's loggers, set up in this process as in a worker; not cached on the config
    # (``config.log``): the config is pickled to the workers, where a Logger would arrive
    # without its handlers.
    config.logger_class(config)
    slots = worker_sockets(config)
    try:
        if config.pid_path is not None:
            with open(config.pid_path, "w") as file:
                file.write(str(os.getpid()))
        return Supervisor(config, slots, policy or RestartPolicy()).run()
    finally:
        for sockets in {id(sockets): sockets for sockets in slots}.values():
            for sock in (*sockets.secure_sockets, *sockets.insecure_sockets, *sockets.quic_sockets):
                sock.close()


def worker_sockets(config: Config) -> list[Sockets]:
    """The listening sockets of each worker slot: a set per worker where every bind is a TCP
    host:port the kernel may share between sockets (Hypercorn sets SO_REUSEPORT with several
    workers), else one set shared by all (unix sockets, inherited fds, port 0)."""
    first = _listening(config, config.create_sockets())
    binds = [*config.bind, *config.insecure_bind, *config.quic_bind]
    if (
        config.workers < 2
        or not hasattr(socket, "SO_REUSEPORT")
        or not all(map(_fixed_port, binds))
    ):
        return [first] * config.workers
    return [first, *(_listening(config, config.create_sockets()) for _ in range(1, config.workers))]


def _listening(config: Config, sockets: Sockets) -> Sockets:
    """``sockets`` listening from now on (the worker's listen() only sets the backlog again): a
    socket sharing a port gets its share of connections only once it listens, so one whose
    worker is still starting would leave the others all of them."""
    for sock in (*sockets.secure_sockets, *sockets.insecure_sockets):
        sock.listen(config.backlog)
    return sockets


def _fixed_port(bind: str) -> bool:
    if bind.startswith(("unix:", "fd://")):
        return False
    _host, _, port = bind.replace("[", "").replace("]", "").rpartition(":")
    return port.isdigit() and int(port) > 0


class Supervisor:
    """The parent process's loop: start, watch, replace and stop the workers."""

    def __init__(self, config: Config, slots: list[Sockets], policy: RestartPolicy) -> None:
        self.config = config
        self.slots = slots
        self.policy = policy
        # As Hypercorn: a fresh interpreter per worker, the sockets passed at start.
        self.context = multiprocessing.get_context("spawn")
        self.workers: list[BaseProcess] = []
        self.started: dict[BaseProcess, float] = {}
        self.slot_of: dict[BaseProcess, int] = {}
        self.restarts: list[tuple[float, int]] = []  # (when, slot) of pending replacements
        self.signals: list[int] = []
        self.wakeup_read, self.wakeup_write = os.pipe()

    def run(self) -> int:
        previous = self._install_signals()
        try:
            log.info("starting %d worker process(es)", self.config.workers)
            for slot in range(self.config.workers):
                self._start(slot)
            return 1 if self._watch() else 0
        finally:
            self._stop()  # on an error of this loop too: no worker outlives it
            self._restore_signals(previous)
            os.close(self.wakeup_read)
            os.close(self.wakeup_write)

    # -- signals

    def _install_signals(self) -> dict[int, Any]:
        os.set_blocking(self.wakeup_read, False)
        os.set_blocking(self.wakeup_write, False)
        # The handler only records; the wakeup fd ends the wait() it interrupts.
        previous: dict[int, Any] = {-1: signal.set_wakeup_fd(self.wakeup_write)}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(
                signum, lambda number, _frame: self.signals.append(number)
            )
        return previous

    @staticmethod
    def _restore_signals(previous: dict[int, Any]) -> None:
        signal.set_wakeup_fd(previous.pop(-1))
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    def _wait(self, timeout: float | None) -> None:
        wait([*(worker.sentinel for worker in self.workers), self.wakeup_read], timeout)
        with contextlib.suppress(BlockingIOError):
            os.read(self.wakeup_read, 512)

    # -- workers

    def _start(self, slot: int) -> None:
        worker = self.context.Process(
            target=run_worker, args=(self.config, self.slots[slot]), name="portal-worker"
        )
        worker.start()
        self.workers.append(worker)
        self.started[worker] = time.monotonic()
        self.slot_of[worker] = slot
        log.info("worker %d started", worker.pid)

    def _reap(self) -> list[BaseProcess]:
        dead = [worker for worker in self.workers if worker.exitcode is not None]
        for worker in dead:
            worker.join()
            self.workers.remove(worker)
        return dead

    def _watch(self) -> bool:
        """Keep the workers up until a signal (False) or a crash loop (True)."""
        while not self.signals:
            now = time.monotonic()
            self._wait(max(0.0, min(self.restarts)[0] - now) if self.restarts else None)
            for worker in self._reap():
                if self.signals:
                    break
                lived = time.monotonic() - self.started.pop(worker)
                slot = self.slot_of.pop(worker)
                if worker.exitcode == 0 and lived > self.policy.window:
                    # Hypercorn's max_requests, or a SIGTERM from someone else: not a crash (an
                    # exit 0 soon after the start is one: no endless loop).
                    log.info("worker %d exited on its own; replacing it", worker.pid)
                    self.restarts.append((time.monotonic(), slot))
                    continue
                delay = self.policy.crashed(time.monotonic(), lived)
                if delay is None:
                    log.error(
                        "worker %d %s: %d crashes less than %.0f s apart, giving up",
                        worker.pid,
                        describe_exit(worker.exitcode),
                        self.policy.max_crashes,
                        self.policy.window,
                    )
                    return True
                log.warning(
                    "worker %d %s; replacing it %s",
                    worker.pid,
                    describe_exit(worker.exitcode),
                    f"in {delay:.1f} s" if delay else "now",
                )
                self.restarts.append((time.monotonic() + delay, slot))
            now = time.monotonic()
            due = [slot for at, slot in self.restarts if at <= now]
            self.restarts = [(at, slot) for at, slot in self.restarts if at > now]
            if not self.signals:
                for slot in due:
                    self._start(slot)
        log.info("stopping on %s", signal.Signals(self.signals[0]).name)
        return False

    def _stop(self) -> None:
        """SIGTERM to every worker (a graceful shutdown), SIGKILL to any still running after
        graceful_timeout and the app's shutdown, or at once on a second signal."""
        handled = len(self.signals)
        for worker in self.workers:
            worker.terminate()
        deadline = time.monotonic() + self.config.graceful_timeout + SHUTDOWN_MARGIN
        while self.workers and len(self.signals) <= handled:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._wait(left)
            self._reap()
        for worker in self.workers:
            log.warning("worker %d did not stop in time; killing it", worker.pid)
            worker.kill()
            worker.join()
        self.workers.clear()
        log.info("all workers stopped")


# ---------------------------------------------------------------------------- in a worker


def run_worker(config: Config, sockets: Sockets) -> None:
    """A worker process: the app served by Hypercorn on the inherited sockets until SIGTERM."""
    # A terminal's Ctrl+C reaches the whole process group: the supervisor decides.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    module, _, name = config.application_path.partition(":")
    app = getattr(importlib.import_module(module), name or "app")
    loop_factory = None
    if config.worker_class == "uvloop":
        import uvloop

        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(serve(app, _on_inherited(config, sockets), shutdown_trigger=_until_stopped))


def _on_inherited(config: Config, sockets: Sockets) -> Config:
    """The config, bound to the sockets this process inherited as ``fd://`` binds (Hypercorn's
    own way to serve on a socket it did not create)."""

    def binds(socks: list[Any]) -> list[str]:
        return [f"fd://{sock.detach()}" for sock in socks]

    if config.ssl_enabled:
        config.bind = binds(sockets.secure_sockets)
        config.insecure_bind = binds(sockets.insecure_sockets)
        config.quic_bind = binds(sockets.quic_sockets)
    else:
        config.bind = binds(sockets.insecure_sockets)
    config.workers = 1  # this process is one worker
    return config


async def _until_stopped() -> None:
    """Until SIGTERM, or until the supervisor is gone (an orphan must not serve on)."""
    stopped = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    parent = os.getppid()
    while os.getppid() == parent:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PARENT_CHECK_SECONDS):
                await stopped.wait()
                return
