"""Account pages: register, sign in and out, profile, public profiles, user admin."""

from __future__ import annotations

from quart import Blueprint, flash, redirect, request, url_for
from quart.typing import ResponseReturnValue

from portal.accounts import recovery, service
from portal.accounts.api import throttle_policy
from portal.accounts.auth import (
    known_device,
    load_principal,
    require_admin,
    require_user,
    sign_in,
    sign_out,
)
from portal.accounts.models import Role
from portal.accounts.useragent import describe_agent
from portal.config import get_settings
from portal.db import get_session
from portal.domain_errors import Conflict, DomainError
from portal.errors import APIError, not_found
from portal.i18n import current_language
from portal.i18n import gettext as _
from portal.web.client import client_address
from portal.web.forms import (
    form_data,
    parse_id,
    parse_int,
    parse_page,
    render_form,
    require_filled,
    safe_next,
)

blueprint = Blueprint("accounts", __name__)


def _region() -> str:

    return get_settings().default_phone_region


async def _signed_in_already() -> ResponseReturnValue | None:
    """Someone signed in who opens the sign-in or register page goes on to where they were
    going (or home): the form would only make a second account or sign in again."""
    if (await load_principal()).is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    return None


@blueprint.route("/register", methods=["GET", "POST"])
async def register() -> ResponseReturnValue:
    if request.method == "GET":
        if (onward := await _signed_in_already()) is not None:
            return onward
        return await render_form("accounts/register.html", next=request.args.get("next", ""))
    values = await form_data()
    try:
        user = await service.register_user(
            get_session(),
            nickname=values.get("nickname", ""),
            password=values.get("password", ""),
            username=values.get("username") or None,
            email=values.get("email") or None,
            phone=values.get("phone") or None,
            region=_region(),
            language=current_language(),
        )
    except DomainError as error:
        values.pop("password", None)
        return await render_form(
            "accounts/register.html", values=values, error=error, next=values.get("next", "")
        )
    await sign_in(user, remember=False)
    await flash(_("Welcome to Portal, %(name)s!", name=user.nickname), "success")
    return redirect(safe_next(values.get("next"), url_for("accounts.profile")))


@blueprint.route("/login", methods=["GET", "POST"])
async def login() -> ResponseReturnValue:
    if request.method == "GET":
        if (onward := await _signed_in_already()) is not None:
            return onward
        return await render_form("accounts/login.html", next=request.args.get("next", ""))
    values = await form_data()
    try:
        # Empty fields are told apart from wrong ones, and cost no attempt.
        require_filled(values, "login", "password")
        user = await service.authenticate(
            get_session(),
            login=values.get("login", ""),
            password=values.get("password", ""),
            address=client_address(),
            region=_region(),
            policy=throttle_policy(),
            device=known_device(),
        )
    except DomainError as error:
        values.pop("password", None)
        # With its headers: a refused sign-in says when to try again (Retry-After).
        return await render_form(
            "accounts/login.html", values=values, error=error, next=values.get("next", "")
        )
    await sign_in(user, remember=values.get("remember") == "on")
    await flash(_("Signed in. Welcome back, %(name)s.", name=user.nickname), "success")
    return redirect(safe_next(values.get("next")))


@blueprint.post("/logout")
async def logout() -> ResponseReturnValue:
    await sign_out()
    await flash(_("You are signed out."), "info")
    return redirect(url_for("jobs.index"))


async def _profile_page(
    values: dict[str, str] | None = None,
    error: DomainError | None = None,
    new_token: str | None = None,
) -> ResponseReturnValue:
    user = await require_user()
    principal = await load_principal()
    session = get_session()
    defaults = {
        "nickname": user.nickname,
        "username": user.username or "",
        "email": user.email or "",
        "phone": user.phone or "",
        "bio": user.bio,
    }
    return await render_form(
        "accounts/profile.html",
        values={**defaults, **(values or {})},
        error=error,
        user=user,
        sessions=await service.list_sessions(session, user),
        describe_agent=describe_agent,
        current_session_id=principal.session_id,
        tokens=await service.list_tokens(session, user),
        new_token=new_token,
    )


@blueprint.get("/profile")
async def profile() -> ResponseReturnValue:
    return await _profile_page()


@blueprint.post("/profile")
async def post_profile() -> ResponseReturnValue:
    user = await require_user()
    principal = await load_principal()
    values = await form_data()
    action = values.pop("action", "profile")
    session = get_session()
    try:
        if action == "password":
            changes = service.ProfileChanges(
                new_password=values.get("new_password", ""),
                current_password=values.get("current_password", ""),
            )
            message = _("Password changed. Other browsers were signed out.")
        else:
            changes = service.ProfileChanges(
                nickname=values.get("nickname", ""),
                username=values.get("username", ""),
                email=values.get("email", ""),
                phone=values.get("phone", ""),
                bio=values.get("bio", ""),
            )
            message = _("Profile saved.")
        await service.update_profile(
            session, user, changes, region=_region(), current_session_id=principal.session_id
        )
    except DomainError as error:
        for secret in ("new_password", "current_password"):
            values.pop(secret, None)
        return await _profile_page(values, error)
    await flash(message, "success")
    return redirect(url_for("accounts.profile"))


