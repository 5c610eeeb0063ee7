"""``/api/cron/refresh``: the daily refresh, for Vercel's cron or any scheduler with the secret;
``/api/cron/status``: how far the day's run is (with the same secret)."""

from __future__ import annotations

import os
import time
from typing import Annotated

from fastapi import APIRouter, Header, Query

from app.auth import check_bearer
from app.refresh import RefreshReport, call_budget
from app.refresh.fanout import call_seconds, run_call
from app.refresh.units import Run, RunStatus
from app.wiring import ServicesDep

router = APIRouter(tags=["admin"])


RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "Missing or wrong `Authorization: Bearer <CRON_SECRET>`"},
    403: {"description": "Refresh over HTTP is disabled (no CRON_SECRET set)"},
}
Continue = Annotated[
    str | None,
    Query(
        alias="continue",
        max_length=40,
        pattern=r"^\d{4}-\d{2}-\d{2}\.\d{1,6}$",
        description="A run to continue (the service's own calls set it)",
    ),
]


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
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
    run: Continue = None,
) -> RefreshReport:
    """Refresh the owner's feeds (each: listing, ranking, summaries of its top papers, then
    its delivery) for as long as one call may run, and start the next calls for the rest.

    A feed that fails is named in ``failed`` with its ``error``, and the others are refreshed
    all the same; ``run`` tells how far the day's run is."""
    settings = services.settings
    check_bearer(
        settings.cron_secret.get_secret_value() if settings.cron_secret else None,
        authorization,
        setting="CRON_SECRET",
    )
    capped = bool(os.environ.get("VERCEL"))
    budget, started = call_budget(settings.refresh_time_budget, time.monotonic(), capped=capped)
    budget = min(budget, call_seconds(settings, capped=capped))
    return await run_call(services, budget, started=started, run_id=run)


@router.get("/api/cron/status", response_model=RunStatus, responses=RESPONSES)
async def cron_status(
    services: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> RunStatus:
    """The day's run: units done, pending (being done), failed for good; the last error."""
    secret = services.settings.cron_secret
    check_bearer(
        secret.get_secret_value() if secret else None, authorization, setting="CRON_SECRET"
    )
    run = await Run.current(services.store)
    if run is None:
        return RunStatus(
            run=None, units=0, done=0, pending=0, failed=0, claimed=0, calls=0, last_error=None
        )
    return await run.status()
