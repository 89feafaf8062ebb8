"""Run one consumer inside the same app the web workers use, until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

from quart import Quart

from portal.app import create_app
from portal.config import get_settings

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
