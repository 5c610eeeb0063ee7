"""Vercel entry point: Vercel's Python runtime serves the ASGI ``app`` found here.

Importing the app makes some 100,000 objects that live as long as the instance and almost no
garbage, so the cyclic collector is paused during the import (its full passes found nothing and
took ~30-60 ms of every cold start) and what the import made is then frozen out of later
collections (``gc.freeze``), which keeps the passes during the first requests short too.
"""

import gc

gc.disable()
from app.main import app  # noqa: E402  (top level, where Vercel's builder looks for ``app``)

gc.freeze()
gc.enable()

__all__ = ["app"]
