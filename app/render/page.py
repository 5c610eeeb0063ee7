"""The web page at ``/`` (pure: a ``RankedFeed`` and ``PageMeta`` in, UTF-8 HTML out).

One small HTML document, no external assets: the configured feeds with their URLs (plain
selectable text, plus copy buttons that the inline script reveals), a feed builder that is a
plain ``GET /build`` form (the script shows the resulting URL live and previews it from
``/api/papers``), and the configured feed's top papers with their summaries in ``<details>``.
Everything from arXiv is escaped, LLM summaries are sanitized (``markdown_to_html``), and the
one inline script and style are allowed by their sha256 hashes in ``CSP``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import quote, urlencode

from app.arxiv import taxonomy
from app.models import RankedFeed, ScoredPaper
from app.render.html import markdown_to_html

FORMAT_PATHS = {"rss": "/rss", "atom": "/atom", "json": "/feed.json"}
FORMAT_NAMES = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}
_SAFE = ",!*'()"  # what JavaScript's encodeURIComponent leaves as it is (and ",")

STYLE = """
:root{color-scheme:light dark;--fg:#1d1d1f;--bg:#fdfdfc;--muted:#5d6470;--line:#d9dce1;
--accent:#b31b1b;--card:#f4f5f7}
@media (prefers-color-scheme:dark){:root{--fg:#e8e8e6;--bg:#17181a;--muted:#a3a8b0;
--line:#33363b;--accent:#ff7b72;--card:#212326}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:62rem;padding:1.5rem 1rem 4rem;font:16px/1.55 system-ui,
-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:1.6rem;margin:0 0 .2rem}h2{font-size:1.2rem;margin:2.2rem 0 .6rem;
border-bottom:1px solid var(--line);padding-bottom:.3rem}h3{font-size:1.02rem;margin:0 0 .25rem}
a{color:var(--accent)}p{margin:.4rem 0}.muted,.meta{color:var(--muted);font-size:.9rem}
code,.url{font:.85rem/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
overflow-wrap:anywhere}
.feeds{display:grid;grid-template-columns:repeat(auto-fill,minmax(27rem,1fr));gap:.8rem}
.feeds section{border:1px solid var(--line);border-radius:8px;padding:.6rem .8rem}
.feeds dl{display:grid;grid-template-columns:auto 1fr auto;gap:.3rem .6rem;margin:.3rem 0 0;
align-items:center}.feeds dt{font-size:.85rem;color:var(--muted)}.feeds dd{margin:0}
.feeds .url{user-select:all}button{font:inherit;font-size:.8rem;cursor:pointer;
padding:.15rem .55rem;border:1px solid var(--line);border-radius:4px;background:var(--card);
color:var(--fg)}
form{display:grid;grid-template-columns:1fr 1fr;gap:.8rem 1.2rem;background:var(--card);
padding:1rem;border-radius:8px}
label{display:block;font-weight:600;font-size:.9rem}label small{font-weight:400;
color:var(--muted)}
input,select{display:block;width:100%;margin-top:.25rem;font:inherit;font-weight:400;
padding:.35rem;
border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}
select[multiple]{height:11rem}.wide{grid-column:1/-1}
.actions{display:flex;gap:.6rem;align-items:center;flex-wrap:wrap}
.actions button[type=submit]{background:var(--accent);color:#fff;border:0;padding:.4rem 1rem}
#built{display:block;margin-top:.25rem}#preview ol{padding-left:1.3rem}
ol.papers{list-style:none;padding:0}ol.papers>li{padding:.8rem 0;
border-bottom:1px solid var(--line)}
details{margin-top:.35rem}summary{cursor:pointer;color:var(--muted);font-size:.9rem}
details>div{padding:.2rem .8rem;border-left:3px solid var(--line);margin-top:.3rem}
.score{font-weight:600;color:var(--fg)}.links{margin-top:.9rem}
@media (max-width:640px){form,.feeds{grid-template-columns:1fr}}
"""

SCRIPT = """
(() => {
  const enc = (v) => encodeURIComponent(v).replace(/%2C/g, ',');
  const words = (v) => {
    const seen = new Map();
    for (const w of v.split(',')) {
      const k = w.split(/\\s+/).filter(Boolean).join(' ');
      if (k && !seen.has(k.toLowerCase())) seen.set(k.toLowerCase(), k);
    }
    return [...seen.values()];
  };
  for (const b of document.querySelectorAll('button[data-copy]')) {
    b.hidden = false;
    b.addEventListener('click', async () => {
      try { await navigator.clipboard.writeText(b.dataset.copy); b.textContent = 'copied'; }
      catch (e) { b.textContent = 'select the URL'; }
      setTimeout(() => { b.textContent = 'copy'; }, 1500);
    });
  }
  const form = document.getElementById('builder');
  if (!form) return;
  const out = document.getElementById('built');
  const paths = JSON.parse(form.dataset.paths);
  const params = (f) => {
    const q = [];
    for (const name of ['keywords', 'exclude']) {
      const w = words(f.elements[name].value);
      if (w.length) q.push(name + '=' + enc(w.join(',')));
    }
    const s = f.elements.min_score.value.trim();
    if (s !== '' && !Number.isNaN(Number(s))) q.push('min_score=' + enc(String(Number(s))));
    return q;
  };
  const cats = (f) => [...f.elements.categories.selectedOptions].map((o) => o.value);
  const build = () => {
    const c = cats(form), q = params(form);
    const path = paths[form.elements.format.value] + (c.length ? '/' + c.join('+') : '');
    return path + (q.length ? '?' + q.join('&') : '');
  };
  const show = () => { out.textContent = location.origin + build(); };
  form.addEventListener('input', show);
  form.addEventListener('change', show);
  show();
  const list = document.getElementById('preview');
  document.getElementById('preview-button').hidden = false;
  document.getElementById('preview-button').addEventListener('click', async () => {
    const c = cats(form), q = params(form);
    if (c.length) q.push('category=' + enc(c.join('+')));
    q.push('limit=5');
    list.textContent = 'Loading…';
    try {
      const r = await fetch('/api/papers?' + q.join('&'), {headers: {Accept: 'application/json'}});
      const body = await r.json();
      if (!r.ok) {
        list.textContent = body.error ? body.error.message : 'HTTP ' + r.status;
        return;
      }
      const p = document.createElement('p');
      p.textContent = body.total + ' papers match; the first ' + body.items.length + ':';
      const ol = document.createElement('ol');
      for (const it of body.items) {
        const li = document.createElement('li'), a = document.createElement('a');
        a.href = it.link; a.textContent = it.title;
        li.append(a, ' (' + it.primary_category + ', score ' + it.score + ')');
        ol.append(li);
      }
      list.replaceChildren(p, ol);
    } catch (e) { list.textContent = 'Preview failed: ' + e; }
  });
})();
"""


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


SCRIPT_HASH = _csp_hash(SCRIPT)
STYLE_HASH = _csp_hash(STYLE)
CSP = (
    f"default-src 'none'; script-src {SCRIPT_HASH}; style-src {STYLE_HASH}; "
    "connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


@dataclass(frozen=True, slots=True)
class PageMeta:
    """What the page needs besides the papers: the configured feed and the service's address."""

    title: str
    base_url: str
    categories: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    min_score: float = 0.0
    top: int = 20


def feed_path(
    fmt: str,
    categories: Sequence[str] = (),
    keywords: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    min_score: float | None = None,
) -> str:
    """``/rss/cs.AI+cs.LG?keywords=RL,LLM`` (no categories: the configured feed's path)."""
    path = FORMAT_PATHS[fmt] + ("/" + "+".join(categories) if categories else "")
    query: list[tuple[str, str]] = []
    if keywords:
        query.append(("keywords", ",".join(keywords)))
    if exclude:
        query.append(("exclude", ",".join(exclude)))
    if min_score is not None:
        query.append(("min_score", f"{min_score:g}"))
    return path + ("?" + urlencode(query, quote_via=quote, safe=_SAFE) if query else "")


def _document(title: str, body: str) -> bytes:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n"
        f"<body>\n{body}\n<script>{SCRIPT}</script></body></html>\n"
    ).encode()


def _feeds(meta: PageMeta) -> str:
    base = meta.base_url.rstrip("/")
    rows: list[tuple[str, tuple[str, ...]]] = [(f"Your feed: {'+'.join(meta.categories)}", ())]
    if len(meta.categories) > 1:
        for cat in meta.categories:
            known = taxonomy.lookup(cat)
            rows.append((f"{cat} · {known.name}" if known else cat, (cat,)))
    out = ['<div class="feeds">']
    for label, cats in rows:
        out.append(f"<section><h3>{escape(label)}</h3><dl>")
        for fmt, name in FORMAT_NAMES.items():
            url = escape(base + feed_path(fmt, cats))
            out.append(
                f'<dt>{name}</dt><dd><a class="url" href="{url}">{url}</a></dd>'
                f'<dd><button type="button" data-copy="{url}" hidden>copy</button></dd>'
            )
        out.append("</dl></section>")
    return "".join([*out, "</div>"])


def _options(selected: Sequence[str]) -> str:
    out: list[str] = []
    group = ""
    for cat in taxonomy.CATEGORIES.values():
        if cat.group != group:
            out.append(("</optgroup>" if group else "") + f'<optgroup label="{escape(cat.group)}">')
            group = cat.group
        name = f"all of {cat.name}" if cat.is_archive and "." not in cat.id else cat.name
        chosen = " selected" if cat.id in selected else ""
        out.append(
            f'<option value="{escape(cat.id)}"{chosen}>{escape(cat.id)} · {escape(name)}</option>'
        )
    return "".join([*out, "</optgroup>"])


def _builder(meta: PageMeta) -> str:
    paths = escape('{"rss": "/rss", "atom": "/atom", "json": "/feed.json"}')
    formats = "".join(f'<option value="{k}">{v}</option>' for k, v in FORMAT_NAMES.items())
    keywords = escape(", ".join(meta.keywords)) or "LLM, speculative decoding"
    exclude = escape(", ".join(meta.exclude)) or "survey, benchmark"
    initial = escape(meta.base_url.rstrip("/") + feed_path("rss", meta.categories))
    return f"""<form id="builder" method="get" action="/build" data-paths="{paths}">
<label class="wide">Categories <small>(Ctrl or ⌘ + click to pick several; none: the
configured ones)</small><select name="categories" multiple>{_options(meta.categories)}</select>
</label>
<label>Keywords <small>(comma-separated; empty: the configured ones)</small>
<input name="keywords" placeholder="{keywords}" autocomplete="off"></label>
<label>Exclude <small>(comma-separated)</small>
<input name="exclude" placeholder="{exclude}" autocomplete="off"></label>
<label>Minimum score <small>(empty: {meta.min_score:g})</small>
<input name="min_score" type="number" min="0" max="1000" step="0.5" inputmode="decimal"></label>
<label>Format<select name="format">{formats}</select></label>
<div class="wide"><span class="muted">Feed URL</span>
<code id="built" class="url">{initial}</code></div>
<div class="wide actions"><button type="submit">Open feed</button>
<button type="button" id="preview-button" hidden>Preview</button></div>
<div class="wide" id="preview" aria-live="polite"></div>
</form>"""


def _paper(item: ScoredPaper) -> str:
    p = item.paper
    matched = ", ".join(item.matched) or "none"
    if item.summary is not None:
        what = f"AI summary ({escape(item.summary.model)})"
        body = markdown_to_html(item.summary.markdown)
    else:
        what, body = "Abstract", f"<p>{escape(p.abstract)}</p>"
    reason = (
        f"<p class=meta>Relevance {item.relevance.score:g}/10: {escape(item.relevance.reason)}</p>"
        if item.relevance is not None
        else ""
    )
    return (
        f'<li><h3><a href="{escape(p.link)}">{escape(p.title)}</a></h3>'
        f"<p class=meta>{escape(', '.join(p.authors))}</p>"
        f"<p class=meta>{escape(p.primary_category)} · <span class=score>score "
        f"{item.score:g}</span> · matched: {escape(matched)} · arXiv:{escape(p.versioned_id)}"
        f"</p>{reason}<details><summary>{what}</summary><div>{body}</div></details></li>"
    )


def render_page(feed: RankedFeed, meta: PageMeta) -> bytes:
    """The whole page for the configured feed."""
    title = meta.title + (" (sample data)" if feed.sample else "")
    day = feed.listing_day.isoformat() if feed.listing_day else "the latest listing"
    shown = feed.items[: meta.top]
    papers = "".join(_paper(i) for i in shown) or "<li>No paper matches today.</li>"
    notes = " · an older copy: arXiv did not answer" if feed.stale else ""
    body = f"""<header><h1>{escape(title)}</h1>
<p class=muted>arXiv papers in {escape(", ".join(meta.categories))}, filtered by keywords and
ranked by score, as feeds for your reader.{notes}</p></header>
<main><h2>Feeds</h2>{_feeds(meta)}
<p class=links><a href="/feeds.opml" download>Download all feeds as OPML</a> ·
<a href="/digest.md">Markdown digest</a> · <a href="/docs">API</a></p>
<h2>Build a feed</h2>{_builder(meta)}
<h2>Top papers of {escape(day)}</h2>
<p class=muted>{len(shown)} of {len(feed.items)} in your feed ({feed.total_listed} listed).</p>
<ol class="papers">{papers}</ol></main>"""
    return _document(title, body)


def render_error_page(status: int, message: str, hint: str | None) -> bytes:
    """A short HTML error for a browser (``/build`` with a bad value)."""
    extra = f"<p class=muted>{escape(hint)}</p>" if hint else ""
    body = (
        f"<h1>That feed cannot be built ({status})</h1><p>{escape(message)}</p>{extra}"
        '<p><a href="/">Back to the feed builder</a></p>'
    )
    return _document("Feed builder: error", body)
