"""Fixtures of the companies tests: the jobs tests' clients and factories, and companies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from quart import Quart

from portal.companies import service
from portal.companies.models import Company
from portal.companies.schemas import CompanyData
from portal.db import get_db
from tests.jobs.conftest import (  # noqa: F401 - fixtures shared with the jobs tests
    admin,
    admin_client,
    admin_user,
    make_job,
    user_client,
)

MakeCompany = Callable[..., Awaitable[Company]]


@pytest.fixture
def make_company(app: Quart) -> MakeCompany:
    """``await make_company(name=..., website=...)``: a company made through the service."""

    async def factory(**fields: Any) -> Company:
        data = CompanyData.model_validate({"name": "Ledgerline", **fields})
        async with get_db(app).session_scope() as session:
            return await service.create_company(session, data)

    return factory
