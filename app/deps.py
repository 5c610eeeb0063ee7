"""Request dependencies: the running ``Services``."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from app.runtime import Runtime, Services


async def get_services(request: Request) -> Services:
    """The app's services, built on first use (serverless runtimes may skip lifespan)."""
    return await cast(Runtime, request.app.state.runtime).services()


ServicesDep = Annotated[Services, Depends(get_services)]
