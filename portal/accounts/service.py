"""Account services: each function owns its transaction and raises domain errors."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, case, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from portal.accounts import validation
from portal.accounts.models import (
    AccountToken,
    ApiToken,
    AuthSession,
    LoginThrottle,
    Role,
    TokenPurpose,
    User,
)
from portal.accounts.passwords import hash_password, needs_rehash, verify_password
from portal.db import UTCDateTime, begin_write, utcnow
from portal.domain_errors import (
    Conflict,
    Forbidden,
    Invalid,
    InvalidCredentials,
    NotFound,
    Throttled,
)
from portal.events import channels
from portal.events.log import append_event
from portal.i18n import format_duration
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.mail.outbox import OutgoingMessage, queue_message, site_url

# Reach _() only as _(field): named here so scripts/translations extracts them.
FIELD_NAMES = (_l("username"), _l("email"), _l("phone"))

TOKEN_PREFIX = "pt_"  # noqa: S105 - a marker that makes leaked tokens greppable, not a secret
SEEN_RESOLUTION = timedelta(minutes=5)
# Account tokens sent by mail (a link) and text message (a 6-digit code).
LINK_LIFETIME = timedelta(minutes=30)
CODE_LIFETIME = timedelta(minutes=10)


async def auth_changed(session: AsyncSession, user_id: int) -> None:
    """Tell every worker's websocket hub to re-check this user's live channels."""
    await append_event(
        session, channel=channels.CONTROL, type="auth.changed", data={"user_id": user_id}
    )


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Identifiers:
    username: tuple[str, str] | None
    email: tuple[str, str] | None
    phone: str | None


def _clean_identifiers(
    username: str | None,
    email: str | None,
    phone: str | None,
    region: str,
    errors: dict[str, str],
    *,
    allow_reserved: bool = False,
) -> Identifiers:
    clean_username = clean_email = clean_phone = None
    if username:
        try:
            clean_username = validation.normalize_username(username, allow_reserved=allow_reserved)
        except ValueError as error:
            errors["username"] = str(error)
    if email:
        try:
            clean_email = validation.normalize_email(email)
        except ValueError as error:
            errors["email"] = str(error)
    if phone:
        try:
            clean_phone = validation.normalize_phone(phone, region)
        except ValueError as error:
            errors["phone"] = str(error)
    return Identifiers(clean_username, clean_email, clean_phone)


async def _check_unique(
    session: AsyncSession, ids: Identifiers, exclude_user_id: int | None = None
) -> None:
    """Name every identifier already taken, so the form can point at the field."""
    taken = await _taken(session, ids, exclude_user_id)
    if taken:
        raise Conflict(_("An account already uses these details."), taken)


async def _taken(
    session: AsyncSession, ids: Identifiers, exclude_user_id: int | None = None
) -> dict[str, str]:
    """The identifiers among ``ids`` that another account uses, as field messages."""
    checks = [
        ("username", User.username_key, ids.username[1] if ids.username else None),
        ("email", User.email_key, ids.email[1] if ids.email else None),
        ("phone", User.phone, ids.phone),
    ]
    taken: dict[str, str] = {}
    for field, column, value in checks:
        if value is None:
            continue
        query = select(User.id).where(column == value)
        if exclude_user_id is not None:
            query = query.where(User.id != exclude_user_id)
        if (await session.execute(query.limit(1))).first() is not None:
            taken[field] = _("This %(field)s is already registered.", field=_(field))
    return taken


async def _invalid(
    session: AsyncSession,
    errors: dict[str, str],
    ids: Identifiers,
    exclude_user_id: int | None = None,
) -> Invalid:
    """Every field's error at once: the invalid fields, and the valid identifiers already
    taken (checked again, under the write lock, once the rest is right)."""
    return Invalid({**await _taken(session, ids, exclude_user_id), **errors})


async def _commit_unique(session: AsyncSession) -> None:
    """Commit; a unique-constraint race (two sign-ups at once) becomes a clean 409."""
    try:
        await session.commit()
    except IntegrityError as error:
        await session.rollback()
        text = str(error.orig).lower()
        field = next((f for f in ("username", "email", "phone") if f in text), "username")
        raise Conflict(
            _("An account already uses these details."),
            {field: _("This %(field)s is already registered.", field=_(field))},
        ) from error


async def register_user(
    session: AsyncSession,
    *,
    nickname: str,
    password: str,
    username: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    region: str = "CN",
    role: Role = Role.USER,
    language: str = "en",
    confirm: bool = False,
) -> User:
    """A new account; with ``confirm``, a confirmation link goes to its e-mail address (queued
    in the same transaction, sent by the mail consumer: never on the request's path)."""
    errors: dict[str, str] = {}
    if not (username or email or phone):
        message = _("Give at least one of: user name, email, phone number.")
        errors.update(username=message, email=message, phone=message)
    ids = _clean_identifiers(
        username, email, phone, region, errors, allow_reserved=role == Role.ADMIN
    )
    try:
        clean_nick = validation.clean_nickname(nickname)
    except ValueError as error:
        errors["nickname"] = str(error)
    try:
        validation.check_password(password)
    except ValueError as error:
        errors["password"] = str(error)
    if errors:
        raise await _invalid(session, errors, ids)
    password_hash = await hash_password(password)
    await begin_write(session)
    await _check_unique(session, ids)
    user = User(
        username=ids.username[0] if ids.username else None,
        username_key=ids.username[1] if ids.username else None,
        email=ids.email[0] if ids.email else None,
        email_key=ids.email[1] if ids.email else None,
        phone=ids.phone,
        nickname=clean_nick,
        bio="",
        password_hash=password_hash,
        role=role.value,
        language=language,
    )
    session.add(user)
    if confirm and user.email:
        await session.flush()
        await _issue(
            session, user, purpose=TokenPurpose.VERIFY, channel="email", target=user.email, new=True
        )
    await _commit_unique(session)
    return user


def login_key(login: str, region: str) -> tuple[str, str] | None:
    """``(kind, stored key)`` a sign-in name stands for, normalised as registration stores it.

    None when the name cannot belong to any account (no valid identifier of its kind).
    """
    kind = validation.classify_login(login)
    try:
        if kind == "email":
            return kind, validation.normalize_email(login)[1]
        if kind == "phone":
            return kind, validation.normalize_phone(login, region)
        # Reserved names are refused at sign-up, not at sign-in: create-admin may use them.
        return kind, validation.normalize_username(login, allow_reserved=True)[1]
    except ValueError:
        return None


async def find_user_by_login(session: AsyncSession, login: str, region: str) -> User | None:
    found = login_key(login, region)
    if found is None:
        return None
    kind, key = found
    column = {"email": User.email_key, "phone": User.phone, "username": User.username_key}[kind]
    return (await session.execute(select(User).where(column == key))).scalar_one_or_none()


def _code_hash(user_id: int, code: str) -> str:
    # Codes are short: hashed with the user's id, so one code's hash matches one account only.
    return hash_secret(f"code:{user_id}:{code}")


async def _issue(
    session: AsyncSession,
    user: User,
    *,
    purpose: TokenPurpose,
    channel: str,
    target: str,
    new: bool = False,
) -> None:
    """A fresh token for ``user`` (earlier ones of its purpose die) and its message, queued in
    the same transaction. ``new``: the account is being created, so it has no earlier ones."""
    now = utcnow()
    if not new:
        await session.execute(
            update(AccountToken)
            .where(
                AccountToken.user_id == user.id,
                AccountToken.purpose == purpose.value,
                AccountToken.used_at.is_(None),
            )
            .values(used_at=now)
        )
    if channel == "phone":
        raw = f"{secrets.randbelow(1_000_000):06d}"
        token_hash, lifetime = _code_hash(user.id, raw), CODE_LIFETIME
    else:
        raw = secrets.token_urlsafe(32)
        token_hash, lifetime = hash_secret(raw), LINK_LIFETIME
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose.value,
            channel=channel,
            target=target,
            token_hash=token_hash,
            attempts=0,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    await queue_message(
        session,
        OutgoingMessage(
            kind=purpose.value,
            channel="sms" if channel == "phone" else "email",
            to=target,
            language=user.language,
            base_url=site_url(),
            context={
                "name": user.nickname,
                "token": raw,
                "minutes": int(lifetime.total_seconds() // 60),
            },
        ),
    )


# ---------------------------------------------------------------------------- sign-in throttle


@dataclass(frozen=True)
class ThrottlePolicy:
    per_account: int
    per_address: int
    window: timedelta


@dataclass(frozen=True)
class KnownDevice:
    """A browser that proved (by a signed cookie from an earlier sign-in) it was used by
    ``user_id`` before: its sign-ins as that account are counted apart from other guesses."""

    user_id: int
    device_id: str


def _rate_limited(retry: int) -> Throttled:
    return Throttled(
        _("Too many failed sign-ins. Try again in %(duration)s.", duration=format_duration(retry)),
        retry,
    )


async def _reserve_attempt(
    session: AsyncSession, key: str, limit: int, now: datetime, window: timedelta
) -> bool:
    """Count one more attempt under ``key`` unless its window is full; False when it is.

    One UPSERT, so however many requests race, at most ``limit`` of them get through: the
    database serialises them on the row (PostgreSQL locks it, SQLite the whole file), and a
    first insert that loses the race becomes the update instead of a unique violation.
    """
    table = cast(Table, LoginThrottle.__table__)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    cutoff = literal(now - window, UTCDateTime)
    stamp = literal(now, UTCDateTime)
    expired = table.c.window_started_at <= cutoff
    statement = (
        insert(table)
        .values(key=key, failures=1, window_started_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": case((expired, 1), else_=table.c.failures + 1),
                "window_started_at": case((expired, stamp), else_=table.c.window_started_at),
            },
            where=or_(expired, table.c.failures < limit),
        )
        .returning(table.c.failures)
    )
    return (await session.execute(statement)).first() is not None


async def _retry_after(
    session: AsyncSession, limits: dict[str, int], now: datetime, window: timedelta
) -> int:
    rows = await session.execute(
        select(LoginThrottle.key, LoginThrottle.failures, LoginThrottle.window_started_at).where(
            LoginThrottle.key.in_(list(limits))
        )
    )
    waits = [
        (started + window - now).total_seconds()
        for key, failures, started in rows
        if failures >= limits[key] and now - started < window
    ]
    return max(1, int(max(waits, default=0)) + 1)


def _account_key(user: User | None, login: str, region: str) -> str:
    """The key failures are counted under: the account, whichever identifier named it.

    A name no account has is counted per name, normalised as registration stores it
    ("13800138000" and "+86 138 0013 8000" are one phone), so rewriting it does not reset the
    count and unknown names are limited like real ones. A name no account can have is hashed:
    odd input (NUL, which PostgreSQL refuses) stays a valid key.
    """
    if user is not None:
        return f"user:{user.id}"
    found = login_key(login, region)
    if found is not None:
        return f"login:{found[0]}:{found[1]}"
    return f"login:invalid:{hash_secret(login.strip().lower())}"


async def authenticate(
    session: AsyncSession,
    *,
    login: str,
    password: str,
    address: str,
    region: str,
    policy: ThrottlePolicy,
    device: KnownDevice | None = None,
) -> User:
    """Check credentials, at most ``policy``'s number of times per account and per address.

    Each attempt is reserved in the database before the password is checked, and a success
    gives its reservation back (and clears the account's count): concurrent guesses cannot
    all pass a check that was read before any of them failed.

    A known ``device`` signing in to its own account is counted on its own, per device, with
    the account's limit: guesses at the account from elsewhere, or from the same address
    (an office behind one NAT), do not lock its owner out, while the device's own failures
    are limited as tightly as the account's. Every other attempt counts for both the account
    and the address, so a spray across many accounts from one address still stops.
    """
    now = utcnow()
    user = await find_user_by_login(session, login, region)
    account_key = _account_key(user, login, region)
    address_key = f"addr:{address}"
    limits = {account_key: policy.per_account, address_key: policy.per_address}
    if device is not None and user is not None and device.user_id == user.id:
        limits = {f"device:{device.device_id}": policy.per_account}
    await begin_write(session)
    for key, limit in limits.items():  # always in this order: two sign-ins cannot deadlock
        if not await _reserve_attempt(session, key, limit, now, policy.window):
            retry = await _retry_after(session, limits, now, policy.window)
            await session.rollback()  # neither key keeps this attempt
            raise _rate_limited(retry)
    await session.commit()
    ok = await verify_password(user.password_hash if user else None, password)
    if not ok or user is None:
        raise InvalidCredentials(_("Wrong sign-in name or password."))
    new_hash = await hash_password(password) if needs_rehash(user.password_hash) else None
    await begin_write(session)
    if new_hash is not None:
        user.password_hash = new_hash
    first_key, *address_keys = limits  # the account's (or the device's) first, as reserved
    await session.execute(
        update(LoginThrottle).where(LoginThrottle.key == first_key).values(failures=0)
    )
    if address_keys:
        await session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key.in_(address_keys), LoginThrottle.failures > 0)
            .values(failures=LoginThrottle.failures - 1)
        )
    await session.commit()
    return user


