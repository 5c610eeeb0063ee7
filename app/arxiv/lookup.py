"""Papers' text by arXiv id, from arXiv's API, kept for good: what ``?like=`` and libraries need.

``PaperLookup.lookup(ids)`` answers ``Paper`` models (title, abstract, authors, categories) for
ids such as ``2401.12345``, ``2401.12345v2``, ``hep-th/9901001``, ``arXiv:...`` or an abs/pdf
URL. Papers passed in ``known`` (e.g. from the stored days) and papers already in the store are
not asked for; the rest go to ``export.arxiv.org/api/query?id_list=a,b,c&max_results=N``, up to
``per_request`` ids a request, through the ``ArxivFetcher`` of the listings: the same client
(descriptive User-Agent), the same ``RateLimiter`` (one request at a time, one every 3 s, across
instances), the same retries. A paper is stored for good under its versioned id
(``paper-text:<id>v<n>``), a bare id under ``paper-latest:<id>`` -> the version found.

The API answers an Atom feed, one ``<entry>`` per paper found (in any order; a well-formed id it
does not have gets no entry, or, in older answers, a hollow entry without id or title). A
malformed id turns the whole answer into a single error entry (``<id>`` under
``arxiv.org/api/errors``, title ``Error``, HTTP 400 or 200): ids are checked before they are
sent, and an id arXiv still refuses is reported and the others asked again. Unknown ids are
reported in ``LookupResult.unknown`` (and not asked again for ``missing_ttl`` seconds); a broken
upstream raises ``UpstreamError`` / ``UpstreamUnavailable`` / ``UpstreamParseError``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

from lxml import etree
from pydantic import ValidationError

from app.arxiv import taxonomy
from app.arxiv.fetch import ArxivFetcher
from app.arxiv.parse import parse_xml
from app.arxiv.schedule import announcement_day
from app.errors import UpstreamError, UpstreamParseError
from app.models import AnnounceType, Paper
from app.store.base import Store

log = logging.getLogger(__name__)

API_URL = "https://export.arxiv.org/api/query"
PER_REQUEST = 100
MISSING_TTL = 86400.0
_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_VERSION = r"(?:v(?P<v>[1-9]\d{0,3}))?"
_NEW_ID = re.compile(r"(?P<id>\d{2}(?:0[1-9]|1[0-2])\.\d{4,5})" + _VERSION)
_OLD_ID = re.compile(
    r"(?P<id>[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{2}(?:0[1-9]|1[0-2])\d{3})" + _VERSION
)
_PREFIX = re.compile(r"^(?:arxiv:|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)", re.I)
_ENTRY_ID = re.compile(r"arxiv\.org/abs/(?P<id>.+?)v(?P<v>\d+)$")
_BAD_ID = re.compile(r"incorrect[ _]id[ _]format[ _]for[ _](?P<id>\S+)$")


def normalize_id(text: str) -> str | None:
    """The arXiv id in ``text`` (an id, ``arXiv:<id>`` or an abs/pdf URL), version kept when
    given: ``2401.12345v2``, ``hep-th/9901001``. None when ``text`` is no arXiv id."""
    bare = _PREFIX.sub("", text.strip()).removesuffix(".pdf").rstrip("/")
    match = _NEW_ID.fullmatch(bare) or _OLD_ID.fullmatch(bare)
    return match.group(0) if match else None


def split_version(ident: str) -> tuple[str, int | None]:
    """``("2401.12345", 2)`` for ``2401.12345v2``, ``("2401.12345", None)`` without a version."""
    match = _NEW_ID.fullmatch(ident) or _OLD_ID.fullmatch(ident)
    if match is None:
        raise ValueError(f"not an arXiv id: {ident!r}")
    version = match.group("v")
    return match.group("id"), int(version) if version else None


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


@dataclass
class LookupResult:
    """Papers by the id as asked (normalized), and the ids that are not arXiv papers."""

    papers: dict[str, Paper] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    requests: int = 0


class PaperLookup:
    """Looks papers up by id: ``known`` papers, then the store, then arXiv's API."""

    def __init__(
        self,
        fetcher: ArxivFetcher,
        store: Store,
        api_url: str = API_URL,
        *,
        per_request: int = PER_REQUEST,
        missing_ttl: float = MISSING_TTL,
    ) -> None:
        self.fetcher = fetcher
        self.store = store
        self.api_url = api_url
        self.per_request = per_request
        self.missing_ttl = missing_ttl
        self._lock = asyncio.Lock()

    async def lookup(self, ids: Sequence[str], known: Iterable[Paper] = ()) -> LookupResult:
        """The papers for ``ids``; see the module docstring."""
        result = LookupResult()
        wanted: list[str] = []
        for raw in ids:
            ident = normalize_id(raw)
            if ident is None:
                result.unknown.append(raw.strip())
            elif ident not in wanted:
                wanted.append(ident)
        by_id: dict[str, Paper] = {}
        for paper in known:
            by_id[paper.versioned_id] = paper
            if paper.version >= getattr(by_id.get(paper.arxiv_id), "version", 0):
                by_id[paper.arxiv_id] = paper
        result.papers = {i: by_id[i] for i in wanted if i in by_id}
        todo = [i for i in wanted if i not in result.papers]
        if todo:
            async with self._lock:  # a concurrent lookup may be storing the same papers
                await self._from_store(todo, result)
                todo = [i for i in todo if i not in result.papers and i not in result.unknown]
                for start in range(0, len(todo), self.per_request):
                    await self._from_api(todo[start : start + self.per_request], result)
        result.papers = {i: result.papers[i] for i in wanted if i in result.papers}
        return result

    async def _from_store(self, idents: list[str], result: LookupResult) -> None:
        bare = [i for i in idents if split_version(i)[1] is None]
        latest = await self.store.get_many([f"paper-latest:{i}" for i in bare])
        versioned = {i: i for i in idents}
        for ident in bare:
            if (pointer := latest.get(f"paper-latest:{ident}")) is not None:
                versioned[ident] = pointer.decode()
        found = await self.store.get_many([f"paper-text:{v}" for v in versioned.values()])
        missing = await self.store.get_many([f"paper-missing:{i}" for i in idents])
        for ident, vid in versioned.items():
            raw = found.get(f"paper-text:{vid}")
            if raw is not None:
                try:
                    result.papers[ident] = Paper.model_validate_json(raw)
                    continue
                except ValidationError:
                    log.warning("ignoring unreadable stored paper %s", vid)
            if f"paper-missing:{ident}" in missing:
                result.unknown.append(ident)

    async def _from_api(self, chunk: list[str], result: LookupResult) -> None:
        answer = ApiAnswer([])
        while chunk:
            query = urlencode({"id_list": ",".join(chunk), "max_results": len(chunk)}, safe=",/")
            url = f"{self.api_url}?{query}"
            headers = {"Accept": "application/atom+xml, application/xml;q=0.9"}
            response = await self.fetcher.get(url, headers, ok=(200, 400))
            result.requests += 1
            answer = parse_api_feed(response.content)
            if answer.error is None and response.status_code == 200:
                break
            if answer.refused_id in chunk:  # one id arXiv finds malformed: ask for the rest
                log.warning("arXiv refuses the id %s: %s", answer.refused_id, answer.error)
                chunk = [i for i in chunk if i != answer.refused_id]
                result.unknown.append(str(answer.refused_id))
                continue
            raise UpstreamError(
                f"arXiv's API refused the query ({answer.error or response.status_code})"
            )
        for paper in answer.papers:
            if paper.versioned_id in chunk:
                asked = paper.versioned_id
            elif paper.arxiv_id in chunk:
                asked = paper.arxiv_id
            else:
                continue  # not what we asked for
            result.papers[asked] = paper
            await self.store.set(
                f"paper-text:{paper.versioned_id}", paper.model_dump_json().encode()
            )
            latest = f"paper-latest:{paper.arxiv_id}"
            if asked == paper.arxiv_id:
                await self.store.set(latest, paper.versioned_id.encode())
            else:
                await self.store.set_nx(latest, paper.versioned_id.encode())
        for ident in chunk:
            if ident not in result.papers:
                result.unknown.append(ident)
                await self.store.set(f"paper-missing:{ident}", b"1", ttl=self.missing_ttl)
