"""Account recovery and confirmation: single-use, short-lived, hashed tokens sent by mail
(a link) or text message (a 6-digit code). Each function owns its transaction."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import validation
from portal.accounts.models import AccountToken, ApiToken, AuthSession, TokenPurpose, User
from portal.accounts.passwords import hash_password
from portal.accounts.service import (
    _code_hash,
    _issue,
    _reserve_attempt,
    auth_changed,
    find_user_by_login,
    hash_secret,
    login_key,
)
from portal.db import begin_write, utcnow
from portal.domain_errors import Invalid
from portal.i18n import gettext as _

MAX_CODE_ATTEMPTS = 5
# Requests for a reset, per sign-in name and per client address, per window.
RESETS_PER_LOGIN = 3
RESETS_PER_ADDRESS = 20
RESET_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Issued:
    channel: str
    target: str


def _invalid_token() -> Invalid:
    message = _("This link or code is not valid: it is wrong, expired or used already.")
    return Invalid({"token": message}, message)


async def request_reset(session: AsyncSession, *, login: str, address: str, region: str) -> None:
    """Send a reset link (email) or code (phone) if ``login`` names an account with one.

    Says nothing either way: the caller answers the same whether the account exists or not.
    Requests are limited per sign-in name (known or not) and per client address.
    """
    found = login_key(login, region) if len(login) <= 254 else None
    if found is None:
        return
    now = utcnow()
    await begin_write(session)
    for key, limit in (
        (f"reset:{found[0]}:{found[1]}", RESETS_PER_LOGIN),
        (f"reset-addr:{address}", RESETS_PER_ADDRESS),
    ):
        if not await _reserve_attempt(session, key, limit, now, RESET_WINDOW):
            await session.commit()
            return
    user = await find_user_by_login(session, login, region)
    if user is not None:
        channel = "phone" if found[0] == "phone" else "email"
        if channel == "email" and user.email is None:
            channel = "phone"  # signed in by user name: wherever the account can be reached
        target = user.email if channel == "email" else user.phone
        if target is None:
            channel, target = ("phone", user.phone) if user.phone else ("email", user.email)
        if target is not None:
            await _issue(session, user, purpose=TokenPurpose.RESET, channel=channel, target=target)
    await session.commit()


async def _find_token(
    session: AsyncSession, purpose: TokenPurpose, token: str, *, login: str | None, region: str
) -> AccountToken:
    """The live token ``token`` stands for, locked for this transaction, or ``invalid_token``.

    A 6-digit code needs the account it was sent to (``login``, or the signed-in user's
    identifier): codes are few, so they are only ever compared against one account's, and
    each wrong try counts against it.
    """
    token = token.strip()
    now = utcnow()
    if len(token) == 6 and token.isdigit() and token.isascii():
        user = await find_user_by_login(session, login or "", region) if login else None
        if user is None:
            raise _invalid_token()
        row = (
            await session.execute(
                select(AccountToken)
                .where(
                    AccountToken.user_id == user.id,
                    AccountToken.purpose == purpose.value,
                    AccountToken.channel == "phone",
                    AccountToken.used_at.is_(None),
                    AccountToken.expires_at > now,
                )
                .with_for_update()
            )
        ).scalar_one_or_none()
        if row is None:
            raise _invalid_token()
        if not hmac.compare_digest(row.token_hash, _code_hash(user.id, token)):
            row.attempts += 1
            if row.attempts >= MAX_CODE_ATTEMPTS:
                row.used_at = now
            await session.commit()
            raise _invalid_token()
        return row
    if not 20 <= len(token) <= 100:
        raise _invalid_token()
    row = (
        await session.execute(
            select(AccountToken)
            .where(AccountToken.token_hash == hash_secret(token))
            .with_for_update()
        )
    ).scalar_one_or_none()
    if (
        row is None
        or row.purpose != purpose.value
        or row.used_at is not None
        or row.expires_at <= now
    ):
        raise _invalid_token()
    return row


async def confirm_reset(
    session: AsyncSession, *, token: str, password: str, login: str | None, region: str
) -> User:
    """Set a new password with a reset token; every session and API token of the account ends."""
    try:
        validation.check_password(password)
    except ValueError as error:
        raise Invalid({"password": str(error)}) from None
    new_hash = await hash_password(password)
    await begin_write(session)
    row = await _find_token(session, TokenPurpose.RESET, token, login=login, region=region)
    user = await session.get(User, row.user_id)
    assert user is not None  # the token's row cascades with its user
    now = utcnow()
    row.used_at = now
    user.password_hash = new_hash
    # The link or code reached this address: it is confirmed now.
    if row.channel == "email" and user.email == row.target:
        user.email_verified_at = user.email_verified_at or now
    if row.channel == "phone" and user.phone == row.target:
        user.phone_verified_at = user.phone_verified_at or now
    await session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await auth_changed(session, user.id)
    await session.commit()
    return user


async def request_verification(session: AsyncSession, user: User, channel: str) -> None:
    """Send a confirmation link (email) or code (phone) to the account's current address."""
    target = user.email if channel == "email" else user.phone
    if target is None:
        raise Invalid({"channel": _("This account has no such address.")})
    await begin_write(session)
    await _issue(session, user, purpose=TokenPurpose.VERIFY, channel=channel, target=target)
    await session.commit()


async def confirm_verification(
    session: AsyncSession, *, token: str, user: User | None, region: str
) -> User:
    """Mark the address a confirmation token was sent to as confirmed (if still the account's)."""
    await begin_write(session)
    login = user.phone if user is not None else None
    row = await _find_token(session, TokenPurpose.VERIFY, token, login=login, region=region)
    owner = await session.get(User, row.user_id, populate_existing=True)
    assert owner is not None
    now = utcnow()
    row.used_at = now
    if row.channel == "email" and owner.email == row.target:
        owner.email_verified_at = now
    elif row.channel == "phone" and owner.phone == row.target:
        owner.phone_verified_at = now
    else:
        await session.commit()
        raise _invalid_token()  # the address changed since the token was sent
    await session.commit()
    return owner
