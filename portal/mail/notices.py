"""Mail that answers another capability's change (registered as reactions in its transaction):
the admins who opted in hear of each new application."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import Role, User, confirmed_email
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
                confirmed_email(),
            )
        )
    ).scalars()
    base_url = site_url()
    await queue_messages(
        session,
        [
            OutgoingMessage.email_to(
                admin,
                "new_application",
                {
                    "title": title,
                    "applicant": applicant,
                    "path": f"/admin/applications/{application_id}",
                },
                base_url=base_url,
            )
            for admin in admins
        ],
    )
