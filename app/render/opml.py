"""OPML 2.0 subscription lists (pure: outlines in, UTF-8 bytes out).

``feed_outlines`` lists the configured feed (``/rss``, its ``htmlUrl`` the reading page ``/``)
and one feed per configured category (``/rss/cs.AI``, its ``htmlUrl`` arXiv's listing), titled
with arXiv's name for the category; ``render_opml`` writes them with
``xml.etree``, so names and URLs are always escaped. Characters XML cannot hold at all (control
characters) are dropped, so the document is always well-formed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote
from xml.etree import ElementTree as ET

from app.arxiv import taxonomy

# What XML 1.0 cannot hold: the complement of its Char production, spelled out (the negated
# class ``[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]`` takes ~25 ms to compile).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class Outline:
    """One feed to subscribe to."""

    text: str
    xml_url: str
    html_url: str | None = None
    description: str | None = None


def feed_outlines(categories: Sequence[str], base_url: str, title: str) -> list[Outline]:
    """The configured feed, then one per category (only ``/rss`` when there is one category).

    ``base_url`` is the service's absolute address (``https://feeds.example.org``).
    """
    base = base_url.rstrip("/")
    if len(categories) == 1:
        return [_category(categories[0], f"{base}/rss", title)]
    combined = Outline(
        text=f"{title}: {'+'.join(categories)}",
        xml_url=f"{base}/rss",
        html_url=f"{base}/",
        description=f"arXiv papers in {', '.join(categories)}, filtered by keywords and ranked "
        "by score",
    )
    return [combined] + [
        _category(cat, f"{base}/rss/{quote(cat, safe='.-')}", title) for cat in categories
    ]


def profile_outline(name: str, title: str, base_url: str, categories: Sequence[str]) -> Outline:
    """One profile's feed."""
    base = base_url.rstrip("/")
    return Outline(
        text=title,
        xml_url=f"{base}/p/{name}/rss",
        html_url=f"{base}/p/{name}/",
        description=f"Profile {name}: arXiv papers in {', '.join(categories)}, ranked for it",
    )


def _category(cat: str, xml_url: str, title: str) -> Outline:
    known = taxonomy.lookup(cat)
    name = f"{known.name} ({cat})" if known else cat
    return Outline(
        text=f"{title}: {name}",
        xml_url=xml_url,
        html_url=f"https://arxiv.org/list/{quote(cat, safe='.-')}/new",
        description=f"arXiv papers in {name}, filtered by keywords and ranked by score",
    )


def render_opml(title: str, outlines: Sequence[Outline]) -> bytes:
    """An OPML 2.0 document with one ``<outline type="rss">`` per feed."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = _xml(title)
    body = ET.SubElement(root, "body")
    for outline in outlines:
        attrs = {
            "type": "rss",
            "version": "RSS2",
            "text": _xml(outline.text),
            "title": _xml(outline.text),
            "xmlUrl": _xml(outline.xml_url),
        }
        if outline.html_url:
            attrs["htmlUrl"] = _xml(outline.html_url)
        if outline.description:
            attrs["description"] = _xml(outline.description)
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)
