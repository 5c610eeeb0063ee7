"""On the bundled sample (ARXIV_SOURCE=sample, or auto with arXiv unreachable), a category the
sample does not hold is said to be missing from it, in every format and the JSON API, and
costs nothing of the strangers' budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from app.main import create_app
from app.store import MemoryStore
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio
SAID = "cs.CV is not in the bundled sample (cs.AI, cs.CL, cs.DC, cs.LG for 2026-01-06)"
PATHS = ["/rss/cs.CV", "/atom/cs.AI+cs.CV", "/feed.json/cs.CV", "/api/papers?category=cs.CV"]


def unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("Name or service not known", request=request)


async def answers(
    tmp_path: Path, source: str, paths: list[str], **settings: Any
) -> tuple[list[httpx.Response], int]:
    """The answers to ``paths``, in order, and the strangers' budget used after them."""
    app = create_app(
        make_settings(tmp_path, {"categories": ["cs.LG"]}, arxiv_source=source, **settings),
        transport=httpx.MockTransport(unreachable),
        store=MemoryStore(),
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        got = [await c.get(p) for p in paths]
        used = (await c.get("/health")).json()["adhoc_budget"]["used_today"]
    await app.state.runtime.aclose()
    return got, used


@pytest.mark.parametrize("source", ["sample", "auto"])
async def test_a_category_outside_the_sample_is_said_to_be_and_costs_nothing(
    tmp_path: Path, source: str
) -> None:
    got, used = await answers(tmp_path, source, PATHS, adhoc_fetch_budget=1)
    for r in got:
        assert r.status_code == 404, r.text
        error = r.json()["error"]
        assert error["code"] == "not_in_sample"
        assert error["message"] == SAID
        assert "ARXIV_SOURCE" in error["hint"]
    assert used == 0


@pytest.mark.parametrize("source", ["sample", "auto"])
async def test_strangers_sample_categories_are_served_and_cost_nothing(
    tmp_path: Path, source: str
) -> None:
    paths = ["/rss/cs.AI", "/rss/cs.CL", "/atom/cs.DC", "/rss/cs.CV"]
    (*served, again), used = await answers(tmp_path, source, paths, adhoc_fetch_budget=1)
    assert [r.status_code for r in served] == [200] * 3  # one at a time: each given back
    assert all(r.headers["x-arxiv-feeds-sample"] == "1" for r in served)
    assert again.json()["error"]["code"] == "not_in_sample"  # not a spent budget
    assert used == 0
