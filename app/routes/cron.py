"""``/api/cron/refresh``: the daily refresh, for Vercel's cron or any scheduler with the secret."""

from __future__ import annotations

import os
import time
from typing import Annotated

from fastapi import APIRouter, Header

from app.auth import check_bearer
from app.refresh import RefreshReport, call_budget, refresh
from app.wiring import ServicesDep

router = APIRouter(tags=["admin"])


RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "Missing or wrong `Authorization: Bearer <CRON_SECRET>`"},
    403: {"description": "Refresh over HTTP is disabled (no CRON_SECRET set)"},
}


@router.get(
    "/api/cron/refresh",
    response_model=RefreshReport,
    responses=RESPONSES,
    operation_id="refresh_get",
)
@router.post(
    "/api/cron/refresh", response_model=RefreshReport, responses=RESPONSES, operation_id="refresh"
)
async def cron_refresh(
    services: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> RefreshReport:
    """Fetch today's listing, keep it, and summarize the top papers within the time budget.

    A feed that fails is named in ``failed`` with its ``error``, and the others are refreshed
    all the same (200); when every feed fails, the answer is the first one's error."""
    secret = services.settings.cron_secret
    check_bearer(
        secret.get_secret_value() if secret else None, authorization, setting="CRON_SECRET"
    )
    budget, started = call_budget(
        services.settings.refresh_time_budget,
        time.monotonic(),
        capped=bool(os.environ.get("VERCEL")),
    )
    return await refresh(services, budget, started=started)
