"""Which store keys hold data that must not be lost: the one list of durable namespaces.

Every key the service writes is either durable or a cache entry:

- **durable**: stored profiles and their index (``profile:<name>``, ``profiles``), the delivery
  ledger (``delivery:...``), per-profile feedback (``feedback:...``, reserved for it) and each
  profile's synced Zotero library (``zotero:<name>``: the last good copy, kept when Zotero
  fails). They are written with no expiry, so a Redis with ``maxmemory-policy volatile-lru``
  (which evicts only keys with an expiry) never evicts them, and they stay small: at most
  ``max_profiles`` profiles (one Zotero copy each, of at most 5,000 entries), and a ledger
  that removes its own old days. A durable write reaches the store or
  fails with ``StoreUnavailable`` / ``StoreFull`` (a 503): it is never kept in one instance's
  memory only, where it would be lost (a profile) or forgotten (a digest, then sent twice).
- **cache**: every other key, written with an expiry (listings, views, days, looked-up papers,
  summaries, ratings and vectors, counters, locks, back-off markers). Redis evicts these first;
  while the store refuses writes, ``FallbackStore`` keeps them in the instance's memory.

A short-lived hold inside a durable namespace (the ledger's ``:claim``) has an expiry, so that a
holder that dies lets go; like every durable key it is never kept in memory instead.
"""

from __future__ import annotations

DURABLE_PREFIXES = ("profile:", "delivery:", "feedback:", "zotero:")
DURABLE_KEYS = frozenset({"profiles"})  # the index of stored profiles
HOLD_SUFFIXES = (":claim",)  # expiring holds in a durable namespace


def durable(key: str) -> bool:
    """Whether ``key`` is in a durable namespace (see the module docstring)."""
    return key in DURABLE_KEYS or key.startswith(DURABLE_PREFIXES)


def hold(key: str) -> bool:
    """Whether ``key`` is a durable namespace's expiring hold (a claim)."""
    return durable(key) and key.endswith(HOLD_SUFFIXES)


def expiry_problem(key: str, expires: bool) -> str | None:
    """What is wrong with ``key`` having (or lacking) an expiry; None when it is as it must be.

    A cache key must expire (else Redis under ``volatile-lru`` can never evict it); a durable
    record must not (else it can be evicted); a hold must (else a dead holder keeps it).
    """
    if hold(key):
        return None if expires else "a hold without an expiry"
    if durable(key):
        return "a durable record with an expiry (evictable)" if expires else None
    return None if expires else "a cache key without an expiry (never evictable)"
