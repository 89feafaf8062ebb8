"""Bad input is never a 500: odd languages, deep JSON, ids and numbers no row can have, NUL,
and control characters in a redirect target (DESIGN.md: a clear error with the right status).
"""

from __future__ import annotations

import re

import pytest
from quart import Quart, request
from quart.typing import TestClientProtocol as Client
from sqlalchemy import select

from portal.accounts.models import ApiToken, AuthSession, Role
from portal.db import get_db
from portal.i18n import match_language
from tests.factories import PASSWORD, csrf_token_for, make_user, signed_in_client

HUGE = "9" * 5000  # beyond int()'s 4,300-digit limit for strings
BIG = "9" * 23  # beyond PostgreSQL's BIGINT, let alone INTEGER
# ASCII digits only: "٣" (Arabic-Indic three) and "²" pass str.isdigit; int() reads the first
# as 3 and refuses the second.
ODD_DIGITS = ["٣", "²", "３"]
BAD_IDS = [HUGE, BIG, "2147483648", "0", "-1", *ODD_DIGITS]


async def text_of(response, status: int) -> str:
    body = await response.get_data(as_text=True)
    assert response.status_code == status, body[:2000]
    return body


async def api_error(response, status: int) -> dict:
    body = await response.get_json()
    assert response.status_code == status, body
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    return body["error"]


async def post_form(client: Client, path: str, form: dict[str, str], page: str):
    token = await csrf_token_for(client, page)
    return await client.post(path, form={**form, "csrf_token": token})


@pytest.fixture
async def admin_client(app: Quart) -> Client:
    client, _admin = await signed_in_client(app, role=Role.ADMIN)
    return client


# -------------------------------------------------------------------- 1. Accept-Language


@pytest.mark.parametrize("header", ["sm, en;q=0.9", "ay", "en-XA", "tlh", "x-klingon", "*"])
async def test_unknown_browser_languages_are_english(client, header) -> None:
    page = await text_of(await client.get("/", headers={"Accept-Language": header}), 200)
    assert '<html lang="en">' in page
    response = await client.get("/api/v1/jobs", headers={"Accept-Language": header})
    assert response.status_code == 200
    error = await api_error(
        await client.get("/api/v1/me", headers={"Accept-Language": header}), 401
    )
    assert error["code"] == "unauthorized"


async def test_an_unknown_language_does_not_hide_a_known_one(client) -> None:
    headers = {"Accept-Language": "tlh, sm;q=0.9, zh-CN;q=0.8"}
    page = await text_of(await client.get("/", headers=headers), 200)
    assert '<html lang="zh-Hans">' in page


def test_match_language_falls_back_to_the_language() -> None:
    languages = ["en", "zh_Hans"]
    assert match_language("en-XA", languages) == "en"  # Android's pseudo-locale
    assert match_language("zh-XA", languages) == "zh_Hans"
    for tag in ("sm", "ay", "tlh", "", "*", "x-klingon", "en_XA_foo_bar", "e\x00n"):
        assert match_language(tag, ["en"]) in (None, "en"), tag
    assert match_language("sm", languages) is None


# -------------------------------------------------------------------------- 2. deep JSON


def nested(depth: int, inner: str = '"x"') -> str:
    return "[" * depth + inner + "]" * depth


@pytest.mark.parametrize("depth", [65, 1_000, 100_000])
async def test_deep_json_is_a_400_on_anonymous_login(client, depth) -> None:
    for body in (nested(depth), '{"login": ' + nested(depth) + ', "password": "x"}'):
        response = await client.post(
            "/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"}
        )
        assert (await api_error(response, 400))["code"] == "bad_request"


async def test_deep_objects_are_a_400_too(client) -> None:
    body = '{"a": ' * 2_000 + "1" + "}" * 2_000
    response = await client.post(
        "/api/v1/auth/register", data=body, headers={"Content-Type": "application/json"}
    )
    assert (await api_error(response, 400))["code"] == "bad_request"


