"""The store backends: one set of behaviour tests run against memory, SQLite and a real Redis.

Redis tests start ``redis-server`` on loopback; without the binary they are skipped, except
under CI (env ``CI`` set), where a missing ``redis-server`` is a failure.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.errors import ConfigError
from app.store import FallbackStore, MemoryStore, SQLiteStore, Store, open_store
from tests.loopback import free_port

pytestmark = pytest.mark.anyio

REDIS_SERVER = shutil.which("redis-server")
CJK = "大型语言模型的高效推理".encode()
ODD = [b"\x00\xff", CJK, b"", bytes(range(256)) * 1000]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def read(path: str | Path) -> bytes:
    """A file's bytes (a plain function: the async tests are small enough to block briefly)."""
    return Path(path).read_bytes()


class RedisServer:
    """A throwaway ``redis-server`` on loopback, no persistence, with a user ``user:s3cret``;
    ``extra`` arguments, e.g. ``["--maxmemory", "8mb"]``."""

    def __init__(self, port: int, extra: Sequence[str] = ()) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.extra = list(extra)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert REDIS_SERVER is not None
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        acl = ["--user", "user", "on", ">s3cret", "~*", "&*", "+@all"]
        self.proc = subprocess.Popen(
            [REDIS_SERVER, *args, "no", *acl, *self.extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


def need_redis() -> None:
    if REDIS_SERVER is None:
        if os.environ.get("CI"):
            pytest.fail(
                "redis-server is not installed; CI must provide it (apt install redis-server)"
            )
        pytest.skip("redis-server is not installed (apt install redis-server): Redis not tested")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    need_redis()
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


@dataclass
class Backend:
    """How to open (and reopen) one backend, and how to let time pass for it."""

    kind: str
    make: Callable[[], Store]
    clock: Clock | None = None
    opened: list[Store] = field(default_factory=list)

    def open(self) -> Store:
        store = self.make()
        self.opened.append(store)
        return store

    async def elapse(self, seconds: float) -> None:
        if self.clock is not None:
            self.clock.now += seconds
        else:
            await asyncio.sleep(seconds)


def make_backend(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    clock = Clock()
    if kind == "memory":
        memory = MemoryStore(clock=clock)  # "reopening" it hands back the same object
        return Backend(kind, lambda: memory, clock)
    if kind == "sqlite":
        return Backend(kind, lambda: SQLiteStore(tmp_path / "s" / "kv.sqlite3", clock=clock), clock)
    from app.store.redis import RedisStore

    server: RedisServer = request.getfixturevalue("redis_server")
    prefix = f"test:{uuid.uuid4().hex}:"
    return Backend(kind, lambda: RedisStore(server.url, prefix=prefix))


ALL = ["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)]
PERSISTENT = ["sqlite", pytest.param("redis", marks=pytest.mark.redis)]


async def _backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    backend = make_backend(request.param, request, tmp_path)
    yield backend
    for store in backend.opened:
        await store.close()


backend = pytest.fixture(params=ALL)(_backend)
persistent = pytest.fixture(params=PERSISTENT)(_backend)


async def test_round_trip_of_arbitrary_bytes(backend: Backend) -> None:
    store = backend.open()
    assert isinstance(store, Store)
    for i, value in enumerate(ODD):
        await store.set(f"k{i}", value)
    for i, value in enumerate(ODD):
        assert await store.get(f"k{i}") == value
    await store.set("k0", b"replaced")
    assert await store.get("k0") == b"replaced"
    await store.delete("k0")
    await store.delete("k0")  # absent: no error
    assert await store.get("k0") is None
    assert await store.get("never-set") is None
    assert await store.ping() is True


async def test_ttl_expiry(backend: Backend) -> None:
    store = backend.open()
    await store.set("short", b"x", ttl=0.3)
    await store.set("kept", b"y")
    assert await store.get_many(["short", "kept"]) == {"short": b"x", "kept": b"y"}
    await backend.elapse(0.5)
    assert await store.get("short") is None
    assert await store.get_many(["short", "kept"]) == {"kept": b"y"}


async def test_get_many_mixes_present_and_absent(backend: Backend) -> None:
    store = backend.open()
    await store.set("a", b"1")
    await store.set("c", CJK)
    assert await store.get_many(["a", "b", "c", "a"]) == {"a": b"1", "c": CJK}
    assert await store.get_many([]) == {}
    keys = [f"many:{i}" for i in range(1200)]  # more than one SQL chunk
    for k in keys[::3]:
        await store.set(k, k.encode())
    assert await store.get_many(keys) == {k: k.encode() for k in keys[::3]}


async def test_set_nx(backend: Backend) -> None:
    store = backend.open()
    assert await store.set_nx("lock", b"one", ttl=0.3) is True
    assert await store.set_nx("lock", b"two", ttl=0.3) is False
    assert await store.get("lock") == b"one"
    await backend.elapse(0.5)
    assert await store.set_nx("lock", b"three") is True
    assert await store.get("lock") == b"three"


async def test_incr(backend: Backend) -> None:
    store = backend.open()
    assert await store.incr("n") == 1
    assert await store.incr("n", 5) == 6
    assert await store.incr("n", -2) == 4
    assert await store.get("n") == b"4"


async def test_concurrent_incr_loses_nothing(backend: Backend) -> None:
    store = backend.open()
    results = await asyncio.gather(*(store.incr("hits") for _ in range(100)))
    assert sorted(results) == list(range(1, 101))
    assert await store.get("hits") == b"100"


async def test_incr_ttl_applies_only_at_creation(backend: Backend) -> None:
    store = backend.open()
    assert await store.incr("day", ttl=0.6) == 1
    await backend.elapse(0.35)
    assert await store.incr("day", ttl=0.6) == 2  # does not push the expiry out
    await backend.elapse(0.45)
    assert await store.get("day") is None
    assert await store.incr("day", ttl=0.6) == 1


async def test_values_survive_a_restart(persistent: Backend) -> None:
    store = persistent.open()
    await store.set("summary:2601.00001", CJK)
    await store.incr("counter")
    await store.set("later", b"x", ttl=3600)
    await store.close()
    again = persistent.open()
    assert await again.get_many(["summary:2601.00001", "counter", "later"]) == {
        "summary:2601.00001": CJK,
        "counter": b"1",
        "later": b"x",
    }


# -- SQLite only --


async def test_sqlite_instances_sharing_a_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "kv.sqlite3"
    one, two = SQLiteStore(path), SQLiteStore(path)
    try:
        await asyncio.gather(*(s.incr("n") for _ in range(50) for s in (one, two)))
        assert await one.get("n") == b"100"
        won = await asyncio.gather(*(s.set_nx("lock", b"x") for _ in range(10) for s in (one, two)))
        assert won.count(True) == 1
    finally:
        await one.close()
        await two.close()


async def test_sqlite_processes_sharing_a_file(tmp_path: Path) -> None:
    path = tmp_path / "kv.sqlite3"
    script = (
        "import asyncio, sys\nfrom app.store import SQLiteStore\n"
        "async def main():\n    s = SQLiteStore(sys.argv[1])\n"
        "    for _ in range(200): await s.incr('n')\n    await s.close()\n"
        "asyncio.run(main())\n"
    )
    root = Path(__file__).parent.parent
    procs = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", script, str(path), cwd=root)
        for _ in range(3)
    ]
    assert await asyncio.wait_for(asyncio.gather(*(p.wait() for p in procs)), 60) == [0, 0, 0]
    store = SQLiteStore(path)
    assert await store.get("n") == b"600"
    await store.close()


@pytest.mark.parametrize(
    "files", [["kv.sqlite3"], ["kv.sqlite3", "kv.sqlite3-wal", "kv.sqlite3-shm"]]
)
async def test_sqlite_file_deleted_while_open(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, files: list[str]
) -> None:
    path = tmp_path / "kv.sqlite3"
    store = SQLiteStore(path)
    await store.set("a", b"1")
    for name in files:
        os.unlink(tmp_path / name)
    await store.set("b", b"2")
    assert await store.get("b") == b"2"
    assert path.is_file()
    await store.close()
    again = SQLiteStore(path)
    assert await again.get_many(["a", "b"]) == {"b": b"2"}
    await again.close()
    assert "deleted or replaced" in caplog.text


@pytest.mark.parametrize("how", ["overwritten while closed", "replaced while open"])
async def test_sqlite_corrupt_file_is_recovered(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    path = tmp_path / "kv.sqlite3"
    store = SQLiteStore(path)
    await store.set("a", b"1")
    garbage = os.urandom(64 * 1024)
    if how == "overwritten while closed":
        await store.close()
        path.write_bytes(garbage)
    else:
        (tmp_path / "garbage").write_bytes(garbage)
        os.replace(tmp_path / "garbage", path)
    with caplog.at_level(logging.WARNING):
        await store.set("b", b"2")
        assert await store.get("b") == b"2"
    assert "file is not a database" in caplog.text
    await store.close()
    assert read(f"{path}.corrupt") == garbage  # kept aside for inspection


async def test_sqlite_purges_expired_rows(tmp_path: Path) -> None:
    clock = Clock()
    store = SQLiteStore(tmp_path / "kv.sqlite3", clock=clock)
    await store.set("old", b"x", ttl=1)
    clock.now += 3600
    await store.set("new", b"y")
    await store.close()
    with sqlite3.connect(tmp_path / "kv.sqlite3") as conn:
        assert [k for (k,) in conn.execute("SELECT key FROM kv")] == ["new"]


# -- FallbackStore --


class Flaky(MemoryStore):
    """A memory store whose ``get``/``set`` fail like an unreachable server while ``broken``."""

    name = "flaky"

    def __init__(self) -> None:
        super().__init__()
        self.broken = False
        self.calls = 0

    def _check(self) -> None:
        self.calls += 1
        if self.broken:
            raise ConnectionRefusedError(111, "Connection refused")

    async def get(self, key: str) -> bytes | None:
        self._check()
        return await super().get(key)

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        self._check()
        await super().set(key, value, ttl)


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


async def test_fallback_store_switches_over_and_back(caplog: pytest.LogCaptureFixture) -> None:
    clock, flaky = Clock(), Flaky()
    store = FallbackStore(flaky, label="flaky at redis://u:pw@h", clock=clock)
    await store.set("a", b"primary")
    flaky.broken = True
    for i in range(20):
        await store.set(f"k{i}", b"v")
        assert await store.get(f"k{i}") == b"v"
    assert store.name == "flaky (down, using memory)"
    assert flaky.calls == 2  # the first failure switched over; no retry before 30 s
    clock.now += 29
    assert await store.get("a") is None
    assert flaky.calls == 2
    flaky.broken = False
    clock.now += 2
    assert await store.get("a") == b"primary"
    assert store.name == "flaky"
    down, back = warnings_of(caplog)
    assert "unreachable" in down
    assert "ConnectionRefusedError" in down
    assert "reachable again" in back
    assert "pw" not in caplog.text
    assert "u:***@h" in caplog.text


async def test_fallback_for_an_unusable_sqlite_path(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "file").write_text("not a folder")
    store = open_store(None, None, tmp_path / "file" / "kv.sqlite3")
    for _ in range(5):
        assert await store.incr("n") >= 1
    assert await store.get("n") == b"5"
    assert store.name == "sqlite (down, using memory)"
    assert len(warnings_of(caplog)) == 1
    assert await store.ping() is False
    await store.close()


@pytest.mark.redis
async def test_fallback_while_redis_is_down(caplog: pytest.LogCaptureFixture) -> None:
    need_redis()
    from app.store.redis import RedisStore

    caplog.set_level(logging.DEBUG)
    port, clock = free_port(), Clock()
    url = f"redis://user:s3cret@127.0.0.1:{port}/0"
    store = open_store(url, None, Path("unused"))
    assert isinstance(store, FallbackStore)
    store.clock = clock
    for i in range(10):
        await store.set(f"k{i}", CJK)
        assert await store.get(f"k{i}") == CJK
        assert await store.incr("n") == i + 1
        assert await store.get_many([f"k{i}", "nope"]) == {f"k{i}": CJK}
    assert await store.set_nx("lock", b"x") is True
    assert store.name == "redis (down, using memory)"
    assert len(warnings_of(caplog)) == 1
    assert await store.ping() is False
    server = RedisServer(port)
    server.start()
    direct = RedisStore(url)
    try:
        await store.get("k0")  # still within the retry interval: the fallback answers
        assert store.name == "redis (down, using memory)"
        clock.now += 31
        await store.set("back", b"1")
        assert await direct.get("back") == b"1"
        assert store.name == "redis"
        assert await store.ping() is True
    finally:
        await direct.close()
        await store.close()
        server.stop()
    assert len(warnings_of(caplog)) == 2
    assert caplog.records
    assert "s3cret" not in caplog.text
    assert all("s3cret" not in (r.exc_text or "") for r in caplog.records)


# -- open_store --


@pytest.mark.parametrize(
    ("store_url", "redis_url", "kind", "where"),
    [
        ("memory://", "redis://h:1/0", "memory", None),
        ("sqlite:///abs/kv.db", None, "sqlite", "/abs/kv.db"),
        ("sqlite:rel/kv.db", None, "sqlite", "rel/kv.db"),
        ("SQLITE:", None, "sqlite", "default.db"),
        ("redis://h:1/0", None, "redis", "redis://h:1/0"),
        ("rediss://default:tok@x.upstash.io:6379", None, "redis", "***@x.upstash.io"),
        (None, "rediss://default:tok@kv.vercel.io:6379", "redis", "kv.vercel.io"),
        ("", None, "sqlite", "default.db"),
        (None, None, "sqlite", "default.db"),
    ],
)
async def test_open_store_picks_the_backend(
    store_url: str | None, redis_url: str | None, kind: str, where: str | None
) -> None:
    store = open_store(store_url, redis_url, Path("default.db"))
    try:
        assert store.name == kind
        primary = store.primary if isinstance(store, FallbackStore) else store
        if kind == "sqlite":
            assert isinstance(primary, SQLiteStore)
            assert primary.path == Path(where or "")
        elif kind == "redis":
            assert where is not None
            assert where.replace("***", "default:***") in repr(primary)
            assert "tok" not in repr(primary)
            assert "tok" not in repr(store)
        else:
            assert isinstance(store, MemoryStore)
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("store_url", "redis_url"),
    [("postgres://u:pw@h/db", None), ("sqlite://rel/kv.db", None), (None, "http://u:pw@h")],
)
def test_open_store_rejects_bad_urls(store_url: str | None, redis_url: str | None) -> None:
    with pytest.raises(ConfigError) as info:
        open_store(store_url, redis_url, Path("default.db"))
    text = f"{info.value.message} {info.value.hint}"
    assert "pw" not in text
    if store_url and store_url.startswith("postgres"):
        assert "sqlite:///" in text
        assert "rediss://" in text
        assert "memory://" in text


@pytest.mark.parametrize(
    ("store_url", "redis_url"),
    [
        (None, "redis://user:pw-SECRET/x@127.0.0.1:6379/0"),  # read as the port
        (None, "redis://user:pw SECRET@127.0.0.1:6379/0"),
        (None, "redis://:pw-SECRET@[bad"),
        (None, "redis://:pw-SECRET@host:99999/0"),
        (None, "redis://:12?pw-SECRET@host:6379/0"),  # "12" would pass for the port
        (None, "redis://:pw#SECRET@host:6379/0"),
        ("rediss://u:pw-SECRET/1@h:6379/0", None),
        (None, "pw-SECRET"),  # a bare value, not a URL
        ("pw-SECRET", None),
    ],
)
def test_a_malformed_redis_url_is_refused_without_its_password(
    store_url: str | None, redis_url: str | None
) -> None:
    with pytest.raises(ConfigError) as info:
        open_store(store_url, redis_url, Path("default.db"))
    text = f"{info.value.message} {info.value.hint}"
    assert "SECRET" not in text
    assert "pw" not in text.replace("pwd", "")
    assert ("STORE_URL" if store_url else "REDIS_URL") in text
