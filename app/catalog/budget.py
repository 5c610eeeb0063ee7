"""The strangers' budget: new categories a day that feeds the owner did not define may fetch.

Counted in the store, per announcement day (America/New_York), so it holds across instances
and restarts. Each new category is charged in one atomic step, whatever the store: ``incr`` the
day's counter, then compare with the budget; over it, the charge is given back. The day's
marker of a category is set only after a charge within the budget, so however many requests
(and instances) race, no more categories than the budget are ever let through; a category
counted once today costs nothing more. An archive (``cs``) counts as its categories, for the
budget and for ``max_request``, the strangers' categories one request may name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.arxiv import taxonomy
from app.arxiv.schedule import announcement_day, next_update
from app.errors import AdhocBudgetExhausted, InvalidQuery
from app.store.base import Store

COUNTER_TTL = 2 * 86400.0


@dataclass
class Charge:
    """What charging a request's categories gave."""

    allowed: list[str] = field(default_factory=list)
    charged: list[str] = field(default_factory=list)  # counted by this charge (may be refunded)
    refused: AdhocBudgetExhausted | None = None


class StrangersBudget:
    """Charges strangers' categories against the day's budget, and caps them per request."""

    def __init__(
        self,
        store: Store,
        limit: int,
        clock: Callable[[], datetime],
        *,
        max_request: int | None = None,
    ) -> None:
        self.store = store
        self.limit = limit
        self.clock = clock
        self.max_request = max_request  # strangers' categories one request may name (None: any)

    def day(self) -> str:
        """The announcement day the budget counts now."""
        return announcement_day(self.clock()).isoformat()

    async def used(self) -> int:
        """Strangers' categories fetched today (an archive as its own)."""
        raw = await self.store.get(_counter(self.day()))
        return int(raw) if raw else 0

    def check_request(self, strangers: Sequence[str]) -> None:
        """Refuse a request naming more strangers' categories than ``max_request`` (422)."""
        count = sum(taxonomy.size(c) for c in strangers)
        if self.max_request is None or count <= self.max_request:
            return
        archives = [f"{c} counts as its {taxonomy.size(c)} categories" for c in strangers
                    if taxonomy.size(c) > 1]  # fmt: skip
        said = archives or ["an archive counts as all its categories"]
        raise InvalidQuery(
            f"at most {self.max_request} categories that the owner's feeds do not use per "
            f"request; this one names {count}",
            hint="; ".join([*said, "ask for fewer in one feed"]),
        )

    async def charge(self, strangers: Sequence[str], day: str) -> Charge:
        """Count ``strangers`` against ``day``'s budget: those allowed, and the refusal."""
        counter = _counter(day)
        out = Charge()
        refused: list[str] = []
        for cat in strangers:
            marker = _marker(day, cat)
            cost = taxonomy.size(cat)
            if await self.store.get(marker) is not None:
                out.allowed.append(cat)  # counted already today
            elif await self.store.incr(counter, cost, ttl=COUNTER_TTL) <= self.limit:
                if await self.store.set_nx(marker, b"1", ttl=COUNTER_TTL):
                    out.charged.append(cat)
                else:
                    await self.store.incr(counter, -cost, ttl=COUNTER_TTL)  # counted meanwhile
                out.allowed.append(cat)
            else:
                await self.store.incr(counter, -cost, ttl=COUNTER_TTL)  # over: give it back
                if await self.store.get(marker) is not None:
                    out.allowed.append(cat)  # another request counted it meanwhile
                else:
                    refused.append(cat)
        if refused:
            now = self.clock()
            out.refused = AdhocBudgetExhausted(
                f"today's budget of {self.limit} categories for feeds the owner did not "
                f"define is spent; {', '.join(refused)} not in the catalog yet",
                hint="the configured categories, and any fetched today, are still served; "
                "GET /health shows the budget",
                retry_after=max(60.0, (next_update(now) - now).total_seconds()),
            )
        return out

    async def refund(self, charged: Sequence[str], day: str) -> None:
        """Give back what ``charge`` counted for ``charged`` (each refunded by its charger)."""
        for cat in charged:
            await self.store.delete(_marker(day, cat))
            await self.store.incr(_counter(day), -taxonomy.size(cat), ttl=COUNTER_TTL)


def _counter(day: str) -> str:
    return f"counter:adhoc-categories:{day}"


def _marker(day: str, category: str) -> str:
    return f"adhoc:{day}:{category}"
