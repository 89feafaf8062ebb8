"""The ``portal`` command line."""

from __future__ import annotations

import asyncio
import copy
import errno
import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

import click
from hypercorn.config import Config as HypercornConfig
from hypercorn.config import Sockets

from portal.config import Settings
from portal.web.access_log import AccessLogger


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as error:
        raise click.ClickException(f"bad PORTAL_* setting: {error}") from error


@click.group()
def main() -> None:
    """Portal: a real-time job portal."""


@main.command("init-db")
def init_db() -> None:
    """Create or upgrade the schema (Alembic upgrade head)."""
    from portal.migrate import upgrade

    settings = _settings()
    asyncio.run(upgrade(settings.resolved_database_url))
    click.echo("database is at the newest schema")


@main.command("create-admin")
@click.option("--username", required=True)
@click.option("--password", required=True, help="used only when the account is created")
@click.option("--email", default=None)
def create_admin(username: str, password: str, email: str | None) -> None:
    """Make (or promote) an admin."""
    from portal.accounts import service
    from portal.db import make_engine
    from portal.domain_errors import DomainError

    settings = _settings()

    async def run() -> tuple[str, bool]:
        engine = make_engine(settings.resolved_database_url)
        try:
            from sqlalchemy.ext.asyncio import AsyncSession

            async with AsyncSession(engine, expire_on_commit=False) as session:
                user, created = await service.ensure_admin(
                    session,
                    username=username,
                    password=password,
                    email=email,
                    region=settings.default_phone_region,
                )
                return user.nickname, created
        finally:
            await engine.dispose()

    try:
        name, created = asyncio.run(run())
    except (DomainError, ValueError) as error:
        details = getattr(error, "fields", None) or {}
        raise click.ClickException(
            "; ".join(f"{k}: {v}" for k, v in details.items()) or str(error)
        ) from error
    click.echo(f"{'created' if created else 'promoted'} admin {name}")


# `portal serve`'s settings wherever it runs, an installed wheel outside the checkout included
# (Hypercorn's own defaults differ: 16 MiB websocket messages, 5 s keep-alive, 3 s graceful
# stop, no access log). A hypercorn.toml in the current directory, or --config, overrides them;
# the repository's copy restates them and tests/test_serve_config.py keeps the two equal.
SERVE_DEFAULTS: Mapping[str, object] = {
    "bind": ["127.0.0.1:8000"],
    "workers": 2,
    "worker_class": "asyncio",
    "accesslog": "-",
    "errorlog": "-",
    "loglevel": "INFO",
    "keep_alive_timeout": 20,
    # How long a stopping worker waits for open requests and websockets.
    "graceful_timeout": 10,
    # No websocket_ping_interval: Hypercorn would keep a ping task per socket (~3 KB each) and
    # never check the pongs. The live hub pings every socket from one loop per process instead,
    # and the listening sockets get TCP_USER_TIMEOUT (below).
    "websocket_max_message_size": 65536,
    "h11_max_incomplete_size": 16384,
}


class PortalConfig(HypercornConfig):
    """Hypercorn's config with Portal's defaults (``SERVE_DEFAULTS``), whose listening sockets
    drop peers that stop acknowledging.

    At module level: ``portal serve`` binds the sockets once and pickles it to each worker.
    """

    def __init__(self) -> None:
        super().__init__()
        # Before from_mapping / from_toml set the file's values: those override these.
        for key, value in SERVE_DEFAULTS.items():
            setattr(self, key, copy.copy(value))

    def create_sockets(self) -> Sockets:
        sockets = super().create_sockets()
        for sock in (*sockets.secure_sockets, *sockets.insecure_sockets):
            _set_user_timeout(sock)
        return sockets


def _hypercorn_config(
    bind: str | None, workers: int | None, config_path: str | None
) -> HypercornConfig:
    """``SERVE_DEFAULTS``, overridden by ``config_path`` or else ./hypercorn.toml if present,
    then by the command's options."""
    path = Path(config_path or "hypercorn.toml")
    if path.exists():
        config = PortalConfig.from_toml(path)
    elif config_path:
        raise click.ClickException(f"no such config file: {config_path}")
    else:
        config = PortalConfig()
    if bind:
        config.bind = [bind]
    if workers:
        config.workers = workers
    config.logger_class = AccessLogger
    return config


def _listen_failure(where: str, error: OSError) -> click.ClickException:
    """One line saying why the server cannot listen where it was told to."""
    if error.errno == errno.EADDRINUSE:
        return click.ClickException(
            f"{where} is already in use (another Portal or another program listens there): "
            "stop it, or choose another address with --bind HOST:PORT"
        )
    return click.ClickException(f"cannot listen on {where}: {error.strerror or error}")


