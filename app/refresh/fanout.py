"""The daily refresh spread over calls: each call claims units (the owner's feeds) and works
them until its time is up, then starts the next call at ``public_url`` with the cron secret.

One cron call begins the day's run (``units.Run``) or joins the one under way; on a platform
that caps a call (``refresh_call_seconds``) it also starts ``refresh_parallel_calls - 1`` more
calls at once, each claiming other units, and every call that ends with work left starts one
more. A unit's work: its Zotero library, its listing (arXiv is asked once per batch of
categories, the catalog keeps it for every later unit), its ranking and the summaries of its
top papers, then its delivery, only once those summaries exist or have failed (the ledger
sends a digest once however often a unit is done). A unit whose summaries are still coming
when the call's time is up stays pending, and the next call takes it again: the summaries
made so far are in the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from typing import TYPE_CHECKING

from app.address import canonical_base
from app.arxiv.schedule import announcement_day
from app.delivery.ledger import CONFIGURED, PROFILE
from app.errors import ArxivFeedsError, StoreUnavailable
from app.pipeline import build_feed
from app.refresh import (
    MARGIN,
    MAX_DURATION,
    FeedError,
    FeedRefresh,
    OwnerFeed,
    RefreshReport,
    configured_feed,
    deliver_feed,
    profile_feed,
    report,
)
from app.refresh.units import MAX_ATTEMPTS, Run, RunStatus, UnitState

if TYPE_CHECKING:
    from app.config import Settings
    from app.delivery.email import SMTPConnect
    from app.models import RankedFeed
    from app.profiles.synced import SyncStatus
    from app.wiring import Services

log = logging.getLogger(__name__)
RESERVE = 5.0  # seconds at most kept at a call's end for deliveries, continuations, the answer
MIN_UNIT = 0.5  # seconds a unit needs at least to be begun
CLAIM_SLACK = 5.0  # a claim outlives its call's end by this much (then a killed call's expires)
UNIT_HOLD = 600.0  # a claim's life when the call has no end
MAX_ROUNDS = 12  # calls a unit may wait for its summaries; then it is delivered without them
POLL = 0.5  # seconds between looks at summaries or claims another call holds
CONTINUE_WAIT = 0.5  # seconds to wait for a started call's answer (it goes on without us)


def call_seconds(settings: Settings, *, capped: bool) -> float:
    """How long one call may run: ``refresh_call_seconds``, else the platform's maximum minus
    a margin (``capped``: on Vercel), else no limit (a long-running server)."""
    if settings.refresh_call_seconds is not None:
        return settings.refresh_call_seconds
    return MAX_DURATION - MARGIN if capped else math.inf


async def run_call(
    services: Services,
    budget: float,
    *,
    started: float,
    run_id: str | None = None,
    smtp: SMTPConnect | None = None,
    fan_out: bool = True,
) -> RefreshReport:
    """One call of the refresh: begin or join the run (``run_id``: continue that one), work
    units until ``started + budget``, start the next calls; what this call did."""
    store = services.store
    end = started + budget
    work_end = end - min(RESERVE, budget * 0.2)
    run = await (Run.named(store, run_id) if run_id else _begin_or_join(services))
    results: list[tuple[str, RankedFeed | None, FeedRefresh]] = []
    if run is None:  # a continuation of a run no longer kept: nothing to do
        return await _report(services, results, started, None, {})
    await run.count_call()
    chained = fan_out and math.isfinite(budget)
    if chained and run_id is None:
        await continue_run(services, run.id, services.settings.refresh_parallel_calls - 1)
    worked: set[str] = set()
    synced: dict[str, SyncStatus] = {}
    while time.monotonic() < work_end - MIN_UNIT:
        unit = await _pick(run, worked, end)
        if unit is None:
            break
        if unit == "":  # only units other calls hold: wait for one to be let go
            await asyncio.sleep(POLL)
            continue
        worked.add(unit)
        results.append((unit, *await work_unit(services, run, unit, work_end, smtp, synced)))
    status = await run.status()
    if chained and status.pending > status.claimed:
        await continue_run(services, run.id, 1, within=end - time.monotonic())
    return await _report(services, results, started, status, synced)


async def _begin_or_join(services: Services) -> Run:
    """The run under way, or a new one (the last one is finished, or of another day)."""
    store = services.store
    day = announcement_day(services.catalog.clock).isoformat()
    run = await Run.current(store)
    if run is not None and run.id.startswith(f"{day}."):
        status = await run.status()
        if status.pending:
            return run
    units = [CONFIGURED] + [f"{PROFILE}{n}" for n in await services.profiles.names()]
    return await Run.begin(store, day, units)


async def _pick(run: Run, worked: set[str], end: float) -> str | None:
    """A unit this call now holds; "" when the units left are held by other calls; None when
    none is left for this call."""
    ttl = (end - time.monotonic() if math.isfinite(end) else UNIT_HOLD) + CLAIM_SLACK
    while (fresh := await run.next_fresh()) is not None:
        if await run.claim(fresh, ttl):
            return fresh
    units = await run.units()
    states = await run.states(units)
    left = [u for u in units if states[u].state == "pending" and u not in worked]
    held = await run.claimed(left) if left else set()
    for unit in left:
        if unit not in held and await run.claim(unit, ttl):
            return unit
    return "" if held else None


async def owner_feed(services: Services, unit: str) -> OwnerFeed | None:
    """The owner feed a unit names (None: the profile is gone)."""
    if unit == CONFIGURED:
        return configured_feed(services)
    found = await services.profiles.find(unit.removeprefix(PROFILE), sync=False)
    return None if found is None else profile_feed(services, found)


async def work_unit(
    services: Services,
    run: Run,
    unit: str,
    work_end: float,
    smtp: SMTPConnect | None,
    synced: dict[str, SyncStatus],
) -> tuple[RankedFeed | None, FeedRefresh]:
    """Refresh one feed (held by this call) and deliver it once its summaries are there."""
    state = await run.state(unit)
    state.rounds += 1
    try:
        owned = await owner_feed(services, unit)
        if owned is None:
            state.state = "done"
            return None, FeedRefresh(name=unit.removeprefix(PROFILE), items=0, summarized=0,
                                     pending=0)  # fmt: skip
        feed, waiting = await _build(services, owned, work_end, synced)
        due = feed.items[: owned.plan.to_summarize]
        done = sum(1 for i in due if i.summary is not None)
        mine = FeedRefresh(name=owned.name, items=len(feed.items), summarized=done,
                           pending=len(due) - done)  # fmt: skip
        if waiting and state.rounds < MAX_ROUNDS:
            return feed, mine  # its summaries are coming: the next call delivers it
        mine.delivery = await deliver_feed(services, feed, owned, smtp=smtp)
        if mine.delivery is not None and mine.delivery.failed:
            failed = [c.channel for c in mine.delivery.channels if c.status == "failed"]
            _failed(state, unit, f"delivery failed: {', '.join(failed)}")
        else:
            state.state = "done"
        state.report = mine.model_dump(mode="json")
        return feed, mine
    except Exception as exc:  # one unit's failure (or bug) never stops the others'
        if isinstance(exc, ArxivFeedsError):
            log.warning("refresh of feed %s failed: %s", unit, exc.message)
        else:
            log.exception("refresh of feed %s failed", unit)
        error = FeedError.of(exc)
        _failed(state, unit, error.message)
        return None, FeedRefresh(name=unit.removeprefix(PROFILE), items=0, summarized=0,
                                 pending=0, error=error)  # fmt: skip
    finally:
        with contextlib.suppress(StoreUnavailable):
            await run.record(unit, state, state.error if state.state != "done" else None)
            await run.release(unit)


def _failed(state: UnitState, unit: str, message: str) -> None:
    """Count one failure of ``unit``: tried again later, or failed for good."""
    state.attempts += 1
    state.error = f"{unit}: {message}"
    if state.attempts >= MAX_ATTEMPTS:
        state.state = "failed"


async def _build(
    services: Services, owned: OwnerFeed, work_end: float, synced: dict[str, SyncStatus]
) -> tuple[RankedFeed, bool]:
    """The feed, with the summaries of its top papers made (or found) before ``work_end``;
    whether some are still to come."""
    profile = owned.plan.profile
    if profile is not None and profile.profile.zotero is not None:
        synced.update(await services.profiles.sync_zotero(work_end, [profile.name]))
    listing = await services.catalog.get(owned.query.categories)
    left = max(0.0, work_end - time.monotonic())
    feed = await build_feed(services, owned.plan, listing, time_budget=left, start_by=work_end)
    while (coming := await _coming(services, owned, feed)) and time.monotonic() < work_end:
        await asyncio.sleep(min(POLL, max(0.0, work_end - time.monotonic())))
        feed = await _with_stored(services, feed)  # made meanwhile by another call
    return feed, bool(coming)


async def _coming(services: Services, owned: OwnerFeed, feed: RankedFeed) -> bool:
    """Whether some of the feed's top papers lack a summary that is still to be made today
    (not failed and waiting out its back-off, within the day's caps)."""
    ai = services.ai
    top = owned.plan.to_summarize
    missing = [i.paper for i in feed.items[:top] if i.summary is None]
    if ai is None or ai.summarizer is None or not missing:
        return False
    if await ai.budget.used() >= ai.budget.cap:
        return False
    share = owned.plan.daily_share
    if share is not None and owned.plan.profile is not None:
        from app.llm.budget import DailyShare

        if await DailyShare(services.store, owned.plan.profile.name, share).remaining() <= 0:
            return False
    return bool(await ai.summarizer.unfinished(missing))


async def _with_stored(services: Services, feed: RankedFeed) -> RankedFeed:
    """``feed`` with the summaries now in the store."""
    ai = services.ai
    if ai is None or ai.summarizer is None:
        return feed
    found = await ai.summarizer.existing([i.paper for i in feed.items if i.summary is None])
    if not found:
        return feed
    items = [
        i
        if i.summary is not None
        else i.model_copy(update={"summary": found.get(i.paper.versioned_id)})
        for i in feed.items
    ]
    return feed.model_copy(update={"items": items})


async def continue_run(
    services: Services, run_id: str, calls: int, within: float = CONTINUE_WAIT
) -> int:
    """Start ``calls`` calls of the refresh at ``public_url`` (with the cron secret) that
    continue ``run_id``, waiting at most ``within`` seconds (never for them to finish); how
    many were started."""
    import httpx  # lazily: the app imports without its clients

    settings = services.settings
    secret = settings.cron_secret.get_secret_value() if settings.cron_secret else None
    base = canonical_base(settings.public_url)  # on Vercel, its production address
    if calls <= 0 or not base or not secret:
        return 0
    url = base + "/api/cron/refresh"
    headers = {"Authorization": f"Bearer {secret}"}
    wait = max(0.1, min(CONTINUE_WAIT, within - 0.1))
    timeout = httpx.Timeout(wait, connect=wait)

    async def one(http: httpx.AsyncClient) -> bool:
        try:
            answer = await http.post(url, params={"continue": run_id}, headers=headers)
        except httpx.ConnectTimeout:
            log.warning("could not start the next refresh call: no connection in %.1fs", wait)
            return False
        except httpx.TimeoutException:
            return True  # asked: it runs on, and hands on in turn
        except httpx.HTTPError as exc:
            log.warning("could not start the next refresh call: %s", type(exc).__name__)
            return False
        if answer.status_code != 200:
            log.warning("the next refresh call answered %s", answer.status_code)
        return answer.status_code == 200

    async with httpx.AsyncClient(timeout=timeout) as http:
        started = await asyncio.gather(*(one(http) for _ in range(calls)))
    return sum(started)


async def _report(
    services: Services,
    results: list[tuple[str, RankedFeed | None, FeedRefresh]],
    started: float,
    status: RunStatus | None,
    synced: dict[str, SyncStatus],
) -> RefreshReport:
    """What this call did (the configured feed's fields: when it worked on it)."""
    feed, mine = next(((f, r) for u, f, r in results if u == CONFIGURED), (None, None))
    mine = mine or FeedRefresh(name="default", items=0, summarized=0, pending=0)
    profiles = [r for u, _, r in results if u != CONFIGURED]
    return await report(services, feed, mine, profiles, started, zotero=synced, run=status)