async def test_shallow_nesting_is_still_validated(client) -> None:
    # 64 levels parse; the field is simply the wrong type.
    response = await client.post(
        "/api/v1/auth/login", json={"login": nested(63, "1"), "password": "x"}
    )
    assert response.status_code in (401, 422)
    body = '{"login": ' + nested(63) + ', "password": "x"}'
    response = await client.post(
        "/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"}
    )
    assert (await api_error(response, 422))["code"] == "validation_failed"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/jobs"),
        ("PATCH", "/api/v1/jobs/1"),
        ("POST", "/api/v1/jobs/preview"),
        ("POST", "/api/v1/subscriptions"),
        ("POST", "/api/v1/notifications/read"),
        ("POST", "/api/v1/clicks"),
        ("PATCH", "/api/v1/me"),
        ("POST", "/api/v1/me/tokens"),
    ],
)
async def test_deep_json_is_a_400_on_every_json_route(admin_client, method, path) -> None:
    response = await admin_client.open(
        path, method=method, data=nested(5_000), headers={"Content-Type": "application/json"}
    )
    assert (await api_error(response, 400))["code"] == "bad_request"


async def test_request_get_json_is_bounded_too(app) -> None:
    async with app.test_request_context(
        "/", method="POST", data=nested(5_000), headers={"Content-Type": "application/json"}
    ):
        assert await request.get_json(silent=True) is None


# --------------------------------------------------------- 3. ids taken from forms and paths


async def other_users_ids(app: Quart) -> tuple[int, int]:
    """A signed-in stranger's session id and API token id."""
    client, stranger = await signed_in_client(app)
    response = await client.post("/api/v1/me/tokens", json={"name": "theirs"})
    assert response.status_code == 201, await response.get_data(as_text=True)
    async with get_db(app).session_scope() as session:
        session_id = await session.scalar(
            select(AuthSession.id).where(AuthSession.user_id == stranger.id)
        )
        token_id = await session.scalar(select(ApiToken.id).where(ApiToken.user_id == stranger.id))
    assert session_id is not None and token_id is not None
    return session_id, token_id


async def revoked(app: Quart, model: type, row_id: int) -> bool:
    async with get_db(app).session_scope() as session:
        row = await session.get(model, row_id)
        return row.revoked_at is not None


@pytest.mark.both_databases
async def test_revoking_someone_elses_session_or_token_on_the_profile_page_is_404(
    app, db_backend
) -> None:
    session_id, token_id = await other_users_ids(app)
    client, me = await signed_in_client(app, username="miapage", nickname="Mia Page")
    for path, field, row_id, message in (
        ("/profile/sessions", "session_id", session_id, "No such session."),
        ("/profile/tokens", "token_id", token_id, "No such token."),
    ):
        response = await post_form(client, path, {field: str(row_id)}, "/profile")
        page = await text_of(response, 404)
        assert message in page
        assert "Mia Page" in page  # the page shows who is signed in, loaded after the rollback
    assert not await revoked(app, AuthSession, session_id)
    assert not await revoked(app, ApiToken, token_id)
    # Still signed in and working.
    assert (await client.get("/profile")).status_code == 200
    assert me.id


@pytest.mark.both_databases
@pytest.mark.parametrize("bad_id", BAD_IDS)
async def test_ids_no_row_can_have_are_404_on_the_profile_page(app, db_backend, bad_id) -> None:
    client, _me = await signed_in_client(app)
    for path, field, message in (
        ("/profile/sessions", "session_id", "No such session."),
        ("/profile/tokens", "token_id", "No such token."),
    ):
        response = await post_form(client, path, {field: bad_id}, "/profile")
        assert message in await text_of(response, 404)
    # A bad id does not fall through to "sign out everywhere else".
    async with get_db(app).session_scope() as session:
        live = await session.scalar(select(AuthSession.id).where(AuthSession.revoked_at.is_(None)))
    assert live is not None


@pytest.mark.parametrize("days", [HUGE, "²", "٣", "0", "3651"])
async def test_odd_token_lifetimes_make_a_token_without_expiry(app, days) -> None:
    client, me = await signed_in_client(app)
    response = await post_form(
        client, "/profile/tokens", {"name": "deploy", "expires_in_days": days}, "/profile"
    )
    await text_of(response, 200)
    async with get_db(app).session_scope() as session:
        token = await session.scalar(select(ApiToken).where(ApiToken.user_id == me.id))
    assert token is not None and token.expires_at is None


