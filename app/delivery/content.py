"""What a delivered digest says about each paper, as plain text (pure).

E-mail and every webhook kind show the same facts: rank and title, the abstract page, authors,
category, score and announce type, why the paper is there (matched keywords, the LLM's
relevance reason, any further signal's points), code links, DOI and journal reference, the LLM
summary (its Markdown) or else the abstract. Each channel lays them out in its own format,
escapes every field for its markup and cuts them to its limits (``fit``).

Links are only ones built here: the arXiv abstract page and PDF from the paper's id, the DOI's
``https://doi.org/`` link, and the code links ``app.arxiv.links`` finds, each passed through
``web_url`` (plain http(s), no characters that chat markup reads), and in an owner's profile
feed its signed feedback links ("More like this", "Less like this"). Nothing else in a title
or an abstract becomes a link.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, urlsplit

from app.arxiv.links import code_links
from app.models import RankedFeed, ScoredPaper
from app.render.feeds import doi_url
from app.render.why import signal_reasons

# RFC 3986 reserved and unreserved characters, less those some markup reads: ( ) [ ] ' *
_URL_SAFE = "/:?#@!$&+,;=%-._~"
_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")


@dataclass(frozen=True, slots=True)
class DigestInfo:
    """The digest as a whole: whose, which day, where its page is."""

    title: str
    feed_name: str
    day: date
    page_url: str | None
    total: int


def digest_info(feed: RankedFeed, title: str, feed_name: str, page_url: str | None) -> DigestInfo:
    """The header facts of ``feed``'s digest (its day must be known)."""
    assert feed.listing_day is not None
    return DigestInfo(title, feed_name, feed.listing_day, page_url, len(feed.items))


def subject(info: DigestInfo) -> str:
    """``arXiv papers: 12 papers for 2026-01-06``."""
    noun = "paper" if info.total == 1 else "papers"
    return f"{info.title}: {info.total} {noun} for {info.day.isoformat()}"


def cut(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` within ``limit`` characters, cut at a word boundary when one is near."""
    text = text.strip()
    if len(text) <= limit:
        return text
    room = max(0, limit - len(ellipsis))
    head = text[:room]
    space = head.rfind(" ")
    if space > room * 0.8:
        head = head[:space]
    return head.rstrip() + ellipsis


def fit(text: str, limit: int, escape: Callable[[str], str]) -> str:
    """``escape(cut(text, n))`` for the largest ``n`` that keeps it within ``limit``: cut
    first, so an escape sequence is never cut in half."""
    n = limit
    while n > 0:
        out = escape(cut(text, n))
        if len(out) <= limit:
            return out
        n -= len(out) - limit  # each character removed removes at least one escaped one
    return ""


def web_url(url: str) -> str | None:
    """``url`` as a link any markup can carry, or None when it is not a plain web address.

    Only http(s) with a DNS host name (IDNA-encoded) or IPv4 address, no user part
    (``https://github.com@evil``); the rest percent-encoded but for the RFC 3986 characters
    markup leaves alone, so no space, quote, bracket, parenthesis, ``<``, ``>`` or ``|``
    remains.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme.lower() not in ("http", "https") or not host or "@" in parts.netloc:
        return None
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if not _HOST.fullmatch(host):
        return None
    netloc = host if port is None else f"{host}:{port}"
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    rest += f"#{parts.fragment}" if parts.fragment else ""
    return f"{parts.scheme.lower()}://{netloc}{quote(rest, safe=_URL_SAFE)}"


def abs_link(item: ScoredPaper) -> str:
    """The abstract page (latest version)."""
    return "https://arxiv.org/abs/" + quote(item.paper.arxiv_id)


def pdf_link(item: ScoredPaper) -> str:
    """The PDF of the announced version."""
    return "https://arxiv.org/pdf/" + quote(item.paper.versioned_id)


def facts_line(item: ScoredPaper) -> str:
    """``cs.LG · score 3.5 · new · 2601.01209v1``."""
    p = item.paper
    kind = p.announce_type.value
    return f"{p.primary_category} · score {item.score:.1f} · {kind} · {p.versioned_id}"


def why_line(item: ScoredPaper) -> str:
    """Why the paper is in the digest: its keywords, the LLM's reason, other signals' points."""
    parts = []
    if item.matched:
        parts.append("matched " + ", ".join(item.matched))
    if item.relevance is not None:
        parts.append(f"relevance {item.relevance.score:g}/10: {item.relevance.reason}")
    parts += [f"{label.lower()} {text}" for label, text in signal_reasons(item)]
    return "; ".join(parts) or "all papers are kept (no keywords)"


def extra_links(item: ScoredPaper) -> list[tuple[str, str]]:
    """(name, URL) of code links, the DOI and the feedback links, every URL a ``web_url``."""
    links = [(link.name, web_url(link.url)) for link in code_links(item.paper.abstract)]
    if item.paper.doi:
        links.append((f"DOI {item.paper.doi}", web_url(doi_url(item.paper.doi))))
    if item.feedback is not None:
        links.append(("More like this", web_url(item.feedback.more)))
        links.append(("Less like this", web_url(item.feedback.less)))
    return [(name, url) for name, url in links if url]


def summary_text(item: ScoredPaper) -> str | None:
    """The LLM summary's Markdown, when there is one (shown instead of the abstract)."""
    if item.summary is not None and item.summary.markdown.strip():
        return item.summary.markdown.strip()
    return None


def paper_text(n: int, item: ScoredPaper) -> str:
    """One paper as a plain-text block (e-mail's text part, dry-run output)."""
    p = item.paper
    lines = [
        f"{n}. {p.title}",
        f"   {abs_link(item)}",
        f"   Authors: {', '.join(p.authors)}",
        f"   {facts_line(item)}",
        f"   Why: {why_line(item)}",
    ]
    if p.journal_ref:
        lines.append(f"   Journal ref: {p.journal_ref}")
    lines += [f"   {name}: {url}" for name, url in extra_links(item)]
    lines.append(f"   PDF: {pdf_link(item)}")
    lines.append("")
    lines.append(f"   Abstract: {p.abstract.strip()}")
    if item.summary is not None and item.summary.markdown.strip():
        lines.append("")
        lines.append(f"   Summary ({item.summary.model}):")
        lines += [f"   {line}".rstrip() for line in item.summary.markdown.strip().splitlines()]
    return "\n".join(lines)
