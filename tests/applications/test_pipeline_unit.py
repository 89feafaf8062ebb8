"""The pipeline's rules on their own: pure functions, every pair of statuses."""

from __future__ import annotations

import itertools

import pytest

from portal.applications import pipeline
from portal.applications.labels import STATUS_LABELS
from portal.applications.models import ApplicationStatus as S

ALLOWED = {
    (S.SUBMITTED, S.REVIEWING),
    (S.SUBMITTED, S.INTERVIEW),
    (S.SUBMITTED, S.REJECTED),
    (S.REVIEWING, S.SUBMITTED),
    (S.REVIEWING, S.INTERVIEW),
    (S.REVIEWING, S.OFFER),
    (S.REVIEWING, S.REJECTED),
    (S.INTERVIEW, S.REVIEWING),
    (S.INTERVIEW, S.OFFER),
    (S.INTERVIEW, S.REJECTED),
    (S.OFFER, S.INTERVIEW),
    (S.OFFER, S.HIRED),
    (S.OFFER, S.REJECTED),
    (S.REJECTED, S.REVIEWING),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_every_pair(current, target) -> None:
    expected = (current, target) in ALLOWED
    assert pipeline.can_admin_move(current, target) is expected
    assert (target in pipeline.admin_moves(current)) is expected


def test_the_shape_of_the_pipeline() -> None:
    assert pipeline.PIPELINE == (S.SUBMITTED, S.REVIEWING, S.INTERVIEW, S.OFFER, S.HIRED)
    for earlier, later in itertools.pairwise(pipeline.PIPELINE):
        assert pipeline.can_admin_move(earlier, later) or earlier == S.SUBMITTED
    for status in S:
        assert not pipeline.can_admin_move(status, status)  # no move to where it is
        assert not pipeline.can_admin_move(status, S.WITHDRAWN)  # only the applicant
        assert isinstance(pipeline.admin_moves(status), frozenset)
    for final in pipeline.FINAL:
        assert pipeline.admin_moves(final) == frozenset()
    assert {S.HIRED, S.WITHDRAWN} == pipeline.FINAL
    for open_status in pipeline.OPEN:
        assert pipeline.can_admin_move(open_status, S.REJECTED)


def test_hired_is_reachable_only_through_an_offer() -> None:
    reachable, frontier = {S.SUBMITTED}, [S.SUBMITTED]
    while frontier:
        for nxt in pipeline.admin_moves(frontier.pop()):
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(S) - {S.WITHDRAWN}
    assert {c for c, t in ALLOWED if t == S.HIRED} == {S.OFFER}


@pytest.mark.parametrize("status", list(S))
def test_withdrawing(status) -> None:
    expected = status in {S.SUBMITTED, S.REVIEWING, S.INTERVIEW, S.OFFER}
    assert pipeline.can_withdraw(status) is expected


def test_every_status_has_a_label() -> None:
    assert set(STATUS_LABELS) == {s.value for s in S}
    assert str(STATUS_LABELS["rejected"]) == "Not selected"
