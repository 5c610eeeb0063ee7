"""Fetch arXiv listings politely: one request at a time, at most one every 3 seconds.

All categories of a feed go in ONE request (``<base>/cs.AI+cs.LG``). Requests carry a
descriptive User-Agent and, when we have them, ``If-None-Match`` / ``If-Modified-Since``.
Timeouts, connection errors, 5xx and 429 are retried with exponential backoff, honouring
``Retry-After``; what still fails becomes ``UpstreamUnavailable``. Redirects are followed only
within arXiv (``RedirectGuard``).

The ``httpx.AsyncClient`` is passed in, so tests give it an ``httpx.MockTransport`` and the
offline mode gives it ``SampleTransport`` (``app.arxiv.samples``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from types import TracebackType

import httpx

from app.arxiv import taxonomy
from app.errors import InvalidQuery, UpstreamError, UpstreamUnavailable
from app.store.base import Store

log = logging.getLogger(__name__)

MAX_RETRY_WAIT = 30.0  # a longer Retry-After is not waited for inside a request
MAX_RETRY_AFTER = 86400.0  # any Retry-After is read as at most a day
SAMPLE_HEADER = "x-arxiv-feeds-sample"
SHARED_KEY = "lock:arxiv-request"
ARXIV_DOMAIN = "arxiv.org"


class RateLimiter:
    """One request at a time, and ``interval`` seconds between the end of one and the next.

    With a ``shared`` store the rule holds across every instance using that store (Redis, or
    one SQLite file): a key in the store is held during a request (at most ``hold`` seconds,
    should an instance die holding it) and for ``interval`` seconds after it.
    """

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        *,
        shared: Store | None = None,
        hold: float = 60.0,
        max_wait: float = 120.0,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._last: float | None = None
        self.shared = shared
        self.hold = hold
        self.max_wait = max_wait

    async def __aenter__(self) -> None:
        await self._lock.acquire()
        try:
            if self._last is not None:
                wait = self._last + self.interval - self._clock()
                if wait > 0:
                    await self._sleep(wait)
            if self.shared is not None:
                await self._take_shared(self.shared)
        except BaseException:  # cancelled or failed while waiting: ``__aexit__`` will not run
            self._lock.release()
            raise

    async def _take_shared(self, store: Store) -> None:
        start = self._clock()
        while not await store.set_nx(SHARED_KEY, b"busy", ttl=self.hold):
            if self._clock() - start > self.max_wait:
                raise UpstreamUnavailable(
                    "another instance has held the arXiv request slot too long",
                    retry_after=self.interval,
                )
            await self._sleep(max(0.05, min(0.5, self.interval / 4)))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._last = self._clock()
        try:
            if self.shared is not None:
                if self.interval > 0:
                    await self.shared.set(SHARED_KEY, b"cooling", ttl=self.interval)
                else:
                    await self.shared.delete(SHARED_KEY)
        finally:
            self._lock.release()


class RedirectGuard:
    """A response hook for the arXiv client: a redirect is followed only to arXiv, that is
    ``arxiv.org`` or one of its subdomains on the default port, or the host and port of a
    configured arXiv URL (``urls``: a mirror, or a loopback stand-in); any other is an
    ``UpstreamError``, never a listing (nor a request to an internal address)."""

    def __init__(self, *urls: str) -> None:
        self.origins = {_origin(httpx.URL(url)) for url in urls}

    def allows(self, url: httpx.URL) -> bool:
        """Whether a redirect to ``url`` may be followed."""
        host = url.host.lower()
        if (host == ARXIV_DOMAIN or host.endswith("." + ARXIV_DOMAIN)) and url.port is None:
            return True
        return _origin(url) in self.origins

    async def __call__(self, response: httpx.Response) -> None:
        """Raise on a redirect elsewhere (run by httpx before it follows one)."""
        if not response.has_redirect_location:
            return
        source = response.request.url
        target = source.join(response.headers["Location"])
        if not self.allows(target):
            raise UpstreamError(
                f"{source.netloc.decode()} redirected to {target.netloc.decode()}, which is "
                "not arXiv: not followed"
            )


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host.lower(), url.port


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What arXiv answered. ``content`` is None for 304 Not Modified."""

    content: bytes | None
    etag: str | None
    last_modified: str | None
    sample: bool = False


class ArxivFetcher:
    """Gets listings from arXiv's RSS service (or anything that speaks like it)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        limiter: RateLimiter,
        *,
        retries: int = 2,
        backoff: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.limiter = limiter
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep

    def url_for(self, categories: Sequence[str]) -> str:
        """The listing URL; every category must already be a known arXiv id."""
        for cat in categories:
            if not taxonomy.is_well_formed(cat) or taxonomy.lookup(cat) is None:
                raise InvalidQuery(f"refusing to request unknown category {cat!r}")
        return f"{self.base_url}/{'+'.join(categories)}"

    async def fetch(
        self,
        categories: Sequence[str],
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResult:
        """Fetch one listing for all ``categories`` in a single request."""
        url = self.url_for(categories)
        headers = {"Accept": "application/rss+xml, application/xml;q=0.9, */*;q=0.1"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return _result(await self.get(url, headers))

    async def get(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        *,
        ok: Collection[int] = (200, 304),
    ) -> httpx.Response:
        """GET ``url`` through the rate limiter, retrying as the module docstring says.

        A status in ``ok`` is returned; any other 4xx raises ``UpstreamError``.
        """
        problem = "no attempt made"
        retry_after: float | None = None
        for attempt in range(self.retries + 1):
            try:
                async with self.limiter:
                    response = await self.client.get(url, headers=headers)
            except httpx.TooManyRedirects:
                raise UpstreamError(f"arXiv redirected {url} too many times") from None
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                wait = self.backoff * 2**attempt
            else:
                if response.status_code in ok:
                    return response
                if response.status_code != 429 and response.status_code < 500:
                    raise UpstreamError(f"arXiv answered {response.status_code} for {url}")
                problem = f"HTTP {response.status_code}"
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                wait = max(retry_after or 0.0, self.backoff * 2**attempt)
                if wait > MAX_RETRY_WAIT:
                    raise UpstreamUnavailable(
                        f"arXiv is rate-limiting or unavailable ({problem})", retry_after=wait
                    )
            log.warning("arXiv fetch %s failed (%s), attempt %d", url, problem, attempt + 1)
            if attempt < self.retries:
                await self._sleep(wait)
        raise UpstreamUnavailable(
            f"arXiv could not be reached after {self.retries + 1} attempts ({problem})",
            hint="the feed is served from stored listings when there are any",
            retry_after=retry_after,
        )


def _result(response: httpx.Response) -> FetchResult:
    return FetchResult(
        content=response.content if response.status_code == 200 else None,
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
        sample=SAMPLE_HEADER in response.headers,
    )


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)  # 400 digits would be infinity
    try:
        moment = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return min(MAX_RETRY_AFTER, max(0.0, moment - (time.time() if now is None else now)))
