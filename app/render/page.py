"""The reading page at ``/`` (and a profile's page): a ``RankedFeed`` and ``PageMeta`` in, HTML out.

Pure. Today's ranked papers come first, each with its title, authors, why it is in the feed
(rank, score, matched keywords, the LLM's relevance reason and any other reason the
``ScoredPaper`` carries), a TL;DR (the summary's opening, or the abstract's) with the full
summary and abstract folded in ``<details>``, and its arXiv, PDF and code links. Beside them (below
on a phone): a compact subscribe box (one URL per format, copy buttons, more feeds folded) and
the feed builder (``app.render.builder``). One HTML document, no external assets; the inline
style and script are allowed by hash (``CSP``, ``app.render.page_assets``). Everything from
arXiv is escaped, LLM summaries are sanitized (``markdown_to_html``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape

from pydantic import BaseModel

from app.arxiv import taxonomy
from app.models import RankedFeed, ScoredPaper
from app.render import formats
from app.render.builder import builder_form, feed_path
from app.render.feedback_page import buttons, owner_form
from app.render.html import markdown_to_html
from app.render.page_assets import CSP, html_document
from app.render.why import reasons

__all__ = ["CSP", "PageMeta", "default_links", "feed_path", "render_error_page", "render_page"]

MAX_AUTHORS = 8
MAX_KEYWORDS_SHOWN = 5
TLDR_CHARS = 280
_CODE = re.compile(
    r"https?://(?:www\.)?(?:github\.com|gitlab\.com|codeberg\.org|bitbucket\.org|"
    r"huggingface\.co)/[^\s<>()\[\]{}\"',;]+"
)
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")
# ScoredPaper fields drawn on their own; any other set field is shown as a further reason.
_DRAWN = {"paper", "contributions", "matched", "title_matched", "rank", "relevance", "summary",
          "similarity", "similar_to", "author_match", "feedback", "disliked_by"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PageMeta:
    """What the page needs besides the papers.

    ``feed_paths`` are this page's own feeds by format (``{"rss": "/p/ml/rss", ...}`` on a
    profile's page); ``category_feeds`` lists one feed per category in the subscribe box's
    folded part; ``links`` are further (label, path) links there.
    """

    title: str
    base_url: str
    categories: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    min_score: float = 0.0
    top: int = 20
    feed_paths: Mapping[str, str] = field(default_factory=formats.feed_paths)
    category_feeds: bool = True
    links: tuple[tuple[str, str], ...] = field(default_factory=lambda: default_links())
    owner: str | None = None  # the profile whose owner's form the page offers


def default_links() -> tuple[tuple[str, str], ...]:
    """The configured feed's further links: OPML, the digest (each format not a feed), API."""
    return (
        ("OPML (every feed, for a reader)", "/feeds.opml"),
        *formats.document_links(),
        ("JSON API", "/docs"),
    )


# -- one paper --------------------------------------------------------------------------------


def lead(text: str, limit: int = TLDR_CHARS) -> str:
    """The first sentences of ``text`` that fit in about ``limit`` characters (at least one)."""
    out = ""
    for sentence in _SENTENCE.split(" ".join(text.split())):
        if out and len(out) + len(sentence) > limit:
            break
        out = f"{out} {sentence}".strip()
    if len(out) > limit * 1.6:
        out = out[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return out


def summary_lead(markdown: str) -> str:
    """The opening of an LLM summary: its first paragraph that is not a heading."""
    for block in re.split(r"\n\s*\n", markdown):
        lines = [ln for ln in block.strip().splitlines() if not ln.lstrip().startswith("#")]
        text = " ".join(_BULLET.sub("", ln).strip() for ln in lines).strip()
        if text:
            return lead(text)
    return ""


def code_links(text: str) -> list[str]:
    """Code repositories named in ``text`` (GitHub, GitLab, Hugging Face, ...), once each."""
    seen: dict[str, None] = {}
    for url in _CODE.findall(text):
        seen.setdefault(url.rstrip(".:"), None)
    return list(seen)


def _describe(value: object) -> str:
    """A further reason's value as short text (a score, a list of names, a model's reason)."""
    if isinstance(value, float):
        return f"{value:.2g}" if value < 1 else f"{value:g}"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_describe(v) for v in value)
    if isinstance(value, BaseModel):
        reason = getattr(value, "reason", None)
        return str(reason) if reason else ", ".join(f"{k} {_describe(v)}" for k, v in value)
    return str(value)


