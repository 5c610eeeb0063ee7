"""arxiv-feeds: curated, scored arXiv papers as RSS, Atom and JSON feeds."""

import time

__version__ = "0.1.0"
STARTED = time.monotonic()  # about when the process started: this is the first module it loads
