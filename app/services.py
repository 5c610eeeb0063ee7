"""Wiring: ``build_services`` turns ``Settings`` into the running ``Services``.

The HTTP client talks to arXiv, the bundled samples, or whatever transport a test passes in.
"""

from __future__ import annotations

import logging

import httpx

from app.arxiv.fetch import ArxivFetcher, RateLimiter
from app.arxiv.samples import FallbackTransport, SampleTransport
from app.config import Settings
from app.history import History
from app.listings import ListingService
from app.llm import build_llm
from app.pipeline import AIServices, default_query
from app.runtime import Services
from app.store import Store
from app.store.factory import open_store
from app.summaries.fulltext import FullText
from app.summaries.prompts import load_prompt
from app.summaries.relevance import RelevanceRater
from app.summaries.summarize import CallBudget, Summarizer

log = logging.getLogger(__name__)


def arxiv_transport(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncBaseTransport:
    """The transport the fetcher talks through, by ``settings.arxiv_source``."""
    if settings.arxiv_source == "sample":
        return SampleTransport()
    real = transport or httpx.AsyncHTTPTransport(retries=0)
    if settings.arxiv_source == "auto":
        return FallbackTransport(real, SampleTransport())
    return real


def build_services(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
) -> Services:
    """Wire the client, store and listing service for ``settings``."""
    client = httpx.AsyncClient(
        transport=arxiv_transport(settings, transport),
        headers={"User-Agent": settings.user_agent},
        timeout=httpx.Timeout(settings.fetch_timeout, connect=min(10.0, settings.fetch_timeout)),
        follow_redirects=True,
    )
    store = store or open_store(settings.store_url, settings.redis_url, settings.sqlite_path)
    limiter = RateLimiter(
        settings.min_request_interval,
        shared=store,
        hold=settings.fetch_timeout + settings.min_request_interval,
    )
    fetcher = ArxivFetcher(
        client,
        settings.arxiv_rss_url,
        limiter,
        retries=settings.fetch_retries,
        backoff=settings.fetch_backoff,
    )
    return Services(
        settings=settings,
        http=client,
        store=store,
        listings=ListingService(fetcher, store),
        history=History(store),
        configured=default_query(settings),
        ai=build_ai(settings, store, FullText(client, limiter, store)),
    )


def build_ai(settings: Settings, store: Store, fulltext: FullText) -> AIServices | None:
    """Summarizer and relevance rater for the configured provider (None when not wanted)."""
    cfg = settings.ai_summary
    if not cfg.enabled and not settings.interests:
        return None
    llm = build_llm(cfg)
    if llm is None:
        return None
    budget = CallBudget(store, cfg.daily_call_cap)
    summarizer = None
    if cfg.enabled and cfg.max_papers_to_summarize > 0:
        prompt = load_prompt(cfg.prompt_file, cfg.summary_language)
        summarizer = Summarizer(llm, store, cfg, prompt, budget, fulltext)
    rater = None
    if settings.interests:
        rater = RelevanceRater(
            llm,
            store,
            settings.interests,
            budget,
            batch_size=settings.relevance_batch_size,
            max_workers=cfg.max_workers,
        )
    return AIServices(
        budget=budget,
        summarizer=summarizer,
        rater=rater,
        max_to_summarize=cfg.max_papers_to_summarize,
        time_budget=cfg.time_budget,
        relevance_weight=settings.relevance_weight,
        relevance_candidates=settings.relevance_max_candidates,
        llm=llm,
    )