def _check_can_listen(config: HypercornConfig) -> None:
    """Bind each TCP address of ``config`` once and let it go, so that a taken port is
    reported before anything starts (the schema, demo data, logins printed as if the site
    were up), and in one line. Hypercorn's own attempt would leak its socket on the way."""
    for where in config.bind:
        if where.startswith(("unix:", "fd://")):
            continue
        host, _colon, port = where.rpartition(":")
        host = host.removeprefix("[").removesuffix("]")
        if not port.isdigit() or not int(port) < 65536:
            raise click.ClickException(f"cannot listen on {where}: give HOST:PORT")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            # As Hypercorn binds: a port whose last connections linger in TIME_WAIT is free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, int(port)))
            except OSError as error:
                raise _listen_failure(where, error) from None


def _set_user_timeout(sock: socket.socket) -> None:
    """Accepted connections inherit TCP_USER_TIMEOUT: data left unacknowledged that long (a
    peer gone, or one that stopped reading and closed its window) makes the kernel drop the
    connection. Hypercorn has no write timeout, so without it such a websocket stays forever."""
    from portal.live.hub import STALL_SECONDS

    option = getattr(socket, "TCP_USER_TIMEOUT", None)  # Linux only
    if option is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, option, int(STALL_SECONDS * 1000))


@main.command()
@click.option(
    "--bind", default=None, help="HOST:PORT (default 127.0.0.1:8000, or hypercorn.toml's)"
)
@click.option(
    "--workers", type=int, default=None, help="worker processes (default 2, or hypercorn.toml's)"
)
@click.option(
    "--config",
    "config_path",
    default=None,
    help="hypercorn TOML file overriding the built-in settings (default ./hypercorn.toml if any)",
)
def serve(bind: str | None, workers: int | None, config_path: str | None) -> None:
    """Serve with Hypercorn (Portal's settings, then hypercorn.toml's); a worker that dies is
    replaced at once."""
    from portal.web.supervisor import supervise

    settings = _settings()
    config = _hypercorn_config(bind, workers, config_path)
    if config.workers < 1:
        raise click.ClickException("--workers must be at least 1")
    if config.workers > 1 and not settings.amqp_url:
        raise click.ClickException(
            f"{config.workers} workers need a message broker so live events reach every "
            "worker: set PORTAL_AMQP_URL (e.g. amqp://guest:guest@127.0.0.1:5672/) "
            "or use --workers 1"
        )
    config.application_path = "portal.asgi:app"
    _check_can_listen(config)
    try:
        sys.exit(supervise(config))
    except OSError as error:  # the bind failed after all (taken since the check)
        raise _listen_failure(", ".join(config.bind), error) from None
    except ValueError as error:  # a bad hypercorn.toml value
        raise click.ClickException(str(error)) from error


@main.command()
@click.option("--bind", default="127.0.0.1:5000", show_default=True)
def demo(bind: str) -> None:
    """The embedded default: schema, demo data and the site in one process."""
    from hypercorn.asyncio import serve as hypercorn_serve

    from portal.app import create_app
    from portal.db import make_engine
    from portal.demo import load_demo_data
    from portal.migrate import upgrade

    os.environ.setdefault("PORTAL_ENV", "development")
    settings = _settings()
    config = _hypercorn_config(bind, 1, None)
    _check_can_listen(config)

    async def run() -> None:
        await upgrade(settings.resolved_database_url)
        engine = make_engine(settings.resolved_database_url)
        try:
            from sqlalchemy.ext.asyncio import AsyncSession

            async with AsyncSession(engine, expire_on_commit=False) as session:
                logins = await load_demo_data(
                    session, settings.data_dir, settings.default_phone_region
                )
        finally:
            await engine.dispose()
        click.echo(
            f"\nPortal demo is running at http://{bind}/\n"
            f"  admin: {logins.admin_login} / {logins.admin_password}\n"
            f"  user:  {logins.user_login} / {logins.user_password}\n"
            f"  data:  {settings.data_dir.resolve()}\n"
        )
        await hypercorn_serve(create_app(settings), config)  # type: ignore[arg-type]

    asyncio.run(run())


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(f"expected HOST:PORT, got {value!r}", param_hint="--health-bind")
    return host.strip("[]"), int(port)


@main.command()
@click.argument("name", type=click.Choice(["recommender", "media", "mail"]))
@click.option(
    "--health-bind",
    default=None,
    help="HOST:PORT where the consumer answers /healthz and /readyz "
    "(default PORTAL_CONSUMER_HEALTH_BIND, else nowhere)",
)
def consumer(name: str, health_bind: str | None) -> None:
    """Run one RabbitMQ consumer (needs PORTAL_AMQP_URL)."""
    from portal.consumer import CONSUMERS

    bind = health_bind or _settings().consumer_health_bind
    CONSUMERS[name](_host_port(bind) if bind else None)


@main.group()
def recs() -> None:
    """Recommendations: offline evaluation."""


@recs.command("evaluate", context_settings={"ignore_unknown_options": True}, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def recs_evaluate(args: tuple[str, ...]) -> None:
    """Evaluate the recommenders on a click log: --clicks FILE.csv [--json] [...]."""
    from portal.recommend.evaluate import main as evaluate_main

    sys.exit(evaluate_main(list(args)))
