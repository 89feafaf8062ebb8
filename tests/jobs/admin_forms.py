"""A complete, valid admin job form, as a browser posts it."""

from __future__ import annotations

FORM = {
    "title": "Forklift driver",
    "content": "Drive **forklifts** safely.",
    "category": "logistics",
    "employment_type": "part_time",
    "location": "Hamburg",
    "status": "published",
    "apply_email": "Jobs@Example.com",
    "salary_min": "2,000",
    "salary_max": "2500",
    "salary_currency": "eur",
    "salary_period": "month",
}
