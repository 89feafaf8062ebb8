"""Translations: catalogues read from .po files, the locale chosen per request."""

from __future__ import annotations

import gettext as stdlib_gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy
from quart import Quart, g, has_request_context, has_websocket_context, request

from portal.config import get_settings

CATALOGUE_DIR = Path(__file__).parent / "translations"
DOMAIN = "messages"
LANG_COOKIE = "portal_lang"
DEFAULT_LANGUAGE = "en"


@cache
def load_translations(language: str) -> stdlib_gettext.NullTranslations:
    """Compile the language's .po in memory, so no stale compiled file can ship."""
    po_path = CATALOGUE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return stdlib_gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return stdlib_gettext.GNUTranslations(buffer)


def _languages() -> list[str]:
    return list(get_settings().languages)


def select_language() -> str:
    """The switch's cookie wins, then the best match for Accept-Language."""
    languages = _languages()
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    for value, _quality in request.accept_languages:
        match = match_language(value, languages)
        if match:
            return match
    return DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in languages else languages[0]


def match_language(tag: str, languages: list[str]) -> str | None:
    """Map a browser tag (``zh-CN``, ``zh``, ``en-GB``) to one of our catalogues.

    A tag Babel does not know (``sm``, ``tlh``, the pseudo-locale ``en-XA``) falls back to
    its language alone, and else matches nothing: browsers send such tags, so never raise.
    """
    identifier = tag.replace("-", "_")
    locale = _parse_locale(identifier) or _parse_locale(identifier.partition("_")[0])
    if locale is None:
        return None
    script = locale.script or ("Hant" if locale.territory in {"TW", "HK", "MO"} else "Hans")
    candidates = [str(locale), f"{locale.language}_{script}", locale.language]
    for candidate in candidates:
        if candidate in languages:
            return candidate
    return None


def _parse_locale(identifier: str) -> Locale | None:
    try:
        return Locale.parse(identifier)
    except (ValueError, TypeError, UnknownLocaleError):
        return None


_forced: ContextVar[str | None] = ContextVar("portal_forced_language", default=None)


@contextmanager
def force_language(language: str) -> Iterator[None]:
    """Translate in ``language`` inside the block, whatever the request asked for."""
    token = _forced.set(language)
    try:
        yield
    finally:
        _forced.reset(token)


def current_language() -> str:
    forced = _forced.get()
    if forced is not None:
        return forced
    if has_request_context():
        if "language" not in g:
            g.language = select_language()
        return g.language
    if has_websocket_context():
        return g.get("language", DEFAULT_LANGUAGE)
    return DEFAULT_LANGUAGE


def _translations() -> stdlib_gettext.NullTranslations:
    return load_translations(current_language())


def gettext(message: str, **variables: object) -> str:
    text = _translations().gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    variables.setdefault("num", n)
    return _translations().ngettext(singular, plural, n) % variables


def lazy_gettext(message: str, **variables: object) -> LazyProxy:
    return LazyProxy(gettext, message, **variables, enable_cache=False)


def format_duration(seconds: float) -> str:
    """A wait in words, in the current language: "15 minutes", "30 seconds", "1 hour".

    Rounded to the largest whole unit it reaches (893 s is "15 minutes"): people read a
    rough figure more easily than an exact count of seconds."""
    return format_timedelta(
        timedelta(seconds=max(1, seconds)), threshold=1, locale=current_language()
    )


@cache
def _language_names(codes: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(code, Locale.parse(code).display_name or code) for code in codes]


def html_lang() -> str:
    return current_language().replace("_Hans", "-Hans").replace("_", "-")


def time_ago(moment: datetime, now: datetime | None = None) -> str:
    """``moment`` relative to now in the current language ("5 minutes ago", "5分钟前")."""
    now = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # stored as UTC
    delta = moment - now
    if abs(delta) < timedelta(minutes=1):
        return gettext("just now")
    return format_timedelta(
        delta, add_direction=True, threshold=1, locale=current_language().replace("_Hans", "")
    )


def init_app(app: Quart) -> None:
    app.add_template_filter(time_ago, "time_ago")
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True
    )

    @app.context_processor
    async def _language_context() -> dict[str, object]:
        return {
            "current_language": current_language(),
            "html_lang": html_lang(),
            "languages": _language_names(tuple(_languages())),
        }