# ---------------------------------------------------------------------------- browser sessions


async def start_session(
    session: AsyncSession,
    user: User,
    *,
    remember: bool,
    lifetime: timedelta,
    user_agent: str,
    address: str,
) -> str:
    """Record a signed-in browser and return the secret its cookie will carry."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        AuthSession(
            user_id=user.id,
            token_hash=hash_secret(raw),
            remember=remember,
            user_agent=user_agent[:255],
            ip_address=address[:64],
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    await session.commit()
    return raw


async def resolve_session(session: AsyncSession, raw: str) -> tuple[AuthSession, User] | None:
    now = utcnow()
    row = (
        await session.execute(
            select(AuthSession, User)
            .join(User, User.id == AuthSession.user_id)
            .where(AuthSession.token_hash == hash_secret(raw))
        )
    ).first()
    if row is None:
        return None
    auth_session, user = row
    if auth_session.revoked_at is not None or auth_session.expires_at <= now:
        return None
    if now - auth_session.last_seen_at > SEEN_RESOLUTION:
        # Its own short write transaction: turning this read into a write fails at once on
        # SQLite ("database is locked") when another connection wrote since it began. The
        # condition lets only one of many concurrent requests write.
        await begin_write(session)
        await session.execute(
            update(AuthSession)
            .where(
                AuthSession.id == auth_session.id,
                AuthSession.last_seen_at < now - SEEN_RESOLUTION,
            )
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        set_committed_value(auth_session, "last_seen_at", now)
    return auth_session, user


async def list_sessions(session: AsyncSession, user: User) -> list[AuthSession]:
    query = (
        select(AuthSession)
        .where(
            AuthSession.user_id == user.id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > utcnow(),
        )
        .order_by(AuthSession.last_seen_at.desc())
    )
    return list((await session.execute(query)).scalars())


async def revoke_session(session: AsyncSession, user: User, session_id: int) -> None:
    result = await session.execute(
        update(AuthSession)
        .where(
            AuthSession.id == session_id,
            AuthSession.user_id == user.id,
            AuthSession.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        await session.rollback()
        raise NotFound(_("No such session."))
    await auth_changed(session, user.id)
    await session.commit()


async def revoke_other_sessions(
    session: AsyncSession, user: User, keep_session_id: int | None
) -> int:
    """Sign out everywhere (except ``keep_session_id``); returns how many were ended."""
    query = update(AuthSession).where(
        AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
    )
    if keep_session_id is not None:
        query = query.where(AuthSession.id != keep_session_id)
    result = await session.execute(query.values(revoked_at=utcnow()))
    await auth_changed(session, user.id)
    await session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------- API tokens


async def create_token(
    session: AsyncSession, user: User, *, name: str, expires_in_days: int | None
) -> tuple[ApiToken, str]:
    try:
        name = validation.clean_token_name(name)
    except ValueError as error:
        raise Invalid({"name": str(error)}) from None
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=raw[:10],
        token_hash=hash_secret(raw),
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    await session.commit()
    return token, raw


async def list_tokens(session: AsyncSession, user: User) -> list[ApiToken]:
    query = (
        select(ApiToken)
        .where(
            ApiToken.user_id == user.id,
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > utcnow()),
        )
        .order_by(ApiToken.created_at.desc())
    )
    return list((await session.execute(query)).scalars())


async def revoke_token(session: AsyncSession, user: User, token_id: int) -> None:
    result = await session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        await session.rollback()
        raise NotFound(_("No such token."))
    await auth_changed(session, user.id)  # sockets opened with this token must close
    await session.commit()


async def resolve_token(session: AsyncSession, raw: str) -> tuple[ApiToken, User] | None:
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    row = (
        await session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == hash_secret(raw))
        )
    ).first()
    if row is None:
        return None
    token, user = row
    now = utcnow()
    if token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    if token.last_used_at is None or now - token.last_used_at > SEEN_RESOLUTION:
        # As in resolve_session: a write transaction of its own, by one request of many.
        await begin_write(session)
        await session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token.id,
                or_(
                    ApiToken.last_used_at.is_(None),
                    ApiToken.last_used_at < now - SEEN_RESOLUTION,
                ),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        set_committed_value(token, "last_used_at", now)
    return token, user


# ---------------------------------------------------------------------------- profile


@dataclass
class ProfileChanges:
    """Fields a user may change; ``None`` leaves a field as it is, ``""`` clears an identifier."""

    nickname: str | None = None
    username: str | None = None
    email: str | None = None
    phone: str | None = None
    bio: str | None = None
    new_password: str | None = None
    current_password: str | None = None


async def update_profile(
    session: AsyncSession,
    user: User,
    changes: ProfileChanges,
    *,
    region: str,
    current_session_id: int | None,
) -> User:
    errors: dict[str, str] = {}
    ids = _clean_identifiers(changes.username, changes.email, changes.phone, region, errors)
    clean_nick = clean_bio = None
    if changes.nickname is not None:
        try:
            clean_nick = validation.clean_nickname(changes.nickname)
        except ValueError as error:
            errors["nickname"] = str(error)
    if changes.bio is not None:
        try:
            clean_bio = validation.clean_bio(changes.bio)
        except ValueError as error:
            errors["bio"] = str(error)
    if changes.new_password is not None:
        try:
            validation.check_password(changes.new_password)
        except ValueError as error:
            errors["new_password"] = str(error)
    final = {
        "username": ids.username if changes.username is not None else user.username,
        "email": ids.email if changes.email is not None else user.email,
        "phone": ids.phone if changes.phone is not None else user.phone,
    }
    if not any(final.values()) and not errors:
        message = _("Keep at least one of: user name, email, phone number.")
        errors.update(
            {k: message for k in ("username", "email", "phone") if getattr(changes, k) == ""}
        )
    if changes.new_password is not None and not await verify_password(
        user.password_hash, changes.current_password or ""
    ):
        errors["current_password"] = _("The current password is wrong.")
    if errors:
        raise await _invalid(session, errors, ids, exclude_user_id=user.id)
    new_hash = (
        await hash_password(changes.new_password) if changes.new_password is not None else None
    )
    await begin_write(session)
    await _check_unique(session, ids, exclude_user_id=user.id)
    if changes.username is not None:
        user.username, user.username_key = ids.username or (None, None)
    if changes.email is not None:
        if (ids.email[0] if ids.email else None) != user.email:
            user.email_verified_at = None  # a new address is unconfirmed until a link reaches it
        user.email, user.email_key = ids.email or (None, None)
    if changes.phone is not None:
        if ids.phone != user.phone:
            user.phone_verified_at = None
        user.phone = ids.phone
    if clean_nick is not None:
        user.nickname = clean_nick
    if clean_bio is not None:
        user.bio = clean_bio
    if new_hash is not None:
        user.password_hash = new_hash
        # A changed password ends every other signed-in browser and every API token: whoever
        # learnt the old password may have made one of either.
        revoked_at = utcnow()
        query = update(AuthSession).where(
            AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
        )
        if current_session_id is not None:
            query = query.where(AuthSession.id != current_session_id)
        await session.execute(query.values(revoked_at=revoked_at))
        await session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=revoked_at)
        )
    # Every process forgets what it remembered of this user (portal.accounts.principals);
    # live sockets re-check their channels.
    await auth_changed(session, user.id)
    await _commit_unique(session)
    return user


async def get_user_by_username(session: AsyncSession, username: str) -> User:
    user = (
        await session.execute(select(User).where(User.username_key == username.lower()))
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(_("No such user."))
    return user


# ---------------------------------------------------------------------------- roles


async def list_users(
    session: AsyncSession,
    *,
    q: str = "",
    role: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[User], int]:
    if validation.has_control_characters(q):
        # No identifier or nickname may contain them, so nothing matches; and PostgreSQL
        # refuses NUL in a query outright (a 500 if we asked).
        return [], 0
    query = select(User)
    if q:
        pattern = (
            "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        query = query.where(
            or_(
                User.username_key.like(pattern, escape="\\"),
                User.email_key.like(pattern, escape="\\"),
                User.phone.like(pattern, escape="\\"),
                func.lower(User.nickname).like(pattern, escape="\\"),
            )
        )
    if role:
        query = query.where(User.role == role)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(
        query.order_by(User.id).offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows.scalars()), int(total)


async def set_role(session: AsyncSession, actor: User, user_id: int, role: Role) -> User:
    if not actor.is_admin:
        raise Forbidden()
    await begin_write(session)
    # Lock every admin row (in one order, so two changes cannot deadlock) before reading the
    # target: two admins demoting each other at once then run one after the other, and the
    # second sees one admin left. Counting without the lock let both succeed, leaving none.
    admin_ids = set(
        (
            await session.execute(
                select(User.id)
                .where(User.role == Role.ADMIN.value)
                .order_by(User.id)
                .with_for_update()
            )
        ).scalars()
    )
    if actor.id not in admin_ids:
        raise Forbidden()  # demoted by someone else since this request began
    user = await session.get(User, user_id, with_for_update=True, populate_existing=True)
    if user is None:
        raise NotFound(_("No such user."))
    if user.role == Role.ADMIN.value and role != Role.ADMIN and len(admin_ids) <= 1:
        raise Conflict(
            _("The last admin cannot be demoted."),
            {"role": _("The last admin cannot be demoted.")},
            code="last_admin",
        )
    user.role = role.value
    await auth_changed(session, user.id)
    await session.commit()
    return user


async def set_new_application_mail(session: AsyncSession, admin: User, on: bool) -> User:
    """Whether ``admin`` is mailed each new application (at a confirmed address)."""
    if not admin.is_admin:
        raise Forbidden()
    await session.execute(update(User).where(User.id == admin.id).values(mail_new_applications=on))
    # Pages read the signed-in user from a per-process cache: it must forget the old choice.
    await auth_changed(session, admin.id)
    await session.commit()
    admin.mail_new_applications = on
    return admin


async def ensure_admin(
    session: AsyncSession, *, username: str, password: str, email: str | None, region: str
) -> tuple[User, bool]:
    """Promote the named user, or create them as an admin; returns ``(user, created)``."""
    _display, key = validation.normalize_username(username, allow_reserved=True)
    user = (
        await session.execute(select(User).where(User.username_key == key))
    ).scalar_one_or_none()
    if user is not None:
        user.role = Role.ADMIN.value
        await auth_changed(session, user.id)  # a running site's relay tells its workers
        await session.commit()
        return user, False
    user = await register_user(
        session,
        nickname=username,
        password=password,
        username=username,
        email=email,
        region=region,
        role=Role.ADMIN,
    )
    return user, True
