"""Ranking off the event loop: a large list of papers is ranked in a worker thread.

``rank`` is pure and CPU-bound; on thousands of papers (above all the first time, when the
word index is built) it would hold up every other request. Small lists stay on the loop, where
a thread hop would cost more than the ranking.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping, Sequence

from app.models import FeedQuery, Paper, Relevance, ScoredPaper
from app.ranking.rank import rank

THREAD_ABOVE = 300  # papers


async def off_loop[T](size: int, call: Callable[[], T]) -> T:
    """``call()`` (a ranking of ``size`` papers), in a worker thread when ``size`` is large."""
    if size <= THREAD_ABOVE:
        return call()
    return await asyncio.to_thread(call)


async def rank_off_loop(
    papers: Sequence[Paper],
    query: FeedQuery,
    *,
    dedupe: bool = True,
    relevance: Mapping[str, Relevance] | None = None,
    relevance_weight: float = 0.0,
    limit: int | None = None,
) -> list[ScoredPaper]:
    """``rank(...)``, in a worker thread when there are more than ``THREAD_ABOVE`` papers."""
    call = functools.partial(
        rank,
        papers,
        query,
        dedupe=dedupe,
        relevance=relevance,
        relevance_weight=relevance_weight,
        limit=limit,
    )
    return await off_loop(len(papers), call)
