"""The releases of the libraries whose internals portal.server relies on, as tested.

A minor release of Quart, Hypercorn or wsproto may move what the fast paths reach into.
pyproject.toml pins these same minors; an install that still ends up elsewhere (a pin loosened
by hand, a vendored copy) is told so at start-up, and the fast paths stay off.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

# distribution -> the "major.minor" portal.server was written and tested against
TESTED = {"quart": "0.22", "hypercorn": "0.18", "wsproto": "1.3"}


def minor(release: str) -> str:
    return ".".join(release.split(".")[:2])


def installed(distribution: str) -> str | None:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def untested(tested: dict[str, str] = TESTED) -> dict[str, str]:
    """``{distribution: installed release}`` for each one outside its tested minor."""
    found = {name: installed(name) or "not installed" for name in tested}
    return {name: release for name, release in found.items() if minor(release) != tested[name]}
