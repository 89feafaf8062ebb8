"""Clicks from concurrent requests stored together (group commit).

Every signed-in page view and card click is a click: the write path most taken. A click on
its own is a transaction of three statements; here the clicks that arrive while one batch
commits wait and go in the next, so under load a click costs a small share of one
transaction. While clicks keep coming, a lone click also waits ``linger`` seconds for company
(a steady trickle otherwise pays a transaction per click); a quiet site writes each at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.recommend.service import record_clicks

log = logging.getLogger(__name__)

MAX_BATCH = 500
LINGER_SECONDS = 0.01
# "Clicks keep coming": the last batch was written less than this long ago.
STEADY_SECONDS = 0.25

Waiting = tuple[int, int, "asyncio.Future[int | None]"]


class ClickRecorder:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        max_batch: int = MAX_BATCH,
        linger: float = LINGER_SECONDS,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.max_batch = max_batch
        self.linger = linger
        self._waiting: list[Waiting] = []
        self._writer: asyncio.Task[None] | None = None
        self._last_write = -math.inf

    async def record(self, user_id: int, job_id: int) -> int | None:
        """Store the click and queue it for the recommender; its id, or None when the job
        is not public. Returns once the click is committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int | None] = loop.create_future()
        self._waiting.append((user_id, job_id, future))
        if self._writer is None:
            self._writer = loop.create_task(self._write_waiting())
        # A request cancelled meanwhile (the client left) does not take the batch with it:
        # its click is stored all the same.
        return await asyncio.shield(future)

    async def _write_waiting(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.sleep(0)  # clicks arriving in the same loop turn join this batch
            while self._waiting:
                if len(self._waiting) == 1 and loop.time() - self._last_write < STEADY_SECONDS:
                    await asyncio.sleep(self.linger)
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                try:
                    ids = await self._write([(user_id, job_id) for user_id, job_id, _f in batch])
                except Exception as error:
                    for _user_id, _job_id, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_user_id, _job_id, future), click_id in zip(batch, ids, strict=True):
                    if not future.done():
                        future.set_result(click_id)
                self._last_write = loop.time()
        finally:
            self._writer = None

    async def _write(self, clicks: list[tuple[int, int]]) -> list[int | None]:
        try:
            async with self.sessionmaker() as session:
                return await record_clicks(session, clicks)
        except IntegrityError:
            if len(clicks) == 1:
                # A user or job deleted between the check and the insert.
                log.info("click not stored (user or job gone): %r", clicks[0])
                return [None]
        # One click's user or job went meanwhile: the others must not fail with it.
        return [(await self._write([click]))[0] for click in clicks]

    async def stop(self) -> None:
        """Wait for the clicks already accepted to be committed."""
        if self._writer is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._writer)
