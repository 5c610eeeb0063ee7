"""One plan per feed request: what the feed is and what it may spend, decided once.

A route (or the daily refresh) resolves the profile a request names and calls ``plan_feed``;
the pipeline, the caches and the refresh then read the plan and never ask again "is this the
owner's feed?" or look the profile up again. The rule it encodes: only the owner's feeds as
defined (the configured feed, each profile, with no override) are ``owned``, and only owned
feeds may cause LLM calls (ratings and summaries of their own top papers, within a profile's
own daily share); any other feed shows what exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.models import FeedQuery

if TYPE_CHECKING:
    from app.profiles.registry import ProfileFeed
    from app.wiring import Services


@dataclass(frozen=True)
class FeedPlan:
    """A feed request, resolved: the query, its profile and what it may spend."""

    query: FeedQuery
    profile: ProfileFeed | None  # the profile ``query.profile`` names, looked up once
    owned: bool  # the owner's feed as defined: cached apart, may spend LLM money
    interests: str | None  # what the LLM rates relevance against (None: no rating)
    to_summarize: int  # top papers whose summaries may be made now (0: show what exists)
    daily_share: int | None  # the profile's own cap on summaries a day (None: none of its own)

    @property
    def name(self) -> str | None:
        """The profile's name, or None for the configured feed and any other feed."""
        return self.profile.name if self.profile is not None else None


def plan_feed(services: Services, query: FeedQuery, profile: ProfileFeed | None) -> FeedPlan:
    """The plan of ``query``; ``profile`` is the one ``query.profile`` names (looked up by the
    caller), None for any other feed."""
    owned = query == (profile.query if profile is not None else services.configured)
    own = profile.profile if profile is not None else None
    ai = services.ai
    top = ai.max_to_summarize if ai is not None and ai.summarizer is not None else 0
    share = None
    if own is not None:
        if top:
            mine = own.ai_summary
            top = 0 if mine.enabled is False else mine.max_papers_to_summarize or top
        share = own.ai_summary.daily_call_cap
    return FeedPlan(
        query=query,
        profile=profile,
        owned=owned,
        interests=(own and own.interests) or services.settings.interests,
        to_summarize=top if owned else 0,
        daily_share=share,
    )
