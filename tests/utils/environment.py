"""The environment a Portal process started by a test runs with."""

from __future__ import annotations

import os

from portal.config import Settings


def portal_environment(settings: Settings) -> dict[str, str]:
    """This process's environment without its ``PORTAL_*`` variables, plus the ones that put
    a Portal process (server or consumer) on ``settings``' data and database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_ENV=settings.env,
        PORTAL_DATA_DIR=str(settings.data_dir),
        PORTAL_DATABASE_URL=settings.resolved_database_url,
        PORTAL_SECRET_KEY=settings.secret_key or "",
        PYTHONUNBUFFERED="1",
    )
    return env
