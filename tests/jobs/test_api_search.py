"""Full-text search through GET /api/v1/jobs?q= on both engines."""

from __future__ import annotations

import pytest

from tests.jobs.helpers import error_of

pytestmark = pytest.mark.both_databases

JOBS = "/api/v1/jobs"


async def search(client, q: str, **params) -> list[str]:
    response = await client.get(JOBS, query_string={"q": q, **params})
    assert response.status_code == 200, await response.get_data(as_text=True)
    return [item["title"] for item in (await response.get_json())["items"]]


@pytest.fixture
async def jobs(make_job) -> None:
    await make_job(
        title="Senior Python Developer",
        content="Build APIs with Quart and PostgreSQL.",
        category="engineering",
        location="Berlin",
        remote=True,
    )
    await make_job(
        title="高级数据分析师",
        content="负责用户增长的数据建模与报表。",
        category="data",
        location="上海",
    )
    await make_job(
        title="Frontend engineer",
        content="Vue 3 and TypeScript; pythonic backend helpers welcome.",
        category="engineering",
        employment_type="contract",
        location="Shenzhen 深圳",
    )
    await make_job(
        title="数据库管理员",
        content="Run PostgreSQL clusters.",
        category="operations",
        location="北京",
    )
    await make_job(title="Draft Python role", content="Python, secret.", status="draft")


@pytest.mark.usefixtures("jobs")
async def test_english_words(app, db_backend, client) -> None:
    assert await search(client, "python developer") == ["Senior Python Developer"]
    assert await search(client, "Quart") == ["Senior Python Developer"]
    assert set(await search(client, "PostgreSQL")) == {"Senior Python Developer", "数据库管理员"}
    assert await search(client, "cobol") == []


@pytest.mark.usefixtures("jobs")
async def test_every_word_is_required(app, db_backend, client) -> None:
    assert await search(client, "python typescript") == []
    assert await search(client, "vue typescript") == ["Frontend engineer"]


@pytest.mark.usefixtures("jobs")
async def test_the_last_word_is_a_prefix(app, db_backend, client) -> None:
    assert set(await search(client, "pyth")) == {"Senior Python Developer", "Frontend engineer"}
    assert await search(client, "pythonic") == ["Frontend engineer"]
    assert await search(client, "devel") == ["Senior Python Developer"]
    # "pythonic" is found by the prefix "python" only when it is the last word.
    assert set(await search(client, "pytho")) == {"Senior Python Developer", "Frontend engineer"}
    assert await search(client, "pyth developer") == []  # only the last word is a prefix


@pytest.mark.usefixtures("jobs")
async def test_case_and_width_do_not_matter(app, db_backend, client) -> None:
    assert await search(client, "PYTHON DEVELOPER") == ["Senior Python Developer"]
    assert await search(client, "Ｐｙｔｈｏｎ ｄｅｖｅｌｏｐｅｒ") == ["Senior Python Developer"]


@pytest.mark.usefixtures("jobs")
@pytest.mark.parametrize("word", ["数据", "分析师", "数据分析", "高级数据分析师", "分析"])
async def test_chinese_words(app, db_backend, client, word) -> None:
    assert "高级数据分析师" in await search(client, word)


@pytest.mark.usefixtures("jobs")
async def test_chinese_phrases_must_be_contiguous(app, db_backend, client) -> None:
    assert set(await search(client, "数据")) == {"高级数据分析师", "数据库管理员"}
    assert await search(client, "数据库") == ["数据库管理员"]
    assert await search(client, "据数") == []
    assert await search(client, "分析 数据") == ["高级数据分析师"]  # two words, any order
    assert await search(client, "用户增长") == ["高级数据分析师"]  # from the body


@pytest.mark.usefixtures("jobs")
async def test_found_by_location(app, db_backend, client) -> None:
    assert await search(client, "上海") == ["高级数据分析师"]
    assert await search(client, "berlin") == ["Senior Python Developer"]
    assert await search(client, "深圳") == ["Frontend engineer"]


@pytest.mark.usefixtures("jobs")
async def test_mixed_latin_and_chinese(app, db_backend, client) -> None:
    assert await search(client, "PostgreSQL 数据库") == ["数据库管理员"]
    assert await search(client, "Shenzhen深圳") == ["Frontend engineer"]


@pytest.mark.usefixtures("jobs")
async def test_title_matches_rank_first(app, db_backend, client, make_job) -> None:
    await make_job(title="Office manager", content="Order supplies. Some postgresql too.")
    found = await search(client, "postgresql")
    assert len(found) == 3
    # None of them has it in the title; all three are found. Now one with it in the title:
    await make_job(title="PostgreSQL DBA", content="Tuning.")
    assert (await search(client, "postgresql"))[0] == "PostgreSQL DBA"


