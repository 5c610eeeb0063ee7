"""Summaries of the top papers, cached in the store so no LLM call is paid twice.

The cache key covers the arXiv id with version, the model, the prompt (and language) and the
source (abstract or pdf). Only successes are cached, for ``KEEP`` (90 days: longer than any feed
shows a paper, ``days_back`` <= 60, and as long as the days themselves are kept). A failed
paper is not retried before ``retry_after`` seconds, doubling with each failure. Calls run at
most ``max_workers`` at a time, count against a daily cap shared by every instance (a counter
in the store), and a feed request waits for them at most its time budget; calls still running
then finish in the background and are cached for the next request. Two requests asking for the
same summary at once share one call.

LLM outputs (summaries, relevance ratings, embedding vectors) are a cache, not durable data:
they grow with every day's listing, so kept for good they would fill a Redis until nothing in
it could be evicted, and then not even a profile could be stored. With an expiry, a Redis under
``maxmemory-policy volatile-lru`` evicts them first; one evicted is made, and paid, again, but
only within the daily cap on LLM calls, which every call counts against.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from app.errors import LLMBudgetExceeded, LLMError, LLMUnreachable, StoreUnavailable
from app.llm.budget import KEEP, MAX_BACKOFF, CallBudget, cached_outputs, output_key
from app.llm.client import LLMClient, Message
from app.models import Paper, Summary
from app.store.base import Store
from app.summaries.fulltext import FullText
from app.summaries.prompts import SYSTEM, SummaryPrompt
from app.summaries.settings import AISummary

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
MIN_SUMMARY_CHARS = 40
LOCK_SLACK = 10.0  # seconds a paper's lock outlives its call's timeout (then a dead holder's ends)


class Summarizer:
    """Summarizes papers with one LLM, through the store."""

    def __init__(
        self,
        llm: LLMClient,
        store: Store,
        cfg: AISummary,
        prompt: SummaryPrompt,
        budget: CallBudget,
        fulltext: FullText | None = None,
    ) -> None:
        self.llm = llm
        self.store = store
        self.cfg = cfg
        self.prompt = prompt
        self.budget = budget
        self.fulltext = fulltext
        self.calls = 0  # LLM calls made by this instance
        self.stored = 0  # summaries this instance added to the store
        self.pace = 0.0  # seconds the last calls took (a moving average; 0: none yet)
        self._slots = asyncio.Semaphore(cfg.max_workers)
        self._inflight: dict[str, asyncio.Task[Summary | None]] = {}

    def key(self, paper: Paper) -> str:
        """The cache key of ``paper``'s summary under the current settings."""
        parts = [paper.versioned_id, self.llm.model, self.prompt.digest, self.cfg.source]
        return output_key("summary", parts)

    async def existing(self, papers: Sequence[Paper]) -> dict[str, Summary]:
        """Summaries already cached, by versioned id (no LLM call)."""
        return await cached_outputs(self.store, papers, self.key, Summary)

    async def unfinished(self, papers: Sequence[Paper]) -> list[Paper]:
        """Of ``papers``, those with no summary yet that are still to be tried (a failed one
        waits out its back-off: for now it has failed)."""
        have = await self.existing(papers)
        todo = [p for p in papers if p.versioned_id not in have]
        blocked = await self.store.get_many([_blocked_key(self.key(p)) for p in todo])
        return [p for p in todo if _blocked_key(self.key(p)) not in blocked]

    async def summarize(
        self,
        papers: Sequence[Paper],
        time_budget: float,
        progress: Progress | None = None,
        start_by: float | None = None,
    ) -> dict[str, Summary]:
        """Cached summaries plus new ones for the rest, waiting at most ``time_budget`` s;
        no call is begun that would, at the pace so far, end after ``start_by``.

        ``progress(finished, total)`` is called as summaries are found or made.
        """
        have = await self.existing(papers)
        todo = [p for p in papers if p.versioned_id not in have]
        blocked = await self.store.get_many([_blocked_key(self.key(p)) for p in todo])
        pending = {
            self._task(p, start_by) for p in todo if _blocked_key(self.key(p)) not in blocked
        }
        finished = len(papers) - len(pending)
        if progress:
            progress(finished, len(papers))
        deadline = time.monotonic() + time_budget
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            done, pending = await asyncio.wait(
                pending, timeout=left, return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                summary = task.result()
                if summary is not None:
                    have[summary.versioned_id] = summary
            finished += len(done)
            if progress:
                progress(finished, len(papers))
        return have

    def _task(self, paper: Paper, start_by: float | None) -> asyncio.Task[Summary | None]:
        key = self.key(paper)
        task = self._inflight.get(key)
        # A finished task stays here until its done-callback runs, which waits for the event
        # loop to turn: a refresh that never yields in between would reuse its old result.
        if task is None or task.done():
            task = asyncio.create_task(self._summarize_one(paper, key, start_by))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
        return task

    async def cancel_pending(self) -> None:
        """Stop the calls still running (at shutdown, before the client closes)."""
        pending = [t for t in self._inflight.values() if not t.done()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _forget(self, key: str, task: asyncio.Task[Summary | None]) -> None:
        """Drop ``task`` from the calls in flight (not a newer task for the same key)."""
        if self._inflight.get(key) is task:
            del self._inflight[key]

    async def _summarize_one(
        self, paper: Paper, key: str, start_by: float | None
    ) -> Summary | None:
        async with self._slots:
            if start_by is not None and time.monotonic() + self.pace > start_by:
                return None  # it would outlast the caller: left for the next one
            lock = f"lock:{key}"
            if not await self.store.set_nx(lock, b"1", ttl=self.cfg.timeout + LOCK_SLACK):
                return None  # another instance is making it: it will be in the store
            try:
                return await self._made(paper, key)
            finally:
                with contextlib.suppress(StoreUnavailable):  # it expires on its own
                    await self.store.delete(lock)

    async def _made(self, paper: Paper, key: str) -> Summary | None:
        """The stored summary (another instance made it), else one made now (None: failed)."""
        if (raw := await self.store.get(key)) is not None:
            return Summary.model_validate_json(raw)
        try:
            began = time.monotonic()
            await self.budget.take()
            self.calls += 1
            markdown = await self.llm.chat(await self._messages(paper))
            if len(markdown) < MIN_SUMMARY_CHARS:
                raise LLMError(f"the LLM answered only {len(markdown)} characters")
        except LLMBudgetExceeded as exc:
            log.warning("not summarizing %s: %s", paper.versioned_id, exc.message)
            return None
        except LLMError as exc:
            if isinstance(exc, LLMUnreachable):
                await self.budget.give_back()
                self.calls -= 1
            await self._record_failure(paper, key, exc)
            return None
        except Exception:  # a bug, or the client closed under us: never the reader's problem
            log.exception("summary of %s failed unexpectedly", paper.versioned_id)
            return None
        took = time.monotonic() - began
        self.pace = took if not self.pace else 0.7 * self.pace + 0.3 * took
        summary = Summary(
            versioned_id=paper.versioned_id,
            model=self.llm.model,
            language=self.prompt.language,
            source=self.cfg.source,
            markdown=markdown,
            created_at=datetime.now(UTC),
        )
        await self.store.set(key, summary.model_dump_json().encode(), ttl=KEEP)
        self.stored += 1
        return summary

    async def _messages(self, paper: Paper) -> list[Message]:
        system: list[Message] = [{"role": "system", "content": SYSTEM}]
        if self.cfg.source != "pdf" or self.fulltext is None:
            return [*system, {"role": "user", "content": self.prompt.render(paper)}]
        if self.llm.is_dashscope:
            file_id = await self.fulltext.dashscope_file(paper, self.llm)
            user = self.prompt.render(paper, text="(see the attached file)")
            return [*system, {"role": "system", "content": f"fileid://{file_id}"},
                    {"role": "user", "content": user}]  # fmt: skip
        text = await self.fulltext.text(paper)
        return [*system, {"role": "user", "content": self.prompt.render(paper, text=text)}]

    async def _record_failure(self, paper: Paper, key: str, exc: LLMError) -> None:
        attempts = await self.store.incr(f"summary-attempts:{key}", 1, ttl=7 * 86400)
        wait = min(MAX_BACKOFF, self.cfg.retry_after * 2 ** (attempts - 1))
        if not exc.retryable:
            wait = MAX_BACKOFF
        if wait > 0:
            await self.store.set(_blocked_key(key), b"1", ttl=wait)
        log.warning(
            "summary of %s failed (%s); next try in %.0fs", paper.versioned_id, exc.message, wait
        )


def _blocked_key(key: str) -> str:
    return f"blocked:{key}"
