"""Request and response models of the accounts API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from portal.accounts.models import ApiToken, AuthSession, User


class RegisterData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=64)
    nickname: str = Field(max_length=200)
    password: str = Field(max_length=1024)


class LoginData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login: str = Field(min_length=1, max_length=300)
    password: str = Field(max_length=1024)
    remember: bool = False


class ProfileUpdate(BaseModel):
    """Omit a field to keep it; an empty string clears an identifier."""

    model_config = ConfigDict(extra="forbid")

    nickname: str | None = Field(default=None, max_length=200)
    username: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=64)
    bio: str | None = Field(default=None, max_length=2000)
    password: str | None = Field(default=None, max_length=1024, description="the new password")
    current_password: str | None = Field(default=None, max_length=1024)


class UserPublic(BaseModel):
    id: int
    username: str | None
    email: str | None
    phone: str | None
    nickname: str
    bio: str
    role: Literal["user", "admin"]
    created_at: datetime
    # Whether a link or code sent to the address reached it (alert mail needs a confirmed one).
    email_verified: bool = False
    phone_verified: bool = False

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(
            id=user.id,
            username=user.username,
            email=user.email,
            phone=user.phone,
            nickname=user.nickname,
            bio=user.bio,
            role=user.role,  # type: ignore[arg-type]
            created_at=user.created_at,
            email_verified=user.email is not None and user.email_verified_at is not None,
            phone_verified=user.phone is not None and user.phone_verified_at is not None,
        )


class UserList(BaseModel):
    items: list[UserPublic]
    total: int
    page: int
    per_page: int


class UserFilter(BaseModel):
    q: str = Field(default="", max_length=100)
    role: Literal["user", "admin"] | None = None
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=50, ge=1, le=200)


class RoleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "admin"]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenPublic(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenPublic:
        return cls(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            expires_at=token.expires_at,
        )


class TokenCreated(TokenPublic):
    token: str = Field(description="the secret, shown only this once")


class TokenList(BaseModel):
    items: list[TokenPublic]


class SessionPublic(BaseModel):
    id: int
    current: bool
    user_agent: str
    ip_address: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, row: AuthSession, current_id: int | None) -> SessionPublic:
        return cls(
            id=row.id,
            current=row.id == current_id,
            user_agent=row.user_agent,
            ip_address=row.ip_address,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
        )


class SessionList(BaseModel):
    items: list[SessionPublic]


class Ended(BaseModel):
    ended: int


class PasswordResetRequest(BaseModel):
    """``login``: the email, phone number or user name of the account."""

    login: str = Field(max_length=254)


class PasswordResetConfirm(BaseModel):
    """``token``: the link's token or the 6-digit code; a code needs ``login`` (the phone)."""

    token: str = Field(max_length=200)
    password: str = Field(max_length=1024)
    login: str | None = Field(default=None, max_length=254)


class VerifyRequest(BaseModel):
    channel: Literal["email", "phone"]


class VerifyConfirm(BaseModel):
    token: str = Field(max_length=200)


class Accepted(BaseModel):
    status: Literal["accepted"] = "accepted"
