"""Strangers' ``like=``/``dislike=`` through the app: the daily budget of ids and the notes that
name what was not looked up, no feed waiting behind a stranger's lookup, scorers built off the
event loop and kept within bounds."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from app.main import create_app
from app.models import FeedQuery
from app.personal.personalizer import STRANGERS_KEPT, Personalizer
from app.profiles.library import LibraryEntry
from app.profiles.model import Profile
from app.profiles.registry import ProfileFeed
from app.store import MemoryStore
from tests.conftest import FakeArxiv, make_settings
from tests.test_lookup import FakeApi
from tests.test_personal import new_papers

pytestmark = pytest.mark.anyio
API = Path(__file__).parent / "data" / "arxiv-api" / "id_list.xml"

Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


@asynccontextmanager
async def app_client(
    tmp_path: Path, handler: Handler, cfg: dict[str, Any] | None = None, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI, arXiv (listings and API) answered by ``handler``."""
    settings = {"arxiv_api_url": "http://127.0.0.1:9/api/query"} | settings
    app = create_app(
        make_settings(tmp_path, cfg or {}, **settings),
        transport=httpx.MockTransport(handler),
        store=MemoryStore(),
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c
    await app.state.runtime.aclose()


def upstream(api: Callable[[httpx.Request], httpx.Response]) -> tuple[Handler, FakeArxiv]:
    """Listings from the recorded days, the API from ``api``."""
    arxiv = FakeArxiv()

    async def handle(request: httpx.Request) -> httpx.Response:
        return api(request) if request.url.path.endswith("/query") else arxiv(request)

    return handle, arxiv


async def test_strangers_new_ids_draw_on_the_budget_and_the_feed_names_the_rest(
    tmp_path: Path,
) -> None:
    api = FakeApi()
    handler, _ = upstream(api)
    cfg = {"profiles": {"mine": {"like": ["0801.0007"], "keywords": []}}}
    async with app_client(tmp_path, handler, cfg, adhoc_lookup_budget=3) as c:
        like, dislike = "0801.0001,0801.0002", "0801.0003,0801.0004,0801.0005"
        first = await c.get(f"/feed.json?keywords=&like={like}&dislike={dislike}")
        assert first.status_code == 200
        assert (
            "Not looked up today (daily budget spent): 0801.0004, 0801.0005."
            in (first.json()["description"])
        )
        assert [FakeApi.ids(r) for r in api.requests] == [["0801.0001", "0801.0002", "0801.0003"]]
        assert first.json()["items"][0]["_arxiv"]["similarity"] is not None  # the likes counted
        second = await c.get("/rss?keywords=&like=0801.0009")
        assert second.status_code == 200
        assert "(daily budget spent): 0801.0009." in second.text
        assert len(api.requests) == 1
        owner = await c.get("/p/mine/feed.json")  # the owner's likes are never refused
        assert owner.status_code == 200
        assert "Not looked up" not in owner.json()["description"]
        assert FakeApi.ids(api.requests[-1]) == ["0801.0007"]
        health = (await c.get("/health")).json()
        assert health["adhoc_lookup_budget"] == {"limit": 3, "used_today": 3}


async def test_liked_ids_arxiv_does_not_have_are_named(tmp_path: Path) -> None:
    fake = FakeArxiv()
    fake.serve("query", body=API.read_bytes())  # 0704.0001 and 0704.0002, whatever is asked

    async def handler(request: httpx.Request) -> httpx.Response:
        return fake(request)

    async with app_client(tmp_path, handler) as c:
        response = await c.get("/atom?keywords=&like=0704.0001,0704.9999")
        others = {
            path: await c.get(f"{path}?keywords=&like=0704.0001,0704.9999")
            for path in ("/digest.md", "/api/papers")
        }
    assert response.status_code == 200
    assert "Not found on arXiv: 0704.9999." in response.text
    # the digest and the JSON API say it too
    assert "Not found on arXiv: 0704.9999." in others["/digest.md"].text
    assert others["/api/papers"].json()["notes"] == ["Not found on arXiv: 0704.9999."]


async def test_a_strangers_lookup_holds_up_no_other_strangers_feed(tmp_path: Path) -> None:
    gate, entered = asyncio.Event(), asyncio.Event()
    api = FakeApi()

    def held(request: httpx.Request) -> httpx.Response:
        raise AssertionError("answered by the gate")

    _, arxiv = upstream(held)

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/query"):
            entered.set()
            await gate.wait()
            return api(request)
        return arxiv(request)

    async with app_client(tmp_path, handler) as c:
        assert (await c.get("/rss")).status_code == 200  # the configured categories, held
        liking = asyncio.create_task(c.get("/rss?like=0801.0001"))
        await asyncio.wait_for(entered.wait(), 5)  # its liked paper is on its way from arXiv
        other = await asyncio.wait_for(c.get("/rss/cs.CL?keywords=Nonexistentword"), 5)
        assert other.status_code == 200
        assert not liking.done()
        gate.set()
        assert (await liking).status_code == 200


class Spy(str):
    """A title that records the threads it is read into a scorer on."""

    threads: ClassVar[list[threading.Thread]] = []

    def __format__(self, spec: str) -> str:
        Spy.threads.append(threading.current_thread())
        return str.__format__(self, spec)


async def test_scorers_are_built_off_the_loop_and_strangers_like_sets_stay_bounded() -> None:
    candidates = new_papers()
    library = tuple(
        LibraryEntry.model_construct(title=Spy(p.title), abstract=p.abstract)
        for p in candidates[:20]
    )
    query = FeedQuery(categories=("cs.LG",), profile="big")
    profile = ProfileFeed("big", Profile(), query, library, "config")
    personalizer = Personalizer(None)
    loop_thread = threading.current_thread()
    Spy.threads.clear()
    owned = await personalizer.personal(query, candidates, profile)
    assert Spy.threads
    assert loop_thread not in Spy.threads  # the library was read in a worker thread
    pairs = list(itertools.combinations([p.arxiv_id for p in candidates], 2))[:100]
    for like in pairs:  # 100 strangers' like-sets on the profile
        liked = query.model_copy(update={"like": like})
        await personalizer.personal(liked, candidates, profile)
        assert personalizer.scorers_held() <= STRANGERS_KEPT + 1
    assert loop_thread not in Spy.threads
    Spy.threads.clear()
    again = await personalizer.personal(query, candidates, profile)
    assert Spy.threads == []  # the owner's scorer outlived them all: not built again
    assert again.scores == owned.scores
