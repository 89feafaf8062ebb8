"""Probes for load balancers and supervisors: is the process up, and can it serve."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from quart import Blueprint
from quart.typing import ResponseReturnValue
from sqlalchemy import text

from portal.config import get_settings
from portal.db import get_db
from portal.events.extension import get_events

blueprint = Blueprint("health", __name__)

DATABASE_TIMEOUT = 2.0


@blueprint.get("/healthz")
async def get_health() -> ResponseReturnValue:
    """Liveness: the worker answers (nothing else is checked, so a database outage does not
    get every worker restarted)."""
    return {"status": "ok"}, 200, {"Cache-Control": "no-store"}


@blueprint.get("/readyz")
async def get_readiness() -> ResponseReturnValue:
    """Readiness: the database answers within two seconds and, when one is configured, the
    broker is connected (without it live updates stop, though requests still succeed)."""
    ready, body = await readiness()
    return body, 200 if ready else 503, {"Cache-Control": "no-store"}


async def readiness(extra: Mapping[str, str] | None = None) -> tuple[bool, dict[str, Any]]:
    """Whether this process can do its work, and the checks that say so (in an app context);
    ``extra`` adds facts that do not decide it, such as a consumer's role."""
    checks = {"database": "ok", "broker": "ok"}
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT), get_db().session_scope() as session:
            await session.execute(text("SELECT 1"))
    except Exception as error:  # any failure means "not ready"; the reason is reported
        checks["database"] = type(error).__name__
    bus = get_events().bus
    if get_settings().amqp_url is None:
        checks["broker"] = "in-process"
    elif bus is None or not bus.connected:
        checks["broker"] = "disconnected"
    ready = checks["database"] == "ok" and checks["broker"] in ("ok", "in-process")
    return ready, {"status": "ok" if ready else "unavailable", "checks": checks, **(extra or {})}
