"""Fixtures of the jobs tests: signed-in clients, a job factory, direct database access."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol

from portal.accounts.models import Role, User
from portal.db import get_db
from portal.jobs import service
from portal.jobs.models import Job
from portal.jobs.schemas import JobData
from tests.factories import make_user, signed_in_client
from tests.jobs.helpers import JOB_DEFAULTS

MakeJob = Callable[..., Awaitable[Job]]


@pytest.fixture
async def admin(app: Quart) -> tuple[TestClientProtocol, User]:
    return await signed_in_client(app, role=Role.ADMIN)


@pytest.fixture
def admin_client(admin: tuple[TestClientProtocol, User]) -> TestClientProtocol:
    return admin[0]


@pytest.fixture
def admin_user(admin: tuple[TestClientProtocol, User]) -> User:
    return admin[1]


@pytest.fixture
async def user_client(app: Quart) -> TestClientProtocol:
    client, _user = await signed_in_client(app, role=Role.USER)
    return client


@pytest.fixture
def make_job(app: Quart) -> MakeJob:
    """``await make_job(title=..., status="draft")``: a job made through the service."""
    actors: list[User] = []

    async def factory(*, actor: User | None = None, **fields: Any) -> Job:
        if actor is None:
            if not actors:
                actors.append(await make_user(app, role=Role.ADMIN))
            actor = actors[0]
        data = JobData.model_validate({**JOB_DEFAULTS, **fields})
        async with get_db(app).session_scope() as session:
            return await service.create_job(session, actor, data)

    return factory
