"""The day's refresh as units in the store, claimed by the calls that do them.

A run is one round of the daily refresh: its units are the owner's feeds (``default``, then
``profile.<name>``: the delivery ledger's names), its id ``<day>.<n>`` (the announcement day in
New York and the round of that day). Keys, all caches with an expiry of ``KEEP`` (two days):

- ``refresh:current``: the run under way (or the last one).
- ``refresh:<run>:units``: its units, in order; ``refresh:<run>:cursor``: how many were handed
  out (one ``INCR`` hands out the next).
- ``refresh:<run>:unit:<unit>``: a unit's state (pending, done, failed), its failures, the
  calls that worked on it, its last error and what it did (a ``FeedRefresh``).
- ``refresh:<run>:claim:<unit>``: held (``SET NX`` with an expiry) by the call working on it;
  a call killed mid-way holds it until it expires, then another call takes the unit again.
- ``refresh:<run>:calls``, ``refresh:<run>:last-error``: for the status.

A unit that fails is tried again by a later call, ``MAX_ATTEMPTS`` times in all, then it has
failed for good (until the next run); one left pending (its summaries still coming) is taken
again by the next call that finds it unclaimed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from app.store import Store

KEEP = 2 * 86400.0
MAX_ATTEMPTS = 3  # failures before a unit has failed for good
CURRENT = "refresh:current"


class UnitState(BaseModel):
    """Where one unit of a run stands."""

    state: Literal["pending", "done", "failed"] = "pending"
    attempts: int = Field(default=0, description="Failures so far")
    rounds: int = Field(default=0, description="Calls that worked on it")
    error: str | None = None
    report: dict[str, object] | None = Field(default=None, description="Its FeedRefresh")


class RunStatus(BaseModel):
    """How far the current run of the daily refresh is."""

    run: str | None = Field(description="<announcement day>.<round>; null: no run yet")
    units: int = Field(description="The owner's feeds in the run")
    done: int = Field(description="Refreshed and delivered (or nothing to deliver)")
    pending: int = Field(description="Still to do, being done, or to be tried again")
    failed: int = Field(description="Failed for good in this run")
    claimed: int = Field(description="Being worked on by a call now")
    calls: int = Field(description="Calls that worked on this run")
    last_error: str | None = Field(description="The latest unit's error (feed: message)")


class Run:
    """One run's units, their states and their claims."""

    def __init__(self, store: Store, run_id: str) -> None:
        self.store = store
        self.id = run_id
        self._units: list[str] | None = None

    def _key(self, *parts: str) -> str:
        return ":".join(("refresh", self.id, *parts))

    @classmethod
    async def current(cls, store: Store) -> Run | None:
        """The run under way (or the last one), if its record is still kept."""
        raw = await store.get(CURRENT)
        return None if raw is None else await cls.named(store, raw.decode())

    @classmethod
    async def named(cls, store: Store, run_id: str) -> Run | None:
        """The run ``run_id``, if it is kept."""
        run = cls(store, run_id)
        return run if await store.get(run._key("units")) is not None else None

    @classmethod
    async def begin(cls, store: Store, day: str, units: Sequence[str]) -> Run:
        """A new round of ``day`` over ``units``, made the current run."""
        n = await store.incr(f"refresh:round:{day}", 1, ttl=KEEP)
        run = cls(store, f"{day}.{n}")
        await store.set(run._key("units"), json.dumps(list(units)).encode(), ttl=KEEP)
        await store.set(CURRENT, run.id.encode(), ttl=KEEP)
        run._units = list(units)
        return run

    async def units(self) -> list[str]:
        """The run's units, in order."""
        if self._units is None:
            raw = await self.store.get(self._key("units"))
            try:
                found = json.loads(raw) if raw else []
            except ValueError:
                found = []
            self._units = [u for u in found if isinstance(u, str)]
        return self._units

    async def states(self, units: Sequence[str]) -> dict[str, UnitState]:
        """Each unit's state (one read for all)."""
        raw = await self.store.get_many([self._key("unit", u) for u in units])
        return {u: _state(raw.get(self._key("unit", u))) for u in units}

    async def state(self, unit: str) -> UnitState:
        """One unit's state."""
        return _state(await self.store.get(self._key("unit", unit)))

    async def record(self, unit: str, state: UnitState, error: str | None = None) -> None:
        """Keep ``unit``'s new state (and ``error`` as the run's last)."""
        await self.store.set(self._key("unit", unit), state.model_dump_json().encode(), ttl=KEEP)
        if error is not None:
            await self.store.set(self._key("last-error"), error.encode(), ttl=KEEP)

    async def next_fresh(self) -> str | None:
        """The next unit never handed out (None: all were)."""
        units = await self.units()
        n = await self.store.incr(self._key("cursor"), 1, ttl=KEEP)
        return units[n - 1] if n <= len(units) else None

    async def claim(self, unit: str, ttl: float) -> bool:
        """Hold ``unit`` for ``ttl`` seconds; False when another call holds it."""
        return await self.store.set_nx(self._key("claim", unit), b"1", ttl=ttl)

    async def release(self, unit: str) -> None:
        """Let go of ``unit``."""
        await self.store.delete(self._key("claim", unit))

    async def claimed(self, units: Sequence[str]) -> set[str]:
        """Which of ``units`` a call holds now."""
        raw = await self.store.get_many([self._key("claim", u) for u in units])
        return {u for u in units if self._key("claim", u) in raw}

    async def count_call(self) -> None:
        """Count one more call working on the run."""
        await self.store.incr(self._key("calls"), 1, ttl=KEEP)

    async def status(self) -> RunStatus:
        """Units done, pending, failed and claimed; calls; the last error."""
        units = await self.units()
        states = await self.states(units)
        count = {s: sum(1 for x in states.values() if x.state == s) for s in ("done", "failed")}
        pending = [u for u, x in states.items() if x.state == "pending"]
        extra = await self.store.get_many([self._key("calls"), self._key("last-error")])
        calls = extra.get(self._key("calls"))
        error = extra.get(self._key("last-error"))
        return RunStatus(
            run=self.id,
            units=len(units),
            done=count["done"],
            pending=len(pending),
            failed=count["failed"],
            claimed=len(await self.claimed(pending)) if pending else 0,
            calls=int(calls) if calls else 0,
            last_error=error.decode(errors="replace") if error else None,
        )


def _state(raw: bytes | None) -> UnitState:
    """A unit's state from the store (none, or unreadable: pending, never worked on)."""
    if raw is None:
        return UnitState()
    try:
        return UnitState.model_validate_json(raw)
    except ValidationError:
        return UnitState()
