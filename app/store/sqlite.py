"""A store in one SQLite file: the default backend, shared safely by processes on one machine.

One table, ``kv(key, value, expires_at)``; expiry is wall-clock time (``time.time()``), so two
processes sharing the file agree on it. Expired rows read as absent and are purged from time to
time. ``incr`` and ``set_nx`` run inside ``BEGIN IMMEDIATE`` so concurrent writers never lose an
update. The blocking sqlite3 calls run on one dedicated thread, so the single connection is
never used concurrently. If the file is deleted, replaced or corrupted while running, the store
reopens (recreating the file if needed) and retries once, with a warning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from app.store.base import Condition

log = logging.getLogger(__name__)

T = TypeVar("T")

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at REAL)",
    "CREATE INDEX IF NOT EXISTS kv_expires ON kv (expires_at) WHERE expires_at IS NOT NULL",
)
UPSERT = (
    "INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) "
    "DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at"
)
LIVE = "(expires_at IS NULL OR expires_at > ?)"
PURGE_EVERY = 300.0  # seconds between sweeps of expired rows
CHUNK = 500  # keys per ``IN (...)``: well under SQLite's limit on bound parameters
_CONTENTION = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_CORRUPT = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


class SQLiteStore:
    """Bytes under string keys in a SQLite file (created with its parent folders)."""

    name = "sqlite"

    def __init__(
        self,
        path: Path | str,
        *,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path).expanduser()
        self.timeout = timeout
        self._clock = clock
        self._conn: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the open file
        self._wal: tuple[int, int] | None = None  # ... and of its write-ahead log
        self._executor: ThreadPoolExecutor | None = None
        self._next_purge = 0.0

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    # -- the protocol --

    async def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""

        def op(conn: sqlite3.Connection) -> bytes | None:
            sql = f"SELECT value FROM kv WHERE key = ? AND {LIVE}"  # noqa: S608
            row = conn.execute(sql, (key, self._clock())).fetchone()
            return None if row is None else bytes(row[0])

        return await self._run(op)

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The values that exist among ``keys``, in one query per 500 keys."""
        wanted = list(dict.fromkeys(keys))

        def op(conn: sqlite3.Connection) -> dict[str, bytes]:
            found: dict[str, bytes] = {}
            now = self._clock()
            for i in range(0, len(wanted), CHUNK):
                chunk = wanted[i : i + CHUNK]
                marks = ", ".join("?" * len(chunk))
                sql = f"SELECT key, value FROM kv WHERE key IN ({marks}) AND {LIVE}"  # noqa: S608
                found.update((k, bytes(v)) for k, v in conn.execute(sql, (*chunk, now)))
            return found

        return await self._run(op) if wanted else {}

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store ``value`` under ``key``, replacing any earlier value."""

        def op(conn: sqlite3.Connection) -> None:
            conn.execute(UPSERT, (key, bytes(value), self._expiry(ttl)))
            self._maybe_purge(conn)

        await self._run(op)

    async def set_nx(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        """Store ``value`` only if ``key`` is absent (or expired); True when it was stored."""

        def op(conn: sqlite3.Connection) -> bool:
            with _immediate(conn):
                sql = f"SELECT 1 FROM kv WHERE key = ? AND {LIVE}"  # noqa: S608
                if conn.execute(sql, (key, self._clock())).fetchone() is not None:
                    return False
                conn.execute(UPSERT, (key, bytes(value), self._expiry(ttl)))
                return True

        return await self._run(op)

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """Atomically add ``amount`` to the counter under ``key``; ``ttl`` applies at creation."""

        def op(conn: sqlite3.Connection) -> int:
            with _immediate(conn):
                sql = f"SELECT value, expires_at FROM kv WHERE key = ? AND {LIVE}"  # noqa: S608
                row = conn.execute(sql, (key, self._clock())).fetchone()
                if row is None:
                    value, expires = amount, self._expiry(ttl)
                else:
                    value, expires = int(bytes(row[0])) + amount, row[1]
                conn.execute(UPSERT, (key, str(value).encode(), expires))
                return value

        return await self._run(op)

    async def delete(self, key: str) -> None:
        """Forget ``key`` (no error when absent)."""
        await self._run(lambda conn: conn.execute("DELETE FROM kv WHERE key = ?", (key,)))

    async def ping(self) -> bool:
        """Whether the file can be opened and queried."""
        try:
            await self._run(lambda conn: conn.execute("SELECT 1").fetchone())
        except (sqlite3.Error, OSError) as exc:
            log.debug("sqlite store %s does not answer: %s", self.path, exc)
            return False
        return True

    async def condition(self) -> Condition:
        """Nothing to report: a SQLite file keeps everything, expiring rows are purged."""
        return Condition()

    async def close(self) -> None:
        """Close the connection and stop the worker thread (a later call reopens both)."""
        if self._executor is None:
            return
        executor, self._executor = self._executor, None
        await asyncio.wrap_future(executor.submit(self._disconnect))
        executor.shutdown(wait=False)

    # -- plumbing (everything below runs on the worker thread) --

    async def _run(self, op: Callable[[sqlite3.Connection], T]) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="sqlite-store")
        return await asyncio.wrap_future(self._executor.submit(self._call, op))

    def _call(self, op: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return op(self._connection())
        except sqlite3.DatabaseError as exc:
            code = _code(exc)
            if code in _CONTENTION:
                raise  # another writer held the lock for longer than ``timeout``: not broken
            log.warning("sqlite store %s failed (%s); reopening it and retrying", self.path, exc)
            self._disconnect()
            if code in _CORRUPT:
                self._set_aside()
            return op(self._connection())

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None and self._identity != _identity(self.path):
            log.warning("sqlite store %s was deleted or replaced; reopening it", self.path)
            wal = self._wal
            self._disconnect()
            if wal is not None and wal == _identity(Path(f"{self.path}-wal")):
                self._remove_journals()  # the old file's: replaying them would resurrect it
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            conn.execute("PRAGMA synchronous = NORMAL")
            deadline = time.monotonic() + self.timeout
            while True:  # switching to WAL does not wait on the busy handler: retry here
                try:
                    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                        conn.execute("PRAGMA journal_mode = WAL")
                    with _immediate(conn):
                        for statement in SCHEMA:
                            conn.execute(statement)
                    break
                except sqlite3.OperationalError as exc:
                    if _code(exc) not in _CONTENTION or time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)
        except BaseException:
            conn.close()
            raise
        self._identity = _identity(self.path)
        self._wal = _identity(Path(f"{self.path}-wal"))
        return conn

    def _disconnect(self) -> None:
        conn, self._conn, self._identity, self._wal = self._conn, None, None, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def _set_aside(self) -> None:
        """Move a corrupt file to ``<name>.corrupt`` (replacing an older one) for inspection."""
        with contextlib.suppress(OSError):
            os.replace(self.path, f"{self.path}.corrupt")
        self._remove_journals()

    def _remove_journals(self) -> None:
        for suffix in ("-wal", "-shm", "-journal"):
            with contextlib.suppress(OSError):
                os.unlink(f"{self.path}{suffix}")

    def _expiry(self, ttl: float | None) -> float | None:
        return None if ttl is None else self._clock() + ttl

    def _maybe_purge(self, conn: sqlite3.Connection) -> None:
        now = self._clock()
        if now >= self._next_purge:
            self._next_purge = now + PURGE_EVERY
            conn.execute("DELETE FROM kv WHERE expires_at <= ?", (now,))


def _code(exc: sqlite3.Error) -> int:
    """The primary SQLite result code of ``exc`` (0 when it has none)."""
    return (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


@contextlib.contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken up front so no other writer can slip in between."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
