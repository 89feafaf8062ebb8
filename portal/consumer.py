"""The long-running RabbitMQ consumers as processes: ``portal consumer mail|media|recommender``
(and, from a checkout, ``python -m consumers.media`` / ``consumers.recommender``).

Each runs one worker inside the same app the web workers use, until SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any, TypeVar

from quart import Quart

from portal.app import create_app
from portal.config import get_settings
from portal.events.extension import get_events
from portal.mail.extension import start_worker as start_mail_worker
from portal.media.extension import start_worker as start_media_worker
from portal.recommend.extension import start_worker as start_recommender_worker
from portal.recommend.service import RecommenderWorker
from portal.web.health import readiness
from portal.web.health_server import serve_health

log = logging.getLogger("portal.consumer")


Started = TypeVar("Started")


def run(
    name: str,
    start: Callable[[Quart], Awaitable[Started]],
    health: tuple[str, int] | None = None,
    describe: Callable[[Started], Mapping[str, str]] = lambda _: {"role": "worker"},
) -> None:
    """Run the consumer ``start`` makes until a signal; with ``health``, answer ``/healthz``
    and ``/readyz`` there (``describe`` adds what the consumer is doing, e.g. its role)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app()
    if not get_settings(app).amqp_url:
        raise SystemExit(
            f"the {name} consumer needs PORTAL_AMQP_URL; without a broker it runs inside "
            "`portal demo` / `portal serve` already"
        )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await app.startup()
        try:
            async with app.app_context():
                worker = await start(app)
                server = None
                if health is not None:
                    server = await serve_health(*health, partial(ready, worker))
                log.info("%s consumer running", name)
                await stop.wait()
                if server is not None:
                    server.close()
        finally:
            await app.shutdown()

    async def ready(worker: Started) -> tuple[bool, dict[str, Any]]:
        async with app.app_context():
            return await readiness({"consumer": name, **describe(worker)})

    asyncio.run(main())


def media(health: tuple[str, int] | None = None) -> None:
    """The media work queue: each uploaded video probed, its poster written, marked ready."""
    run("media", start_media_worker, health)


def recommender(health: tuple[str, int] | None = None) -> None:
    """The clicks queue: the model rebuilt, then each click applied, the user's top list stored.

    Its ``/readyz`` tells whether it holds the queue's turn (``active``) or stands by."""

    def role(worker: RecommenderWorker) -> Mapping[str, str]:
        bus = get_events().bus
        connected = bus is not None and bus.connected
        now = asyncio.get_running_loop().time()
        return {"role": worker.turn.role(now, connected=connected).value}

    run("recommender", start_recommender_worker, health, role)


def mail(health: tuple[str, int] | None = None) -> None:
    """The mail work queue: each message rendered and sent (SMTP or the SMS gateway)."""
    run("mail", start_mail_worker, health)


CONSUMERS: Mapping[str, Callable[[tuple[str, int] | None], None]] = {
    "mail": mail,
    "media": media,
    "recommender": recommender,
}
