"""Reactions inside the transaction: how one capability answers another's change without
calling its service.

The capability that changes something says so with ``emit`` in its own session; every
reaction another capability registered for that name runs there and then, in the same
transaction, so it commits or rolls back with the change (a job that becomes public and the
alert notifications it causes are one commit). Reactions are registered per app, at
``init_app``, and reach sessions through the sessionmaker's ``info``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

REACTIONS_KEY = "portal.reactions"

# What services emit, and the facts each passes (keyword arguments of the reactions).
JOB_PUBLISHED = "job.published"  # job: Job (just became public), url: str
COMPANY_WILL_CHANGE = "company.will_change"  # company_id: int (before its row is locked)
COMPANY_CHANGED = "company.changed"  # company_id: int, renamed: bool, shown: bool
COMPANY_DELETING = "company.deleting"  # actor: User, company_id: int
# An application's status changed in a way its applicant hears of.
APPLICATION_MOVED = "application.moved"  # user_id, application_id: int; title, status: str

# A new application was sent (admins who opted in are mailed of it).
APPLICATION_CREATED = "application.created"  # application_id: int; title, applicant: str
# Whatever a reaction returns is ignored.
Reaction = Callable[..., Awaitable[object]]


class Reactions:
    def __init__(self) -> None:
        self._by_name: dict[str, list[Reaction]] = {}

    def on(self, name: str, reaction: Reaction) -> None:
        reactions = self._by_name.setdefault(name, [])
        if reaction not in reactions:
            reactions.append(reaction)

    def of(self, name: str) -> list[Reaction]:
        return self._by_name.get(name, [])


async def emit(session: AsyncSession, name: str, **facts: Any) -> None:
    """Run the reactions to ``name`` in ``session``'s transaction, in registration order."""
    reactions: Reactions | None = session.info.get(REACTIONS_KEY)
    if reactions is not None:
        for reaction in reactions.of(name):
            await reaction(session, **facts)