@pytest.mark.both_databases
@pytest.mark.parametrize("bad_id", [HUGE, BIG, "2147483648", "٣", "%D9%A3"])
async def test_ids_in_paths_are_ascii_and_in_range(app, db_backend, admin_client, bad_id) -> None:
    for path in (f"/jobs/{bad_id}", f"/jobs/{bad_id}-slug", f"/admin/jobs/{bad_id}/edit"):
        await text_of(await admin_client.get(path), 404)
    await api_error(await admin_client.get(f"/api/v1/jobs/{bad_id}"), 404)
    client, _user = await signed_in_client(app)
    response = await post_form(client, f"/alerts/{bad_id}/delete", {}, "/alerts")
    await text_of(response, 404)


async def test_other_scripts_digits_do_not_name_a_real_row(app, admin_client) -> None:
    body = {"title": "Python developer", "content": "Python.", "status": "published"}
    body["apply_url"] = "https://example.com/apply"
    response = await admin_client.post("/api/v1/jobs", json=body)
    assert response.status_code == 201, await response.get_data(as_text=True)
    job_id = str((await response.get_json())["id"])
    arabic = job_id.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert (await admin_client.get(f"/jobs/{job_id}")).status_code in (200, 301)
    for path in (f"/jobs/{arabic}", f"/admin/jobs/{arabic}/edit", f"/api/v1/jobs/{arabic}"):
        assert (await admin_client.get(path)).status_code == 404, path


def test_parsing_helpers_take_ascii_digits_in_range() -> None:
    from portal.web.forms import parse_id, parse_int, parse_page

    assert parse_id("42") == 42
    assert parse_id(str(2**31 - 1)) == 2**31 - 1
    for bad in (None, "", *BAD_IDS, " 1", "1 ", "+1", "1_0", "0x1", "1.0"):
        assert parse_id(bad) is None, bad
    assert parse_int("3650", low=1, high=3650) == 3650
    assert parse_int("3651", low=1, high=3650) is None
    assert parse_page(HUGE) == 1 and parse_page("²") == 1 and parse_page("7") == 7


# ----------------------------------------------------- 4. huge numbers in query strings


@pytest.mark.both_databases
@pytest.mark.parametrize("number", [HUGE, BIG, "²", "٣"])
async def test_huge_numbers_on_list_pages_are_ignored(app, db_backend, admin_client, number):
    for path, name in (
        ("/", "page"),
        ("/jobs.atom", "page"),
        ("/admin/jobs", "page"),
        ("/admin/users", "page"),
        ("/admin/audit", "job_id"),
    ):
        response = await admin_client.get(path, query_string={name: number})
        await text_of(response, 200)


@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/jobs", "page"),
        ("/api/v1/jobs", "per_page"),
        ("/api/v1/audit", "limit"),
        ("/api/v1/audit", "job_id"),
        ("/api/v1/users", "page"),
        ("/api/v1/users", "per_page"),
        ("/api/v1/notifications", "limit"),
        ("/api/v1/notifications", "before"),
        ("/api/v1/recommendations", "limit"),
    ],
)
async def test_huge_numbers_in_api_lists_are_422(app, db_backend, admin_client, path, name):
    for number in (HUGE, BIG, "²", "٣"):
        error = await api_error(await admin_client.get(path, query_string={name: number}), 422)
        assert error["code"] == "validation_failed" and name in error["fields"]


@pytest.mark.parametrize("salary", [HUGE, BIG, "²", "٣"])
async def test_odd_salaries_on_the_job_form_are_field_errors(admin_client, salary) -> None:
    form = {
        "title": "Python developer",
        "content": "Python.",
        "category": "engineering",
        "employment_type": "full_time",
        "status": "draft",
        "salary_min": salary,
    }
    page = await text_of(
        await post_form(admin_client, "/admin/jobs/new", form, "/admin/jobs/new"), 422
    )
    assert re.search(r'<div class="field has-error">\s*<label for="f-salary_min"', page)


# --------------------------------------------------------------------------------- 5. NUL


@pytest.mark.both_databases
@pytest.mark.parametrize("path", ["/u/%00", "/u/a%00b", "/jobs/1-%00", "/lang/%00"])
async def test_nul_in_a_path_is_404(app, db_backend, client, path) -> None:
    await make_user(app, username="mia")
    await text_of(await client.get(path), 404)


@pytest.mark.both_databases
async def test_nul_in_an_api_path_is_a_json_404(app, db_backend, admin_client) -> None:
    assert (await api_error(await admin_client.get("/api/v1/uploads/a%00b"), 404))["code"]


