"""What LLM calls may cost, and how long what they answer is kept (shared by summaries,
relevance ratings and embeddings).

``CallBudget`` is the daily cap on LLM calls, counted in the store so it holds across
instances; ``DailyShare`` one profile's part of it. LLM outputs are a cache, not durable data
(see ``app.summaries.summarize``): each is kept for ``KEEP`` under a key made by ``output_key``
and read back by ``cached_outputs``; a failure holds a call off for at most ``MAX_BACKOFF``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ValidationError

from app.errors import LLMBudgetExceeded
from app.models import Paper
from app.store.base import Store

log = logging.getLogger(__name__)

KEEP = 90 * 86400.0  # seconds an LLM output (summary, rating, vector) is kept
MAX_BACKOFF = 24 * 3600.0  # the longest a failure holds the next call off (s)


def output_key(kind: str, parts: Sequence[str], sep: str = "|") -> str:
    """The store key of one LLM output: ``kind`` and a hash of what it depends on."""
    return f"{kind}:" + hashlib.sha256(sep.join(parts).encode()).hexdigest()[:40]


async def cached_outputs[M: BaseModel](
    store: Store, papers: Sequence[Paper], key: Callable[[Paper], str], model: type[M]
) -> dict[str, M]:
    """The outputs already stored for ``papers``, by versioned id (no LLM call); an
    unreadable one is skipped, as if missing."""
    keys = {key(p): p.versioned_id for p in papers}
    found: dict[str, M] = {}
    for name, raw in (await store.get_many(list(keys))).items():
        try:
            found[keys[name]] = model.model_validate_json(raw)
        except ValidationError:
            log.warning("ignoring unreadable cached %s %s", model.__name__, name)
    return found


class CallBudget:
    """The daily cap on LLM calls, counted in the store so it holds across instances."""

    def __init__(
        self, store: Store, cap: int, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.store = store
        self.cap = cap
        self.clock = clock

    def key(self) -> str:
        """Today's counter (UTC day)."""
        return f"counter:llm-calls:{self.clock().astimezone(UTC).date().isoformat()}"

    async def take(self) -> None:
        """Count one call, or raise ``LLMBudgetExceeded`` when today's cap is reached."""
        used = await self.store.incr(self.key(), 1, ttl=2 * 86400)
        if used > self.cap:
            raise LLMBudgetExceeded(f"the daily cap of {self.cap} LLM calls is reached")

    async def give_back(self) -> None:
        """Uncount one call that never reached the provider."""
        await self.store.incr(self.key(), -1, ttl=2 * 86400)

    async def used(self) -> int:
        """Calls counted today."""
        raw = await self.store.get(self.key())
        return int(raw) if raw else 0


class DailyShare:
    """One profile's share of the daily LLM calls (its own counter; the global cap holds too)."""

    def __init__(
        self,
        store: Store,
        name: str,
        cap: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.name = name
        self.cap = cap
        self.clock = clock

    def key(self) -> str:
        """Today's counter of this profile (UTC day)."""
        return f"counter:llm-calls:{self.name}:{self.clock().astimezone(UTC).date().isoformat()}"

    async def remaining(self) -> int:
        """Calls this profile may still cause today."""
        raw = await self.store.get(self.key())
        return max(0, self.cap - (int(raw) if raw else 0))

    async def spend(self, calls: int) -> None:
        """Count ``calls`` made for this profile."""
        if calls:
            await self.store.incr(self.key(), calls, ttl=2 * 86400)
