"""Where listings (and, later, summaries) are kept: one interface, several backends."""

from app.store.base import Store
from app.store.memory import MemoryStore

__all__ = ["MemoryStore", "Store"]
