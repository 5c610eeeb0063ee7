"""RSS 2.0 and Atom feeds from a ``RankedFeed`` (pure: models in, UTF-8 bytes out).

Items keep rank order (feedgen prepends by default; we append). Each RSS item has one
``dc:creator`` with every author, comma-separated, as arXiv's own feeds write it (feedparser and
newsboat keep only the last of several); each Atom entry one ``<author>`` per author. Items
carry their categories, a stable version-specific GUID, pubDate = the announcement date, and an
HTML description with authors, category, score, matched keywords, the escaped abstract, and its
links: PDF, code and project pages found in the abstract, DOI (Atom ``content``), and in an
owner's profile feed the signed "More like this" and "Less like this" links. The license
is ``dc:rights`` (RSS) or ``rights`` (Atom); announce type, DOI and journal reference are arXiv's
own elements (``app.render.arxiv_ext``); Atom entries also link the DOI and code as
``rel="related"``. The channel's ``<link>`` is the site and it skips Saturday and Sunday, as
arXiv's feeds do. Dates come from the listing, never from the clock, so the same listing
renders the same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import quote

from app.arxiv import taxonomy
from app.arxiv.links import code_links
from app.models import RankedFeed, ScoredPaper
from app.render.html import markdown_to_html
from app.render.why import reasons

CATEGORY_SCHEME = "https://arxiv.org/category_taxonomy"


@dataclass(frozen=True, slots=True)
class FeedMeta:
    """What the renderers need to know besides the papers.

    The feeds use the first four; the Markdown digest links ``feeds`` (label, path) under
    ``base_url`` (the service's address; None: print the paths) and is laid out by
    ``template`` (a ``string.Template``; None: its default layout).
    """

    title: str
    self_url: str
    site_url: str
    generator: str = "arxiv-feeds"
    base_url: str | None = None
    feeds: tuple[tuple[str, str], ...] = ()
    template: str | None = None


def feed_title(feed: RankedFeed, base_title: str) -> str:
    """``arXiv papers: cs.AI+cs.LG`` (marked when the data is a bundled sample)."""
    title = f"{base_title}: {'+'.join(feed.query.categories)}"
    return f"{title} (sample data)" if feed.sample else title


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def feed_description(feed: RankedFeed) -> str:
    """What the feed is; when it is empty, why (so a reader shows more than nothing)."""
    text = f"arXiv papers in {', '.join(feed.query.categories)}, filtered by keywords and ranked"
    notes = "".join(f" {_NOT_XML.sub('', n)}" for n in feed.notes)
    if feed.items:
        return f"{text} by score.{notes}" if notes else f"{text} by score"
    day = f"{feed.listing_day.isoformat()}, " if feed.listing_day else ""
    listing = f"this listing ({day}{feed.total_listed} papers)"
    if feed.total_listed == 0:
        why = f"arXiv listed no papers{day and ' on ' + day[:-2]} (none on weekends and holidays)"
    elif feed.query.keywords:
        kws = feed.query.keywords
        named = ", ".join(kws[:5]) + (f" and {len(kws) - 5} more" if len(kws) > 5 else "")
        why = f"no matches for these keywords ({_NOT_XML.sub('', named)}) in {listing}"
    else:
        why = f"no paper in {listing} passes the filters"
    return f"{text} by score. Empty: {why}.{notes}"


def item_html(item: ScoredPaper) -> str:
    """The HTML body of one item; every value from arXiv is escaped."""
    p = item.paper
    others = [c for c in p.categories if c != p.primary_category]
    category = escape(p.primary_category) + (
        f" (also {escape(', '.join(others))})" if others else ""
    )
    matched = ", ".join(escape(k) for k in item.matched) or "none"
    parts = [
        f"<p><strong>Authors:</strong> {escape(', '.join(p.authors))}</p>",
        f"<p><strong>Category:</strong> {category} · <strong>Score:</strong> {item.score:.1f}"
        f" · <strong>Type:</strong> {escape(p.announce_type.value)}"
        f" · <strong>arXiv:</strong> {escape(p.versioned_id)}</p>",
        f"<p><strong>Matched keywords:</strong> {matched}</p>",
        f"<p>{escape(p.abstract)}</p>",
    ]
    if item.relevance is not None:
        parts.append(
            f"<p><strong>Relevance:</strong> {item.relevance.score:g}/10 · "
            f"{escape(item.relevance.reason)}</p>"
        )
    for label, text in reasons(item):
        parts.insert(3, f"<p><strong>{label}:</strong> {escape(text)}</p>")
    if p.journal_ref:
        parts.append(f"<p><strong>Journal ref:</strong> {escape(p.journal_ref)}</p>")
    if p.doi:
        parts.append(
            f'<p><strong>DOI:</strong> <a href="{escape(doi_url(p.doi))}">{escape(p.doi)}</a></p>'
        )
    links = [
        f'<a href="{escape(p.link)}">Abstract</a>',
        f'<a href="https://arxiv.org/pdf/{escape(p.versioned_id)}">PDF</a>',
    ]
    for link in code_links(p.abstract):
        links.append(f'<a href="{escape(link.url)}">{escape(link.name)}</a>')
    parts.append(f"<p>{' · '.join(links)}</p>")
    if p.license:
        parts.append(f"<p><small>License: {_license_html(p.license)}</small></p>")
    if item.feedback is not None:
        more, less = escape(item.feedback.more), escape(item.feedback.less)
        parts.append(
            f'<p><a href="{more}">More like this</a> · <a href="{less}">Less like this</a></p>'
        )
    if item.summary is not None:
        parts.append(f"<hr/><p><strong>AI summary ({escape(item.summary.model)}):</strong></p>")
        parts.append(markdown_to_html(item.summary.markdown))
    return "\n".join(parts)


def doi_url(doi: str) -> str:
    """The DOI's resolver link."""
    return "https://doi.org/" + quote(doi, safe="/:;()._-")


def _license_html(license_: str) -> str:
    if license_.startswith(("http://", "https://")):
        return f'<a href="{escape(license_)}">{escape(license_)}</a>'
    return escape(license_)


def _generator(feed: RankedFeed, meta: FeedMeta, atom: bool) -> Any:
    from feedgen.feed import FeedGenerator  # lazy: keeps start-up fast

    from app.render.arxiv_ext import ArxivEntryExtension, ArxivFeedExtension

    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)  # Atom has <author> for each author
    fg.register_extension("arxiv", ArxivFeedExtension, ArxivEntryExtension)
    fg.id(meta.self_url)
    fg.title(feed_title(feed, meta.title))
    fg.subtitle(feed_description(feed))
    fg.link(href=meta.self_url, rel="self")
    fg.link(href=meta.site_url, rel="alternate")  # feedgen's RSS <link> is the last one added
    fg.language("en")
    fg.generator(meta.generator)
    updated = feed.updated()
    fg.updated(updated)
    fg.lastBuildDate(updated)
    fg.ttl(60)
    for item in feed.items:
        _add_entry(fg, item, atom)
    return fg


