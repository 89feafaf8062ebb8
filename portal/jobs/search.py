"""Full-text search over jobs.

CJK text has no spaces between words, so both indexed text and queries are put through the
same tokenizer: Latin words stay whole (lower-cased), and each run of CJK characters becomes
its overlapping bigrams (the approach of Lucene's CJKAnalyzer). A two-character Chinese word
is then one index term, a longer one a phrase of bigrams. SQLite stores the tokens in an FTS5
table ranked by bm25; PostgreSQL in a weighted ``tsvector`` with a GIN index.

Queries are built only from tokens we produce, each double-quoted, so user input never
reaches FTS or tsquery syntax.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Han, Hiragana, Katakana, Hangul: scripts written without spaces between words.
_CJK = (
    r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
    r"\U00020000-\U0002fa1f"
)
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+", re.UNICODE)
_IS_CJK = re.compile(rf"[{_CJK}]")
MAX_QUERY_TERMS = 12
# The longest prefix job_search keeps a prefix index for (``prefix = '2 3 4'``). FTS5 answers
# a longer prefix by merging the whole doclist of every term that starts with it, which for a
# word in every job costs tens of milliseconds; see fts5_match.
FTS5_PREFIX_INDEX_MAX = 4
# Latin letters that carry diacritics: FTS5 (remove_diacritics 2) folds them, and so do we,
# so the stored token text matches the index (Japanese voicing marks stay: not in range).
_LATIN_MARKED = re.compile(r"[\u00c0-\u024f\u1e00-\u1eff]")


@dataclass(frozen=True)
class Term:
    """One query term: a word (maybe a prefix) or a phrase of CJK bigrams."""

    tokens: tuple[str, ...]
    prefix: bool = False


def _fold(value: str) -> str:
    folded = unicodedata.normalize("NFKC", value).lower()
    if folded.isascii():
        return folded
    return _LATIN_MARKED.sub(lambda m: unicodedata.normalize("NFD", m.group())[0], folded)


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_tokens(value: str) -> str:
    """The space-separated token stream stored in the index for ``value``."""
    out: list[str] = []
    for match in _TOKEN.finditer(_fold(value)):
        token = match.group()
        out.extend(_bigrams(token) if _IS_CJK.match(token) else [token])
    return " ".join(out)


def query_terms(query: str) -> list[Term]:
    """Terms of a user's query; the last Latin word matches as a prefix (search-as-you-type)."""
    matches = [m.group() for m in _TOKEN.finditer(_fold(query))][:MAX_QUERY_TERMS]
    terms: list[Term] = []
    for position, token in enumerate(matches):
        if _IS_CJK.match(token):
            terms.append(Term(tuple(_bigrams(token))))
        else:
            terms.append(Term((token,), prefix=position == len(matches) - 1 and len(token) >= 2))
    return terms


def fts5_match(terms: list[Term]) -> tuple[str, str | None]:
    """An FTS5 MATCH expression (every term required; tokens quoted, so nothing is syntax;
    tokens hold only word characters, never a quote), and a word prefix the row's token text
    must contain.

    A prefix longer than the prefix index is asked as its first FTS5_PREFIX_INDEX_MAX
    characters (a lazy walk of the prefix index, newest first); the caller keeps the rows
    whose stored tokens really start with the whole prefix (``" " + needle``).
    """
    needle = None
    parts = []
    for term in terms:
        phrase = '"' + " ".join(term.tokens) + '"'
        if term.prefix and len(term.tokens[0]) > FTS5_PREFIX_INDEX_MAX:
            needle = term.tokens[0]
            phrase = '"' + needle[:FTS5_PREFIX_INDEX_MAX] + '"'
        parts.append(phrase + " *" if term.prefix else phrase)
    return " AND ".join(parts), needle


def tsquery(terms: list[Term]) -> str:
    """A PostgreSQL ``to_tsquery('simple', ...)`` string from our own tokens only."""
    parts = []
    for term in terms:
        quoted = [_ts_quote(token) for token in term.tokens]
        if term.prefix:
            parts.append(quoted[0] + ":*")
        elif len(quoted) == 1:
            parts.append(quoted[0])
        else:
            parts.append("(" + " <-> ".join(quoted) + ")")
    return " & ".join(parts)


def _ts_quote(token: str) -> str:
    return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"


# ------------------------------------------------------------------------------- index upkeep


async def index_job(session: AsyncSession, job_id: int, title: str, body: str) -> None:
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    title_tokens, body_tokens = index_tokens(title), index_tokens(body)
    if dialect == "postgresql":
        await session.execute(
            text(
                "UPDATE jobs SET search_vector = "
                "setweight(to_tsvector('simple', :title), 'A') || "
                "setweight(to_tsvector('simple', :body), 'B') WHERE id = :id"
            ),
            {"title": title_tokens, "body": body_tokens, "id": job_id},
        )
    else:
        await session.execute(text("DELETE FROM job_search WHERE rowid = :id"), {"id": job_id})
        await session.execute(
            text("INSERT INTO job_search (rowid, title, body) VALUES (:id, :title, :body)"),
            {"id": job_id, "title": title_tokens, "body": body_tokens},
        )


async def unindex_job(session: AsyncSession, job_id: int) -> None:
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    if dialect != "postgresql":  # PostgreSQL's vector goes with the row
        await session.execute(text("DELETE FROM job_search WHERE rowid = :id"), {"id": job_id})
