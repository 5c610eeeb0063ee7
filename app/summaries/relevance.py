"""LLM relevance: rate candidates 0-10 against the configured interests, many per call.

Each batch asks for JSON (``response_format`` with a JSON schema; providers that reject it get
the same prompt without, and the answer is read leniently: code fences and prose around the
JSON are ignored). The answer is validated with pydantic; a paper missing from it stays
unrated. Ratings are cached per paper version, interests text and model, for ``KEEP`` (a
cache like every LLM output: see ``app.summaries.summarize``).

Every paper sent is first marked in the store as tried for ``retry_after`` seconds (doubling
with each try, at most a day): a batch that fails, or an answer that leaves papers out, is not
sent again for them before then, however often the feed is rebuilt or by how many instances.
So polling spends at most one attempt per paper per backoff period.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Sequence

from pydantic import BaseModel, Field, ValidationError, field_validator

from app.errors import LLMBudgetExceeded, LLMError, LLMUnreachable
from app.llm.budget import KEEP, MAX_BACKOFF, CallBudget, cached_outputs, output_key
from app.llm.client import LLMClient
from app.models import Paper, Relevance
from app.store.base import Store
from app.summaries.prompts import RELEVANCE_SYSTEM, relevance_prompt

log = logging.getLogger(__name__)

_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


class Rating(BaseModel):
    """One rating as the LLM returns it."""

    id: str
    score: float
    reason: str = ""

    @field_validator("score")
    @classmethod
    def _clamp(cls, value: float) -> float:
        return min(10.0, max(0.0, value))

    @field_validator("reason")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())[:300]


class Ratings(BaseModel):
    """The whole answer."""

    ratings: list[Rating] = Field(default_factory=list)


SCHEMA = Ratings.model_json_schema()


def parse_ratings(text: str) -> Ratings:
    """Read the LLM's answer; raise ``LLMError`` when it holds no usable JSON."""
    match = _JSON_OBJECT.search(text)
    if match is None:
        raise LLMError("the relevance answer holds no JSON object")
    try:
        data = json.loads(match.group(0))
        if isinstance(data, dict) and "ratings" not in data and "id" in data:
            data = {"ratings": [data]}
        return Ratings.model_validate(data)
    except (json.JSONDecodeError, ValidationError) as exc:
        raise LLMError(f"the relevance answer is not valid: {str(exc)[:200]}") from exc


class RelevanceRater:
    """Rates papers against one interests text with one model, through the store."""

    def __init__(
        self,
        llm: LLMClient,
        store: Store,
        interests: str,
        budget: CallBudget,
        batch_size: int = 25,
        max_workers: int = 3,
        retry_after: float = 900.0,
    ) -> None:
        self.llm = llm
        self.store = store
        self.interests = interests
        self.budget = budget
        self.batch_size = batch_size
        self.retry_after = retry_after
        self.calls = 0
        self.stored = 0  # ratings this instance added to the store
        self._slots = asyncio.Semaphore(max_workers)

    def key(self, paper: Paper) -> str:
        """Cache key of one paper's rating."""
        parts = [paper.versioned_id, self.interests.strip(), self.llm.model]
        return output_key("relevance", parts, sep="\n")

    async def existing(self, papers: Sequence[Paper]) -> dict[str, Relevance]:
        """Cached ratings, by versioned id (no LLM call)."""
        return await cached_outputs(self.store, papers, self.key, Relevance)

    async def rate(self, papers: Sequence[Paper], time_budget: float) -> dict[str, Relevance]:
        """Cached ratings plus new ones, in batches, waiting at most ``time_budget`` s."""
        have = await self.existing(papers)
        todo = [p for p in papers if p.versioned_id not in have]
        if todo:
            tried = await self.store.get_many([_tried_key(self.key(p)) for p in todo])
            todo = [p for p in todo if _tried_key(self.key(p)) not in tried]
        batches = [todo[i : i + self.batch_size] for i in range(0, len(todo), self.batch_size)]
        if not batches:
            return have
        tasks = [asyncio.create_task(self._rate_batch(b)) for b in batches]
        done, _ = await asyncio.wait(tasks, timeout=max(0.0, time_budget))
        for task in done:
            have.update(task.result())
        return have

    async def _rate_batch(self, papers: list[Paper]) -> dict[str, Relevance]:
        messages = [
            {"role": "system", "content": RELEVANCE_SYSTEM},
            {"role": "user", "content": relevance_prompt(self.interests, papers)},
        ]
        async with self._slots:
            try:
                await self.budget.take()
                await self._mark_tried(papers)
                self.calls += 1
                answer = parse_ratings(await self.llm.chat(messages, json_schema=SCHEMA))
            except LLMError as exc:
                if isinstance(exc, LLMUnreachable):
                    await self.budget.give_back()
                    self.calls -= 1
                level = logging.INFO if isinstance(exc, LLMBudgetExceeded) else logging.WARNING
                log.log(level, "relevance batch of %d failed: %s", len(papers), exc.message)
                return {}
        by_id = {p.versioned_id: p for p in papers} | {p.arxiv_id: p for p in papers}
        rated: dict[str, Relevance] = {}
        for r in answer.ratings:
            paper = by_id.get(r.id.strip().removeprefix("arXiv:"))
            if paper is None:
                continue
            rel = Relevance(score=r.score, reason=r.reason, model=self.llm.model)
            rated[paper.versioned_id] = rel
            await self.store.set(self.key(paper), rel.model_dump_json().encode(), ttl=KEEP)
        self.stored += len(rated)
        if len(rated) < len(papers):
            log.warning("the relevance answer left out %d papers", len(papers) - len(rated))
        return rated

    async def _mark_tried(self, papers: Sequence[Paper]) -> None:
        """Hold each paper back for its backoff period before it is sent (again)."""
        if self.retry_after <= 0:
            return
        for paper in papers:
            key = self.key(paper)
            tries = await self.store.incr(f"relevance-tries:{key}", 1, ttl=7 * 86400)
            wait = min(MAX_BACKOFF, self.retry_after * 2 ** min(tries - 1, 20))
            await self.store.set(_tried_key(key), b"1", ttl=wait)


def _tried_key(key: str) -> str:
    return f"tried:{key}"