def _add_entry(fg: Any, item: ScoredPaper, atom: bool) -> None:
    p = item.paper
    fe = fg.add_entry(order="append")
    fe.id(p.guid)
    fe.guid(p.guid, permalink=True)
    fe.title(p.title)
    fe.link(href=p.link)
    related = [(doi_url(p.doi), f"DOI {p.doi}")] if p.doi else []
    related += [(link.url, link.name) for link in code_links(p.abstract)]
    fe.arxiv.set(
        announce_type=p.announce_type.value, doi=p.doi, journal_ref=p.journal_ref, related=related
    )
    if p.license:
        if atom:
            fe.rights(p.license)
        else:
            fe.dc.dc_rights(p.license)
    body = item_html(item)
    if atom:
        fe.content(body, type="html")
        fe.summary(p.abstract)
    else:
        fe.description(body)
    if p.authors:
        if atom:
            fe.author([{"name": a} for a in p.authors])
        else:
            fe.dc.dc_creator(", ".join(p.authors))  # one element: readers keep only one
    for cat in p.categories:
        if atom and (known := taxonomy.lookup(cat)) is not None:
            fe.category(term=cat, label=known.name, scheme=CATEGORY_SCHEME)
        else:
            fe.category(term=cat)
    fe.published(p.published)
    fe.updated(p.published)
    fe.pubDate(p.published)


def render_rss(feed: RankedFeed, meta: FeedMeta) -> bytes:
    """RSS 2.0."""
    return bytes(_generator(feed, meta, atom=False).rss_str(pretty=False))


def render_atom(feed: RankedFeed, meta: FeedMeta) -> bytes:
    """Atom 1.0."""
    return bytes(_generator(feed, meta, atom=True).atom_str(pretty=False))
