"""Fixtures of the accounts tests: settings a test can adjust, signed-in clients."""

from __future__ import annotations

from typing import Any

import pytest

from portal.config import Settings


@pytest.fixture
def settings_update() -> dict[str, Any]:
    """Settings to change for one test; override with ``@pytest.mark.parametrize``."""
    return {}


@pytest.fixture
def settings(settings: Settings, settings_update: dict[str, Any]) -> Settings:
    if not settings_update:
        return settings
    # Validate like the environment would, so a bad override fails here and not in the app.
    return Settings(**{**settings.model_dump(), **settings_update})
