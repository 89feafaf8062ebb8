"""Request and response models of alerts and notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from portal.alerts.models import AlertSubscription, Notification
from portal.db import MAX_ID
from portal.jobs.models import Category
from portal.web.text import OneLine


class AlertData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keywords: OneLine = Field(min_length=1, max_length=200)
    category: Category | None = None
    location: OneLine | None = Field(default=None, max_length=120)
    remote: bool | None = None
    # live: the inbox and the bell only; instant: and a mail per match; digest: a daily mail.
    delivery: Literal["live", "instant", "digest"] = "live"


class AlertPublic(BaseModel):
    id: int
    keywords: str
    category: Category | None
    location: str | None
    remote: bool | None
    delivery: str = "live"
    created_at: datetime

    @classmethod
    def of(cls, alert: AlertSubscription) -> AlertPublic:
        return cls(
            id=alert.id,
            keywords=alert.keywords,
            delivery=alert.delivery,
            category=Category(alert.category) if alert.category else None,
            location=alert.location,
            remote=alert.remote,
            created_at=alert.created_at,
        )


class AlertList(BaseModel):
    items: list[AlertPublic]


class NotificationPublic(BaseModel):
    id: int
    kind: str
    title: str
    url: str
    data: dict[str, Any]
    created_at: datetime
    read: bool

    @classmethod
    def of(cls, note: Notification) -> NotificationPublic:
        return cls(
            id=note.id,
            kind=note.kind,
            title=note.title,
            url=note.url,
            data=note.data,
            created_at=note.created_at,
            read=note.read_at is not None,
        )


class NotificationFilter(BaseModel):
    limit: int = Field(default=50, ge=1, le=200)
    before: int | None = Field(default=None, ge=1, le=MAX_ID)


class NotificationList(BaseModel):
    items: list[NotificationPublic]
    unread: int


class ReadData(BaseModel):
    """Mark these notifications read; without ``ids``, all of them."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(default=None, max_length=500)


class Unread(BaseModel):
    unread: int