def why(item: ScoredPaper) -> str:
    """Why the paper is in the feed, as HTML: score, keywords, relevance, other reasons."""
    parts = [f"score <b>{item.score:g}</b>"]
    if item.matched:
        in_title = {k.casefold() for k in item.title_matched}
        words = [
            f"<mark>{escape(k)}</mark>" + (" (title)" if k.casefold() in in_title else "")
            for k in item.matched
        ]
        parts.append("matches " + ", ".join(words))
    if item.relevance is not None:
        parts.append(
            f"relevance <b>{item.relevance.score:g}/10</b>: {escape(item.relevance.reason)}"
        )
    for label, text in reasons(item):
        parts.append(f"{escape(label.lower())}: {escape(text)}")
    for name, value in item:
        if name not in _DRAWN and value not in (None, "", [], (), 0, 0.0, False):
            parts.append(f"{escape(name.replace('_', ' '))}: {escape(_describe(value))}")
    return " · ".join(parts)


def _authors(names: list[str]) -> str:
    if len(names) <= MAX_AUTHORS:
        return escape(", ".join(names))
    shown = escape(", ".join(names[:MAX_AUTHORS]))
    return f"{shown} <small>and {len(names) - MAX_AUTHORS} more</small>"


def _paper(item: ScoredPaper, cut: bool) -> str:
    p = item.paper
    abstract = " ".join(p.abstract.split())
    if cut and abstract and abstract[-1] not in ".!?…":
        abstract += "…"  # a sample's abstract, cut to about 300 characters
    folded: list[str] = []
    if item.summary is not None:
        opening = summary_lead(item.summary.markdown)
        tldr = markdown_to_html(opening).removeprefix("<p>").strip().removesuffix("</p>")
        tldr = tldr or escape(lead(abstract))
        what = f"Full AI summary ({escape(item.summary.model)})"
        folded.append(f"<details><summary>{what}</summary><div>")
        folded.append(f"{markdown_to_html(item.summary.markdown)}</div></details>")
        folded.append(f"<details><summary>Abstract</summary><div><p>{escape(abstract)}</p>")
        folded.append("</div></details>")
        label = "TL;DR"
    else:
        tldr = escape(lead(abstract))
        label = "Abstract"
        if len(abstract) <= TLDR_CHARS * 1.6:
            tldr = escape(abstract)
        else:
            folded.append(f"<details><summary>Full abstract</summary><div><p>{escape(abstract)}")
            folded.append("</p></div></details>")
    known = taxonomy.lookup(p.primary_category)
    where = f"{p.primary_category} · {known.name}" if known else p.primary_category
    links = [
        f'<a href="{escape(p.link)}">arXiv:{escape(p.versioned_id)}</a>',
        f'<a href="https://arxiv.org/pdf/{escape(p.versioned_id)}">PDF</a>',
        *(f'<a href="{escape(u)}" rel="nofollow noopener">Code</a>' for u in code_links(abstract)),
        f"<span>{escape(where)}</span>",
    ]
    if p.announce_type != "new":
        links.append(f"<span>{escape(p.announce_type.value)}</span>")
    if item.feedback is not None:
        links.append(buttons(item.feedback))
    return (
        f'<li id="p-{escape(p.arxiv_id)}"><article>'
        f'<h2><span class="rank">{item.rank}.</span><a href="{escape(p.link)}">'
        f"{escape(p.title)}</a></h2>"
        f'<p class="au">{_authors(p.authors)}</p>'
        f'<p class="why">{why(item)}</p>'
        f'<div class="tldr"><b>{label}:</b> <p>{tldr}</p></div>'
        f"{''.join(folded)}"
        f'<p class="links">{" ".join(links)}</p></article></li>'
    )


# -- the page ---------------------------------------------------------------------------------


def _url_row(name: str, full: str, url: str) -> str:
    u, name, full = escape(url), escape(name), escape(full)
    return (
        f'<li><a href="{u}" title="{full} feed">{name}</a>'
        f'<input class="url" readonly value="{u}" aria-label="{full} feed URL">'
        f'<button type="button" data-copy="{u}" hidden>Copy</button></li>'
    )


