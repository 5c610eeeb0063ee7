"""Optional embeddings from any OpenAI-compatible endpoint (OpenAI, DashScope, Ollama, vLLM).

A profile may rank by the cosine between embeddings of its library and of the day's papers.
``Embedder`` asks the endpoint for vectors in batches of ``batch_size`` texts per request, at
most ``concurrency`` requests at a time, and keeps every vector in the store for ``KEEP`` (90
days; a cache like every LLM output, see ``app.llm.budget``): a paper's under its
versioned id and the model (``embedding:<tag>:<versioned id>``), any other text's under a hash
of the text and the model (``embedding-text:<tag>:<hash>``), so no text is embedded twice.
Vectors are stored as little-endian float32 (4 bytes a dimension) and handed out as
``array('f')``, which ``numpy.asarray`` reads without copying; numpy is not needed here.

Every request counts one call against the daily cap shared with summaries (``CallBudget``).
A failed request raises ``LLMError`` (the caller ranks with the embedded default instead),
keeps what earlier batches stored, and makes the next ``retry_after`` seconds (doubling with
each failure in a row, a day for a refused key or model) fail at once without a request, so a
broken endpoint never slows a feed down. Two calls of one ``Embedder`` at once do not embed the
same texts twice: the second waits for the first and finds its vectors in the store.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import sys
from array import array
from collections.abc import Mapping, Sequence

from app.errors import LLMBudgetExceeded, LLMError, LLMUnreachable
from app.llm.budget import KEEP, MAX_BACKOFF, CallBudget
from app.llm.client import LLMClient, build_client
from app.llm.settings import EmbeddingsSettings
from app.models import Paper
from app.store.base import Store

log = logging.getLogger(__name__)

type Vector = array[float]  # array("f"): float32 values
FAILURES_TTL = 7 * 86400.0


def paper_text(paper: Paper, max_chars: int = 8000) -> str:
    """What is embedded for a paper: its title, a blank line, its abstract."""
    return f"{paper.title}\n\n{paper.abstract}".strip()[:max_chars]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """The cosine of the angle between ``a`` and ``b`` (0.0 when either is all zeros)."""
    if len(a) != len(b):
        raise ValueError(f"vectors of lengths {len(a)} and {len(b)}")
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    return dot / norm if norm else 0.0


def encode_vector(values: Sequence[float]) -> bytes:
    """Little-endian float32 bytes."""
    vec = values if isinstance(values, array) and values.typecode == "f" else array("f", values)
    if sys.byteorder == "big":  # pragma: no cover - every platform we deploy on is little-endian
        vec = array("f", vec)
        vec.byteswap()
    return vec.tobytes()


def decode_vector(raw: bytes) -> Vector | None:
    """The vector stored by ``encode_vector``; None for bytes that cannot be one."""
    if not raw or len(raw) % 4:
        return None
    vec = array("f")
    vec.frombytes(raw)
    if sys.byteorder == "big":  # pragma: no cover
        vec.byteswap()
    return vec if math.isfinite(sum(vec)) else None  # NaN and inf survive a sum


class Embedder:
    """Embeds papers and texts with one model of one endpoint, through the store."""

    def __init__(
        self, client: LLMClient, store: Store, budget: CallBudget, cfg: EmbeddingsSettings
    ) -> None:
        self.client = client
        self.store = store
        self.budget = budget
        self.cfg = cfg
        self.calls = 0  # requests this instance made
        self._lock = asyncio.Lock()

    def paper_key(self, paper: Paper) -> str:
        """The store key of ``paper``'s vector."""
        return f"embedding:{self.cfg.tag}:{paper.versioned_id}"

    def text_key(self, text: str) -> str:
        """The store key of the vector of ``text`` (already cut to ``max_chars``)."""
        digest = hashlib.sha256(text.encode()).hexdigest()[:32]
        return f"embedding-text:{self.cfg.tag}:{digest}"

    @property
    def _blocked_key(self) -> str:
        return f"blocked:embeddings:{self.cfg.tag}"

    @property
    def _failures_key(self) -> str:
        return f"embeddings-failures:{self.cfg.tag}"

    async def embed_papers(self, papers: Sequence[Paper]) -> dict[str, Vector]:
        """A vector for every paper, by versioned id; raises ``LLMError`` when any is missing."""
        texts = {self.paper_key(p): paper_text(p, self.cfg.max_chars) for p in papers}
        vectors = await self._embed(texts)
        return {p.versioned_id: vectors[self.paper_key(p)] for p in papers}

    async def embed_texts(self, texts: Sequence[str]) -> list[Vector]:
        """A vector for every text, in order (e.g. library entries); raises ``LLMError``."""
        cut = [t.strip()[: self.cfg.max_chars] or "untitled" for t in texts]
        keyed = {self.text_key(t): t for t in cut}
        vectors = await self._embed(keyed)
        return [vectors[self.text_key(t)] for t in cut]

    async def cached(self, keys: Sequence[str]) -> dict[str, Vector]:
        """The vectors already in the store among ``keys`` (no request)."""
        found: dict[str, Vector] = {}
        for key, raw in (await self.store.get_many(list(keys))).items():
            vec = decode_vector(raw)
            if vec is None:
                log.warning("ignoring unreadable stored embedding %s", key)
            else:
                found[key] = vec
        return found

    async def _embed(self, texts: Mapping[str, str]) -> dict[str, Vector]:
        have = await self.cached(list(texts))
        if len(have) == len(texts):
            return have
        async with self._lock:  # a concurrent call may have stored what we lack meanwhile
            have |= await self.cached([k for k in texts if k not in have])
            todo = [k for k in texts if k not in have]
            if not todo:
                return have
            if await self.store.get(self._blocked_key) is not None:
                raise LLMError(
                    "the embeddings endpoint failed recently; not asking it again yet",
                    hint="profiles rank with the embedded default meanwhile",
                )
            have |= await self._request_all({k: texts[k] for k in todo})
        return have

    async def _request_all(self, todo: Mapping[str, str]) -> dict[str, Vector]:
        keys = list(todo)
        size = self.cfg.batch_size
        batches = [keys[i : i + size] for i in range(0, len(keys), size)]
        slots = asyncio.Semaphore(self.cfg.concurrency)

        async def one(batch: list[str]) -> dict[str, Vector]:
            async with slots:
                return await self._request(batch, [todo[k] for k in batch])

        results = await asyncio.gather(*(one(b) for b in batches), return_exceptions=True)
        found: dict[str, Vector] = {}
        failure: BaseException | None = None
        for result in results:
            if isinstance(result, BaseException):
                failure = failure or result
            else:
                found |= result
        if failure is None:
            await self.store.delete(self._failures_key)
            return found
        if isinstance(failure, LLMError) and not isinstance(failure, LLMBudgetExceeded):
            await self._record_failure(failure)
        raise failure

    async def _request(self, keys: list[str], texts: list[str]) -> dict[str, Vector]:
        await self.budget.take()
        self.calls += 1
        try:
            rows = await self.client.embed(
                texts, dimensions=self.cfg.dimensions, encoding=self.cfg.encoding_format
            )
        except LLMUnreachable:  # never reached the provider: not a call
            await self.budget.give_back()
            self.calls -= 1
            raise
        for key, row in zip(keys, rows, strict=True):
            await self.store.set(key, encode_vector(row), ttl=KEEP)
        return dict(zip(keys, rows, strict=True))

    async def _record_failure(self, exc: LLMError) -> None:
        failures = await self.store.incr(self._failures_key, 1, ttl=FAILURES_TTL)
        wait = min(MAX_BACKOFF, self.cfg.retry_after * 2 ** min(failures - 1, 32))
        if not exc.retryable:
            wait = MAX_BACKOFF
        if wait > 0:
            await self.store.set(self._blocked_key, b"1", ttl=wait)
        log.warning("embeddings failed (%s); next try in %.0fs", exc.message, wait)


def build_embedder(cfg: EmbeddingsSettings, store: Store, budget: CallBudget) -> Embedder | None:
    """An ``Embedder`` for the configured endpoint, or None (with a warning) without a key."""
    client = build_client(cfg, cfg.model, cfg.timeout, feature="embeddings")
    return None if client is None else Embedder(client, store, budget, cfg)
