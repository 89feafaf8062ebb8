"""Schemathesis hooks for bench/fuzz_api.py (loaded through ``SCHEMATHESIS_HOOKS``).

The fuzzing admin must not demote itself (``PATCH /api/v1/users/<its id>``): every later
request would be a 403 that hides what it was meant to find. Its id comes from
``PORTAL_FUZZ_ADMIN_ID``.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

ADMIN_ID = int(os.environ.get("PORTAL_FUZZ_ADMIN_ID", "0"))


@schemathesis.hook
def filter_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> bool:
    return (path_parameters or {}).get("user_id") != ADMIN_ID
