"""Bundled sample listings, served through the same fetch path as arXiv itself.

``SampleTransport`` is an httpx transport that answers ``/<cats>`` from ``app/samples/``: the
listings of cs.AI, cs.CL, cs.DC and cs.LG for 2026-01-06, built from real papers of that day
with their abstracts cut to about 300 characters. A combination without a bundled file is built
the way arXiv builds it: the items of each category once, in order. Its answers say what they
are: ``X-Arxiv-Feeds-Sample: 1``, ``Last-Modified`` = the sample's build date, and the status
line httpx logs reads ``"sample 200 OK (bundled sample, not arXiv)"``. ``FallbackTransport``
tries the real network first and uses the samples only when arXiv cannot be reached at all
(``ARXIV_SOURCE=auto``, so the service works on a machine without internet); it logs one
warning saying so and why, the first time.
"""

from __future__ import annotations

import copy
import logging
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import httpx
from lxml import etree

from app.arxiv.fetch import SAMPLE_HEADER

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SAMPLE_DAY = "2026-01-06"
ABOUT = (
    f"the bundled sample listings of {SAMPLE_DAY} (real papers of that day, abstracts cut to "
    "about 300 characters)"
)
STATUS = {"http_version": b"sample", "reason_phrase": b"OK (bundled sample, not arXiv)"}
log = logging.getLogger(__name__)


class SampleTransport(httpx.AsyncBaseTransport):
    """Serves listings from a folder of ``<categories>.xml`` files."""

    def __init__(self, folder: Path = SAMPLES) -> None:
        self.folder = folder

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``GET .../<cat>+<cat>`` with the bundled listing."""
        name = unquote(request.url.path.rstrip("/").rsplit("/", 1)[-1])
        body = self.listing(name.split("+"))
        headers = {"content-type": "application/rss+xml; charset=utf-8", SAMPLE_HEADER: "1"}
        if built := _build_date(body):
            headers["last-modified"] = built
        return httpx.Response(
            200, content=body, headers=headers, request=request, extensions=dict(STATUS)
        )

    def available(self) -> list[str]:
        """The categories that have a bundled listing."""
        return sorted(p.stem for p in self.folder.glob("*.xml") if "+" not in p.stem)

    def listing(self, categories: list[str]) -> bytes:
        """The bundled listing for ``categories`` (an empty channel when none is bundled)."""
        exact = self.folder / f"{'+'.join(categories)}.xml"
        if exact.is_file():
            return exact.read_bytes()
        return self._combine(categories)

    def _combine(self, categories: list[str]) -> bytes:
        template = next(iter(sorted(self.folder.glob("*.xml"))), None)
        if template is None:
            raise FileNotFoundError(f"no sample listings in {self.folder}")
        root = etree.fromstring(template.read_bytes())
        channel = root.find("channel")
        assert channel is not None
        for item in channel.findall("item"):
            channel.remove(item)
        title = channel.find("title")
        if title is not None:
            title.text = f"{'+'.join(categories)} updates on arXiv.org"
        seen: set[str] = set()
        for cat in categories:
            path = self.folder / f"{cat}.xml"
            if not path.is_file():
                continue
            source = etree.fromstring(path.read_bytes()).find("channel")
            for item in source.findall("item") if source is not None else []:
                guid = item.findtext("guid") or ""
                if guid not in seen:
                    seen.add(guid)
                    channel.append(copy.deepcopy(item))
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


class FallbackTransport(httpx.AsyncBaseTransport):
    """The real network, and the samples when the host cannot be reached at all."""

    def __init__(self, primary: httpx.AsyncBaseTransport, fallback: SampleTransport) -> None:
        self.primary = primary
        self.fallback = fallback
        self.warned = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Try the network; on a connection failure answer from the samples."""
        try:
            return await self.primary.handle_async_request(request)
        except httpx.ConnectError as exc:
            if not self.warned:
                self.warned = True
                log.warning(
                    "arXiv cannot be reached (%s: %s), so this service serves %s; it asks "
                    "arXiv again every 10 minutes (ARXIV_SOURCE=live turns samples off)",
                    type(exc).__name__,
                    exc or "no answer",
                    ABOUT,
                )
            return await self.fallback.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the real transport."""
        await self.primary.aclose()


@cache
def bundled() -> frozenset[str]:
    """The categories the bundled sample holds."""
    return frozenset(SampleTransport().available())


def _build_date(listing: bytes) -> str | None:
    """The listing's ``lastBuildDate`` as an HTTP date, if it has a readable one."""
    start = listing.find(b"<lastBuildDate>")
    end = listing.find(b"</lastBuildDate>", start)
    if start < 0 or end < 0:
        return None
    try:
        moment = parsedate_to_datetime(listing[start + 15 : end].decode().strip())
    except (TypeError, ValueError):
        return None
    return format_datetime(moment, usegmt=True) if moment.tzinfo else None


def sample_built(last_modified: str | None) -> datetime | None:
    """When a sample listing was built (its ``Last-Modified``): a sample's "fetched" time."""
    try:
        return parsedate_to_datetime(last_modified) if last_modified else None
    except (TypeError, ValueError):
        return None
