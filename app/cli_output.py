"""What the command line prints on stderr: a progress bar, and log lines that do not run into it.

On a terminal the bar redraws one line in place; a log record arriving meanwhile erases the
bar, prints on its own line and redraws the bar below. When not a terminal, the bar prints one
plain line per step. The same warning repeated (fifteen papers whose summaries fail the same
way) prints ``REPEATS`` times; the rest are counted and told in one line at the end.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

REPEATS = 2
ERASE = "\r\x1b[K"


class ProgressBar:
    """A one-line progress bar on a terminal (plain lines when not a terminal)."""

    def __init__(self, label: str, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.label = label
        self.stream = stream
        self.width = width
        self._last: tuple[int, int] | None = None
        self.drawn = ""  # the partial line on the terminal, "" when none

    def __call__(self, done: int, total: int) -> None:
        """Show ``done`` of ``total``."""
        if (done, total) == self._last:
            return
        self._last = (done, total)
        filled = self.width * done // total if total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"{self.label} [{bar}] {done}/{total}"
        if self.stream.isatty():
            finished = done >= total
            self.stream.write(f"{ERASE}{line}" + ("\n" if finished else ""))
            self.drawn = "" if finished else line
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


class BarAwareHandler(logging.StreamHandler[TextIO]):
    """Writes log records on lines of their own, around the progress bar; folds repeats."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        super().__init__(stream)
        self.bars: list[ProgressBar] = []
        self.seen: dict[tuple[str, str], int] = {}

    def bar(self, label: str) -> ProgressBar:
        """A progress bar on this handler's stream that log lines keep clear of."""
        made = ProgressBar(label, self.stream)
        self.bars.append(made)
        return made

    def emit(self, record: logging.LogRecord) -> None:
        """Print ``record`` unless it is the same warning seen ``REPEATS`` times already."""
        if record.levelno >= logging.WARNING:
            kind = (record.name, str(record.msg))
            self.seen[kind] = self.seen.get(kind, 0) + 1
            if self.seen[kind] > REPEATS:
                return
        drawn = [b for b in self.bars if b.drawn]
        if drawn:
            self.stream.write(ERASE)
        super().emit(record)
        for b in drawn:
            self.stream.write(b.drawn)
            self.stream.flush()

    def folded(self) -> list[str]:
        """One line per warning that repeated more than ``REPEATS`` times."""
        return [
            f"... and {n - REPEATS} more warnings like {msg.split(':')[0].split('%')[0].strip()!r}"
            for (_, msg), n in self.seen.items()
            if n > REPEATS
        ]


def setup_logging(stream: TextIO = sys.stderr) -> BarAwareHandler:
    """Log INFO and up to ``stream`` through one ``BarAwareHandler``; returns it."""
    handler = BarAwareHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in ("httpx", "httpx2"):  # one line per request is noise here
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
