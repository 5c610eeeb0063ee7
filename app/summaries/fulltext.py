"""Full paper text for ``source: "pdf"`` summaries, fetched politely and cached.

PDFs come from ``https://arxiv.org/pdf/<id>v<n>`` through the same rate limiter as the
listings (arXiv counts all our requests together). For DashScope (qwen-long) the PDF is
uploaded once with purpose ``file-extract`` and referenced as ``fileid://``; for any other
provider its text is extracted (pypdf) and sent in the prompt. Text and file ids are cached in
the store, so a paper's PDF is downloaded at most once.
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING

import httpx

from app.arxiv.fetch import RateLimiter
from app.errors import LLMError, UpstreamError
from app.models import Paper
from app.store.base import Store

if TYPE_CHECKING:
    from app.llm.client import LLMClient

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 120_000
MAX_PDF_BYTES = 40 * 1024 * 1024
CACHE_TTL = 30 * 86400.0


class FullText:
    """Downloads and extracts papers' PDFs."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        limiter: RateLimiter,
        store: Store,
        base_url: str = "https://arxiv.org/pdf",
    ) -> None:
        self.client = client
        self.limiter = limiter
        self.store = store
        self.base_url = base_url.rstrip("/")

    async def pdf(self, paper: Paper) -> bytes:
        """The paper's PDF (one polite request)."""
        url = f"{self.base_url}/{paper.versioned_id}"
        try:
            async with self.limiter:
                response = await self.client.get(url)
        except httpx.HTTPError as exc:
            raise LLMError(f"could not download {url}: {type(exc).__name__}") from exc
        except UpstreamError as exc:  # e.g. a redirect away from arXiv
            raise LLMError(f"could not download {url}: {exc.message}") from exc
        content = response.content
        if response.status_code != 200 or not content.startswith(b"%PDF"):
            raise LLMError(f"{url} did not return a PDF (HTTP {response.status_code})")
        if len(content) > MAX_PDF_BYTES:
            raise LLMError(f"{url} is larger than {MAX_PDF_BYTES // 2**20} MiB", retryable=False)
        return content

    async def text(self, paper: Paper) -> str:
        """The paper's text, cut to ``MAX_TEXT_CHARS``."""
        key = f"pdf-text:{paper.versioned_id}"
        if (cached := await self.store.get(key)) is not None:
            return cached.decode("utf-8")
        text = await asyncio.to_thread(extract_text, await self.pdf(paper))
        await self.store.set(key, text.encode("utf-8"), ttl=CACHE_TTL)
        return text

    async def dashscope_file(self, paper: Paper, llm: LLMClient) -> str:
        """The ``file-extract`` id of the paper's PDF on the provider."""
        key = f"pdf-file:{llm.model}:{paper.versioned_id}"
        if (cached := await self.store.get(key)) is not None:
            return cached.decode()
        file_id = await llm.upload_for_extraction(
            f"{paper.versioned_id}.pdf", await self.pdf(paper)
        )
        await self.store.set(key, file_id.encode(), ttl=CACHE_TTL)
        return file_id


def extract_text(pdf: bytes) -> str:
    """Plain text of a PDF, pages joined, cut to ``MAX_TEXT_CHARS``."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(pdf))
        parts: list[str] = []
        size = 0
        for page in reader.pages:
            chunk = page.extract_text() or ""
            parts.append(chunk)
            size += len(chunk)
            if size >= MAX_TEXT_CHARS:
                break
    except (PdfReadError, ValueError, KeyError) as exc:
        raise LLMError(f"the PDF could not be read: {exc}", retryable=False) from exc
    text = "\n".join(parts).strip()
    if not text:
        raise LLMError("the PDF has no extractable text", retryable=False)
    return text[:MAX_TEXT_CHARS]
