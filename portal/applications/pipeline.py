"""The application pipeline: which status may follow which, and who may move it there.

Pure rules, no I/O. Admins move an application forward, back a step (a mistake undone), or
out (rejected); only its applicant withdraws it. Hired and withdrawn are final; a rejection
can be reconsidered (back to reviewing).
"""

from __future__ import annotations

from portal.applications.models import ApplicationStatus as S

PIPELINE = (S.SUBMITTED, S.REVIEWING, S.INTERVIEW, S.OFFER, S.HIRED)
OPEN = frozenset({S.SUBMITTED, S.REVIEWING, S.INTERVIEW, S.OFFER})
FINAL = frozenset({S.HIRED, S.WITHDRAWN})

_BY_ADMIN: dict[S, frozenset[S]] = {
    S.SUBMITTED: frozenset({S.REVIEWING, S.INTERVIEW, S.REJECTED}),
    S.REVIEWING: frozenset({S.SUBMITTED, S.INTERVIEW, S.OFFER, S.REJECTED}),
    S.INTERVIEW: frozenset({S.REVIEWING, S.OFFER, S.REJECTED}),
    S.OFFER: frozenset({S.INTERVIEW, S.HIRED, S.REJECTED}),
    S.REJECTED: frozenset({S.REVIEWING}),
    S.HIRED: frozenset(),
    S.WITHDRAWN: frozenset(),
}


def admin_moves(current: S) -> frozenset[S]:
    """The statuses an admin may move an application in ``current`` to."""
    return _BY_ADMIN[current]


def can_admin_move(current: S, target: S) -> bool:
    return target in _BY_ADMIN[current]


def can_withdraw(current: S) -> bool:
    return current in OPEN
