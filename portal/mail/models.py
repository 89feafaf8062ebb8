"""Tables of the mail capability: what became of each queued message, and digests sent."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, utcnow
from portal.events.models import EventId


class DeliveryStatus(StrEnum):
    SENDING = "sending"  # tried at least once, not accepted yet
    SENT = "sent"  # the server (or the file sink) accepted it
    PARKED = "parked"  # given up after the last retry, or refused for good


class MailDelivery(Base):
    """One queued message (its ``work_outbox`` id): the dedupe record and its fate.

    A redelivery of an id already sent or parked is acknowledged without sending again.
    """

    __tablename__ = "mail_deliveries"

    event_id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))  # email | sms
    recipient: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.SENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The consumer sending it now and until when: another one given the same message (the
    # relay re-sent it) waits for the lease to end rather than send beside it.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DigestRun(Base):
    """A user's daily digest of alert matches for one day: the row is claimed before the mail
    is queued, so several consumers running the periodic job send it once."""

    __tablename__ = "mail_digest_runs"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
