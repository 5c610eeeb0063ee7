"""Markdown from an LLM -> HTML that is safe to put in a feed or a page.

markdown-it renders with raw HTML disabled (any HTML in the answer becomes text), then nh3
keeps only a small allow-list of tags: no script, no event handlers, no styles, no images or
other remote content; links keep only http(s) and mailto and get ``rel="nofollow noopener"``.
"""

from __future__ import annotations

from functools import lru_cache

import nh3

TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "td": {"align"}, "th": {"align"}}


@lru_cache(maxsize=1)
def _markdown() -> object:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markdown_to_html(markdown: str) -> str:
    """Sanitized HTML for ``markdown``."""
    from markdown_it import MarkdownIt

    md = _markdown()
    assert isinstance(md, MarkdownIt)
    return sanitize(md.render(markdown))


def sanitize(html: str) -> str:
    """Keep only harmless tags and attributes."""
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
