"""Vercel entry point: Vercel's Python runtime serves the ASGI ``app`` found here."""

from app.main import app

__all__ = ["app"]
