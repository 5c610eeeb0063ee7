"""arxiv-feeds: curated, scored arXiv papers as RSS, Atom and JSON feeds."""

__version__ = "0.1.0"
