"""Command line: ``python -m app refresh`` runs the daily refresh from a shell or a CI job;
``python -m app digest -o README.md`` runs it too, then writes the Markdown digest;
``python -m app deliver [--dry-run]`` sends (or shows) the configured feed's digest."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from pathlib import Path
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
    from app.wiring import build_services

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


async def run_digest(output: str, budget: float | None) -> int:
    """Refresh like ``run_refresh``, then write the digest to ``output`` (``-``: stdout)."""
    from app.config import load_settings
    from app.pipeline import build_feed
    from app.render.markdown import render_digest
    from app.serving import digest_meta
    from app.wiring import build_services

    settings = load_settings()
    meta = digest_meta(settings, settings.public_url)  # a bad template fails before any work
    if output != "-" and not Path(output).parent.is_dir():
        print(f"error: cannot write {output}: no such directory", file=sys.stderr)
        return 2
    services = build_services(settings)
    try:
        print(f"building the digest of {'+'.join(settings.categories)} ...", file=sys.stderr)
        query = services.configured
        listing = await services.catalog.get(query.categories)
        feed = await build_feed(
            services,
            query,
            listing,
            time_budget=budget or settings.refresh_time_budget,
            progress=ProgressBar("summaries"),
        )
        due = services.ai.max_to_summarize if services.ai and services.ai.summarizer else 0
    finally:
        await services.aclose()
    data = render_digest(feed, meta).encode("utf-8")
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        try:
            write_atomically(Path(output), data)
        except OSError as exc:
            print(f"error: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    summarized = sum(1 for i in feed.items if i.summary is not None)
    where = "stdout" if output == "-" else output
    print(
        f"wrote {where}: {len(feed.items)} papers, {summarized} AI summaries, {len(data)} bytes",
        file=sys.stderr,
    )
    missing = sum(1 for i in feed.items[:due] if i.summary is None)
    if missing:
        print(
            f"note: {missing} top papers still lack a summary; run again to add them",
            file=sys.stderr,
        )
    return 0


async def run_deliver(dry_run: bool, budget: float | None) -> int:
    """Build the configured feed like ``run_refresh``, then deliver it (or show what would go)."""
    from app.config import load_settings
    from app.pipeline import build_feed
    from app.refresh import deliver_configured
    from app.wiring import build_services

    settings = load_settings()
    if settings.delivery is None:
        print("error: no delivery is configured (see README, Delivery)", file=sys.stderr)
        return 2
    services = build_services(settings)
    try:
        query = services.configured
        listing = await services.listings.get(query.categories)
        feed = await build_feed(
            services, query, listing, time_budget=budget or settings.refresh_time_budget
        )
        report = await deliver_configured(services, feed, dry_run=dry_run)
    finally:
        await services.aclose()
    assert report is not None
    if dry_run:
        for channel in report.channels:
            for n, text in enumerate(channel.preview, 1):
                print(f"===== {channel.channel}: message {n} of {len(channel.preview)} =====")
                print(text)
    print(report.model_dump_json(indent=2, exclude={"channels": {"__all__": {"preview"}}}))
    return 3 if report.failed else 0


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``.

    Readers see the old file or the new one, never a half-written one; the file keeps its
    permissions (a new one gets the usual ones).
    """
    if path.exists():
        mode = path.stat().st_mode & 0o7777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the command."""
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser("refresh", help="fetch today's listing and summarize the top papers")
    cmd.add_argument("--budget", type=float, help="seconds the LLM work may take")
    cmd = commands.add_parser("digest", help="refresh, then write the Markdown digest")
    cmd.add_argument(
        "-o", "--output", default="-", help="file to write (e.g. README.md); - for stdout"
    )
    cmd.add_argument("--budget", type=float, help="seconds the LLM work may take")
    cmd = commands.add_parser("deliver", help="send the configured feed's digest (once a day)")
    cmd.add_argument(
        "--dry-run", action="store_true", help="print what would be sent; send nothing"
    )
    cmd.add_argument("--budget", type=float, help="seconds the LLM work may take")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "digest":
            return asyncio.run(run_digest(args.output, args.budget))
        if args.command == "deliver":
            return asyncio.run(run_deliver(args.dry_run, args.budget))
        return asyncio.run(run_refresh(args.budget))
    except ArxivFeedsError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
