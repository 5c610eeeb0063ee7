"""Which cold categories arXiv is asked for next: the owner's first, many in one request.

Every wanted category that is not held is queued. One worker per process takes the queue in
priority order (the categories of owner-defined feeds before anyone else's) and asks arXiv
for up to ``max_batch`` of them in ONE ``+``-joined request; a category already queued or in
flight is never asked for twice, so however many requests want it, it costs one fetch. The
owner's feed waits at most for the one request under way, never behind a queue of strangers.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable

OWNER, STRANGER = 0, 1

FetchBatch = Callable[[tuple[str, ...]], Awaitable[None]]


class Scheduler:
    """Batches cold categories into requests, highest priority first."""

    def __init__(self, fetch: FetchBatch, max_batch: int = 10) -> None:
        self.fetch = fetch
        self.max_batch = max_batch
        self._queued: dict[str, tuple[int, int, asyncio.Future[None]]] = {}
        self._inflight: dict[str, asyncio.Future[None]] = {}
        self._order = 0
        self._worker: asyncio.Task[None] | None = None
        self.batches: deque[tuple[str, ...]] = deque(maxlen=100)  # the latest requests, in order

    async def want(self, categories: Iterable[str], priority: int) -> BaseException | None:
        """Wait until each of ``categories`` was fetched; the first failure, if any."""
        waits: list[asyncio.Future[None]] = []
        loop = asyncio.get_running_loop()
        for cat in categories:
            if cat in self._inflight:
                waits.append(self._inflight[cat])
            elif cat in self._queued:
                prio, order, fut = self._queued[cat]
                self._queued[cat] = (min(prio, priority), order, fut)
                waits.append(fut)
            else:
                self._order += 1
                fut = loop.create_future()
                self._queued[cat] = (priority, self._order, fut)
                waits.append(fut)
        if self._queued and (self._worker is None or self._worker.done()):
            self._worker = asyncio.create_task(self._drain())
        results = await asyncio.gather(*(asyncio.shield(w) for w in waits), return_exceptions=True)
        return next((r for r in results if isinstance(r, BaseException)), None)

    def queued(self) -> int:
        """Categories waiting for a request."""
        return len(self._queued)

    async def _drain(self) -> None:
        while self._queued:
            ordered = sorted(self._queued.items(), key=lambda kv: kv[1][:2])
            batch = tuple(sorted(cat for cat, _ in ordered[: self.max_batch]))
            futures = {cat: self._queued.pop(cat)[2] for cat in batch}
            self._inflight.update(futures)
            self.batches.append(batch)
            try:
                await self.fetch(batch)
            except Exception as exc:  # every waiter gets the failure
                for fut in futures.values():
                    if not fut.done():
                        fut.set_exception(exc)
            else:
                for fut in futures.values():
                    if not fut.done():
                        fut.set_result(None)
            finally:
                for cat in batch:
                    self._inflight.pop(cat, None)
