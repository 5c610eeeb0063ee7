"""Papers by id from arXiv's API (``export.arxiv.org/api/query``), on an ``httpx.MockTransport``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from app.arxiv.fetch import ArxivFetcher, RateLimiter
from app.arxiv.lookup import PaperLookup, normalize_id, parse_api_feed, split_version
from app.errors import UpstreamError, UpstreamParseError, UpstreamUnavailable
from app.models import AnnounceType, Paper
from app.store import MemoryStore, SQLiteStore, Store

pytestmark = pytest.mark.anyio

API = Path(__file__).parent / "data" / "arxiv-api"
ANSWER = (API / "id_list.xml").read_bytes()
ERROR = (API / "error.xml").read_bytes()
USER_AGENT = "arxiv-feeds-test/1.0 (mailto:test@example.org)"
ENTRY = """<entry><id>http://arxiv.org/abs/{id}v1</id><updated>2007-04-01T00:00:00Z</updated>
<published>2007-04-01T00:00:00Z</published><title>Paper {id}</title>
<summary>Abstract of {id}.</summary><author><name>A. Author</name></author>
<arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="hep-th"/>
<category term="hep-th" scheme="http://arxiv.org/schemas/atom"/></entry>"""


def feed(*entries: str) -> bytes:
    body = "".join(entries)
    return f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">{body}</feed>'.encode()


class FakeApi:
    """Answers like export.arxiv.org/api/query; records the ids of every request."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []
        self.clock = clock
        self.next: list[httpx.Response] = []
        self.refused = "0701.12345"  # arXiv's recorded error names this one

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.clock is not None:
            self.times.append(self.clock())
        if self.next:
            return self.next.pop(0)
        ids = self.ids(request)
        if self.refused in ids:
            return httpx.Response(400, content=ERROR.replace(b"0701.12345", self.refused.encode()))
        if "0704.0001" in ids:
            return httpx.Response(200, content=ANSWER)
        return httpx.Response(200, content=feed(*(ENTRY.format(id=i) for i in ids)))

    @staticmethod
    def ids(request: httpx.Request) -> list[str]:
        query = parse_qs(request.url.query.decode())
        return query["id_list"][0].split(",")


