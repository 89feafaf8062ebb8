"""Job content: Markdown to sanitised HTML, and a plain-text summary (pure, no I/O)."""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

# "js-default" escapes raw HTML in the source; nh3 then guards what Markdown itself makes
# (links, images) against javascript: URLs and event handlers.
_md = MarkdownIt("js-default", {"breaks": True}).enable("table").enable("strikethrough")

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}


def render_markdown(source: str) -> str:
    html = _md.render(source)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer ugc",
    )


_TAGS = re.compile(r"<[^>]+>")
# Inline elements sit inside words and sentences ("**carefully**."): they go without a space.
_INLINE_TAGS = re.compile(r"</?(?:a|strong|em|del|s|code)(?:\s[^>]*)?>")
_HEADING = re.compile(r"<h[1-6][^>]*>.*?</h[1-6]>", re.S)
# Where one block of text ends and the next begins (paragraphs, items, cells, lines).
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|td|th|blockquote|pre)>|<br\s*/?>|<hr\s*/?>")
_SPACE = re.compile(r"\s+")
# A block ending so needs no separator before the next one.
_SENTENCE_END = tuple(".!?:;。！？：；…")


def _blocks(rendered: str) -> list[str]:
    # Entities are decoded once, after the tags are gone ("&amp;lt;" is the text "&lt;").
    text = _BLOCK_END.sub("\x00", _INLINE_TAGS.sub("", rendered))
    pieces = (
        _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", piece))).strip()
        for piece in text.split("\x00")
    )
    return [piece for piece in pieces if piece]


def summarize(rendered: str, limit: int = 280) -> str:
    """Plain text of the rendered content without its headings (unless it is only headings),
    its blocks kept apart (" · " after one that ends no sentence), cut at a word boundary."""
    blocks = _blocks(_HEADING.sub("", rendered)) or _blocks(rendered)
    text = ""
    for block in blocks:
        if text:
            text += " " if text.endswith(_SENTENCE_END) else " · "
        text += block
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.6 else cut).rstrip(" ,.;:，。·") + "…"
