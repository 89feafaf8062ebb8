"""JSON API of accounts: /api/v1/auth, /api/v1/me, /api/v1/users."""

from __future__ import annotations

from datetime import timedelta

from quart import Blueprint
from quart_rate_limiter import rate_limit
from quart_schema import (
    document_response,
    security_scheme,
    validate_querystring,
    validate_request,
    validate_response,
)

from portal.accounts import recovery, service
from portal.accounts.auth import (
    known_device,
    load_principal,
    require_admin,
    require_user,
    sign_in,
    sign_out,
)
from portal.accounts.models import Role
from portal.accounts.schemas import (
    Accepted,
    Ended,
    LoginData,
    PasswordResetConfirm,
    PasswordResetRequest,
    ProfileUpdate,
    RegisterData,
    RoleUpdate,
    SessionList,
    SessionPublic,
    TokenCreate,
    TokenCreated,
    TokenList,
    TokenPublic,
    UserFilter,
    UserList,
    UserPublic,
    VerifyConfirm,
    VerifyRequest,
)
from portal.config import get_settings
from portal.db import get_session
from portal.domain_errors import DomainError
from portal.errors import ErrorEnvelope
from portal.i18n import current_language
from portal.web.client import client_address

blueprint = Blueprint("accounts_api", __name__, url_prefix="/api/v1")


def _settings():
    return get_settings()


def throttle_policy() -> service.ThrottlePolicy:
    settings = _settings()
    return service.ThrottlePolicy(
        per_account=settings.login_failures_per_account,
        per_address=settings.login_failures_per_address,
        window=timedelta(seconds=settings.login_failure_window_seconds),
    )


@blueprint.post("/auth/register")
@security_scheme([])  # anyone: signs the new account in
@rate_limit(20, timedelta(minutes=10))
@validate_request(RegisterData)
@validate_response(UserPublic, 201)
@document_response(ErrorEnvelope, 409)
@document_response(ErrorEnvelope, 422)
async def post_register(data: RegisterData) -> tuple[UserPublic, int]:
    """Create an account and sign it in."""
    user = await service.register_user(
        get_session(),
        nickname=data.nickname,
        password=data.password,
        username=data.username,
        email=data.email,
        phone=data.phone,
        region=_settings().default_phone_region,
        language=current_language(),
        confirm=True,
    )
    await sign_in(user, remember=False)
    return UserPublic.of(user), 201


@blueprint.post("/auth/login")
@security_scheme([])  # anyone
@validate_request(LoginData)
@validate_response(UserPublic)
@document_response(ErrorEnvelope, 401)
@document_response(ErrorEnvelope, 429)
async def post_login(data: LoginData) -> UserPublic:
    """Sign in by user name, email or phone number."""
    user = await service.authenticate(
        get_session(),
        login=data.login,
        password=data.password,
        address=client_address(),
        region=_settings().default_phone_region,
        policy=throttle_policy(),
        device=known_device(),
    )
    await sign_in(user, remember=data.remember)
    return UserPublic.of(user)


@blueprint.post("/auth/logout")
@document_response(ErrorEnvelope, 401)
async def post_logout() -> tuple[str, int]:
    """End this browser's session."""
    await require_user()
    await sign_out()
    return "", 204


@blueprint.get("/me")
@validate_response(UserPublic)
@document_response(ErrorEnvelope, 401)
async def get_me() -> UserPublic:
    """The signed-in user's profile."""
    return UserPublic.of(await require_user())


@blueprint.patch("/me")
@validate_request(ProfileUpdate)
@validate_response(UserPublic)
@document_response(ErrorEnvelope, 409)
@document_response(ErrorEnvelope, 422)
async def patch_me(data: ProfileUpdate) -> UserPublic:
    """Edit the profile; a new password needs ``current_password`` and ends other sessions."""
    user = await require_user()
    principal = await load_principal()
    changes = service.ProfileChanges(
        nickname=data.nickname,
        username=data.username,
        email=data.email,
        phone=data.phone,
        bio=data.bio,
        new_password=data.password,
        current_password=data.current_password,
    )
    try:
        user = await service.update_profile(
            get_session(),
            user,
            changes,
            region=_settings().default_phone_region,
            current_session_id=principal.session_id,
        )
    except DomainError as error:
        # The service names the profile form's field; in this API the new password is "password".
        if "new_password" in error.fields:
            error.fields["password"] = error.fields.pop("new_password")
        raise
    return UserPublic.of(user)


@blueprint.get("/me/sessions")
@validate_response(SessionList)
async def get_sessions() -> SessionList:
    """Browsers signed in to this account."""
    user = await require_user()
    current = (await load_principal()).session_id
    rows = await service.list_sessions(get_session(), user)
    return SessionList(items=[SessionPublic.of(row, current) for row in rows])