class Clock:
    """Monotonic time that passes only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
async def api() -> AsyncIterator[tuple[FakeApi, ArxivFetcher]]:
    fake = FakeApi()
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(fake), headers={"User-Agent": USER_AGENT}
    ) as client:
        yield fake, ArxivFetcher(client, "http://127.0.0.1:9/rss", RateLimiter(0), backoff=0)


def test_parse_api_feed_reads_every_field() -> None:
    answer = parse_api_feed(ANSWER)
    assert answer.error is None
    by_id = {p.versioned_id: p for p in answer.papers}
    assert set(by_id) == {"0704.0001v2", "0704.0002v1"}
    diphoton = by_id["0704.0001v2"]
    assert diphoton.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert diphoton.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert diphoton.abstract.startswith("A fully differential calculation in perturbative")
    assert diphoton.abstract.endswith("judicious selection of events.")
    assert "\n" not in diphoton.abstract
    assert diphoton.categories == ["hep-ph"]
    assert diphoton.primary_category == "hep-ph"
    assert diphoton.doi == "10.1103/PhysRevD.76.013009"
    assert diphoton.journal_ref == "Phys.Rev.D76:013009,2007"
    assert diphoton.announce_type is AnnounceType.REPLACE  # version 2
    assert diphoton.published == datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)  # this version
    graphs = by_id["0704.0002v1"]
    assert graphs.categories == ["math.CO", "cs.CG"]  # the ACM class G.2.2 is not a category
    assert graphs.authors == ["Ileana Streinu", "Louis Theran"]
    assert graphs.announce_type is AnnounceType.NEW
    assert graphs.doi is None
    assert graphs.link == "https://arxiv.org/abs/0704.0002"


def test_parse_api_feed_reports_errors_and_skips_hollow_entries() -> None:
    error = parse_api_feed(ERROR)
    assert error.papers == []
    assert error.error == "incorrect id format for 0701.12345"
    assert error.refused_id == "0701.12345"
    hollow = "<entry><title></title><summary></summary></entry>"  # a nonexistent id, as it was
    no_title = "<entry><id>http://arxiv.org/abs/0704.0005v1</id><title> </title></entry>"
    answer = parse_api_feed(feed(hollow, no_title, ENTRY.format(id="0704.0003")))
    assert [p.versioned_id for p in answer.papers] == ["0704.0003v1"]
    for broken in (b"", b"<html><body>Maintenance</body></html>", ANSWER[:900]):
        with pytest.raises(UpstreamParseError):
            parse_api_feed(broken)
    with pytest.raises(UpstreamParseError, match="instead of an Atom feed"):
        parse_api_feed(b"<rss><channel/></rss>")


@pytest.mark.parametrize(
    ("text", "ident"),
    [
        ("0704.0001", "0704.0001"),
        (" 2401.12345v2 ", "2401.12345v2"),
        ("arXiv:2401.12345", "2401.12345"),
        ("https://arxiv.org/abs/2401.12345v3", "2401.12345v3"),
        ("http://export.arxiv.org/pdf/2401.12345v1.pdf", "2401.12345v1"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("math.GT/0309136v2", "math.GT/0309136v2"),
        ("2413.12345", None),  # month 13
        ("2401.123", None),
        ("2401.12345v0", None),
        ("10.1103/PhysRevD.76.013009", None),
        ("", None),
    ],
)
def test_normalize_id(text: str, ident: str | None) -> None:
    assert normalize_id(text) == ident


def test_split_version() -> None:
    assert split_version("2401.12345v2") == ("2401.12345", 2)
    assert split_version("hep-th/9901001") == ("hep-th/9901001", None)
    with pytest.raises(ValueError, match="not an arXiv id"):
        split_version("nope")


async def test_one_request_for_many_ids_then_none(api: tuple[FakeApi, ArxivFetcher]) -> None:
    fake, fetcher = api
    lookup = PaperLookup(fetcher, MemoryStore())
    asked = ["0704.0001", "arXiv:0704.0002v1", "https://arxiv.org/abs/0704.9999", "not-an-id"]
    result = await lookup.lookup(asked)
    assert list(result.papers) == ["0704.0001", "0704.0002v1"]
    assert result.papers["0704.0001"].versioned_id == "0704.0001v2"  # the latest version
    assert sorted(result.unknown) == ["0704.9999", "not-an-id"]
    assert result.requests == 1
    (request,) = fake.requests
    assert request.url.host == "export.arxiv.org"
    assert request.url.path == "/api/query"
    assert FakeApi.ids(request) == ["0704.0001", "0704.0002v1", "0704.9999"]
    assert parse_qs(request.url.query.decode())["max_results"] == ["3"]
    assert request.headers["user-agent"] == USER_AGENT
    again = await lookup.lookup([*asked, "0704.0001v2"])  # stored, and the unknown remembered
    assert again.requests == 0
    assert len(fake.requests) == 1
    assert again.papers["0704.0001v2"] == result.papers["0704.0001"]
    assert sorted(again.unknown) == ["0704.9999", "not-an-id"]


async def test_papers_outlive_a_store_restart(
    api: tuple[FakeApi, ArxivFetcher], tmp_path: Path
) -> None:
    fake, fetcher = api
    store: Store = SQLiteStore(tmp_path / "kv.sqlite3")
    first = await PaperLookup(fetcher, store).lookup(["0704.0001", "0704.0002v1"])
    await store.close()
    store = SQLiteStore(tmp_path / "kv.sqlite3")
    try:
        again = await PaperLookup(fetcher, store).lookup(["0704.0002v1", "0704.0001"])
    finally:
        await store.close()
    assert again.requests == 0
    assert len(fake.requests) == 1
    assert again.papers == first.papers


async def test_known_papers_are_not_asked_for(api: tuple[FakeApi, ArxivFetcher]) -> None:
    fake, fetcher = api
    parsed = parse_api_feed(ANSWER).papers
    v1 = next(p for p in parsed if p.arxiv_id == "0704.0001").model_copy(update={"version": 1})
    result = await PaperLookup(fetcher, MemoryStore()).lookup(
        ["0704.0001", "0704.0002v1", "0704.0001v1"], known=[*parsed, v1]
    )
    assert result.requests == 0
    assert fake.requests == []
    assert result.papers["0704.0001"].version == 2  # a bare id means the newest known
    assert result.papers["0704.0001v1"].version == 1


async def test_an_id_arxiv_refuses_is_reported_and_the_rest_asked_again(
    api: tuple[FakeApi, ArxivFetcher],
) -> None:
    fake, fetcher = api
    # 0701.12345 (5 digits before 2015) is no arXiv id: refused here, never sent
    result = await PaperLookup(fetcher, MemoryStore()).lookup(["0701.12345"])
    assert (fake.requests, result.unknown) == ([], ["0701.12345"])
    fake.refused = "0705.1234"  # well-formed, yet refused by arXiv: the rest is asked again
    result = await PaperLookup(fetcher, MemoryStore()).lookup(["0705.1234", "0704.0001"])
    assert [FakeApi.ids(r) for r in fake.requests] == [["0705.1234", "0704.0001"], ["0704.0001"]]
    assert list(result.papers) == ["0704.0001"]
    assert result.unknown == ["0705.1234"]


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(503), UpstreamUnavailable),
        (httpx.Response(200, content=b"<html>down for maintenance</html>"), UpstreamParseError),
        (httpx.Response(200, content=ANSWER[:700]), UpstreamParseError),
        (httpx.Response(404), UpstreamError),
        (httpx.Response(400, content=feed()), UpstreamError),
        (httpx.Response(200, content=ERROR.replace(b"incorrect id", b"unknown")), UpstreamError),
    ],
)
async def test_a_broken_upstream_raises_and_stores_nothing(
    api: tuple[FakeApi, ArxivFetcher], response: httpx.Response, error: type[Exception]
) -> None:
    fake, fetcher = api
    fake.next = [response] * 3  # the fetcher tries three times
    lookup = PaperLookup(fetcher, MemoryStore())
    with pytest.raises(error):
        await lookup.lookup(["0704.0001", "0704.9999"])
    fake.next.clear()  # arXiv is back
    result = await lookup.lookup(["0704.0001", "0704.9999"])  # nothing negative was kept
    assert result.requests == 1
    assert list(result.papers) == ["0704.0001"]


async def test_a_failed_attempt_is_retried(api: tuple[FakeApi, ArxivFetcher]) -> None:
    fake, fetcher = api
    fake.next = [httpx.Response(502)]
    result = await PaperLookup(fetcher, MemoryStore()).lookup(["0704.0001"])
    assert len(fake.requests) == 2
    assert list(result.papers) == ["0704.0001"]


async def test_many_ids_are_chunked_and_spaced_three_seconds_apart() -> None:
    clock = Clock()
    fake = FakeApi(clock)
    limiter = RateLimiter(3.0, clock=clock, sleep=clock.sleep, shared=MemoryStore(clock=clock))
    ids = [f"0705.{n:04d}" for n in range(1, 121)]
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake)) as client:
        fetcher = ArxivFetcher(client, "http://127.0.0.1:9/rss", limiter, sleep=clock.sleep)
        one = PaperLookup(fetcher, MemoryStore(), per_request=50)
        other = PaperLookup(fetcher, MemoryStore(), per_request=50)  # shares the limiter
        first, second = await asyncio.gather(one.lookup(ids), other.lookup(["0706.0001"]))
    assert sorted(len(FakeApi.ids(r)) for r in fake.requests) == [1, 20, 50, 50]
    gaps = [b - a for a, b in zip(fake.times, fake.times[1:], strict=False)]
    assert len(gaps) == 3
    assert all(gap >= 3.0 for gap in gaps)
    assert first.requests == 3
    assert second.requests == 1
    assert list(first.papers) == ids
    assert first.papers["0705.0120"].title == "Paper 0705.0120"
    assert first.unknown == second.unknown == []


async def test_a_stored_unreadable_paper_is_asked_again(api: tuple[FakeApi, ArxivFetcher]) -> None:
    _, fetcher = api
    store = MemoryStore()
    await store.set("paper-text:0704.0002v1", b"{not json")
    result = await PaperLookup(fetcher, store).lookup(["0704.0002v1"])
    assert result.requests == 1
    assert isinstance(result.papers["0704.0002v1"], Paper)
