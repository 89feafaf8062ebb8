"""Every HTML page, as a hostile user would fill it, for each kind of visitor.

The pages come from the app's URL map (every GET rule that is not the API, a file or a
redirect; the exclusions below say why each is left out), so a new page is visited without
anyone adding it here. The database is seeded with what people type: 200-letter words in
titles, names and bios, long Chinese text, emoji and markup. Each page is opened signed out,
as a user and as an admin, in English and in Chinese, at a phone's and a desk's width, and
fails the test if

- the page scrolls sideways (``scrollWidth`` wider than the viewport),
- axe-core finds a violation of impact "serious" or "critical",
- the console logs an error, a script raises, or the seeded markup ran,
- the server logs a traceback (checked by the ``live_server`` fixture when it stops).

Screenshots of every page at both widths land in test-artifacts/screenshots/pages/.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page

from portal.app import create_app
from tests.factories import PASSWORD

if TYPE_CHECKING:
    from tests.browser.conftest import BrowserLog, LiveServer

pytestmark = pytest.mark.browser

REPO = Path(__file__).parent.parent.parent
AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots" / "pages"
WIDTHS = {"phone": (390, 844), "desk": (1366, 900)}
LANGUAGES = ("en", "zh_Hans")

WORD = ("Pneumonoultramicroscopicsilicovolcanoconiosis" * 5)[:200]
CHINESE = "国际氢能基础设施开发合作有限公司正在招聘资深工程师负责分布式系统的设计与实现" * 6
EMOJI = "🚀🔥👩🏽🇨🇳😀"
# Markup that must come out as text: if either part ran, window.__pwned would be set.
MARKUP = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'
URL_WORD = "https://" + "a" * 180 + ".example.com/" + "b" * 60

# Endpoints that are not pages, each with the reason; every other GET rule outside /api/ is one.
EXCLUDED = {
    "static": "files",
    "jobs.atom_feed": "the Atom feed, XML",
    "companies.logo": "an image",
    "videos.video": "a video stream",
    "videos.poster": "an image",
    "applications.resume_file": "the applicant's PDF",
    "applications.admin_export": "a CSV download",
    "health.get_health": "a health probe, plain text",
    "health.get_readiness": "a readiness probe, plain text",
    "home.set_language": "a redirect that sets the language cookie",
    "home.favicon": "an image",
    "openapi": "the JSON schema",
}
# Error pages no rule renders on its own: (path, which visitor, the status it must answer).
ERROR_PAGES = (
    ("/no-such-page", "visitor", 404),
    (f"/jobs/{2**31 - 1}", "user", 404),
    ("/admin", "user", 403),
)
SERIOUS = ("serious", "critical")
# axe rules left out on a page, each with the reason.
AXE_EXCEPTIONS = {
    "/docs": {
        "nested-interactive": "Swagger UI's own markup (vendored): each operation's summary "
        "button holds its copy-path button",
    },
}
ROLES = ("visitor", "user", "admin")


@dataclass
class Visitor:
    """One browser context, signed in as someone (or not), reused for all its pages."""

    name: str
    page: Page
    csrf: str = ""


def pdf_bytes() -> bytes:
    # Enough for the résumé check, which sniffs the %PDF- magic.
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def api(visitor: Visitor, server: LiveServer, method: str, path: str, **options: Any) -> Any:
    response = visitor.page.request.fetch(server.url + "/api/v1" + path, method=method, **options)
    assert response.ok, f"{method} {path}: {response.status} {response.text()}"
    return response.json() if response.status != 204 else None


def sign_in(visitor: Visitor, server: LiveServer, login: str, password: str) -> None:
    response = visitor.page.request.post(
        server.url + "/api/v1/auth/login", data={"login": login, "password": password}
    )
    assert response.status == 200, response.text()
    visitor.csrf = response.headers["x-csrf-token"]


def seed(server: LiveServer, admin: Visitor, user: Visitor) -> dict[str, Any]:
    """Hostile content through the API, as people would type it; the ids for the URL map."""
    bio = ("Bio" + WORD + CHINESE + EMOJI + MARKUP)[:500]
    api(user, server, "PATCH", "/me", data={"bio": bio, "nickname": WORD[:64]})
    api(user, server, "POST", "/me/tokens", data={"name": WORD[:64]})
    # The alert first, so that the jobs below land in the user's inbox.
    api(user, server, "POST", "/subscriptions", data={"keywords": WORD[:100]})
    description = f"{WORD}\n\n{CHINESE}\n\n{MARKUP}\n\n`{WORD}`\n\n    {WORD}\n"
    company = api(
        admin,
        server,
        "POST",
        "/companies",
        data={"name": (WORD + EMOJI)[:120], "website": URL_WORD, "description": description},
    )
    content = (
        f"# {WORD}\n\n{CHINESE}\n\n{MARKUP} {EMOJI}\n\n```\n{WORD} {WORD}\n```\n\n"
        f"| {WORD} | {WORD} |\n| --- | --- |\n| {CHINESE} | {WORD} |\n\n[{WORD}]({URL_WORD})\n"
    )
    common = {
        "content": content,
        "status": "published",
        "company_id": company["id"],
        "location": WORD[:120],
        "remote": True,
        "salary_min": 999_999_999,
        "salary_max": 1_000_000_000,
        "salary_currency": "CNY",
        "salary_period": "year",
    }
    job = api(admin, server, "POST", "/jobs", data={**common, "title": WORD})
    api(admin, server, "POST", "/jobs", data={**common, "title": (CHINESE + EMOJI)[:200]})
    # Edited, then deleted: the audit log keeps its long titles.
    doomed = api(admin, server, "POST", "/jobs", data={**common, "title": ("Doomed " + WORD)[:200]})
    api(admin, server, "PATCH", f"/jobs/{doomed['id']}", data={"title": WORD[::-1]})
    api(admin, server, "DELETE", f"/jobs/{doomed['id']}")
    api(user, server, "PUT", f"/me/saved-jobs/{job['id']}")
    application = api(
        user,
        server,
        "POST",
        f"/jobs/{job['id']}/applications",
        headers={"X-CSRF-Token": user.csrf},
        multipart={
            "cover_letter": f"{WORD}\n{CHINESE}\n{MARKUP}",
            "resume": {
                "name": WORD[:100] + ".pdf",
                "mimeType": "application/pdf",
                "buffer": pdf_bytes(),
            },
        },
    )
    api(
        admin,
        server,
        "PATCH",
        f"/applications/{application['id']}",
        data={"status": "reviewing", "note": WORD},
    )
    return {
        "job_id": job["id"],
        "company_id": company["id"],
        "application_id": application["id"],
        "for_job": job["id"],
        "username": api(user, server, "GET", "/me")["username"],
        # The unsubscribe page shows its button for any token; checking it is the POST's job.
        "token": WORD,
    }


def page_paths(ids: dict[str, Any]) -> list[str]:
    """A path for every HTML page of the URL map, its arguments filled from the seed."""
    app = create_app()
    adapter = app.url_map.bind("localhost")
    paths = []
    for rule in app.url_map.iter_rules():
        if (
            "GET" not in (rule.methods or ())
            or rule.websocket
            or rule.rule.startswith("/api/")
            or rule.endpoint in EXCLUDED
            # /jobs/<id> and /companies/<id> redirect to their -<slug> rule: visited that way.
            or "slug" in rule.arguments
        ):
            continue
        missing = rule.arguments - ids.keys()
        assert not missing, f"{rule.rule}: no seeded value for {missing}; seed one or exclude it"
        path = adapter.build(rule.endpoint, {name: ids[name] for name in rule.arguments})
        paths.append(path)
    return sorted(set(paths))


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    pages: int = 0

    def add(self, where: str, problem: str) -> None:
        self.problems.append(f"{where}: {problem}")


def check(
    visitor: Visitor,
    language: str,
    path: str,
    axe: str,
    findings: Findings,
    log: BrowserLog,
    expect_status: int | None = None,
) -> None:
    """Open ``path`` once and check it at both widths."""
    page = visitor.page
    log.console_errors.clear()
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS["desk"], strict=True)))
    response = page.goto(path, wait_until="load")
    assert response is not None
    where = f"{visitor.name} {language} {path}"
    if expect_status is None:
        if response.status != 200:
            findings.add(where, f"status {response.status}")
            return
        if page.url.split("?")[0].endswith("/login") and not path.startswith("/login"):
            return  # a page for someone signed in: the visitor is sent to sign in
    elif response.status != expect_status:
        findings.add(where, f"status {response.status}, not {expect_status}")
    if page.evaluate("window.__pwned === 1"):
        findings.add(where, "seeded markup ran as script")
    errors = [e for e in log.console_errors if expect_status is None or "status of" not in e]
    for error in errors:
        findings.add(where, f"console error: {error}")
    page.evaluate("(source) => (0, eval)(source)", axe)
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            widest = page.evaluate(WIDEST_ELEMENT)
            findings.add(where, f"{width}px wide scrolls sideways by {overflow}px ({widest})")
        skipped = list(AXE_EXCEPTIONS.get(path, {}))
        violations = page.evaluate(AXE_RUN, [list(SERIOUS), skipped])
        for violation in violations:
            findings.add(where, f"{width}px axe {violation}")
        name = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "home"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SCREENSHOTS / f"{visitor.name}-{language}-{name}-{width_name}.png"),
            full_page=True,
        )
    findings.pages += 1


# The element sticking out furthest to the right, to say where an overflow comes from.
WIDEST_ELEMENT = """() => {
  let worst = null, right = document.documentElement.clientWidth;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect().right;
    if (r > right + 0.5) { right = r; worst = el; }
  }
  if (!worst) return 'nothing sticks out';
  const names = typeof worst.className === 'string' ? worst.className.trim() : '';
  const cls = names ? '.' + names.split(/\\s+/).join('.') : '';
  const id = worst.id ? '#' + worst.id : '';
  return `${worst.tagName.toLowerCase()}${id}${cls} ends at ${Math.round(right)}px`;
}"""
AXE_RUN = """async ([impacts, skipped]) => {
  const rules = Object.fromEntries(skipped.map(id => [id, {enabled: false}]));
  const result = await axe.run(document, {resultTypes: ['violations'], rules});
  return result.violations.filter(v => impacts.includes(v.impact)).map(v =>
    `${v.impact} ${v.id}: ${v.help} — ` +
    v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""


def test_every_page_fits_and_passes_axe(
    live_server: LiveServer, new_page: Any, browser_log: BrowserLog
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/bootstrap test (npm ci)", pytrace=False)
    axe = AXE.read_text()
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    visitors = {name: Visitor(name, new_page()) for name in ROLES}
    live_server.create_user(username="hostile", nickname="hostile")
    sign_in(visitors["user"], live_server, "hostile", PASSWORD)
    sign_in(visitors["admin"], live_server, "admin", live_server.demo_admin_password)
    ids = seed(live_server, visitors["admin"], visitors["user"])
    paths = page_paths(ids)
    findings = Findings()
    for language in LANGUAGES:
        for visitor in visitors.values():
            visitor.page.context.add_cookies(
                [{"name": "portal_lang", "value": language, "url": live_server.url}]
            )
            for path in paths:
                if path.startswith("/admin") and visitor.name != "admin":
                    continue  # a 403 for anyone else: ERROR_PAGES checks that page once
                check(visitor, language, path, axe, findings, browser_log)
        for path, who, status in ERROR_PAGES:
            check(visitors[who], language, path, axe, findings, browser_log, status)
    assert not findings.problems, "\n".join(findings.problems)
    assert findings.pages > 0
