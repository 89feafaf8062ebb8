"""Translations: the zh_Hans catalogue is complete, and the right language reaches each request."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from portal.i18n import CATALOGUE_DIR, LANG_COOKIE, match_language

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "translations"
LANGUAGES = ["en", "zh_Hans"]
ZH_PO = CATALOGUE_DIR / "zh_Hans" / "LC_MESSAGES" / "messages.po"
FIX = "run scripts/translations, then translate"

# Messages that reach _() only through a variable (``_(field)``, ``_(role.value)``), so
# extraction sees them only where the code names them for it; the UI shows them in sentences
# like "This %(field)s is already registered."
DYNAMIC_MSGIDS = ["username", "email", "phone", "user", "admin"]

# %% is a literal percent sign (templates always %-format in newstyle mode); a lone % that is
# not part of a conversion breaks formatting, so it counts as a placeholder of its own.
FORMAT_TOKEN = re.compile(
    r"%%"
    r"|%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
    r"|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
    r"|%"
)


def placeholders(text: str) -> list[str]:
    return sorted(token for token in FORMAT_TOKEN.findall(text) if token != "%%")


def _ids(message: Message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Extract from the code as it is now (not the committed .pot), as the script does."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    env = {**os.environ, "TRANSLATIONS_PYTHON": sys.executable}
    result = subprocess.run(
        [str(SCRIPT), "pot", str(pot)], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"extraction failed:\n{result.stdout}\n{result.stderr}"
    with pot.open("rb") as handle:
        return read_po(handle)


@pytest.fixture(scope="module")
def zh_catalogue() -> Catalog:
    with ZH_PO.open("rb") as handle:
        return read_po(handle, locale="zh_Hans")


def test_every_message_has_a_chinese_translation(
    fresh_template: Catalog, zh_catalogue: Catalog
) -> None:
    problems = []
    for message in fresh_template:
        if not message.id:
            continue
        found = zh_catalogue.get(message.id)
        if found is None:
            problems.append(f"not in the catalogue: {_ids(message)[0]!r}")
        elif found.fuzzy:
            problems.append(f"fuzzy: {_ids(message)[0]!r}")
        elif not all(s.strip() for s in _strings(found)):
            problems.append(f"untranslated: {_ids(message)[0]!r}")
    if problems:
        pytest.fail(
            f"{len(problems)} message(s) lack a zh_Hans translation ({FIX}):\n  "
            + "\n  ".join(problems),
            pytrace=False,
        )


def test_translations_keep_the_placeholders(zh_catalogue: Catalog) -> None:
    problems = []
    for message in zh_catalogue:
        if not message.id:
            continue
        expected = placeholders(_ids(message)[-1])
        for string in _strings(message):
            if string and placeholders(string) != expected:
                problems.append(
                    f"{_ids(message)[0]!r} -> {string!r}: "
                    f"{placeholders(string)} instead of {expected}"
                )
    if problems:
        pytest.fail(
            "translations with other placeholders:\n  " + "\n  ".join(problems), pytrace=False
        )


def test_catalogue_has_no_fuzzy_or_obsolete_entries(zh_catalogue: Catalog) -> None:
    fuzzy = [m.id for m in zh_catalogue if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries ({FIX}): {fuzzy}"
    assert not zh_catalogue.obsolete, f"obsolete entries: {list(zh_catalogue.obsolete)}"


@pytest.mark.parametrize("msgid", DYNAMIC_MSGIDS)
def test_names_passed_through_a_variable_are_translated(zh_catalogue: Catalog, msgid: str) -> None:
    found = zh_catalogue.get(msgid)
    assert found is not None and found.string and not found.fuzzy, (
        f"{msgid!r} has no zh_Hans translation: scripts/translations drops msgids the code "
        f"does not name, so mark it where it is used (e.g. lazy_gettext({msgid!r}) in a "
        f"tuple next to the _(variable) call), then {FIX}"
    )


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh-CN", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("zh-Hans-CN", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh-SG", "zh_Hans"),
        ("en-GB", "en"),
        ("en", "en"),
        ("en-US", "en"),
        ("fr-FR", None),
        ("de", None),
        ("*", None),
        ("not a language", None),
        ("", None),
    ],
)
def test_match_language(tag: str, expected: str | None) -> None:
    assert match_language(tag, LANGUAGES) == expected


async def home_page(client, accept_language: str | None = None) -> str:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = await client.get("/", headers=headers)
    assert response.status_code == 200
    return await response.get_data(as_text=True)


async def test_accept_language_picks_chinese(client) -> None:
    html = await home_page(client, "zh-CN,zh;q=0.9")
    assert '<html lang="zh-Hans">' in html
    assert ">登录</a>" in html
    assert "Sign in" not in html


async def test_english_is_the_default(client) -> None:
    html = await home_page(client)
    assert '<html lang="en">' in html
    assert ">Sign in</a>" in html
    html = await home_page(client, "fr-FR,fr;q=0.9")
    assert '<html lang="en">' in html


async def test_language_cookie_wins_over_accept_language(client) -> None:
    response = await client.get("/lang/zh_Hans")
    assert response.status_code == 302
    assert any(
        header.startswith(f"{LANG_COOKIE}=zh_Hans")
        for header in response.headers.getlist("Set-Cookie")
    )
    html = await home_page(client, "en-GB,en;q=0.9")
    assert '<html lang="zh-Hans">' in html
    assert ">登录</a>" in html

    await client.get("/lang/en")
    html = await home_page(client, "zh-CN,zh;q=0.9")
    assert '<html lang="en">' in html
    assert ">Sign in</a>" in html


async def test_unknown_language_in_switch_sets_no_cookie(client) -> None:
    response = await client.get("/lang/xx")
    assert response.status_code == 302
    assert not any(
        header.startswith(f"{LANG_COOKIE}=") for header in response.headers.getlist("Set-Cookie")
    )


async def test_api_error_in_chinese(client) -> None:
    response = await client.get("/api/v1/me", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 401
    error = (await response.get_json())["error"]
    assert error["code"] == "unauthorized"
    assert error["message"] == "请先登录。"


async def test_field_names_in_messages_are_translated(client) -> None:
    """``_(field)`` in the accounts service: the field's name is Chinese inside the sentence."""
    headers = {"Accept-Language": "zh-CN"}
    body = {"username": "lihua", "nickname": "李华", "password": "correct horse battery"}
    first = await client.post("/api/v1/auth/register", json=body, headers=headers)
    assert first.status_code == 201, await first.get_data(as_text=True)
    client.cookie_jar.clear()
    again = await client.post("/api/v1/auth/register", json=body, headers=headers)
    assert again.status_code == 409
    error = (await again.get_json())["error"]
    assert error["message"] == "这些信息已被其他账号使用。"
    assert error["fields"] == {"username": "该用户名已被注册。"}