@blueprint.post("/profile/sessions")
async def post_sessions() -> ResponseReturnValue:
    user = await require_user()
    principal = await load_principal()
    values = await form_data()
    session = get_session()
    if values.get("session_id"):
        # An id that cannot be a row's is unknown, like the API's /me/sessions/<id>.
        session_id = parse_id(values["session_id"])
        if session_id is None:
            raise not_found(_("No such session."))
        await service.revoke_session(session, user, session_id)
        await flash(_("That browser is signed out."), "success")
    else:
        ended = await service.revoke_other_sessions(session, user, principal.session_id)
        await flash(_("Signed out of %(count)s other sessions.", count=ended), "success")
    return redirect(url_for("accounts.profile") + "#sessions")


@blueprint.post("/profile/tokens")
async def post_tokens() -> ResponseReturnValue:
    user = await require_user()
    values = await form_data()
    session = get_session()
    if values.get("token_id"):
        token_id = parse_id(values["token_id"])
        if token_id is None:
            raise not_found(_("No such token."))
        await service.revoke_token(session, user, token_id)
        await flash(_("Token revoked."), "success")
        return redirect(url_for("accounts.profile") + "#tokens")
    try:
        _token, raw = await service.create_token(
            session,
            user,
            name=values.get("name", ""),
            expires_in_days=parse_int(values.get("expires_in_days"), low=1, high=3650),
        )
    except DomainError as error:
        return await _profile_page(values, error)
    # Rendered, not redirected: the secret must never sit in a URL or a flash cookie.
    return await _profile_page(new_token=raw)


@blueprint.get("/u/<username>")
async def public_profile(username: str) -> ResponseReturnValue:
    user = await service.get_user_by_username(get_session(), username)
    return await render_form("accounts/public_profile.html", user=user)


@blueprint.get("/admin/users")
async def admin_users() -> ResponseReturnValue:
    await require_admin()
    q = request.args.get("q", "")[:100]
    page_number = parse_page(request.args.get("page"), last=99_999)
    users, total = await service.list_users(get_session(), q=q, page=page_number, per_page=50)
    return await render_form(
        "admin/users.html", users=users, total=total, q=q, page=page_number, per_page=50
    )


@blueprint.post("/admin/users/<int:user_id>/role")
async def admin_set_role(user_id: int) -> ResponseReturnValue:
    actor = await require_admin()
    values = await form_data()
    try:
        role = Role(values.get("role", ""))
    except ValueError:
        raise APIError(
            422, "validation_failed", _("Unknown role."), {"role": _("Unknown role.")}
        ) from None
    try:
        user = await service.set_role(get_session(), actor, user_id, role)
    except Conflict as error:
        await flash(error.message, "error")
    else:
        await flash(
            _("%(name)s is now %(role)s.", name=user.nickname, role=_(role.value)), "success"
        )
    return redirect(url_for("accounts.admin_users"))


@blueprint.route("/password/forgot", methods=["GET", "POST"])
async def forgot_password() -> ResponseReturnValue:
    if request.method == "GET":
        return await render_form("accounts/forgot.html")
    values = await form_data()
    login = values.get("login", "").strip()
    if not login:
        error = DomainError(_("Give the email, phone number or user name of your account."))
        return await render_form("accounts/forgot.html", values=values, error=error)
    await recovery.request_reset(
        get_session(), login=login, address=client_address(), region=_region()
    )
    # The same page whether the account exists or not.
    return await render_form("accounts/forgot.html", values=values, sent=True)


@blueprint.route("/password/reset", methods=["GET", "POST"])
async def reset_password() -> ResponseReturnValue:
    if request.method == "GET":
        token = request.args.get("token", "")[:200]
        return await render_form("accounts/reset.html", values={"token": token})
    values = await form_data()
    try:
        await recovery.confirm_reset(
            get_session(),
            token=values.get("token", "")[:200],
            password=values.get("password", ""),
            login=values.get("login") or None,
            region=_region(),
        )
    except DomainError as error:
        values.pop("password", None)
        return await render_form("accounts/reset.html", values=values, error=error)
    await sign_out()
    await flash(_("Your password is changed. Sign in with it now."), "success")
    return redirect(url_for("accounts.login"))


@blueprint.post("/profile/verify")
async def post_verify() -> ResponseReturnValue:
    user = await require_user()
    values = await form_data()
    channel = values.get("channel", "")
    if channel not in ("email", "phone"):
        raise not_found()
    try:
        await recovery.request_verification(get_session(), user, channel)
    except DomainError as error:
        await flash(error.message, "error")
    else:
        await flash(_("A confirmation is on its way."), "success")
    return redirect(url_for("accounts.profile") + "#confirmed")


@blueprint.route("/verify", methods=["GET", "POST"])
async def verify() -> ResponseReturnValue:
    """The link in a confirmation mail (a page with a button: mail scanners open links), and
    the profile's code form."""
    if request.method == "GET":
        token = request.args.get("token", "")[:200]
        return await render_form("accounts/verify.html", values={"token": token})
    values = await form_data()
    principal = await load_principal()
    try:
        await recovery.confirm_verification(
            get_session(),
            token=values.get("token", "")[:200],
            user=principal.user,
            region=_region(),
        )
    except DomainError as error:
        return await render_form("accounts/verify.html", values=values, error=error)
    await flash(_("Address confirmed."), "success")
    target = (
        url_for("accounts.profile") + "#confirmed" if principal.user else url_for("accounts.login")
    )
    return redirect(target)
