"""Command line: ``arxiv-feeds refresh`` runs the daily refresh from a shell or a CI job;
``arxiv-feeds digest -o README.md`` runs it too, then writes the Markdown digest;
``arxiv-feeds deliver [--dry-run]`` sends (or shows) the configured feed's digest;
``arxiv-feeds profile-token NAME`` prints a profile's own token.

They say on stderr what they do (the listing, whether summaries are on and why not, a progress
bar, a final line) and exit with a code ``EXIT_CODES`` lists; the refresh report (JSON) goes to
stdout."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli_output import BarAwareHandler, ProgressBar, setup_logging
from app.errors import ArxivFeedsError, UpstreamError

if TYPE_CHECKING:
    from app.wiring import Services

__all__ = ["EXIT_CODES", "ProgressBar", "main", "write_atomically"]


EXIT_CODES = """exit codes:
  0  done
  1  an unexpected error (a bug: the traceback says where)
  2  a bad configuration or command line, or the output cannot be written
  3  done, but some of the top papers still lack a summary (the LLM failed or the time
     budget ran out): run again to add them; for deliver, a channel failed
  4  arXiv could not be reached and no listing is stored
  5  done, but some of the owner's feeds failed (the report's "failed" names them, each
     feed's "error" says why); the others were refreshed and delivered"""

DESCRIPTION = """Run the daily work from a shell, cron or a CI job.

  arxiv-feeds refresh              fetch today's listing, rank it, summarize the top papers
  arxiv-feeds digest -o README.md  the same, then write the Markdown digest
  arxiv-feeds deliver [--dry-run]  send (or show) the digest by e-mail or webhook
  arxiv-feeds profile-token NAME   print the token that may change profile NAME
  arxiv-feeds check                load the configuration and say what is wrong, if anything

Settings come from config.json and ARXIV_FEEDS_* variables, as for the service."""


def what_summarizes(services: Services) -> str:
    """One line: whether the top papers get summaries, and if not, why not."""
    settings = services.settings
    cfg = settings.ai_summary
    ai = services.ai
    if ai is not None and ai.summarizer is not None:
        return f"summaries: on, the top {ai.max_to_summarize} papers with {ai.summarizer.llm.model}"
    if not cfg.enabled:
        return "summaries: off (ai_summary.enabled is false in the configuration)"
    return f"summaries: off (no API key: set ${cfg.api_key_env})"


def retry_advice(retry_after: float) -> str:
    """When running again helps: a failed paper is not tried again for ``retry_after`` s."""
    if retry_after <= 0:
        return "run again to add the missing summaries"
    return (
        f"run again in {retry_after:.0f} s or later to add the missing summaries "
        "(ai_summary.retry_after: a failed paper is not tried sooner)"
    )


def finish(handler: BarAwareHandler | None) -> None:
    """The warnings folded while running, told once."""
    for line in handler.folded() if handler else []:
        print(line, file=sys.stderr)


async def run_refresh(budget: float | None, handler: BarAwareHandler | None = None) -> int:
    """Build the services from the settings, refresh, print the report and a final line."""
    from app.config import load_settings
    from app.refresh import refresh
    from app.wiring import build_services

    settings = load_settings()
    services = build_services(settings)
    bar = handler.bar("summaries") if handler else ProgressBar("summaries")
    try:
        cats = "+".join(settings.categories)
        print(f"refreshing {cats}: fetching the listing, then ranking", file=sys.stderr)
        print(what_summarizes(services), file=sys.stderr)
        report = await refresh(services, budget or settings.refresh_time_budget, bar)
    finally:
        await services.aclose()
    print(report.model_dump_json(indent=2))
    finish(handler)
    day = report.day.isoformat() if report.day else "no announcement day"
    sample = " (bundled sample data: arXiv was not reached)" if report.sample else ""
    line = (
        f"done in {report.seconds:.1f} s: {day}{sample}, {report.listed} papers listed, "
        f"{report.items} in the feed, {report.summarized} summarized"
    )
    if report.failed:
        print(f"{line}; failed: {', '.join(report.failed)}", file=sys.stderr)
        errors = [("default", report.error)] + [(p.name, p.error) for p in report.profiles]
        for name, error in errors:
            if error is not None:
                print(f"error: feed {name}: {error.message}", file=sys.stderr)
        print("exit 5: some feeds failed; the others were refreshed", file=sys.stderr)
        return 5
    if report.pending:
        print(f"{line}; {report.pending} top papers still lack a summary", file=sys.stderr)
        print(f"exit 3: {retry_advice(settings.ai_summary.retry_after)}", file=sys.stderr)
        return 3
    print(line, file=sys.stderr)
    return 0


