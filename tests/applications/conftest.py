"""Fixtures of the applications tests: the jobs tests' clients and factories, an applicant
and a job that takes applications on Portal."""

from __future__ import annotations

import pytest
from quart import Quart
from quart.typing import TestClientProtocol

from portal.accounts.models import User
from portal.jobs.models import Job
from tests.factories import signed_in_client
from tests.jobs.conftest import (  # noqa: F401 - fixtures shared with the jobs tests
    MakeJob,
    admin,
    admin_client,
    admin_user,
    make_job,
    user_client,
)


@pytest.fixture
async def applicant(app: Quart) -> tuple[TestClientProtocol, User]:
    return await signed_in_client(app, username="ann", nickname="Ann 安", email="ann@example.com")


@pytest.fixture
def ann(applicant: tuple[TestClientProtocol, User]) -> TestClientProtocol:
    return applicant[0]


@pytest.fixture
async def other(app: Quart) -> tuple[TestClientProtocol, User]:
    return await signed_in_client(app, username="bob", nickname="Bob")


@pytest.fixture
async def job(make_job: MakeJob) -> Job:  # noqa: F811 - the fixture imported above
    """A published job without its own apply link: applied to on Portal."""
    return await make_job(title="Forklift driver 叉车司机", apply_url=None)
