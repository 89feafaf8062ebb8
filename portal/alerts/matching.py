"""Does a job match an alert? Pure, on the same tokens the search index uses."""

from __future__ import annotations

from dataclasses import dataclass

from portal.jobs.search import index_tokens, query_terms


@dataclass(frozen=True)
class JobFacts:
    tokens: frozenset[str]
    category: str
    location: str
    remote: bool


def job_facts(title: str, content: str, location: str, category: str, remote: bool) -> JobFacts:
    text = f"{title}\n{location}\n{content}"
    return JobFacts(frozenset(index_tokens(text).split()), category, location.lower(), remote)


def alert_matches(
    facts: JobFacts,
    *,
    keywords: str,
    category: str | None,
    location: str | None,
    remote: bool | None,
) -> bool:
    if category and category != facts.category:
        return False
    if remote is not None and remote and not facts.remote:
        return False
    if location and location.lower() not in facts.location:
        return False
    terms = query_terms(keywords)
    if not terms:
        return False
    # Every keyword must appear; an alert is a standing search, so no prefix matching.
    return all(all(token in facts.tokens for token in term.tokens) for term in terms)
