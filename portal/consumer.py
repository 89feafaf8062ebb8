"""The long-running RabbitMQ consumers as processes: ``portal consumer mail|media|recommender``
(and, from a checkout, ``python -m consumers.media`` / ``consumers.recommender``).

Each runs one worker inside the same app the web workers use, until SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping

from quart import Quart

from portal.app import create_app
from portal.config import get_settings
from portal.mail.extension import start_worker as start_mail_worker
from portal.media.extension import start_worker as start_media_worker
from portal.recommend.extension import start_worker as start_recommender_worker

log = logging.getLogger("portal.consumer")


def run(name: str, start: Callable[[Quart], Awaitable[object]]) -> None:
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
                await start(app)
            log.info("%s consumer running", name)
            await stop.wait()
        finally:
            await app.shutdown()

    asyncio.run(main())


def media() -> None:
    """The media work queue: each uploaded video probed, its poster written, marked ready."""
    run("media", start_media_worker)


def recommender() -> None:
    """The clicks queue: the model rebuilt, then each click applied, the user's top list stored."""
    run("recommender", start_recommender_worker)


def mail() -> None:
    """The mail work queue: each message rendered and sent (SMTP or the SMS gateway)."""
    run("mail", start_mail_worker)


CONSUMERS: Mapping[str, Callable[[], None]] = {
    "mail": mail,
    "media": media,
    "recommender": recommender,
}
