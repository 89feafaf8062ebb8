"""A browser and system in words from a User-Agent header: a few ordered patterns, no
database; enough to tell a person's own sessions apart, not to identify devices."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
BROWSERS = (
    ("Edge", r"Edg(?:e|A|iOS)?/(\d+)"),
    ("Opera", r"(?:OPR|Opera)/(\d+)"),
    ("Samsung Internet", r"SamsungBrowser/(\d+)"),
    ("Firefox", r"(?:Firefox|FxiOS)/(\d+)"),
    ("Chrome", r"(?:HeadlessChrome|Chrome|CriOS)/(\d+)"),
    ("Safari", r"Version/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/"),
    ("curl", r"^curl/(\d+)"),
    ("Python", r"^(?:python-requests|Python-urllib|python-httpx|aiohttp)/(\d+)"),
)
SYSTEMS = (
    ("iOS", r"\((?:iPhone|iPad|iPod)"),
    ("Android", r"Android"),
    ("Windows", r"Windows"),
    ("ChromeOS", r"CrOS"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("Linux", r"Linux|X11"),
)
_BROWSERS = [(name, re.compile(pattern)) for name, pattern in BROWSERS]
_SYSTEMS = [(name, re.compile(pattern)) for name, pattern in SYSTEMS]


@dataclass(frozen=True)
class Agent:
    """``browser`` ("Chrome 120") and ``system`` ("Android"); empty when not recognised."""

    browser: str
    system: str


def describe_agent(header: str | None) -> Agent:
    """The browser with its major version, and the operating system, of ``header``."""
    text = (header or "")[:512]
    browser = next(
        (
            f"{name} {match.group(1)}"
            for name, pattern in _BROWSERS
            if (match := pattern.search(text))
        ),
        "",
    )
    system = next((name for name, pattern in _SYSTEMS if pattern.search(text)), "")
    return Agent(browser=browser, system=system)
