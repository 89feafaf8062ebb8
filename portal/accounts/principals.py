"""A per-process memory of who a credential belongs to, for safe (read-only) requests.

Resolving a session cookie or a bearer token costs a database round trip on every request;
a video player fetching a film in 1 MiB ranges, or a signed-in user browsing, asks the same
question again and again. Safe requests reuse the answer for a few seconds. Anything that
changes a user's access (sign-out, a revoked session or token, a new password, a new role) or
profile sends ``auth.changed`` on the event bus, and every process forgets that user at once;
the time limit bounds staleness when the broker is down. Unsafe requests ask the database,
and get the user attached to their own session, except where a route only needs to know who
is asking (``remembers_caller`` on a click, ``remembered=True`` on a tus chunk).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from portal.cache import ExpiringCache
from portal.events.message import EventMessage

if TYPE_CHECKING:
    from portal.accounts.auth import Principal

TTL_SECONDS = 10.0
MAX_ENTRIES = 10_000


class PrincipalCache:
    def __init__(self, ttl: float = TTL_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: ExpiringCache[str, Principal] = ExpiringCache(max_entries, ttl)

    def get(self, key: str) -> Principal | None:
        return self._entries.get(key)

    def put(self, key: str, principal: Principal, valid_until: datetime | None = None) -> None:
        """Remember ``principal`` for the TTL, or until the credential expires if sooner."""
        ttl = None if valid_until is None else (valid_until - datetime.now(UTC)).total_seconds()
        self._entries.put(key, principal, ttl=ttl)

    def forget_user(self, user_id: int) -> None:
        for key, principal in self._entries.items():
            if principal.user is not None and principal.user.id == user_id:
                self._entries.pop(key)

    def on_event(self, event: EventMessage) -> None:
        if event.type == "auth.changed" and isinstance(event.data, dict):
            user_id = event.data.get("user_id")
            if isinstance(user_id, int):
                self.forget_user(user_id)
