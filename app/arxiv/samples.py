"""Bundled sample listings, served through the same fetch path as arXiv itself.

``SampleTransport`` is an httpx transport that answers ``/<cats>`` from ``app/samples/`` (real
listings of cs.AI, cs.CL, cs.DC and cs.LG for one day). A combination without a bundled file is
built the way arXiv builds it: the items of each category once, in order. ``FallbackTransport``
tries the real network first and uses the samples only when arXiv cannot be reached at all,
which is what ``ARXIV_SOURCE=auto`` does so the service works on a machine without internet.
"""

from __future__ import annotations

import copy
from pathlib import Path
from urllib.parse import unquote

import httpx
from lxml import etree

from app.arxiv.fetch import SAMPLE_HEADER

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


class SampleTransport(httpx.AsyncBaseTransport):
    """Serves listings from a folder of ``<categories>.xml`` files."""

    def __init__(self, folder: Path = SAMPLES) -> None:
        self.folder = folder

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``GET .../<cat>+<cat>`` with the bundled listing."""
        name = unquote(request.url.path.rstrip("/").rsplit("/", 1)[-1])
        body = self.listing(name.split("+"))
        headers = {"content-type": "application/rss+xml; charset=utf-8", SAMPLE_HEADER: "1"}
        return httpx.Response(200, content=body, headers=headers, request=request)

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

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Try the network; on a connection failure answer from the samples."""
        try:
            return await self.primary.handle_async_request(request)
        except httpx.ConnectError:
            return await self.fallback.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the real transport."""
        await self.primary.aclose()
