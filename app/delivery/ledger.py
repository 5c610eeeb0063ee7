"""At most once per feed, channel and announcement day: the delivery ledger, in the store.

Keys (``delivery:<feed>:<channel>:<day>:...``), where ``<feed>`` is ``feed_key``'s: ``default``
for the configured feed, ``profile.<name>`` for a profile (so a profile named ``default`` is
never taken for the configured feed). They are in a durable namespace (``app.store.keys``):
written with no expiry, so a Redis that evicts caches (``volatile-lru``) never evicts them, and
never kept in one instance's memory instead of the store:

- ``:sent`` exists once the whole digest went out; nothing is sent again for that day.
- ``:claim`` is taken with ``set_nx`` before sending, so of two instances (or two overlapping
  runs) only one sends; it expires after ``claim_ttl`` in case its holder dies mid-send (the
  one key here with an expiry).
- ``:parts`` counts the messages of a split digest already accepted, so a retry after a failure
  on message 3 starts at message 3 and never repeats 1 and 2.

``delivery:<feed>:<channel>:days`` lists the days that have records. A claim on a new day
deletes the records of days more than ``keep_days`` older, so the ledger stays small without
any expiry.

A failure releases the claim and keeps ``:parts``: the next run retries what is left. When the
store cannot take the claim (full, or unreachable) ``claim`` raises ``StoreUnavailable`` and
nothing is sent, so nothing is sent twice later. The only window for a repeat is a message
accepted by its server but not recorded (the process killed, or the store failing, in
between): the next run sends that one message again.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from app.errors import StoreUnavailable
from app.store import Store

KEEP_DAYS = 14  # a day's records outlive any retry of that day
CLAIM_TTL = 600.0
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")
_RECORDS = (":sent", ":parts", ":claim")


@dataclass(frozen=True)
class Slot:
    """One feed's channel on one announcement day: what the ledger records."""

    feed: str
    channel: str
    day: date

    @property
    def base(self) -> str:
        """The key prefix of this feed and channel (every day)."""
        return f"delivery:{_UNSAFE.sub('_', self.feed)}:{self.channel}"

    @property
    def key(self) -> str:
        """The key prefix of this day's records."""
        return f"{self.base}:{self.day.isoformat()}"


CONFIGURED = "default"  # the configured feed's key, as it was before profiles had their own
PROFILE = "profile."


def feed_key(profile: str | None) -> str:
    """The ledger's name for the configured feed (``None``) or for the profile ``profile``."""
    return CONFIGURED if profile is None else f"{PROFILE}{profile}"


class Ledger:
    """What was delivered, and who is delivering now."""

    def __init__(
        self,
        store: Store,
        claim_ttl: float = CLAIM_TTL,
        keep_days: int = KEEP_DAYS,
        *,
        feed: str = CONFIGURED,
    ) -> None:
        self.store = store
        self.claim_ttl = claim_ttl
        self.keep_days = keep_days
        self.feed = feed  # its name in the ledger: ``feed_key``'s

    def slot(self, channel: str, day: date) -> Slot:
        """This feed's ``channel`` on ``day``."""
        return Slot(self.feed, channel, day)

    async def sent(self, slot: Slot) -> bool:
        """Whether the digest already went out (for a profile, also under the key its records
        had before profiles were named ``profile.<name>``: an upgrade never sends a day twice)."""
        keys = [slot.key + ":sent"]
        name = slot.feed.removeprefix(PROFILE)
        if slot.feed.startswith(PROFILE) and name != CONFIGURED:
            keys.append(Slot(name, slot.channel, slot.day).key + ":sent")
        return bool(await self.store.get_many(keys))

    async def claim(self, slot: Slot) -> bool:
        """Take the right to send; False when another run holds it. Raises
        ``StoreUnavailable`` (holding nothing) when the store cannot record it."""
        if not await self.store.set_nx(slot.key + ":claim", b"1", ttl=self.claim_ttl):
            return False
        try:
            await self._note_day(slot)
        except StoreUnavailable:
            with contextlib.suppress(StoreUnavailable):
                await self.release(slot)
            raise
        return True

    async def parts_done(self, slot: Slot) -> int:
        """How many messages of the digest were accepted already."""
        raw = await self.store.get(slot.key + ":parts")
        try:
            return int(raw) if raw is not None else 0
        except ValueError:
            return 0

    async def part_sent(self, slot: Slot, done: int) -> None:
        """Record that the first ``done`` messages were accepted."""
        await self.store.set(slot.key + ":parts", str(done).encode())

    async def finish(self, slot: Slot, messages: int) -> None:
        """Record the whole digest as sent, and let go of the claim."""
        record = {"at": datetime.now(UTC).isoformat(), "messages": messages}
        await self.store.set(slot.key + ":sent", json.dumps(record).encode())
        with contextlib.suppress(StoreUnavailable):  # it expires on its own
            await self.store.delete(slot.key + ":claim")

    async def release(self, slot: Slot) -> None:
        """Give up the claim after a failure, so the next run retries."""
        await self.store.delete(slot.key + ":claim")

    async def _note_day(self, slot: Slot) -> None:
        """Add ``slot``'s day to the days with records; delete those over ``keep_days`` older."""
        index = slot.base + ":days"
        days = _days(await self.store.get(index))
        today = slot.day.isoformat()
        if today in days:
            return
        cutoff = (slot.day - timedelta(days=self.keep_days)).isoformat()
        old = {d for d in days if d < cutoff}
        for day in sorted(old):
            for record in _RECORDS:
                await self.store.delete(f"{slot.base}:{day}{record}")
        await self.store.set(index, json.dumps(sorted((days - old) | {today})).encode())


def _days(raw: bytes | None) -> set[str]:
    """The days an index lists (an unreadable index lists none)."""
    try:
        found = json.loads(raw) if raw else []
    except ValueError:
        return set()
    return {d for d in found if isinstance(d, str)} if isinstance(found, list) else set()