@pytest.mark.usefixtures("jobs")
async def test_search_combines_with_filters(app, db_backend, client) -> None:
    assert await search(client, "postgresql", category="operations") == ["数据库管理员"]
    assert await search(client, "postgresql", remote="true") == ["Senior Python Developer"]
    assert await search(client, "engineer", type="contract") == ["Frontend engineer"]
    assert await search(client, "engineer", type="internship") == []
    assert await search(client, "数据", location="上海") == ["高级数据分析师"]


@pytest.mark.usefixtures("jobs")
async def test_search_pages_and_counts(app, db_backend, client) -> None:
    response = await client.get(JOBS, query_string={"q": "postgresql", "per_page": 1})
    page = await response.get_json()
    assert page["total"] == 2 and len(page["items"]) == 1
    response = await client.get(JOBS, query_string={"q": "postgresql", "per_page": 1, "page": 3})
    page = await response.get_json()
    assert page["total"] == 2 and page["items"] == []


@pytest.mark.usefixtures("jobs")
async def test_drafts_are_not_searchable(app, db_backend, client, admin_client) -> None:
    assert await search(client, "secret") == []
    assert await search(admin_client, "secret") == []


async def test_edits_update_the_index(app, db_backend, client, admin_client, make_job) -> None:
    job = await make_job(title="Gardener", content="Plants.", location="Hamburg")
    assert await search(client, "gardener") == ["Gardener"]
    response = await admin_client.patch(
        f"{JOBS}/{job.id}", json={"title": "园艺师", "location": "杭州", "content": "Trees."}
    )
    assert response.status_code == 200
    assert await search(client, "gardener") == []
    assert await search(client, "hamburg") == []
    assert await search(client, "园艺师") == ["园艺师"]
    assert await search(client, "杭州") == ["园艺师"]
    assert await search(client, "trees") == ["园艺师"]


async def test_deleted_jobs_leave_the_index(app, db_backend, client, admin_client, make_job):
    job = await make_job(title="Temporary role")
    assert (await admin_client.delete(f"{JOBS}/{job.id}")).status_code == 204
    assert await search(client, "temporary") == []
    await make_job(title="Temporary again")  # may reuse the row id on SQLite
    assert await search(client, "temporary") == ["Temporary again"]


HOSTILE = [
    '"foo* OR (',
    "NEAR(",
    "NEAR(python developer, 2)",
    "'; DROP TABLE jobs; --",
    "\\",
    "\\\\'",
    "'",
    '"',
    "python'",
    "title:python",
    "python*",
    "*",
    "python -developer",
    "python OR java",
    "python AND",
    "NOT python",
    "^python",
    "python & !developer",
    "python <-> developer",
    "python:*",
    "(python",
    "!!!",
    "...",
    "   ",
    "😀",
    "python 😀",
    "数据'",
    "x" * 200,
    "数" * 200,
    " ".join(["python"] * 28),  # more words than are used
    "%",
    "_",
    "ǅ İstanbul ß",
    "\u200b",
    "\u202ehello",
]


@pytest.mark.usefixtures("jobs")
async def test_hostile_queries_never_fail(app, db_backend, client, subtests) -> None:
    for query in HOSTILE:
        with subtests.test(msg=repr(query)):
            for params in ({"q": query}, {"q": query, "category": "data", "remote": "false"}):
                response = await client.get(JOBS, query_string=params)
                assert response.status_code == 200, await response.get_data(as_text=True)
                page = await response.get_json()
                assert page["total"] == len(page["items"])


@pytest.mark.usefixtures("jobs")
async def test_syntax_is_searched_as_words(app, db_backend, client) -> None:
    assert await search(client, "python* developer") == ["Senior Python Developer"]
    assert await search(client, "developer python*") == ["Senior Python Developer"]
    assert await search(client, '"python developer"') == ["Senior Python Developer"]
    assert await search(client, "python OR java") == []  # "or" is a word that must occur
    assert await search(client, "!!!") == []


@pytest.mark.usefixtures("jobs")
async def test_hostile_queries_with_filters(app, db_backend, client) -> None:
    response = await client.get(
        JOBS, query_string={"q": "NEAR( 数据", "category": "data", "location": "%"}
    )
    assert response.status_code == 200
    response = await client.get(JOBS, query_string={"q": "x" * 201})
    await error_of(response, 422)  # too long is refused, not truncated
