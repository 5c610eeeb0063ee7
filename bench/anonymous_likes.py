"""Anonymous ``like=``/``dislike=`` with new ids: arXiv API requests and store growth.

The attack of the hardening issue: N requests of ``/rss?like=<50 random new-style
ids>&dislike=<50 others>``, every id new, from readers the owner does not know. The app runs
in-process (ASGI) on a real SQLite store in a temporary folder; arXiv is an
``httpx.MockTransport``: ``/rss/<cats>`` answers the recorded listings of ``tests/data/arxiv``,
``/api/query?id_list=...`` answers like arXiv's API, one entry (title, 1 KB abstract, authors,
categories) for every id asked, as the real API does for ids in a dense month. The 3-second
spacing is off (``min_request_interval=0``) so the run is short; the requests are counted.

Printed: arXiv API requests, the SQLite file (with its write-ahead log) before and after, its
rows (all, and those that never expire), CPU seconds, and the bound the service promises:
strangers' lookups draw on ``adhoc_lookup_budget`` ids a day, so at most that many ids (and,
with 100 ids a request, budget / 100 requests) reach arXiv a day, and what they store expires.

Measured with 200 requests (2 cores, loaded): before the budget, 400 API requests (19,999 ids,
like and dislike asked apart), SQLite +42.2 MB in 39,998 rows that never expire, 22.6 CPU-s;
with it, 3 requests (300 ids), +0.36 MB in 600 rows that all expire, 2.1 CPU-s.

Part ``library`` (about 30 s): a profile with a 4,600-entry library (CSL-JSON, random words of
the listing) and strangers' like-sets on it (``/p/big/rss?like=<3 ids of the listing>``, all
different, 4 at a time) while the owner polls ``/rss`` every 10 ms and a ticker coroutine
records the event loop's stalls. Printed: the owner's latency, the longest stalls, the
process's resident memory before and after (the strangers' scorers are kept within bounds).
Measured with 40 like-sets: before, the event loop never came free during the run (19 s; the
owner's ``/rss`` answered once), memory 132 -> 515 MB (739 MB after 80, growing); now the
owner's ``/rss`` p50 1 ms, p99 5 ms, max 165 ms, memory 142 -> 327 MB (with
``MALLOC_ARENA_MAX=2``: 307 MB after 40 like-sets, 330 MB after 160).

    .venv/bin/python bench/anonymous_likes.py [--part likes|library|all] [--requests 200]
        [--budget 300] [--like-sets 40]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from app.config import load_settings  # noqa: E402
from app.main import create_app  # noqa: E402
from app.store import SQLiteStore  # noqa: E402

LISTINGS = ROOT / "tests" / "data" / "arxiv"
DAY = "2026-01-06"
WORDS = [
    "model", "training", "inference", "sparse", "attention", "kernel", "graph", "quantum",
    "protein", "robot", "policy", "gradient", "language", "vision", "diffusion", "transformer",
    "benchmark", "dataset", "scaling", "memory", "latency",
]  # fmt: skip
ENTRY = """<entry><id>http://arxiv.org/abs/{id}v1</id><updated>2026-01-05T18:00:00Z</updated>
<published>2026-01-05T18:00:00Z</published><title>{title}</title><summary>{abstract}</summary>
<author><name>A. Author</name></author><author><name>B. Author</name></author>
<arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.LG"/>
<category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/></entry>"""


class Upstream:
    """arXiv's RSS listings and API on a MockTransport; counts the API's requests and ids."""

    def __init__(self) -> None:
        self.api_requests = 0
        self.ids_asked = 0
        self.listings = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/query"):
            ids = parse_qs(request.url.query.decode())["id_list"][0].split(",")
            self.api_requests += 1
            self.ids_asked += len(ids)
            entries = "".join(self.entry(i) for i in ids)
            body = (
                f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>'
            )
            return httpx.Response(200, content=body.encode())
        self.listings += 1
        cats = request.url.path.rsplit("/", 1)[-1]
        path = LISTINGS / f"{cats}-{DAY}.xml"
        return httpx.Response(200 if path.is_file() else 404, content=path.read_bytes())

    @staticmethod
    def entry(ident: str) -> str:
        rng = random.Random(ident)
        title = " ".join(rng.choices(WORDS, k=8)).capitalize()
        abstract = " ".join(rng.choices(WORDS, k=140))
        return ENTRY.format(id=ident, title=title, abstract=abstract)


def new_ids(rng: random.Random, n: int, seen: set[str]) -> list[str]:
    """``n`` random new-style ids (2023-2025) never drawn before."""
    out: list[str] = []
    while len(out) < n:
        ident = f"{rng.randint(23, 25)}{rng.randint(1, 12):02d}.{rng.randint(1, 29999):05d}"
        if ident not in seen:
            seen.add(ident)
            out.append(ident)
    return out


def store_size(path: Path) -> int:
    """Bytes of the SQLite file and its write-ahead log."""
    return sum(p.stat().st_size for p in path.parent.glob(f"{path.name}*") if p.is_file())


def rows(path: Path) -> tuple[int, int, int]:
    """(rows, rows of looked-up papers, rows that never expire)."""
    with sqlite3.connect(path) as conn:
        total = conn.execute("SELECT count(*) FROM kv").fetchone()[0]
        papers = conn.execute("SELECT count(*) FROM kv WHERE key LIKE 'paper-%'").fetchone()[0]
        forever = conn.execute("SELECT count(*) FROM kv WHERE expires_at IS NULL").fetchone()[0]
    return int(total), int(papers), int(forever)


async def run(requests: int, budget: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp())
    (tmp / "config.json").write_text("{}")
    db = tmp / "store.sqlite3"
    settings = load_settings(
        config_file=tmp / "config.json",
        arxiv_rss_url="http://127.0.0.1:9/rss",
        arxiv_api_url="http://127.0.0.1:9/api/query",
        arxiv_source="live",
        min_request_interval=0,
        fetch_backoff=0,
        adhoc_lookup_budget=budget,  # ignored by a version without it
    )
    upstream = Upstream()
    store = SQLiteStore(db)
    app = create_app(settings, transport=httpx.MockTransport(upstream), store=store)
    rng = random.Random(7)
    seen: set[str] = set()
    statuses: dict[int, int] = {}
    notes = ""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench.test", timeout=120
    ) as client:
        warm = await client.get("/rss")  # the configured listing, held from now on
        assert warm.status_code == 200, warm.text[:300]
        size0, (rows0, papers0, _) = store_size(db), rows(db)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(requests):
            like = ",".join(new_ids(rng, 50, seen))
            dislike = ",".join(new_ids(rng, 50, seen))
            response = await client.get(f"/feed.json?like={like}&dislike={dislike}")
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code == 200:
                notes = response.json().get("description", "")
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    await app.state.runtime.aclose()
    size1, (rows1, papers1, forever) = store_size(db), rows(db)
    print(f"{requests} requests of /feed.json?like=<50 new ids>&dislike=<50 new ids>")
    print(f"  statuses: {statuses}; {wall:.1f} s, {cpu:.1f} CPU-s")
    print(f"  arXiv API requests: {upstream.api_requests} ({upstream.ids_asked} ids asked)")
    print(f"  SQLite: {size0 / 1e6:.2f} MB -> {size1 / 1e6:.2f} MB; rows {rows0} -> {rows1} "
          f"(looked-up papers {papers0} -> {papers1}); never expiring: {forever}")  # fmt: skip
    print(f"  last feed's description: {notes[:160]}{'...' if len(notes) > 160 else ''}")
    print(f"  bound: at most {budget} ids a day (adhoc_lookup_budget), so <= {budget} API "
          f"requests a day, {-(-budget // 100)} with 100 ids a request; every looked-up row "
          "expires")  # fmt: skip
    return {
        "api_requests": upstream.api_requests,
        "ids_asked": upstream.ids_asked,
        "store_growth_mb": (size1 - size0) / 1e6,
        "rows_added": rows1 - rows0,
        "rows_forever": forever,
        "cpu_s": cpu,
    }


def rss_mb() -> float:
    """Resident memory of this process (Linux ``/proc``)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


