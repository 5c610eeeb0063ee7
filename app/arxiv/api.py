"""arXiv ids and the answers of arXiv's API (``export.arxiv.org/api/query``), pure.

``normalize_id`` reads an id in any form ``app.arxiv.ids`` does (``2401.12345v2``,
``hep-th/9901001``, ``arXiv:...``, an abs/pdf URL, arXiv's DOI), ``split_version`` splits off its
version, and
``parse_api_feed`` reads the API's Atom feed into ``Paper`` models, or the error it reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree
from pydantic import ValidationError

from app.arxiv import taxonomy
from app.arxiv.ids import parse_arxiv_id
from app.arxiv.parse import parse_xml
from app.arxiv.schedule import announcement_day
from app.errors import UpstreamParseError
from app.models import AnnounceType, Paper

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_ENTRY_ID = re.compile(r"arxiv\.org/abs/(?P<id>.+?)v(?P<v>\d+)$")
_BAD_ID = re.compile(r"incorrect[ _]id[ _]format[ _]for[ _](?P<id>\S+)$")


def normalize_id(text: str) -> str | None:
    """The arXiv id ``text`` is, in any form ``app.arxiv.ids`` reads, version kept when given:
    ``2401.12345v2``, ``hep-th/9901001``. None when ``text`` is no arXiv id."""
    found = parse_arxiv_id(text)
    return found.versioned if found else None


def split_version(ident: str) -> tuple[str, int | None]:
    """``("2401.12345", 2)`` for ``2401.12345v2``, ``("2401.12345", None)`` without a version."""
    found = parse_arxiv_id(ident)
    if found is None:
        raise ValueError(f"not an arXiv id: {ident[:60]!r}")
    return found.id, found.version


@dataclass(frozen=True)
class ApiAnswer:
    """One parsed answer of the API: the papers in it, or the error it reports."""

    papers: list[Paper]
    error: str | None = None
    refused_id: str | None = None


def parse_api_feed(data: bytes) -> ApiAnswer:
    """Parse the API's Atom feed (pure). Hollow entries (no id or title) are skipped."""
    root = parse_xml(data, "an Atom feed from the arXiv API")
    if root.tag != _ATOM + "feed":
        raise UpstreamParseError(f"the arXiv API answered <{root.tag}> instead of an Atom feed")
    papers: list[Paper] = []
    for entry in root.iterchildren(_ATOM + "entry"):
        ident = _text(entry, _ATOM + "id")
        if "/api/errors" in ident:
            message = _text(entry, _ATOM + "summary") or ident
            refused = _BAD_ID.search(ident.replace("#", " ")) or _BAD_ID.search(message)
            return ApiAnswer([], message, refused.group("id") if refused else None)
        paper = _paper(entry, ident)
        if paper is not None:
            papers.append(paper)
    return ApiAnswer(papers)


def _paper(entry: etree._Element, ident: str) -> Paper | None:
    match = _ENTRY_ID.search(ident)
    title = _text(entry, _ATOM + "title")
    if match is None or not title:
        return None
    primary = entry.find(_ARXIV + "primary_category")
    terms = [primary.get("term", "")] if primary is not None else []
    terms += [c.get("term", "") for c in entry.iterchildren(_ATOM + "category")]
    categories = list(dict.fromkeys(t for t in terms if taxonomy.is_well_formed(t)))
    moment = _date(_text(entry, _ATOM + "updated") or _text(entry, _ATOM + "published"))
    authors = [_clean(a.findtext(_ATOM + "name") or "") for a in entry.iter(_ATOM + "author")]
    version = int(match.group("v"))
    try:
        return Paper(
            arxiv_id=match.group("id"),
            version=version,
            title=title,
            authors=[a for a in authors if a],
            abstract=_text(entry, _ATOM + "summary"),
            categories=categories,
            primary_category=categories[0] if categories else "",
            announce_type=AnnounceType.NEW if version == 1 else AnnounceType.REPLACE,
            announced=announcement_day(moment),
            published=moment,
            doi=_text(entry, _ARXIV + "doi") or None,
            journal_ref=_text(entry, _ARXIV + "journal_ref") or None,
        )
    except ValidationError:
        return None


def _text(element: etree._Element, tag: str) -> str:
    return _clean(element.findtext(tag) or "")


def _clean(text: str) -> str:
    return " ".join(text.split())


def _date(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
