"""When arXiv publishes: new listings once a day at midnight America/New_York."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")


def next_update(now: datetime) -> datetime:
    """The next midnight in New York after ``now`` (when arXiv publishes new listings)."""
    local = now.astimezone(NEW_YORK)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=NEW_YORK)
    return midnight.astimezone(UTC)


def announcement_day(moment: datetime) -> date:
    """The New York calendar day of ``moment``."""
    return moment.astimezone(NEW_YORK).date()
