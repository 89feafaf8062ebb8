"""How durations and sizes read on pages (the same rules as static/js/format.js)."""

from __future__ import annotations

UNITS = ("B", "KB", "MB", "GB", "TB")


def duration(seconds: float | None) -> str:
    """``1:05`` or ``1:02:05``."""
    if seconds is None:
        return ""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def filesize(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in UNITS:
        if value < 1000 or unit == UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"
