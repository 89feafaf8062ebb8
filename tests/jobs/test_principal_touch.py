"""Loading the principal on busy pages: the session's last-seen time is written in a short
transaction of its own, never by upgrading the request's read (SQLite refuses that at once
when another connection wrote in between: "database is locked")."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from portal.accounts import service
from portal.accounts.models import AuthSession, User
from portal.db import get_db, utcnow
from tests.factories import make_user


async def test_stale_session_is_touched_after_another_connection_wrote(app) -> None:
    user = await make_user(app)
    db = get_db(app)
    async with db.session_scope() as session:
        raw = await service.start_session(
            session, user, remember=False, lifetime=timedelta(hours=1), user_agent="", address=""
        )
        old = utcnow() - service.SEEN_RESOLUTION * 2
        await session.execute(update(AuthSession).values(last_seen_at=old))
        await session.commit()
    async with db.session_scope() as reader, db.session_scope() as writer:
        await reader.execute(select(User.id))  # the request's read transaction begins
        await writer.execute(update(User).where(User.id == user.id).values(bio="busy"))
        await writer.commit()
        found = await service.resolve_session(reader, raw)
        assert found is not None and found[0].last_seen_at > old
        await reader.commit()
    async with db.session_scope() as session:
        stored = await session.scalar(select(AuthSession.last_seen_at))
        assert stored is not None and stored > old
