"""JSON endpoints: the category taxonomy and the service's health."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from app import __version__
from app.arxiv import taxonomy
from app.deps import ServicesDep

router = APIRouter(tags=["api"])


class CategoryOut(BaseModel):
    """One arXiv category."""

    id: str
    name: str
    archive: str
    group: str
    is_archive: bool


class Health(BaseModel):
    """Whether the service is up, and what it serves from."""

    status: str
    version: str
    store: str
    arxiv_source: str
    upstream_fetches: int
    checked_at: datetime


@router.get("/api/categories", response_model=list[CategoryOut])
async def categories() -> list[CategoryOut]:
    """arXiv's taxonomy: every category a feed can name."""
    return [
        CategoryOut(id=c.id, name=c.name, archive=c.archive, group=c.group, is_archive=c.is_archive)
        for c in taxonomy.CATEGORIES.values()
    ]


@router.get("/health", response_model=Health)
async def health(services: ServicesDep) -> Health:
    """Liveness and the store in use."""
    return Health(
        status="ok",
        version=__version__,
        store=services.store.name,
        arxiv_source=services.settings.arxiv_source,
        upstream_fetches=services.listings.fetches,
        checked_at=datetime.now().astimezone(),
    )
