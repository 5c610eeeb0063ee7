"""Summaries from the full paper: the PDF fetched once, as text or as a DashScope file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from openai import AsyncOpenAI

from app.arxiv.fetch import RateLimiter, RedirectGuard
from app.arxiv.parse import parse_listing
from app.errors import LLMError
from app.llm.budget import CallBudget
from app.llm.client import LLMClient
from app.store import MemoryStore
from app.summaries.fulltext import FullText, extract_text
from app.summaries.prompts import PDF_NOTE, load_prompt
from app.summaries.settings import AISummary
from app.summaries.summarize import Summarizer
from tests.conftest import ALL4, listing
from tests.openai_stub import OpenAIStub

pytestmark = pytest.mark.anyio
PAPER = parse_listing(listing(f"{ALL4}-2026-01-06"), ["x"], datetime.now(UTC)).papers[0]
SENTENCE = "Disaggregated reinforcement learning needs a smarter network fabric"


def make_pdf(text: str) -> bytes:
    """A one-page PDF whose page shows ``text`` (offsets computed, so readers accept it)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


class PdfServer:
    """arxiv.org/pdf on an httpx MockTransport; counts downloads."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return httpx.Response(200, content=self.body, headers={"content-type": "application/pdf"})


@pytest.fixture
async def stub() -> AsyncIterator[OpenAIStub]:
    with OpenAIStub() as s:
        yield s


async def summarize_pdf(
    stub: OpenAIStub, pdfs: PdfServer, store: MemoryStore, file_extract: bool
) -> dict[str, object]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(pdfs))
    fulltext = FullText(http, RateLimiter(0), store)
    client = AsyncOpenAI(base_url=stub.base_url, api_key="k", max_retries=0)
    llm = LLMClient(client, "qwen-long", 5, file_extract=file_extract)
    cfg = AISummary(enabled=True, source="pdf", model="qwen-long")
    prompt = load_prompt(None, "en")
    summarizer = Summarizer(llm, store, cfg, prompt, CallBudget(store, 100), fulltext)
    try:
        return dict(await summarizer.summarize([PAPER], time_budget=10))
    finally:
        await client.close()
        await http.aclose()


def test_extract_text_reads_the_page_and_refuses_garbage() -> None:
    assert SENTENCE in extract_text(make_pdf(SENTENCE))
    with pytest.raises(LLMError):
        extract_text(b"%PDF-1.4 but nothing else")


async def test_pdf_text_goes_into_the_prompt_and_is_downloaded_once(stub: OpenAIStub) -> None:
    pdfs, store = PdfServer(make_pdf(SENTENCE)), MemoryStore()
    got = await summarize_pdf(stub, pdfs, store, file_extract=False)
    assert PAPER.versioned_id in got
    assert pdfs.paths == [f"/pdf/{PAPER.versioned_id}"]
    user = stub.chat_calls()[0].body["messages"][-1]["content"]
    assert PDF_NOTE in user
    assert SENTENCE in user
    await store.delete(next(k for k in list(store._data) if k.startswith("summary:")))
    await summarize_pdf(stub, pdfs, store, file_extract=False)  # summarized again...
    assert len(pdfs.paths) == 1  # ...from the cached text
    assert len(stub.chat_calls()) == 2


async def test_dashscope_gets_the_pdf_as_a_file(stub: OpenAIStub) -> None:
    pdfs, store = PdfServer(make_pdf(SENTENCE)), MemoryStore()
    got = await summarize_pdf(stub, pdfs, store, file_extract=True)
    assert PAPER.versioned_id in got
    (upload,) = stub.uploads
    assert upload[0] == f"{PAPER.versioned_id}.pdf"
    assert upload[1] == pdfs.body
    assert upload[2] == "file-extract"
    messages = stub.chat_calls()[0].body["messages"]
    assert [m["role"] for m in messages] == ["system", "system", "user"]
    assert messages[1]["content"].startswith("fileid://file-fe-")
    assert SENTENCE not in messages[-1]["content"]  # the text travels as the file


async def test_a_paper_without_a_pdf_is_a_failure_not_a_crash(stub: OpenAIStub) -> None:
    store = MemoryStore()
    got = await summarize_pdf(stub, PdfServer(b"<html>not found</html>"), store, False)
    assert got == {}
    assert stub.chat_calls() == []
    assert any(k.startswith("blocked:") for k in store._data)


async def test_a_pdf_redirected_away_from_arxiv_is_a_failure() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "arxiv.org":
            return httpx.Response(302, headers={"Location": "http://10.0.0.1/internal.pdf"})
        return httpx.Response(200, content=make_pdf(SENTENCE))

    http = httpx.AsyncClient(
        transport=httpx.MockTransport(handler),
        follow_redirects=True,
        event_hooks={"response": [RedirectGuard()]},
    )
    try:
        with pytest.raises(LLMError, match="not arXiv"):
            await FullText(http, RateLimiter(0), MemoryStore()).pdf(PAPER)
    finally:
        await http.aclose()
