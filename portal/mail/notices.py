"""Mail that answers another capability's change (registered as reactions in its transaction):
the admins who opted in hear of each new application."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import Role, User
from portal.mail.outbox import OutgoingMessage, queue_messages, site_url


async def mail_admins_new_application(
    session: AsyncSession, *, application_id: int, title: str, applicant: str
) -> None:
    """One mail per opted-in admin, in that admin's language, queued with the application."""
    admins = (
        await session.execute(
            select(User).where(
                User.role == Role.ADMIN.value,
                User.mail_new_applications.is_(True),
                User.email.is_not(None),
                # An address nobody confirmed may be a stranger's: it gets no applicants' names.
                User.email_verified_at.is_not(None),
            )
        )
    ).scalars()
    base_url = site_url()
    await queue_messages(
        session,
        [
            OutgoingMessage(
                kind="new_application",
                channel="email",
                to=admin.email or "",
                language=admin.language,
                base_url=base_url,
                context={
                    "name": admin.nickname,
                    "title": title,
                    "applicant": applicant,
                    "path": f"/admin/applications/{application_id}",
                },
            )
            for admin in admins
        ],
    )
