"""Scoring off the event loop: a large list of papers is ranked, or scored for similarity, in a
worker thread.

``rank`` and the similarity scorers are pure and CPU-bound; on thousands of papers (above all the
first time, when the word index is built) they would hold up every other request. Small lists
stay on the loop, where a thread hop would cost more than the work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

THREAD_ABOVE = 300  # papers


async def off_loop[T](size: int, call: Callable[[], T], *, heavy: bool = False) -> T:
    """``call()`` (work on ``size`` papers), in a worker thread when ``size`` is large or the
    caller knows the work is ``heavy``."""
    if size <= THREAD_ABOVE and not heavy:
        return call()
    return await asyncio.to_thread(call)
