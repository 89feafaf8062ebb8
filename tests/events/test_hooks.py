"""In-transaction reactions: one capability answers another's change in the same commit."""

from __future__ import annotations

from typing import Any

import pytest
from quart import Quart
from sqlalchemy import select

from portal.db import get_db
from portal.events import hooks
from portal.events.extension import get_events
from portal.events.log import append_event
from portal.events.models import Event

pytestmark = pytest.mark.both_databases


async def test_a_reaction_runs_in_the_emitters_transaction(app: Quart) -> None:
    heard: list[dict[str, Any]] = []

    async def react(session: Any, **facts: Any) -> None:
        heard.append(facts)
        await append_event(session, channel="jobs", type="job.updated", data={"n": facts["n"]})

    get_events(app).reactions.on("test.happened", react)
    get_events(app).reactions.on("test.happened", react)  # registered once
    async with get_db(app).session_scope() as session:
        await hooks.emit(session, "test.happened", n=1)
        await session.commit()
        await session.execute(select(Event.id))  # a transaction to roll back
        await hooks.emit(session, "test.happened", n=2)
        await session.rollback()  # the change goes, and what its reaction wrote with it
        await hooks.emit(session, "nobody.listens", n=3)
        await session.commit()
    assert heard == [{"n": 1}, {"n": 2}]
    async with get_db(app).session_scope() as session:
        rows = await session.execute(select(Event.data).where(Event.type == "job.updated"))
        assert rows.scalars().all() == [{"n": 1}]


async def test_a_session_of_no_app_emits_to_nobody(app: Quart) -> None:
    sessionmaker = get_db(app).sessionmaker
    assert sessionmaker is not None
    async with sessionmaker(info={hooks.REACTIONS_KEY: None}) as session:
        await hooks.emit(session, hooks.JOB_PUBLISHED, job=None, url="/")
