"""A feedgen extension for arXiv's own item elements, in arXiv's namespace.

arXiv's listings carry ``<arxiv:announce_type>``, ``<arxiv:DOI>`` and
``<arxiv:journal_reference>`` (namespace ``http://arxiv.org/schemas/atom``); our RSS and Atom
items carry the same elements, so a reader or script that knows arXiv's feeds reads ours too.
RSS channels also get arXiv's ``<skipDays>``.
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

ARXIV_NS = "http://arxiv.org/schemas/atom"


SKIP_DAYS = ("Saturday", "Sunday")  # arXiv announces nothing on weekends


class ArxivFeedExtension(BaseExtension):  # type: ignore[misc]
    """Declares the namespace; adds RSS ``<skipDays>`` in a fixed order.

    (feedgen's own ``skipDays`` keeps a set, whose order changes from process to process, and
    the same feed must render the same bytes everywhere.)
    """

    def extend_ns(self) -> dict[str, str]:
        """The ``arxiv`` prefix."""
        return {"arxiv": ARXIV_NS}

    def extend_rss(self, rss: Any) -> Any:
        """``<skipDays>`` Saturday and Sunday, as in arXiv's own feeds."""
        channel = rss.find("channel")
        skip = xml_elem("skipDays", channel)
        for day in SKIP_DAYS:
            xml_elem("day", skip).text = day
        return rss


class ArxivEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """``fe.arxiv.set(announce_type=..., doi=..., journal_ref=..., related=[(href, title)])``.

    ``related`` become Atom ``<link rel="related">`` elements (feedgen 1.0 drops ``rel`` and
    ``title`` from entry links, so they are written here).
    """

    def __init__(self) -> None:
        self.fields: list[tuple[str, str]] = []
        self.related: list[tuple[str, str]] = []

    def set(
        self,
        *,
        announce_type: str,
        doi: str | None,
        journal_ref: str | None,
        related: list[tuple[str, str]],
    ) -> None:
        """The values to write (None: left out)."""
        pairs = [("announce_type", announce_type), ("DOI", doi), ("journal_reference", journal_ref)]
        self.fields = [(name, value) for name, value in pairs if value]
        self.related = related

    def _extend(self, element: Any) -> Any:
        for name, value in self.fields:
            xml_elem(f"{{{ARXIV_NS}}}{name}", element).text = value
        return element

    def extend_rss(self, item: Any) -> Any:
        """Add the elements to an RSS ``<item>``."""
        return self._extend(item)

    def extend_atom(self, entry: Any) -> Any:
        """Add the elements and the related links to an Atom ``<entry>``."""
        for href, title in self.related:
            xml_elem("link", entry, href=href, rel="related", title=title)
        return self._extend(entry)