async def run_library(like_sets: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp())
    rng = random.Random(1)
    text = (LISTINGS / f"cs.AI+cs.CL+cs.DC+cs.LG-{DAY}.xml").read_text()
    words = [w for w in text.split() if w.isalpha()]
    library = [
        {"id": f"p{n}", "type": "article", "title": " ".join(rng.choices(words, k=10)),
         "abstract": " ".join(rng.choices(words, k=120))}
        for n in range(4600)
    ]  # fmt: skip
    (tmp / "big.json").write_text(json.dumps(library))
    profiles = {"big": {"library": "big.json", "keywords": []}}
    (tmp / "config.json").write_text(json.dumps({"profiles": profiles}))
    settings = load_settings(
        config_file=tmp / "config.json",
        arxiv_rss_url="http://127.0.0.1:9/rss",
        arxiv_source="live",
        min_request_interval=0,
        fetch_backoff=0,
        sqlite_path=tmp / "store.sqlite3",
    )
    app = create_app(settings, transport=httpx.MockTransport(Upstream()))
    latencies: list[float] = []
    stalls: list[float] = []
    done = False

    async def owner(client: httpx.AsyncClient) -> None:
        while not done:
            start = time.perf_counter()
            assert (await client.get("/rss")).status_code == 200
            latencies.append(time.perf_counter() - start)
            await asyncio.sleep(0.01)

    async def ticker() -> None:
        while not done:
            start = time.perf_counter()
            await asyncio.sleep(0.005)
            stalls.append(time.perf_counter() - start - 0.005)

    async def stranger(client: httpx.AsyncClient, sets: list[tuple[str, ...]]) -> None:
        for like in sets:
            response = await client.get(f"/p/big/rss?like={','.join(like)}")
            assert response.status_code == 200, response.text[:300]

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench.test", timeout=600
    ) as client:
        assert (await client.get("/rss")).status_code == 200
        listed = (await client.get("/feed.json?keywords=&types=all&limit=100")).json()["items"]
        ids = [i["id"].rsplit("/", 1)[-1].split("v")[0] for i in listed]
        start = time.perf_counter()
        assert (await client.get("/p/big/rss")).status_code == 200
        cold = time.perf_counter() - start
        sets = list(itertools.combinations(ids, 3))
        rng.shuffle(sets)
        sets = sets[:like_sets]
        before = rss_mb()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        tasks = [asyncio.create_task(owner(client)), asyncio.create_task(ticker())]
        await asyncio.gather(*(stranger(client, sets[i::4]) for i in range(4)))
        done = True
        await asyncio.gather(*tasks)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    await app.state.runtime.aclose()
    after = rss_mb()
    p99 = percentile(latencies, 0.99)
    slowest, stall = max(latencies, default=0.0), max(stalls, default=0.0)
    print(f"{like_sets} strangers' like-sets on a 4,600-entry library profile (cold profile "
          f"feed {cold:.2f} s): {wall:.1f} s, {cpu:.1f} CPU-s")  # fmt: skip
    print(f"  owner /rss: p50 {percentile(latencies, 0.5) * 1000:.0f} ms, p99 {p99 * 1000:.0f} "
          f"ms, max {slowest * 1000:.0f} ms ({len(latencies)} polls)")  # fmt: skip
    print(f"  event-loop stalls: p99 {percentile(stalls, 0.99) * 1000:.0f} ms, max "
          f"{stall * 1000:.0f} ms; resident memory {before:.0f} -> {after:.0f} MB")  # fmt: skip
    return {"owner_p99_s": p99, "polls": len(latencies), "rss_before": before, "rss_after": after}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--part", choices=["likes", "library", "all"], default="likes")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--budget", type=int, default=300)
    ap.add_argument("--like-sets", type=int, default=40)
    args = ap.parse_args()
    if args.part in ("library", "all"):
        library = asyncio.run(run_library(args.like_sets))
        if args.part == "library":
            print("RESULT " + json.dumps({"name": "owner /rss p99 during strangers' like-sets",
                  "ours": library["owner_p99_s"], "unit": "s", **library}))  # fmt: skip
            return 0
    figures = asyncio.run(run(args.requests, args.budget))
    limit = -(-args.budget // 100)
    result = {
        "name": f"{args.requests} anonymous like/dislike requests, 100 new ids each",
        "ours": figures["api_requests"],
        "unit": "arXiv API requests",
        "target": f"<= {limit} (budget {args.budget} ids a day / 100 a request)",
        "met": figures["api_requests"] <= limit,
        **figures,
    }
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
