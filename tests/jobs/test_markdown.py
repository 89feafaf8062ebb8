"""Job content: Markdown rendered to sanitised HTML, and the plain-text summary."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from portal.jobs.markdown import ALLOWED_TAGS, render_markdown, summarize


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """The real elements of ``html`` (escaped text is not an element)."""
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.found


def test_basic_markdown() -> None:
    html = render_markdown("# Role\n\nWe use **Python** and _SQL_.\n\n- one\n- two")
    assert "<h1>Role</h1>" in html
    assert "<strong>Python</strong>" in html and "<em>SQL</em>" in html
    assert "<ul>" in html and "<li>one</li>" in html


def test_script_tags_are_shown_as_text() -> None:
    html = render_markdown("<script>alert(1)</script>")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    "source",
    [
        "[click](javascript:alert(1))",
        "[click](JAVASCRIPT:alert(1))",
        "[click](  javascript:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "<javascript:alert(1)>",
    ],
)
def test_dangerous_links_are_dropped(source: str) -> None:
    for _tag, attrs in elements(render_markdown(source)):
        href = (attrs.get("href") or "").strip().lower()
        assert not href.startswith(("javascript:", "vbscript:", "data:")), href


def test_safe_links_keep_their_href_and_get_rel() -> None:
    html = render_markdown("[apply](https://example.com/a?b=1) or [mail](mailto:hr@example.com)")
    assert 'href="https://example.com/a?b=1"' in html
    assert 'href="mailto:hr@example.com"' in html
    assert 'rel="nofollow noopener noreferrer ugc"' in html


@pytest.mark.parametrize(
    "source",
    [
        "<img src=x onerror=alert(1)>",
        '<a href="https://x.org" onclick="alert(1)">x</a>',
        '<p onmouseover="alert(1)">hover</p>',
        '<svg onload="alert(1)"></svg>',
    ],
)
def test_event_handler_attributes_are_gone(source: str) -> None:
    found = elements(render_markdown(source))
    for tag, attrs in found:
        assert tag in ALLOWED_TAGS
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
    assert {tag for tag, _attrs in found} <= {"p"}


def test_markdown_made_elements_carry_no_handlers() -> None:
    source = '[x](https://x.org "t" onmouseover="alert(1)")\n\n| a |\n|---|\n| b |'
    for tag, attrs in elements(render_markdown(source)):
        assert tag in ALLOWED_TAGS
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)


def test_images_are_not_allowed() -> None:
    html = render_markdown("![logo](https://example.com/logo.png)")
    assert "img" not in {tag for tag, _attrs in elements(html)}
    assert "logo.png" not in html


def test_tables_are_allowed() -> None:
    html = render_markdown("| Skill | Years |\n|---|---:|\n| Python | 3 |")
    for tag in ("<table>", "<thead>", "<tbody>", "<tr>", "<th>", "<td>"):
        assert tag.rstrip(">") in html
    assert "Python" in html


def test_raw_html_tables_and_iframes_are_escaped() -> None:
    html = render_markdown('<iframe src="https://evil.example"></iframe>')
    assert "<iframe" not in html and "&lt;iframe" in html


def test_line_breaks_are_kept() -> None:
    assert "<br" in render_markdown("first line\nsecond line")


def test_code_is_escaped() -> None:
    html = render_markdown("`<b>` and\n\n```\n<script>\n```")
    assert "<code>&lt;b&gt;</code>" in html
    assert "<script>" not in html


# ------------------------------------------------------------------------------ summary


def test_summary_is_plain_text_without_headings() -> None:
    html = render_markdown("# Title\n\nSome **bold** text & <more>.")
    assert summarize(html) == "Some bold text & <more>."


def test_a_chinese_summary_drops_headings_and_separates_blocks() -> None:
    """Issue 13, defect 11: "岗位职责负责仓库管理任职要求…" ran headings into the text."""
    html = render_markdown(
        "## 岗位职责\n\n负责仓库的日常管理\n\n## 任职要求\n\n- 三年以上经验\n- 持有叉车证"
    )
    assert summarize(html) == "负责仓库的日常管理 · 三年以上经验 · 持有叉车证"


def test_blocks_that_end_a_sentence_are_joined_by_a_space() -> None:
    html = render_markdown("### About us\n\nWe weld.\n\nYou *learn*.\n\n1. Python\n2. SQL")
    assert summarize(html) == "We weld. You learn. Python · SQL"


def test_a_text_of_headings_only_keeps_them() -> None:
    assert summarize(render_markdown("# Welder\n\n## Berlin")) == "Welder · Berlin"


def test_summary_keeps_inline_markup_inside_its_words() -> None:
    html = render_markdown("Weld **carefully**. Read [the guide](https://example.com)'s end.")
    assert summarize(html) == "Weld carefully. Read the guide's end."


def test_short_text_is_not_cut() -> None:
    assert summarize("<p>Short.</p>") == "Short."


def test_summary_cuts_at_a_word_boundary() -> None:
    words = " ".join(f"word{i}" for i in range(100))
    summary = summarize(f"<p>{words}</p>", limit=50)
    assert summary.endswith("…")
    body = summary.removesuffix("…")
    assert len(body) <= 50
    assert body.split()[-1] in words.split()  # a whole word, not a piece of one
    assert words.startswith(body)


def test_summary_cuts_text_without_spaces() -> None:
    summary = summarize("<p>" + "数" * 400 + "</p>", limit=100)
    assert summary == "数" * 100 + "…"


def test_summary_drops_trailing_punctuation_before_the_ellipsis() -> None:
    text = "alpha, " * 20
    summary = summarize(f"<p>{text}</p>", limit=40)
    assert summary.endswith("alpha…")


def test_summary_decodes_entities_once() -> None:
    # The text "&lt;" written literally (in code) must stay "&lt;", not become "<".
    html = render_markdown("Write `&lt;` for <, and AT&T.")
    assert summarize(html) == "Write &lt; for <, and AT&T."
