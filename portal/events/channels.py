"""The channels events travel on and the types of event: every name in one place.

Inside Portal a user's own channel is ``user:<id>``; a browser asks for it as ``me``, so a
socket can never name someone else's. ``control`` carries what workers tell each other (an
account changed) and is never forwarded to a browser.
"""

from __future__ import annotations

JOBS = "jobs"
UPLOADS = "uploads"
APPLICATIONS = "applications"
# The recommender studio's live figures, tasks and serving choice (admins only).
RECS = "recs"
CONTROL = "control"
ME = "me"
USER_PREFIX = "user:"

# What a browser may subscribe to, and which of those only admins may follow.
BROWSER_CHANNELS = frozenset({JOBS, UPLOADS, APPLICATIONS, RECS, ME})
ADMIN_CHANNELS = frozenset({UPLOADS, APPLICATIONS, RECS})


def user(user_id: int) -> str:
    """The channel of one user's own events (their ``me``)."""
    return f"{USER_PREFIX}{user_id}"


def browser_name(channel: str) -> str:
    """The name a browser knows ``channel`` by."""
    return ME if channel.startswith(USER_PREFIX) else channel


# The event types of the public contract (docs/design.md), and those only workers see.
EVENT_TYPES = frozenset(
    {
        "job.created",
        "job.updated",
        "job.deleted",
        "upload.progress",
        "upload.finished",
        "upload.failed",
        "video.deleted",
        "recommendations.updated",
        "notification",
        "application.created",
        "application.updated",
        "recs.stats",
        "recs.task",
        "recs.algorithm",
    }
)
INTERNAL_EVENT_TYPES = frozenset({"auth.changed"})