async def run_digest(
    output: str, budget: float | None, handler: BarAwareHandler | None = None
) -> int:
    """Refresh like ``run_refresh``, then write the digest to ``output`` (``-``: stdout)."""
    from app.config import load_settings
    from app.pipeline import build_feed
    from app.plan import plan_feed
    from app.render.markdown import render_digest
    from app.serving import digest_meta
    from app.wiring import build_services

    settings = load_settings()
    meta = digest_meta(settings, settings.public_url)  # a bad template fails before any work
    if problem := unwritable(output):
        print(f"error: cannot write {output}: {problem}", file=sys.stderr)
        return 2
    services = build_services(settings)
    bar = handler.bar("summaries") if handler else ProgressBar("summaries")
    try:
        print(f"building the digest of {'+'.join(settings.categories)} ...", file=sys.stderr)
        print(what_summarizes(services), file=sys.stderr)
        plan = plan_feed(services, services.configured, None)
        listing = await services.catalog.get(plan.query.categories)
        feed = await build_feed(
            services,
            plan,
            listing,
            time_budget=budget or settings.refresh_time_budget,
            progress=bar,
        )
        due = plan.to_summarize
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
    finish(handler)
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
    """Build each owner feed like ``run_refresh``, then deliver it (or show what would go)."""
    from app.config import load_settings
    from app.errors import ArxivFeedsError
    from app.pipeline import build_feed
    from app.refresh import deliver_feed, owner_feeds
    from app.wiring import build_services

    settings = load_settings()
    services = build_services(settings)
    failed = sent = 0
    try:
        for owned in await owner_feeds(services):
            if owned.delivery is None:
                continue
            try:  # one feed that cannot be built never keeps the others from going out
                listing = await services.catalog.get(owned.query.categories)
                time_budget = budget or settings.refresh_time_budget
                feed = await build_feed(services, owned.plan, listing, time_budget=time_budget)
            except ArxivFeedsError as exc:
                print(f"error: feed {owned.name}: {exc.message}", file=sys.stderr)
                sent += 1
                failed += 1
                continue
            report = await deliver_feed(services, feed, owned, dry_run=dry_run)
            assert report is not None
            sent += 1
            failed += bool(report.failed)
            if dry_run:
                for channel in report.channels:
                    for n, text in enumerate(channel.preview, 1):
                        print(f"===== {owned.name} {channel.channel}: message {n} of "
                              f"{len(channel.preview)} =====")  # fmt: skip
                        print(text)
            print(report.model_dump_json(indent=2, exclude={"channels": {"__all__": {"preview"}}}))
    finally:
        await services.aclose()
    if not sent:
        print("error: no delivery is configured (see README, Delivery)", file=sys.stderr)
        return 2
    return 3 if failed else 0


async def run_check() -> int:
    """Load the configuration as the service would (profiles' libraries included); one line."""
    from app.config import load_settings
    from app.wiring import build_services

    settings = load_settings()
    services = build_services(settings)
    await services.aclose()
    cats = "+".join(settings.categories)
    profiles = ", ".join(settings.profiles) or "none"
    where = settings.config_file if settings.config_file.is_file() else "built-in defaults"
    print(f"configuration ok ({where}): {cats}; profiles: {profiles}", file=sys.stderr)
    return 0


async def run_profile_token(name: str) -> int:
    """Print the token of the existing profile ``name`` (needs ``feedback_secret``)."""
    from app.config import load_settings
    from app.profiles.tokens import profile_token, secret_of
    from app.wiring import build_services

    settings = load_settings()
    token = profile_token(secret_of(settings), name)
    if token is None:
        print("error: profiles have no tokens: set FEEDBACK_SECRET", file=sys.stderr)
        return 2
    services = build_services(settings)
    try:
        await services.profiles.get(name)
    finally:
        await services.aclose()
    print(token)
    return 0


def unwritable(output: str) -> str | None:
    """Why the digest cannot go to ``output`` (checked before any work), or None."""
    if output == "-":
        return None
    path = Path(output)
    if path.is_dir():
        return "it is a directory (name a file, e.g. README.md)"
    if not path.parent.is_dir():
        return "no such directory"
    return None


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
    parser = argparse.ArgumentParser(
        prog="arxiv-feeds",
        description=DESCRIPTION,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser(
        "refresh",
        help="fetch today's listing and summarize the top papers",
        description="Fetch today's listing, rank it and summarize the top papers; print a "
        "JSON report on stdout.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument("--budget", type=float, help="seconds the LLM work may take")
    cmd = commands.add_parser(
        "digest",
        help="refresh, then write the Markdown digest",
        description="Refresh like 'refresh', then write the Markdown digest.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument(
        "-o", "--output", default="-", help="file to write (e.g. README.md); - for stdout"
    )
    cmd.add_argument("--budget", type=float, help="seconds the LLM work may take")
    cmd = commands.add_parser(
        "deliver",
        help="send the configured feed's digest (once a day)",
        description="Build the configured feed, then send its digest to the configured "
        "channels (e-mail, webhook) once a day.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument(
        "--dry-run", action="store_true", help="print what would be sent; send nothing"
    )
    cmd.add_argument("--budget", type=float, help="seconds the LLM work may take")
    cmd = commands.add_parser(
        "profile-token",
        help="print a profile's own token",
        description="Print the token with which profile NAME's owner may change it "
        "(derived from FEEDBACK_SECRET: changing the secret changes every token).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument("name", help="the profile's name")
    commands.add_parser(
        "check",
        help="load the configuration and say what is wrong, if anything",
        description="Load config.json and the ARXIV_FEEDS_* variables as the service does "
        "(profiles' library files included); exit 2 with the message when something is wrong.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    args = parser.parse_args(argv)
    if args.command in ("profile-token", "check"):
        try:
            if args.command == "check":
                return asyncio.run(run_check())
            return asyncio.run(run_profile_token(args.name))
        except ArxivFeedsError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
    handler = setup_logging()
    try:
        if args.command == "digest":
            return asyncio.run(run_digest(args.output, args.budget, handler))
        if args.command == "deliver":
            return asyncio.run(run_deliver(args.dry_run, args.budget))
        return asyncio.run(run_refresh(args.budget, handler))
    except ArxivFeedsError as exc:
        finish(handler)
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 4 if isinstance(exc, UpstreamError) else 2


if __name__ == "__main__":
    sys.exit(main())
