"""Ranking off the event loop: a large list of papers is ranked in a worker thread.

``rank`` is pure and CPU-bound; on thousands of papers (above all the first time, when the
word index is built) it would hold up every other request. Small lists stay on the loop, where
a thread hop would cost more than the ranking.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

THREAD_ABOVE = 300  # papers


async def off_loop[T](size: int, call: Callable[[], T]) -> T:
    """``call()`` (a ranking of ``size`` papers), in a worker thread when ``size`` is large."""
    if size <= THREAD_ABOVE:
        return call()
    return await asyncio.to_thread(call)
