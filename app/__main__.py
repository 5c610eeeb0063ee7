"""Command line: ``python -m app refresh`` runs the daily refresh from a shell or a CI job."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import TextIO

from app.errors import ArxivFeedsError


class ProgressBar:
    """A one-line progress bar on a terminal (plain lines when not a terminal)."""

    def __init__(self, label: str, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.label = label
        self.stream = stream
        self.width = width
        self._last: tuple[int, int] | None = None

    def __call__(self, done: int, total: int) -> None:
        """Show ``done`` of ``total``."""
        if (done, total) == self._last:
            return
        self._last = (done, total)
        filled = self.width * done // total if total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"{self.label} [{bar}] {done}/{total}"
        if self.stream.isatty():
            end = "\n" if done >= total else ""
            self.stream.write(f"\r{line}{end}")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


async def run_refresh(budget: float | None) -> int:
    """Build the services from the settings, refresh, print the report."""
    from app.config import load_settings
    from app.refresh import refresh
    from app.services import build_services

    settings = load_settings()
    services = build_services(settings)
    try:
        print(f"refreshing {'+'.join(settings.categories)} ...", file=sys.stderr)
        report = await refresh(
            services, budget or settings.refresh_time_budget, ProgressBar("summaries")
        )
    finally:
        await services.aclose()
    print(report.model_dump_json(indent=2))
    return 0 if report.pending == 0 else 3


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the command."""
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser("refresh", help="fetch today's listing and summarize the top papers")
    cmd.add_argument("--budget", type=float, help="seconds the LLM work may take")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(run_refresh(args.budget))
    except ArxivFeedsError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