def _subscribe(meta: PageMeta) -> str:
    base = meta.base_url.rstrip("/")
    rows = "".join(
        _url_row(fmt.short, fmt.label, base + meta.feed_paths[fmt.key])
        for fmt in formats.feeds()
        if fmt.key in meta.feed_paths
    )
    more: list[str] = []
    if meta.category_feeds and len(meta.categories) > 1:
        for cat in meta.categories:
            known = taxonomy.lookup(cat)
            urls = " · ".join(
                f'<a href="{escape(base + feed_path(fmt.key, (cat,)))}">{escape(fmt.label)}</a>'
                for fmt in formats.feeds()
                if fmt.per_category
            )
            label = f"{cat} · {known.name}" if known else cat
            more.append(f"<li>{escape(label)}: {urls}</li>")
    more += [f'<li><a href="{escape(path)}">{escape(label)}</a></li>' for label, path in meta.links]
    return (
        '<section id="subscribe" class="box"><h2>Subscribe</h2>'
        '<p class="muted">Paste a URL into your feed reader.</p>'
        f'<ul class="subs">{rows}</ul>'
        '<details class="more"><summary>One feed per category, OPML, digest, API</summary>'
        f"<ul>{''.join(more)}</ul></details></section>"
    )


def _intro(feed: RankedFeed, meta: PageMeta, shown: int) -> str:
    day = feed.listing_day.isoformat() if feed.listing_day else "the latest listing"
    kws = ""
    if meta.keywords:
        few = ", ".join(meta.keywords[:MAX_KEYWORDS_SHOWN])
        rest = len(meta.keywords) - MAX_KEYWORDS_SHOWN
        kws = f" matching {escape(few)}" + (f" and {rest} more keywords" if rest > 0 else "")
    return (
        f"{shown} of {len(feed.items)} papers{kws} · {escape(', '.join(meta.categories))}"
        f" · {escape(day)} ({feed.total_listed} listed)"
    )


def notices(feed: RankedFeed) -> str:
    """Plain words on where the papers come from, when it is not today's arXiv listing."""
    out: list[str] = []
    day = feed.listing_day.isoformat() if feed.listing_day else "one day"
    if feed.sample:
        out.append(
            "<b>Sample data.</b> arXiv could not be reached (or <code>ARXIV_SOURCE=sample</code>"
            f" is set), so this is the bundled sample of {escape(day)}: real papers of that"
            " day, abstracts cut to about 300 characters."
        )
    elif feed.stale:
        fetched = feed.fetched_at.strftime("%Y-%m-%d %H:%M UTC")
        out.append(f"<b>An older copy.</b> arXiv did not answer; this is the listing of {fetched}.")
    out += [escape(note) for note in feed.notes]
    return "".join(f'<p class="notice" role="status">{n}</p>' for n in out)


def render_page(feed: RankedFeed, meta: PageMeta) -> bytes:
    """The whole reading page for ``feed``."""
    title = meta.title + (" (sample data)" if feed.sample else "")
    shown = feed.items[: meta.top]
    if shown:
        papers = f'<ol class="papers">{"".join(_paper(i, feed.sample) for i in shown)}</ol>'
    else:
        words = ", ".join(meta.keywords)
        why_empty = f"matches the keywords {escape(words)}" if words else "passes the filters"
        papers = (
            f'<p class="notice">No paper in this listing ({feed.total_listed} listed) '
            f"{why_empty}. Try other keywords or categories in the builder.</p>"
        )
    more = (
        f'<p class="muted">{len(feed.items) - len(shown)} more in the feed.</p>'
        if len(feed.items) > len(shown)
        else ""
    )
    builder = builder_form(
        meta.base_url, meta.categories, meta.keywords, meta.exclude, meta.min_score
    )
    body = f"""<header class="top"><h1>{escape(title)}</h1>
<p>{_intro(feed, meta, len(shown))}</p>
<nav aria-label="On this page"><a href="#subscribe">Subscribe</a><a href="#build">Build a feed</a>
</nav></header>{notices(feed)}
<div class="layout"><main id="papers">{papers}{more}</main>
<aside>{_subscribe(meta)}{owner_form(meta.owner) if meta.owner else ""}
<section id="build" class="box"><h2>Build a feed</h2>{builder}</section></aside></div>"""
    return html_document(title, body)


def render_error_page(status: int, message: str, hint: str | None) -> bytes:
    """A short HTML error for a browser (``/build`` with a bad value)."""
    extra = f'<p class="muted">{escape(hint)}</p>' if hint else ""
    body = (
        f"<h1>That feed cannot be built ({status})</h1><p>{escape(message)}</p>{extra}"
        '<p><a href="/#build">Back to the feed builder</a></p>'
    )
    return html_document("Feed builder: error", body)
