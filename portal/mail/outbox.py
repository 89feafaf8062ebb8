"""Putting a message on the ``mail`` work queue inside the caller's transaction.

The message commits, or not, with the change that causes it, and is sent by the mail consumer
(``portal consumer mail``; inside the web process on the embedded default): never on the
request's path. Services of any capability call ``queue_message`` as they call
``append_event``: it writes an outbox row and nothing else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol, Self

from quart import has_request_context, request
from sqlalchemy.ext.asyncio import AsyncSession

from portal.config import get_settings
from portal.events.log import append_work

QUEUE = "mail"
# Where links point when neither PORTAL_PUBLIC_URL nor a request says (a CLI run in development).
FALLBACK_BASE_URL = "http://127.0.0.1:5000"

Channel = Literal["email", "sms"]


class Recipient(Protocol):
    """Who a mail is for (an account): its address, language and the name to greet."""

    email: str | None
    language: str
    nickname: str


@dataclass(frozen=True)
class OutgoingMessage:
    """What the consumer needs to render and send one message, as JSON in the outbox."""

    kind: str  # names templates/mail/<kind>.{subject,txt,html} (sms: <kind>.sms)
    channel: Channel
    to: str
    language: str
    base_url: str
    context: dict[str, Any] = field(default_factory=dict)
    # Site-relative path of a one-click unsubscribe (List-Unsubscribe), for alert mail.
    unsubscribe: str | None = None

    @classmethod
    def email_to(
        cls,
        user: Recipient,
        kind: str,
        context: dict[str, Any],
        *,
        unsubscribe: str | None = None,
        base_url: str | None = None,
    ) -> Self:
        """A mail to ``user``'s address in their language, greeting them by name."""
        return cls(
            kind=kind,
            channel="email",
            to=user.email or "",
            language=user.language,
            base_url=base_url or site_url(),
            context={"name": user.nickname, **context},
            unsubscribe=unsubscribe,
        )

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Self:
        """Raises KeyError, TypeError or ValueError for data that is not a message."""
        channel = data["channel"]
        if channel not in ("email", "sms"):
            raise ValueError(f"unknown channel {channel!r}")
        context = data.get("context") or {}
        if not isinstance(context, dict):
            raise TypeError("context is not an object")
        unsubscribe = data.get("unsubscribe")
        return cls(
            kind=str(data["kind"]),
            channel=channel,
            to=str(data["to"]),
            language=str(data.get("language") or "en"),
            base_url=str(data.get("base_url") or FALLBACK_BASE_URL),
            context=context,
            unsubscribe=str(unsubscribe) if unsubscribe else None,
        )


def site_url() -> str:
    """The site's origin for links in messages: PORTAL_PUBLIC_URL, else the request's host."""
    settings = get_settings()
    if settings.public_url is not None:
        return settings.public_url
    if has_request_context():
        return settings.base_url(request.host_url)
    return FALLBACK_BASE_URL


async def queue_message(session: AsyncSession, message: OutgoingMessage) -> None:
    """Add ``message`` to the open transaction's outbox; sent once it commits."""
    await append_work(session, QUEUE, [message.to_data()])


async def queue_messages(session: AsyncSession, messages: list[OutgoingMessage]) -> None:
    await append_work(session, QUEUE, [message.to_data() for message in messages])
