"""The search tokenizer and query builders (pure), plus their output fed to real engines."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.jobs.search import (
    MAX_QUERY_TERMS,
    Term,
    fts5_match,
    index_tokens,
    query_terms,
    tsquery,
)
from tests.utils.search import fts5_query

HOSTILE = [
    '"foo* OR (',
    "NEAR(",
    "NEAR(a b, 3)",
    "'; DROP TABLE jobs; --",
    "\\",
    "\\'",
    "'",
    '"',
    '""',
    "title:python",
    "python -java",
    "a AND OR NOT b",
    "^start",
    "col:* (x",
    "foo & bar | !baz <-> qux:*",
    "!!!",
    "...",
    "()",
    "*",
    "   ",
    "",
    "😀😀😀",
    "python 😀",
    "x" * 1000,
    "数据" * 500,
    "a\x00b",
    "\u200b\u200b",
]


def fts5_tokens(expression: str) -> list[str]:
    """The tokens inside an FTS5 expression we generate; asserts its exact shape."""
    phrase = r'"([^"]*)"(?: \*)?'
    assert re.fullmatch(rf"{phrase}(?: AND {phrase})*", expression), expression
    return [tok for group in re.findall(r'"([^"]*)"', expression) for tok in group.split(" ")]


def ts_tokens(expression: str) -> list[str]:
    """The tokens inside a tsquery we generate; asserts its exact shape."""
    quoted = r"'(?:[^'\\]|'')*'"
    term = rf"(?:{quoted}:\*|{quoted}|\({quoted}(?: <-> {quoted})+\))"
    assert re.fullmatch(rf"{term}(?: & {term})*", expression), expression
    return [tok.replace("''", "'") for tok in re.findall(r"'((?:[^'\\]|'')*)'", expression)]


# ------------------------------------------------------------------------------ tokenizer


def test_latin_words_are_lower_cased_and_split_on_punctuation() -> None:
    assert index_tokens("Senior Python-Developer, (m/w/d)") == "senior python developer m w d"


def test_full_width_letters_are_folded() -> None:
    assert index_tokens("Ｐｙｔｈｏｎ３") == "python3"


def test_cjk_runs_become_overlapping_bigrams() -> None:
    bigrams = ["高级", "级数", "数据", "据分", "分析", "析师"]
    assert index_tokens("高级数据分析师").split() == bigrams


def test_a_single_cjk_character_is_its_own_token() -> None:
    assert index_tokens("招 Python") == "招 python"


def test_mixed_scripts_split_where_the_script_changes() -> None:
    assert index_tokens("Python开发工程师") == "python 开发 发工 工程 程师"
    assert index_tokens("上海, Berlin") == "上海 berlin"


def test_japanese_and_korean_are_bigrammed_too() -> None:
    assert index_tokens("データ") == "デー ータ"
    assert index_tokens("개발자") == "개발 발자"


def test_emoji_and_punctuation_are_not_tokens() -> None:
    assert index_tokens("😀 🚀 — !!! ...") == ""


# ------------------------------------------------------------------------------ queries


def test_the_last_latin_word_is_a_prefix() -> None:
    assert query_terms("python dev") == [Term(("python",)), Term(("dev",), prefix=True)]
    assert fts5_query(query_terms("python dev")) == '"python" AND "dev" *'
    assert tsquery(query_terms("python dev")) == "'python' & 'dev':*"


def test_a_long_prefix_is_asked_of_the_prefix_index_and_checked_on_the_text() -> None:
    assert fts5_match(query_terms("python dev")) == ('"python" AND "dev" *', None)
    assert fts5_match(query_terms("senior pytho")) == ('"senior" AND "pyth" *', "pytho")
    assert fts5_match(query_terms("python 数据")) == ('"python" AND "数据"', None)


def test_latin_diacritics_fold_like_fts5() -> None:
    assert index_tokens("Café Résumé naïve Ångström") == "cafe resume naive angstrom"
    assert query_terms("RÉSUMÉ") == [Term(("resume",), prefix=True)]
    # Only Latin: Japanese voicing marks and Hangul syllables are left as they are.
    assert index_tokens("ガイド 개발자") == "ガイ イド 개발 발자"


def test_a_long_prefix_finds_what_the_plain_prefix_finds() -> None:
    fts5 = sqlite3.connect(":memory:")
    fts5.execute(  # as the migration makes job_search
        "CREATE VIRTUAL TABLE t USING fts5("
        "title, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4')"
    )
    rows = ["Python developer", "pythonic code", "Pythagoras teacher", "Résumé writer"]
    for rowid, body in enumerate(rows, 1):
        fts5.execute(
            "INSERT INTO t (rowid, title, body) VALUES (?, '', ?)", (rowid, index_tokens(body))
        )

    def found(query: str) -> set[int]:
        match, needle = fts5_match(query_terms(query))
        sql = "SELECT rowid FROM t WHERE t MATCH ?"
        args: tuple[str, ...] = (match,)
        if needle is not None:
            sql += " AND instr(' ' || title || ' ' || body, ?) > 0"
            args += (" " + needle,)
        return {row[0] for row in fts5.execute(sql, args)}

    def plain(query: str) -> set[int]:
        sql = "SELECT rowid FROM t WHERE t MATCH ?"
        return {row[0] for row in fts5.execute(sql, (fts5_query(query_terms(query)),))}

    expected = {"pytho": {1, 2}, "pythonic": {2}, "pythag": {3}, "resum": {4}, "RÉSUMÉ": {4}}
    for query, rowids in expected.items():
        assert found(query) == plain(query) == rowids, query
    fts5.close()


def test_a_one_letter_last_word_is_not_a_prefix() -> None:
    # "c" as a prefix would match half the index.
    assert query_terms("senior c") == [Term(("senior",)), Term(("c",))]


def test_a_cjk_word_is_a_phrase_of_bigrams_and_never_a_prefix() -> None:
    terms = query_terms("数据分析")
    assert terms == [Term(("数据", "据分", "分析"))]
    assert fts5_query(terms) == '"数据 据分 分析"'
    assert tsquery(terms) == "('数据' <-> '据分' <-> '分析')"
    assert query_terms("数据") == [Term(("数据",))]
    assert tsquery(query_terms("数据")) == "'数据'"


def test_a_cjk_query_matches_the_indexed_bigrams() -> None:
    indexed = index_tokens("高级数据分析师").split()
    for query in ("数据", "分析师", "数据分析", "高级数据分析师"):
        (term,) = query_terms(query)
        tokens = list(term.tokens)
        # The phrase occurs as a contiguous run of the indexed tokens.
        assert any(indexed[i : i + len(tokens)] == tokens for i in range(len(indexed))), query


def test_latin_then_cjk_last_term_is_not_a_prefix() -> None:
    assert query_terms("python 上海") == [Term(("python",)), Term(("上海",))]


def test_queries_are_capped() -> None:
    terms = query_terms(" ".join(f"w{i}" for i in range(50)))
    assert len(terms) == MAX_QUERY_TERMS


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_input_yields_only_quoted_tokens(query: str) -> None:
    terms = query_terms(query)
    folded = query.lower()
    for token in fts5_tokens(fts5_query(terms)) if terms else []:
        assert token in folded
    for token in ts_tokens(tsquery(terms)) if terms else []:
        assert token in folded


def test_syntax_words_are_just_words() -> None:
    assert fts5_query(query_terms('"foo* OR (')) == '"foo" AND "or" *'
    assert fts5_query(query_terms("NEAR(")) == '"near" *'
    assert tsquery(query_terms("'; DROP TABLE")) == "'drop' & 'table':*"


@pytest.mark.parametrize("query", ["\\", "!!!", "", "   ", "😀", "'\"()*:&|"])
def test_punctuation_and_emoji_give_no_terms(query: str) -> None:
    assert query_terms(query) == []
    assert fts5_query([]) == ""
    assert tsquery([]) == ""


def test_a_thousand_characters_stay_one_term() -> None:
    terms = query_terms("x" * 1000)
    assert terms == [Term(("x" * 1000,), prefix=True)]


def test_quotes_inside_tokens_would_be_escaped() -> None:
    # Our tokenizer never produces quotes, but the quoting must stay safe if it ever did.
    assert tsquery([Term(("it's",))]) == "'it''s'"
    assert tsquery([Term(("a\\b",))]) == "'a\\\\b'"


# ------------------------------------------------------------------------------ properties

query_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(list("\"'*()^:-+&|!<>\\数据分析师上海デーータ한국 ")),
    ),
    max_size=80,
)


@given(query_text)
def test_built_queries_have_balanced_quotes_and_only_input_tokens(query: str) -> None:
    terms = query_terms(query)
    expression = fts5_query(terms)
    ts = tsquery(terms)
    if not terms:
        assert expression == "" and ts == ""
        return
    assert expression.count('"') % 2 == 0
    assert ts.replace("''", "").count("'") % 2 == 0
    # Every token is one the index would hold for the same text: nothing else gets in.
    indexed = set(index_tokens(query).split())
    for token in fts5_tokens(expression) + ts_tokens(ts):
        assert token in indexed, (token, indexed)


@pytest.fixture(scope="module")
def fts5() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='unicode61')")
    connection.execute(
        "INSERT INTO t (title, body) VALUES (?, ?)",
        (index_tokens("高级数据分析师 Python developer"), index_tokens("上海 or near and not")),
    )
    yield connection
    connection.close()


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=query_text)
def test_fts5_accepts_every_built_query(fts5: sqlite3.Connection, query: str) -> None:
    terms = query_terms(query)
    if terms:
        fts5.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts5_query(terms),)).fetchall()


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("数据", True),
        ("分析师", True),
        ("数据分析", True),
        ("上海", True),
        ("pyth", True),
        ("developer python", True),
        ("NEAR(", True),  # "near" is a word of the body, not syntax
        ("OR", True),
        ('"foo* OR (', False),
        ("据数", False),
        ("java", False),
    ],
)
def test_fts5_matches(fts5: sqlite3.Connection, query: str, found: bool) -> None:
    rows = fts5.execute(
        "SELECT rowid FROM t WHERE t MATCH ?", (fts5_query(query_terms(query)),)
    ).fetchall()
    assert bool(rows) is found


@pytest.fixture(scope="module")
def pg_tsquery(request: pytest.FixtureRequest) -> Iterator[object]:
    """``run(query) -> bool``: does PostgreSQL accept the tsquery and match our sample?"""
    from tests.conftest import POSTGRES_URL

    if not POSTGRES_URL:
        pytest.skip("PORTAL_TEST_POSTGRES_URL is not set")
    import asyncpg

    url = request.getfixturevalue("postgres_database").replace("postgresql+asyncpg", "postgresql")
    loop = asyncio.new_event_loop()
    connection = loop.run_until_complete(asyncpg.connect(url))
    vector = (
        "setweight(to_tsvector('simple', $2), 'A') || setweight(to_tsvector('simple', $3), 'B')"
    )
    sample = (index_tokens("高级数据分析师 Python developer"), index_tokens("上海 or near and"))

    def run(expression: str) -> bool:
        return loop.run_until_complete(
            connection.fetchval(f"SELECT {vector} @@ to_tsquery('simple', $1)", expression, *sample)
        )

    yield run
    loop.run_until_complete(connection.close())
    loop.close()


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=query_text)
def test_postgres_accepts_every_built_tsquery(pg_tsquery, query: str) -> None:
    terms = query_terms(query)
    if terms:
        pg_tsquery(tsquery(terms))


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("数据", True),
        ("分析师", True),
        ("数据分析", True),
        ("上海", True),
        ("pyth", True),
        ("'; DROP TABLE", False),
        ("据数", False),
        ("java", False),
    ],
)
def test_postgres_matches(pg_tsquery, query: str, found: bool) -> None:
    assert pg_tsquery(tsquery(query_terms(query))) is found
