"""Keeping the in-process mail worker off requests' paths on the embedded default.

There the worker shares the web process's event loop and its one SQLite writer with the
requests: a mail sent while a sign-up runs (rendering, the SMTP conversation, the delivery
row's writes) costs that sign-up as much CPU as its own work. So the worker starts a message
only once no request has been in flight for ``QUIET_SECONDS``, or after ``MAX_DEFER_SECONDS``
(under steady load mail is late by that much, never held back for good).
"""

from __future__ import annotations

import asyncio

from quart import Quart, g

QUIET_SECONDS = 0.05
MAX_DEFER_SECONDS = 5.0
_COUNTED = "_portal_mail_gate"


class RequestGate:
    """How many HTTP requests this process is serving, and since when none."""

    def __init__(self, *, quiet: float = QUIET_SECONDS, max_defer: float = MAX_DEFER_SECONDS):
        self.quiet = quiet
        self.max_defer = max_defer
        self.active = 0
        self._idle_since = 0.0

    def init_app(self, app: Quart) -> None:
        app.before_request(self._enter)
        app.teardown_request(self._leave)

    async def _enter(self) -> None:
        setattr(g, _COUNTED, True)
        self.active += 1

    async def _leave(self, _error: BaseException | None) -> None:
        # Only requests counted in: one refused by an earlier hook may never have been.
        if getattr(g, _COUNTED, False):
            setattr(g, _COUNTED, False)
            self.active -= 1
            if self.active == 0:
                self._idle_since = asyncio.get_running_loop().time()

    def _quiet_for(self, now: float) -> float:
        return -1.0 if self.active else now - self._idle_since

    async def wait_quiet(self) -> None:
        """Until no request has run for ``quiet`` seconds, or ``max_defer`` has passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_defer
        while (now := loop.time()) < deadline:
            quiet_for = self._quiet_for(now)
            if quiet_for >= self.quiet:
                return
            await asyncio.sleep(min(self.quiet - max(quiet_for, 0.0), deadline - now))