@pytest.mark.both_databases
async def test_nul_in_search_text_never_reaches_the_database(app, db_backend, admin_client):
    for path in ("/", "/jobs.atom", "/admin/jobs", "/admin/users"):
        await text_of(await admin_client.get(path, query_string={"q": "a\x00b"}), 200)
    await api_error(await admin_client.get("/api/v1/jobs", query_string={"q": "a\x00b"}), 422)
    response = await admin_client.get("/api/v1/users", query_string={"q": "a\x00b"})
    assert response.status_code == 200


@pytest.mark.both_databases
async def test_nul_in_api_sign_in_names_is_refused(app, db_backend, client) -> None:
    response = await client.post("/api/v1/auth/login", json={"login": "a\x00b", "password": "x"})
    assert response.status_code in (401, 422)


@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("path", "form", "page"),
    [
        ("/login", {"login": "mia\x00", "password": "x"}, "/login"),
        ("/register", {"username": "a\x00b", "nickname": "A", "password": PASSWORD}, "/register"),
        ("/alerts", {"keywords": "python\x00"}, "/alerts"),
        ("/alerts", {"keywords": "python", "location": "Berlin\x00"}, "/alerts"),
        ("/profile", {"nickname": "Mia\x00"}, "/profile"),
        ("/profile/tokens", {"name": "deploy\x00"}, "/profile"),
        ("/profile/tokens", {"token_id": "1\x00"}, "/profile"),
        ("/profile", {"nick\x00name": "Mia"}, "/profile"),
    ],
)
async def test_nul_in_a_form_is_a_422(app, db_backend, path, form, page) -> None:
    client, _me = await signed_in_client(app)
    if path in ("/login", "/register"):
        client = app.test_client()
    response = await post_form(client, path, form, page)
    assert "Remove the control characters." in await text_of(response, 422)


# -------------------------------------------------------------- 6. next with controls


HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # what any HTTP server accepts in a Location


@pytest.mark.parametrize(
    "target",
    ["/\r\nSet-Cookie: x=1", "/a\nb", "/\t/evil.example", "/a\x00b", "/a\x7fb", "/a\x85b"],
)
async def test_next_with_control_characters_goes_to_the_default(app, client, target) -> None:
    response = await client.get("/lang/en", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    if "\x00" in target:
        return  # a form with NUL in any field is refused whole (test_nul_in_a_form_is_a_422)
    await make_user(app, username="mia")
    response = await post_form(
        client,
        "/login",
        {"login": "mia", "password": PASSWORD, "next": target},
        "/login",
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"


async def test_register_next_with_control_characters_goes_to_the_profile(client) -> None:
    form = {"username": "neo", "nickname": "Neo", "password": PASSWORD, "next": "/a\r\nb"}
    response = await post_form(client, "/register", form, "/register")
    assert response.status_code == 302 and response.headers["Location"] == "/profile"


@pytest.mark.parametrize("target", ["/?q=中文", "/a b", "/jobs?q=a b ", "/profile#tokens"])
async def test_next_is_always_a_valid_location_header(client, target) -> None:
    response = await client.get("/lang/en", query_string={"next": target})
    location = response.headers["Location"]
    assert response.status_code == 302 and HEADER_SAFE.fullmatch(location), location
    assert location.startswith("/") and not location.startswith("//")


def test_safe_next_keeps_ordinary_paths() -> None:
    from portal.web.forms import safe_next

    assert safe_next("/profile?tab=tokens#x") == "/profile?tab=tokens#x"
    assert safe_next("/?q=%E4%B8%AD") == "/?q=%E4%B8%AD"
    assert safe_next("/?q=中") == "/?q=%E4%B8%AD"
    for bad in ("//evil.example", "https://evil.example/", "/\\evil", "/\t/evil", "x", ""):
        assert safe_next(bad, "/home") == "/home"


async def test_a_multipart_part_without_a_readable_name_is_no_500(client) -> None:
    # name="a\" escapes its closing quote: werkzeug reads the part with the name None, and
    # form_data() looked for NUL in None (a TypeError, the 500 schemathesis found).
    token = await csrf_token_for(client, "/register")
    parts = [
        ("csrf_token", token),
        ("username", "nameless"),
        ("nickname", "Nameless"),
        ("password", PASSWORD),
        ("a\\", "what"),
    ]
    body = b"".join(
        f'--XX\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in parts
    )
    response = await client.post(
        "/register",
        data=body + b"--XX--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=XX"},
    )
    assert response.status_code == 302, await response.get_data(as_text=True)
