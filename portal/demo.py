"""Demo data for the embedded default: an admin and a user (the jobs issue adds jobs)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import service
from portal.accounts.models import User

DEMO_USER_PASSWORD = "demo-user-2026"  # noqa: S105 - the demo user is public by design


@dataclass(frozen=True)
class DemoLogins:
    admin_login: str
    admin_password: str
    user_login: str
    user_password: str


def _admin_password(data_dir: Path) -> str:
    """Random per installation, kept beside the database so every start can print it."""
    path = data_dir / "demo-admin-password"
    if path.exists():
        return path.read_text().strip()
    password = "demo-" + secrets.token_urlsafe(9)
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(password)
    path.chmod(0o600)
    return password


async def load_demo_data(session: AsyncSession, data_dir: Path, region: str) -> DemoLogins:
    """Create the demo accounts once; later runs only report the logins."""
    logins = DemoLogins("admin", _admin_password(data_dir), "demo@example.com", DEMO_USER_PASSWORD)
    users = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    if users == 0:
        await service.ensure_admin(
            session,
            username="admin",
            password=logins.admin_password,
            email="admin@example.com",
            region=region,
        )
        await service.register_user(
            session,
            nickname="Demo User",
            password=DEMO_USER_PASSWORD,
            username="demo",
            email=logins.user_login,
            phone="+86 138 0013 8000",
            region=region,
        )
    return logins
