"""The plain FTS5 expression for query terms: what ``portal.jobs.search.fts5_match`` asks,
before it shortens long prefixes for the prefix index. Tests use it as the reference."""

from __future__ import annotations

from portal.jobs.search import Term


def fts5_query(terms: list[Term]) -> str:
    """An FTS5 MATCH expression: every term required; tokens quoted, so nothing is syntax.

    Tokens hold only word characters (never a quote), so quoting them is enough.
    """
    parts = []
    for term in terms:
        phrase = '"' + " ".join(term.tokens) + '"'
        parts.append(phrase + " *" if term.prefix else phrase)
    return " AND ".join(parts)