@blueprint.delete("/me/sessions/<int:session_id>")
@document_response(ErrorEnvelope, 404)
async def delete_session(session_id: int) -> tuple[str, int]:
    """Sign one browser out."""
    user = await require_user()
    await service.revoke_session(get_session(), user, session_id)
    return "", 204


@blueprint.post("/me/sessions/revoke-others")
@validate_response(Ended)
async def post_revoke_other_sessions() -> Ended:
    """Sign out everywhere but here (everywhere, for a bearer-token caller)."""
    user = await require_user()
    current = (await load_principal()).session_id
    return Ended(ended=await service.revoke_other_sessions(get_session(), user, current))


@blueprint.post("/me/tokens")
@validate_request(TokenCreate)
@validate_response(TokenCreated, 201)
@document_response(ErrorEnvelope, 422)
async def post_token(data: TokenCreate) -> tuple[TokenCreated, int]:
    """Create a personal API token; the secret is in this response only."""
    user = await require_user()
    token, raw = await service.create_token(
        get_session(), user, name=data.name, expires_in_days=data.expires_in_days
    )
    return TokenCreated(**TokenPublic.of(token).model_dump(), token=raw), 201


@blueprint.get("/me/tokens")
@validate_response(TokenList)
async def get_tokens() -> TokenList:
    """Personal API tokens that are still valid (without their secrets)."""
    user = await require_user()
    return TokenList(
        items=[TokenPublic.of(t) for t in await service.list_tokens(get_session(), user)]
    )


@blueprint.delete("/me/tokens/<int:token_id>")
@document_response(ErrorEnvelope, 404)
async def delete_token(token_id: int) -> tuple[str, int]:
    """Revoke a personal API token."""
    user = await require_user()
    await service.revoke_token(get_session(), user, token_id)
    return "", 204


@blueprint.get("/users")
@validate_querystring(UserFilter)
@validate_response(UserList)
@document_response(ErrorEnvelope, 403)
async def get_users(query_args: UserFilter) -> UserList:
    """All accounts (admins only)."""
    await require_admin()
    users, total = await service.list_users(
        get_session(),
        q=query_args.q,
        role=query_args.role,
        page=query_args.page,
        per_page=query_args.per_page,
    )
    return UserList(
        items=[UserPublic.of(u) for u in users],
        total=total,
        page=query_args.page,
        per_page=query_args.per_page,
    )


@blueprint.patch("/users/<int:user_id>")
@validate_request(RoleUpdate)
@validate_response(UserPublic)
@document_response(ErrorEnvelope, 403)
@document_response(ErrorEnvelope, 409)
async def patch_user(user_id: int, data: RoleUpdate) -> UserPublic:
    """Change a user's role (admins only); the last admin cannot be demoted."""
    actor = await require_admin()
    user = await service.set_role(get_session(), actor, user_id, Role(data.role))
    return UserPublic.of(user)


@blueprint.post("/auth/password-reset")
@security_scheme([])  # anyone
@validate_request(PasswordResetRequest)
@validate_response(Accepted, 202)
async def post_password_reset(data: PasswordResetRequest) -> tuple[Accepted, int]:
    """Send a reset link (email) or code (phone); the same answer whether the account exists."""
    await recovery.request_reset(
        get_session(),
        login=data.login,
        address=client_address(),
        region=_settings().default_phone_region,
    )
    return Accepted(), 202


@blueprint.post("/auth/password-reset/confirm")
@security_scheme([])  # anyone holding the token
@rate_limit(30, timedelta(minutes=10))
@validate_request(PasswordResetConfirm)
@validate_response(UserPublic)
@document_response(ErrorEnvelope, 422)
async def post_password_reset_confirm(data: PasswordResetConfirm) -> UserPublic:
    """Choose a new password with the token; every session and API token of the account ends."""
    user = await recovery.confirm_reset(
        get_session(),
        token=data.token,
        password=data.password,
        login=data.login,
        region=_settings().default_phone_region,
    )
    return UserPublic.of(user)


@blueprint.post("/me/verify")
@rate_limit(5, timedelta(minutes=10))
@validate_request(VerifyRequest)
@validate_response(Accepted, 202)
@document_response(ErrorEnvelope, 422)
async def post_verify(data: VerifyRequest) -> tuple[Accepted, int]:
    """Send a confirmation link (email) or code (phone) to the account's address."""
    user = await require_user()
    await recovery.request_verification(get_session(), user, data.channel)
    return Accepted(), 202


@blueprint.post("/me/verify/confirm")
@rate_limit(30, timedelta(minutes=10))
@validate_request(VerifyConfirm)
@validate_response(UserPublic)
@document_response(ErrorEnvelope, 422)
async def post_verify_confirm(data: VerifyConfirm) -> UserPublic:
    """Confirm an address with the link's token or the code sent to the phone."""
    user = await require_user()
    owner = await recovery.confirm_verification(
        get_session(), token=data.token, user=user, region=_settings().default_phone_region
    )
    return UserPublic.of(owner)
