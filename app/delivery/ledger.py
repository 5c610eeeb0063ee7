"""At most once per feed, channel and announcement day: the delivery ledger, in the store.

Keys (``delivery:<feed>:<channel>:<day>:...``), where ``<feed>`` is ``feed_key``'s: ``default``
for the configured feed, ``profile.<name>`` for a profile (so a profile named ``default`` is
never taken for the configured feed):

- ``:sent`` exists once the whole digest went out; nothing is sent again for that day.
- ``:claim`` is taken with ``set_nx`` before sending, so of two instances (or two overlapping
  runs) only one sends; it expires after ``claim_ttl`` in case its holder dies mid-send.
- ``:parts`` counts the messages of a split digest already accepted, so a retry after a failure
  on message 3 starts at message 3 and never repeats 1 and 2.

A failure releases the claim and keeps ``:parts``: the next run retries what is left. The only
window for a repeat is a process killed between a server accepting a message and the store
recording it (the claim then expires and the next run sends that one message again).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

from app.store import Store

KEEP = 14 * 86400.0  # a day's records outlive any retry of that day
CLAIM_TTL = 600.0
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


CONFIGURED = "default"  # the configured feed's key, as it was before profiles had their own


def feed_key(profile: str | None) -> str:
    """The ledger's name for the configured feed (``None``) or for the profile ``profile``."""
    return CONFIGURED if profile is None else f"profile.{profile}"


class Ledger:
    """What was delivered, and who is delivering now."""

    def __init__(
        self,
        store: Store,
        claim_ttl: float = CLAIM_TTL,
        keep: float = KEEP,
        *,
        feed: str = CONFIGURED,
    ) -> None:
        self.store = store
        self.claim_ttl = claim_ttl
        self.keep = keep
        self.feed = feed  # its name in the ledger: ``feed_key``'s

    def key_for(self, channel: str, day: date) -> str:
        """The key prefix for this feed, ``channel`` and ``day``."""
        return self.key(self.feed, channel, day)

    @staticmethod
    def key(feed: str, channel: str, day: date) -> str:
        """The ledger's key prefix for one feed, channel and day."""
        return f"delivery:{_UNSAFE.sub('_', feed)}:{channel}:{day.isoformat()}"

    async def sent(self, key: str) -> bool:
        """Whether the digest already went out."""
        return await self.store.get(key + ":sent") is not None

    async def claim(self, key: str) -> bool:
        """Take the right to send; False when another run holds it."""
        return await self.store.set_nx(key + ":claim", b"1", ttl=self.claim_ttl)

    async def parts_done(self, key: str) -> int:
        """How many messages of the digest were accepted already."""
        raw = await self.store.get(key + ":parts")
        try:
            return int(raw) if raw is not None else 0
        except ValueError:
            return 0

    async def part_sent(self, key: str, done: int) -> None:
        """Record that the first ``done`` messages were accepted."""
        await self.store.set(key + ":parts", str(done).encode(), ttl=self.keep)

    async def finish(self, key: str, messages: int) -> None:
        """Record the whole digest as sent, and let go of the claim."""
        record = {"at": datetime.now(UTC).isoformat(), "messages": messages}
        await self.store.set(key + ":sent", json.dumps(record).encode(), ttl=self.keep)
        await self.store.delete(key + ":claim")

    async def release(self, key: str) -> None:
        """Give up the claim after a failure, so the next run retries."""
        await self.store.delete(key + ":claim")
