"""Papers' text by arXiv id, from arXiv's API: what ``?like=`` and libraries need.

``PaperLookup.lookup(ids)`` answers ``Paper`` models (title, abstract, authors, categories) for
ids such as ``2401.12345``, ``2401.12345v2``, ``hep-th/9901001``, ``arXiv:...`` or an abs/pdf
URL. Papers passed in ``known`` (e.g. from the stored days) and papers already in the store are
not asked for; the rest go to ``export.arxiv.org/api/query?id_list=a,b,c&max_results=N``, up to
``per_request`` ids a request, through the ``ArxivFetcher`` of the listings: the same client
(descriptive User-Agent), the same ``RateLimiter`` (one request at a time, one every 3 s, across
instances), the same retries. An id another lookup is asking for at that moment is waited for,
not asked twice.

Ids an owner's feed names (``owner=True``) are asked for first: a stranger's request reaches the
rate limiter only when no owner's request is waiting, one at a time. Strangers' ids draw on a
daily ``budget`` (counted atomically in the store, per New York day); past it they are reported
in ``LookupResult.refused`` and not asked for. A paper is stored under its versioned id
(``paper-text:<id>v<n>``), a bare id under ``paper-latest:<id>`` -> the version found, for
``owner_ttl`` (90 days) or, looked up for a stranger, ``stranger_ttl`` (7 days); each use that
finds less than half of that left keeps it that long again (never shorter).

The API answers an Atom feed (read by ``app.arxiv.api``), one ``<entry>`` per paper found (in
any order; a well-formed id it does not have gets no entry, or, in older answers, a hollow
entry without id or title). A malformed id turns the whole answer into a single error entry
(``<id>`` under ``arxiv.org/api/errors``, title ``Error``, HTTP 400 or 200): ids are checked
before they are sent, and an id arXiv still refuses is reported and the others asked again.
Unknown ids are reported in ``LookupResult.unknown`` (and not asked again for ``missing_ttl``
seconds); a broken upstream raises ``UpstreamError`` / ``UpstreamUnavailable`` /
``UpstreamParseError``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ValidationError

from app.arxiv.api import ApiAnswer, normalize_id, parse_api_feed, split_version
from app.arxiv.fetch import ArxivFetcher
from app.arxiv.schedule import announcement_day
from app.errors import UpstreamError, UpstreamUnavailable
from app.models import Paper
from app.store.base import Store

__all__ = ["LookupResult", "PaperLookup", "normalize_id", "parse_api_feed", "split_version"]
log = logging.getLogger(__name__)

API_URL = "https://export.arxiv.org/api/query"
PER_REQUEST = 100
MISSING_TTL = 86400.0
ADHOC_BUDGET = 300  # strangers' ids a day
OWNER_TTL = 90 * 86400.0
STRANGER_TTL = 7 * 86400.0
COUNTER_TTL = 2 * 86400.0

Outcome = Paper | Literal["unknown", "failed"]
"""What a lookup under way found for one id: the paper, arXiv has none, or arXiv failed."""


class Kept(BaseModel):
    """A paper as stored, and until when (wall-clock seconds) it is kept."""

    until: float
    paper: Paper


@dataclass
class LookupResult:
    """Papers by the id as asked (normalized), the ids that are not arXiv papers, and the ids
    not asked for because today's budget for strangers' lookups is spent."""

    papers: dict[str, Paper] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
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
        budget: int = ADHOC_BUDGET,
        owner_ttl: float = OWNER_TTL,
        stranger_ttl: float = STRANGER_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.fetcher = fetcher
        self.store = store
        self.api_url = api_url
        self.per_request = per_request
        self.missing_ttl = missing_ttl
        self.budget = budget
        self.owner_ttl = owner_ttl
        self.stranger_ttl = stranger_ttl
        self.clock = clock
        self._inflight: dict[str, tuple[bool, asyncio.Future[Outcome]]] = {}
        self._strangers = asyncio.Lock()  # one stranger's request at a time reaches the limiter
        self._owners = 0  # owners' requests waiting or under way
        self._no_owner = asyncio.Event()
        self._no_owner.set()

    async def lookup(
        self, ids: Sequence[str], known: Iterable[Paper] = (), *, owner: bool = False
    ) -> LookupResult:
        """The papers for ``ids``; see the module docstring. ``owner``: ids an owner's feed
        names (not counted against the budget, asked first, kept longer)."""
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
        ttl = self.owner_ttl if owner else self.stranger_ttl
        if todo:
            await self._from_store(todo, result, ttl)
            todo = [i for i in todo if i not in result.papers and i not in result.unknown]
        # an id another lookup is asking arXiv for right now is waited for, not asked twice
        # (an owner's lookup waits only for an owner's: a stranger's may wait its turn)
        shared = {
            i: flight[1]
            for i in todo
            if (flight := self._inflight.get(i)) is not None and (flight[0] or not owner)
        }
        todo = [i for i in todo if i not in shared]
        if todo and not owner:
            todo, result.refused = await self._charge(todo)
        await self._ask(todo, result, ttl, owner)
        for ident, future in shared.items():
            outcome = await asyncio.shield(future)
            if isinstance(outcome, Paper):
                result.papers[ident] = outcome
            elif outcome == "unknown":
                result.unknown.append(ident)
            else:
                raise UpstreamUnavailable(f"arXiv's API did not answer for {ident}")
        result.papers = {i: result.papers[i] for i in wanted if i in result.papers}
        return result

    async def budget_used(self) -> int:
        """Ids looked up today (the New York day) for feeds the owner did not define."""
        raw = await self.store.get(self._counter())
        return int(raw) if raw else 0

    def _counter(self) -> str:
        day = announcement_day(datetime.fromtimestamp(self.clock(), UTC))
        return f"counter:adhoc-ids:{day.isoformat()}"

    async def _charge(self, idents: list[str]) -> tuple[list[str], list[str]]:
        """Count ``idents`` against today's budget, atomically: (allowed, refused)."""
        key = self._counter()
        used = await self.store.incr(key, len(idents), ttl=COUNTER_TTL)
        over = min(len(idents), max(0, used - self.budget))
        if over:  # give back what is over, so a later, smaller lookup may still fit
            await self.store.incr(key, -over, ttl=COUNTER_TTL)
        allowed = len(idents) - over
        return idents[:allowed], idents[allowed:]

    async def _ask(self, todo: list[str], result: LookupResult, ttl: float, owner: bool) -> None:
        """Ask arXiv for ``todo``, ``per_request`` ids at a time; lookups wanting the same ids
        meanwhile wait for these answers."""
        if not todo:
            return
        loop = asyncio.get_running_loop()
        futures: dict[str, asyncio.Future[Outcome]] = {i: loop.create_future() for i in todo}
        self._inflight.update((i, (owner, f)) for i, f in futures.items())
        try:
            for start in range(0, len(todo), self.per_request):
                async with self._turn(owner):
                    await self._from_api(todo[start : start + self.per_request], result, ttl)
        finally:
            for ident, future in futures.items():
                if self._inflight.get(ident, (owner, None))[1] is future:
                    del self._inflight[ident]
                paper = result.papers.get(ident)
                future.set_result(
                    paper if paper else "unknown" if ident in result.unknown else "failed"
                )

    @asynccontextmanager
    async def _turn(self, owner: bool) -> AsyncIterator[None]:
        """An owner's request goes at once; a stranger's waits until no owner's is waiting,
        one stranger's request at a time, so an owner's never queues behind many of them."""
        if owner:
            self._owners += 1
            self._no_owner.clear()
            try:
                yield
            finally:
                self._owners -= 1
                if not self._owners:
                    self._no_owner.set()
            return
        async with self._strangers:
            await self._no_owner.wait()
            yield

    async def _from_store(self, idents: list[str], result: LookupResult, ttl: float) -> None:
        bare = [i for i in idents if split_version(i)[1] is None]
        latest = await self.store.get_many([f"paper-latest:{i}" for i in bare])
        versioned = {i: i for i in idents}
        for ident in bare:
            if (pointer := latest.get(f"paper-latest:{ident}")) is not None:
                versioned[ident] = pointer.decode()
        found = await self.store.get_many([f"paper-text:{v}" for v in versioned.values()])
        missing = await self.store.get_many([f"paper-missing:{i}" for i in idents])
        now = self.clock()
        for ident, vid in versioned.items():
            raw = found.get(f"paper-text:{vid}")
            kept = _read_kept(raw, vid) if raw is not None else None
            if kept is not None:
                result.papers[ident] = kept.paper
                if kept.until < now + ttl / 2:  # used: kept longer (never shortened)
                    await self._keep(kept.paper, ident, max(kept.until, now + ttl))
            elif f"paper-missing:{ident}" in missing:
                result.unknown.append(ident)

    async def _keep(self, paper: Paper, asked: str, until: float) -> None:
        """Store ``paper`` (asked for as ``asked``) until ``until``, and, for a bare id, the
        version it stands for."""
        ttl = max(1.0, until - self.clock())
        body = Kept(until=until, paper=paper).model_dump_json().encode()
        await self.store.set(f"paper-text:{paper.versioned_id}", body, ttl=ttl)
        latest = f"paper-latest:{paper.arxiv_id}"
        if asked == paper.arxiv_id:
            await self.store.set(latest, paper.versioned_id.encode(), ttl=ttl)
        else:
            await self.store.set_nx(latest, paper.versioned_id.encode(), ttl=ttl)

    async def _from_api(self, chunk: list[str], result: LookupResult, ttl: float) -> None:
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
        until = self.clock() + ttl
        for paper in answer.papers:
            if paper.versioned_id in chunk:
                asked = paper.versioned_id
            elif paper.arxiv_id in chunk:
                asked = paper.arxiv_id
            else:
                continue  # not what we asked for
            result.papers[asked] = paper
            await self._keep(paper, asked, until)
        for ident in chunk:
            if ident not in result.papers:
                result.unknown.append(ident)
                await self.store.set(f"paper-missing:{ident}", b"1", ttl=self.missing_ttl)


def _read_kept(raw: bytes, vid: str) -> Kept | None:
    """A stored paper; one stored before papers carried their expiry counts as due now."""
    try:
        return Kept.model_validate_json(raw)
    except ValidationError:
        pass
    try:
        return Kept(until=0.0, paper=Paper.model_validate_json(raw))
    except ValidationError:
        log.warning("ignoring unreadable stored paper %s", vid)
        return None
