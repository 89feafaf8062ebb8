"""Cross-field rules and normalisation of job fields (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portal.jobs.rules import JobFieldsError, check_job, sets_expiry, slugify

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def check(expiry_changed: bool = True, **fields: Any) -> dict[str, Any]:
    return check_job(fields, NOW, expiry_changed=expiry_changed)


def errors(expiry_changed: bool = True, **fields: Any) -> dict[str, str]:
    with pytest.raises(JobFieldsError) as caught:
        check(expiry_changed, **fields)
    assert caught.value.fields
    return caught.value.fields


SALARY = {
    "salary_min": 1000,
    "salary_max": 2000,
    "salary_currency": "EUR",
    "salary_period": "month",
}


# ------------------------------------------------------------------------------ salary


def test_a_complete_salary_passes() -> None:
    assert check(**SALARY)["salary_currency"] == "EUR"


def test_min_equal_to_max_is_fine() -> None:
    check(**{**SALARY, "salary_min": 5000, "salary_max": 5000})


def test_min_above_max_is_refused() -> None:
    assert set(errors(**{**SALARY, "salary_min": 3000})) == {"salary_max"}


@pytest.mark.parametrize("bound", ["salary_min", "salary_max"])
def test_one_bound_is_enough(bound: str) -> None:
    fields = {**SALARY, "salary_min": None, "salary_max": None, bound: 100}
    assert check(**fields)[bound] == 100


@pytest.mark.parametrize("currency", [None, "", "   "])
def test_currency_is_required_with_a_salary(currency: str | None) -> None:
    assert "salary_currency" in errors(**{**SALARY, "salary_currency": currency})


@pytest.mark.parametrize("currency", ["XXY", "EU", "EURO", "123"])
def test_unknown_currency_is_refused(currency: str) -> None:
    assert "salary_currency" in errors(**{**SALARY, "salary_currency": currency})


def test_currency_is_upper_cased() -> None:
    assert check(**{**SALARY, "salary_currency": "cny"})["salary_currency"] == "CNY"


@pytest.mark.parametrize("period", [None, ""])
def test_period_is_required_with_a_salary(period: str | None) -> None:
    assert "salary_period" in errors(**{**SALARY, "salary_period": period})


def test_without_a_salary_currency_and_period_are_dropped() -> None:
    out = check(salary_min=None, salary_max=None, salary_currency="EUR", salary_period="year")
    assert out["salary_currency"] is None and out["salary_period"] is None


def test_several_errors_at_once() -> None:
    found = errors(salary_min=5, salary_max=1, apply_url="ftp://x", apply_email="nope")
    assert set(found) == {
        "salary_max",
        "salary_currency",
        "salary_period",
        "apply_url",
        "apply_email",
    }


# ------------------------------------------------------------------------------ how to apply


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/jobs/1",
        "http://example.com",
        "HTTPS://EXAMPLE.COM/x?y=1#z",
        "https://例子.中国/招聘",
        "https://[::1]:8443/apply",
    ],
)
def test_web_addresses(url: str) -> None:
    assert check(apply_url=url)["apply_url"] == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "javascript://example.com/%0aalert(1)",
        "ftp://example.com/file",
        "mailto:hr@example.com",
        "data:text/html,hi",
        "//example.com/apply",
        "example.com/apply",
        "https://",
        "https:///path",
        "https://exa mple.com",
        "https://example.com/a b",
        "https://example.com/\napply",
        "https://example.com/\tapply",
        "https://example.com/\x00",
        "http://[::1",
        "http://[bad]/",
    ],
)
def test_bad_web_addresses_are_refused(url: str) -> None:
    assert set(errors(apply_url=url)) == {"apply_url"}


def test_empty_strings_become_none() -> None:
    out = check(apply_url="", apply_email="  ", salary_currency="")
    assert out["apply_url"] is None and out["apply_email"] is None
    assert out["salary_currency"] is None


def test_email_is_normalised() -> None:
    assert check(apply_email="Jobs@Example.COM")["apply_email"] == "Jobs@example.com"


def test_internationalised_email_domain_is_kept_readable() -> None:
    assert check(apply_email="hr@xn--bcher-kva.example")["apply_email"] == "hr@bücher.example"


@pytest.mark.parametrize("email", ["nope", "a@b", "@example.com", "a@@example.com", "a b@x.org"])
def test_bad_email_is_refused(email: str) -> None:
    assert set(errors(apply_email=email)) == {"apply_email"}


def test_published_needs_no_way_to_apply() -> None:
    # Without an external link or email, people apply on Portal (issue 12).
    assert check(status="published").get("apply_url") is None
    check(status="published", apply_url="https://example.com")
    check(status="published", apply_email="hr@example.com")


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_drafts_and_closed_jobs_need_no_way_to_apply(status: str) -> None:
    check(status=status)


# ------------------------------------------------------------------------------ expiry

PUBLISHED = {"status": "published", "apply_url": "https://example.com"}


def test_expiry_in_the_past_is_refused_when_changed() -> None:
    found = errors(expiry_changed=True, **PUBLISHED, expires_at=NOW - timedelta(days=1))
    assert set(found) == {"expires_at"}
    assert "expires_at" in errors(expiry_changed=True, **PUBLISHED, expires_at=NOW)


def test_expiry_in_the_past_is_kept_when_unchanged() -> None:
    past = NOW - timedelta(days=1)
    assert check(expiry_changed=False, **PUBLISHED, expires_at=past)["expires_at"] == past


def test_expiry_in_the_future_passes() -> None:
    check(**PUBLISHED, expires_at=NOW + timedelta(minutes=1))


def test_drafts_may_keep_a_past_expiry() -> None:
    check(status="draft", expiry_changed=False, expires_at=NOW - timedelta(days=1))


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_a_past_expiry_is_refused_in_any_status_when_set(status: str) -> None:
    # Issue 13: a draft given a past date was saved silently, to be hidden once published.
    assert set(errors(status=status, expires_at=NOW - timedelta(days=1))) == {"expires_at"}


@pytest.mark.parametrize(
    ("before", "after", "sets"),
    [
        (None, {"expires_at": NOW}, True),
        ({"expires_at": NOW, "status": "draft"}, {"expires_at": NOW, "status": "draft"}, False),
        ({"expires_at": NOW, "status": "draft"}, {"expires_at": None, "status": "draft"}, True),
        ({"expires_at": NOW, "status": "draft"}, {"expires_at": NOW, "status": "published"}, True),
        ({"expires_at": NOW, "status": "draft"}, {"expires_at": NOW, "status": "closed"}, False),
    ],
)
def test_sets_expiry(before, after, sets) -> None:
    assert sets_expiry(before, after) is sets


def test_input_is_not_mutated() -> None:
    fields = {"apply_email": "HR@EXAMPLE.COM", "salary_currency": ""}
    check_job(fields, NOW, expiry_changed=True)
    assert fields == {"apply_email": "HR@EXAMPLE.COM", "salary_currency": ""}


# ------------------------------------------------------------------------------ slug


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Senior Python Developer", "senior-python-developer"),
        ("  C++ / Rust engineer (m/w/d)!  ", "c-rust-engineer-m-w-d"),
        ("Café — Déjà vu", "cafe-deja-vu"),
        ("Straße", "strae"),
        ("高级数据分析师", ""),
        ("高级 Python 工程师", "python"),
        ("", ""),
        ("---", ""),
        ("😀 Emoji role 🚀", "emoji-role"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_slug_is_limited_without_a_trailing_dash() -> None:
    slug = slugify("ab " * 100)
    assert len(slug) <= 60
    assert not slug.endswith("-") and not slug.startswith("-")
    assert slugify("x" * 100) == "x" * 60
