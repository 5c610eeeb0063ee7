"""What a delivery did: ``DeliveryReport`` (one feed) and its ``ChannelReport`` per channel.

Apart from ``app.delivery.deliver`` so that the refresh's report, which embeds it, can be
imported (and documented in OpenAPI) without loading the e-mail and webhook clients.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["sent", "already_sent", "in_progress", "failed", "dry_run", "skipped"]


class ChannelReport(BaseModel):
    """What happened on one channel."""

    channel: str = Field(description="Kind and host, e.g. slack:hooks.slack.com (no secrets)")
    status: Status
    messages: int = Field(default=0, description="Messages sent this run (or, dry run, built)")
    error: str | None = None
    preview: list[str] = Field(default_factory=list, description="Dry run: what would be sent")


class DeliveryReport(BaseModel):
    """What one feed's delivery did."""

    feed: str
    day: date | None
    papers: int
    note: str | None = Field(default=None, description="Why nothing was sent, when so")
    channels: list[ChannelReport] = Field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether a channel failed (it is retried on the next run)."""
        return any(c.status == "failed" for c in self.channels)
