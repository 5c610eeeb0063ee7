"""The feed builder: the form on the web page and the feed paths it describes (pure).

The form is a plain ``GET /build`` (no JavaScript needed): one checkbox per arXiv category,
grouped by archive in ``<details>`` (the archives holding a chosen category start open), then
keywords, excludes, authors to follow, papers you like (arXiv ids), a minimum score and the
format (each registered feed offered per category, ``choices``). ``feed_path`` turns those
values into ``/rss/cs.AI+cs.LG?keywords=RL,LLM``, the same URL the page's script shows live while
you type.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from urllib.parse import quote, urlencode

from app.arxiv import taxonomy
from app.render.formats import FORMATS, Format, feeds

_SAFE = ",!*'()"  # what JavaScript's encodeURIComponent leaves as it is (and ",")


def feed_path(
    fmt: str,
    categories: Sequence[str] = (),
    keywords: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    min_score: float | None = None,
    *,
    authors: Sequence[str] | None = None,
    like: Sequence[str] | None = None,
) -> str:
    """``/rss/cs.AI+cs.LG?keywords=RL,LLM`` (no categories: the configured feed's path)."""
    path = f"/{FORMATS[fmt].path}" + ("/" + "+".join(categories) if categories else "")
    query: list[tuple[str, str]] = []
    for name, values in (("keywords", keywords), ("exclude", exclude)):
        if values:
            query.append((name, ",".join(values)))
    if min_score is not None:
        query.append(("min_score", f"{min_score:g}"))
    for name, values in (("authors", authors), ("like", like)):
        if values:
            query.append((name, ",".join(values)))
    return path + ("?" + urlencode(query, quote_via=quote, safe=_SAFE) if query else "")


def choices() -> list[Format]:
    """The formats the builder offers: the feeds served per category."""
    return [f for f in feeds() if f.per_category]


def _groups() -> list[tuple[str, list[taxonomy.Category]]]:
    """(label, categories) per archive; archives with no subcategories share one per group."""
    archives: dict[str, list[taxonomy.Category]] = {}
    for cat in taxonomy.CATEGORIES.values():
        archives.setdefault(cat.archive, []).append(cat)
    out: list[tuple[str, str, list[taxonomy.Category]]] = []  # (group, label, categories)
    singles: dict[str, list[taxonomy.Category]] = {}
    for archive, cats in archives.items():
        if len(cats) == 1:
            singles.setdefault(cats[0].group, []).append(cats[0])
        else:
            head = next((c for c in cats if c.is_archive), cats[0])
            out.append((head.group, f"{archive} · {head.name}", cats))
    for group, cats in singles.items():
        last = max((i for i, g in enumerate(out) if g[0] == group), default=len(out) - 1)
        out.insert(last + 1, (group, f"{group}: " + ", ".join(c.id for c in cats), cats))
    return [(label, cats) for _, label, cats in out]


def category_picker(chosen: Sequence[str]) -> str:
    """Checkboxes named ``categories``, grouped by archive, the chosen ones checked."""
    out: list[str] = []
    for label, cats in _groups():
        picked = sum(1 for c in cats if c.id in chosen)
        note = f"<small>{picked} chosen</small>" if picked else "<small></small>"
        out.append(f"<details{' open' if picked else ''}><summary>{escape(label)}{note}</summary>")
        for cat in cats:
            name = f"all of {cat.name}" if cat.is_archive and len(cats) > 1 else cat.name
            checked = " checked" if cat.id in chosen else ""
            out.append(
                f'<label><input type="checkbox" name="categories" value="{escape(cat.id)}"'
                f"{checked}><span><b>{escape(cat.id)}</b> {escape(name)}</span></label>"
            )
        out.append("</details>")
    return "".join(out)


def _field(name: str, label: str, hint: str, placeholder: str) -> str:
    return (
        f"<label>{label} <small>{hint}</small>"
        f'<input name="{name}" placeholder="{escape(placeholder)}" autocomplete="off"></label>'
    )


def builder_form(
    base_url: str,
    categories: Sequence[str],
    keywords: Sequence[str] = (),
    exclude: Sequence[str] = (),
    min_score: float = 0.0,
) -> str:
    """The builder: a ``GET /build`` form, with the configured values as placeholders."""
    offered = choices()
    paths = escape(json.dumps({f.key: f"/{f.path}" for f in offered}))
    formats = "".join(f'<option value="{f.key}">{escape(f.label)}</option>' for f in offered)
    initial = escape(base_url.rstrip("/") + feed_path("rss", categories))
    fields = [
        _field("keywords", "Keywords", "comma-separated; empty: the configured ones",
               ", ".join(keywords) or "LLM, speculative decoding"),
        _field("exclude", "Exclude", "drop papers that mention any",
               ", ".join(exclude) or "survey, benchmark"),
        _field("authors", "Authors to follow", "comma-separated names", "Yann LeCun, Fei-Fei Li"),
        _field("like", "Papers you like", "arXiv ids; finds similar ones", "2601.01493"),
    ]  # fmt: skip
    return f"""<form id="builder" method="get" action="/build" data-paths="{paths}">
<fieldset><legend>Categories <small>none chosen: the configured ones</small></legend>
<input type="search" id="cat-filter" placeholder="Filter: learning, cs.LG, quantum…"
aria-label="Filter the categories" aria-controls="cat-list" autocomplete="off" hidden>
<p id="picked" class="muted" aria-live="polite"></p>
<div id="cat-list" class="catlist">{category_picker(categories)}</div></fieldset>
{"".join(fields)}
<label>Minimum score <small>empty: {min_score:g}</small>
<input name="min_score" type="number" min="0" max="1000" step="0.5" inputmode="decimal"></label>
<label>Format<select name="format">{formats}</select></label>
<p class="muted">Feed URL</p><output id="built" class="url">{initial}</output>
<div class="actions"><button type="submit" class="go">Open feed</button>
<button type="button" id="preview-button" hidden>Preview</button></div>
<div id="preview" aria-live="polite"></div>
</form>"""
