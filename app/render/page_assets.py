"""The web page's one inline style and one inline script, and the CSP that allows exactly them.

The page works without the script: every link is a link, the builder is a plain ``GET /build``
form with a checkbox per category (grouped by archive in ``<details>``), summaries and
abstracts fold with ``<details>``. The script only adds: copy buttons, the category filter
(search as you type), the feed URL shown live, a preview from ``/api/papers``, and on a
profile's page the owner's form (sent with the token the owner types, never kept).
Both are allowed by their sha256 hashes in ``CSP``; nothing else may run or load.
"""

from __future__ import annotations

import base64
import hashlib

STYLE = """
:root{color-scheme:light dark;--fg:#1c1d1f;--bg:#fcfcfb;--muted:#5a606b;--line:#dcdfe4;
--accent:#a3161a;--card:#f3f4f6;--mark:#fff1b8;--markfg:#1c1d1f}
@media (prefers-color-scheme:dark){:root{--fg:#e6e6e3;--bg:#161719;--muted:#a4a9b1;
--line:#34373c;--accent:#ff8a80;--card:#202226;--mark:#4a3f12;--markfg:#f5e9b8}}
*{box-sizing:border-box}[hidden]{display:none!important}
html{-webkit-text-size-adjust:100%}
body{margin:0 auto;max-width:78rem;padding:1rem 1rem 3rem;font:16px/1.5 system-ui,
-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);
overflow-wrap:break-word}
a{color:var(--accent)}a:focus-visible,button:focus-visible,input:focus-visible,
select:focus-visible,summary:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
h1{font-size:1.45rem;margin:0}h2{font-size:1.1rem;margin:0 0 .5rem}
p{margin:.3rem 0}small,.muted{color:var(--muted)}
header.top{display:flex;flex-wrap:wrap;gap:.2rem 1.2rem;align-items:baseline;
border-bottom:1px solid var(--line);padding-bottom:.5rem}
header.top p{margin:0;font-size:.92rem;color:var(--muted)}
header nav{margin-left:auto;font-size:.92rem}header nav a{margin-left:.7rem}
.notice{background:var(--card);border-left:4px solid var(--accent);padding:.45rem .8rem;
margin:.7rem 0 0;font-size:.92rem}
.layout{display:grid;grid-template-columns:minmax(0,1fr) 23rem;gap:2rem;margin-top:.6rem}
@media (max-width:900px){.layout{grid-template-columns:minmax(0,1fr);gap:1rem}
header nav{margin-left:0}header nav a{margin:0 .8rem 0 0}}
ol.papers{list-style:none;margin:0;padding:0}
ol.papers>li{padding:.85rem 0;border-bottom:1px solid var(--line)}
ol.papers h2{font-size:1.08rem;line-height:1.35;margin:0 0 .15rem}
ol.papers h2 a{text-decoration:none}ol.papers h2 a:hover{text-decoration:underline}
.rank{color:var(--muted);font-weight:400;margin-right:.3rem}
.au{font-size:.9rem;color:var(--muted)}
.why{font-size:.86rem;margin:.25rem 0}.why b{font-weight:600}
mark{background:var(--mark);color:var(--markfg);border-radius:3px;padding:0 .2em}
.tldr{margin:.35rem 0}.tldr p{display:inline;margin:0}.tldr>b{font-size:.85rem}
details{margin-top:.3rem}summary{cursor:pointer;color:var(--muted);font-size:.9rem}
details>div{padding:.1rem .8rem;border-left:3px solid var(--line);margin-top:.25rem}
details>div h1,details>div h2,details>div h3,details>div h4{font-size:.98rem;
margin:.6rem 0 .2rem}
.links{font-size:.88rem;margin-top:.35rem;display:flex;flex-wrap:wrap;gap:.2rem .9rem}
.links span{color:var(--muted)}
.box{background:var(--card);border-radius:8px;padding:.8rem .9rem;margin-bottom:1rem}
.subs{list-style:none;margin:0;padding:0;display:grid;gap:.35rem}
.subs li{display:grid;grid-template-columns:2.9rem minmax(0,1fr) auto;gap:.4rem;
align-items:center}
input,select{font:inherit;font-size:.92rem;padding:.3rem .4rem;border:1px solid var(--line);
border-radius:4px;background:var(--bg);color:var(--fg);width:100%;min-width:0}
.url{font:.78rem/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
output.url{display:block;overflow-wrap:anywhere;padding:.3rem 0}
button{font:inherit;font-size:.85rem;cursor:pointer;padding:.25rem .6rem;
border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}
button.go{background:var(--accent);color:#fff;border:0;padding:.4rem 1rem}
@media (prefers-color-scheme:dark){button.go{color:#1c1d1f}}
.more{font-size:.88rem}.more ul{padding-left:1.1rem;margin:.3rem 0}
form label{display:block;font-weight:600;font-size:.9rem;margin-top:.6rem}
form label small{font-weight:400}form label input,form label select{margin-top:.2rem;
font-weight:400}::placeholder{color:var(--muted);opacity:.75}
#picked{font-size:.85rem;margin:.3rem 0 0}
fieldset{border:0;margin:0;padding:0;min-width:0}
legend{font-weight:600;font-size:.9rem;padding:0}
.catlist{max-height:17rem;overflow:auto;border:1px solid var(--line);border-radius:4px;
background:var(--bg);margin-top:.3rem;padding:.2rem .4rem}
.catlist details{margin:.1rem 0}.catlist summary{color:var(--fg);font-size:.88rem;
padding:.15rem 0}.catlist summary small{margin-left:.3rem}
.catlist label{display:flex;gap:.45rem;align-items:baseline;font-weight:400;
font-size:.86rem;margin:0;padding:.12rem 0 .12rem .9rem}
.catlist label input{width:auto;margin:0;flex:none}.catlist label b{font-weight:600}
form.fb{display:inline}form.fb button{font-size:.8rem;padding:.1rem .5rem}
#owner-form label{display:block;margin:.4rem 0}#owner-form textarea,#owner-form input{width:100%}
.actions{display:flex;gap:.6rem;align-items:center;flex-wrap:wrap;margin-top:.8rem}
#preview{font-size:.88rem}#preview ol{padding-left:1.2rem}
"""

SCRIPT = """
(() => {
  const $ = (s, r = document) => r.querySelector(s);
  const $$ = (s, r = document) => [...r.querySelectorAll(s)];
  const enc = (v) => encodeURIComponent(v).replace(/%2C/g, ',');
  const words = (v) => {
    const seen = new Map();
    for (const w of v.split(',')) {
      const k = w.split(/\\s+/).filter(Boolean).join(' ');
      if (k && !seen.has(k.toLowerCase())) seen.set(k.toLowerCase(), k);
    }
    return [...seen.values()];
  };
  for (const b of $$('button[data-copy]')) {
    b.hidden = false;
    b.addEventListener('click', async () => {
      try { await navigator.clipboard.writeText(b.dataset.copy); b.textContent = 'Copied'; }
      catch (e) {
        const i = b.previousElementSibling;
        if (i && i.select) i.select();
        b.textContent = 'Press Ctrl+C';
      }
      setTimeout(() => { b.textContent = 'Copy'; }, 1500);
    });
  }
  for (const i of $$('input.url[readonly]')) i.addEventListener('focus', () => i.select());
  const owner = $('#owner-form');
  if (owner) {
    const api = $('#owner').dataset.api, said = $('#owner-out');
    const types = {bib: 'application/x-bibtex', bibtex: 'application/x-bibtex',
      ris: 'application/x-research-info-systems', json: 'application/vnd.citationstyles.csl+json',
      csv: 'text/csv', txt: 'text/plain'};
    const lines = (v) => v.split('\\n').map((w) => w.trim()).filter(Boolean);
    owner.addEventListener('submit', async (e) => {
      e.preventDefault();
      const auth = {Authorization: 'Bearer ' + owner.elements.token.value.trim()};
      const send = async (body, type, method) => {
        const r = await fetch(api, {method, body, headers: {...auth, 'Content-Type': type}});
        const out = await r.json().catch(() => ({}));
        if (!r.ok) throw new Error(out.error ? out.error.message : 'HTTP ' + r.status);
      };
      try {
        const file = owner.elements.library.files[0];
        if (file) {
          const ext = file.name.split('.').pop().toLowerCase();
          await send(file, types[ext] || 'application/octet-stream', 'PUT');
        }
        const change = {};
        for (const k of ['keywords', 'authors']) {
          const v = lines(owner.elements[k].value);
          if (v.length) change[k] = v;
        }
        const json = JSON.stringify(change);
        if (Object.keys(change).length) await send(json, 'application/json', 'PATCH');
        said.textContent = 'Saved: the feed shows it on its next read.';
      } catch (err) { said.textContent = 'Not saved: ' + err.message; }
    });
  }
  const form = $('#builder');
  if (!form) return;
  const out = $('#built'), paths = JSON.parse(form.dataset.paths);
  const boxes = $$('input[name=categories]', form), groups = $$('#cat-list details');
  const filter = $('#cat-filter'), picked = $('#picked');
  const opened = new Map(groups.map((g) => [g, g.open]));
  filter.hidden = false;
  filter.addEventListener('keydown', (e) => { if (e.key === 'Enter') e.preventDefault(); });
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase().split(/\\s+/).filter(Boolean);
    for (const g of groups) {
      let any = false;
      for (const l of $$('label', g)) {
        const hit = q.every((w) => l.textContent.toLowerCase().includes(w));
        l.hidden = !hit; any = any || hit;
      }
      g.hidden = !any;
      g.open = q.length ? any : opened.get(g);
    }
  });
  const params = (f) => {
    const q = [];
    for (const name of ['keywords', 'exclude', 'authors', 'like']) {
      const w = words(f.elements[name].value);
      if (w.length) q.push(name + '=' + enc(w.join(',')));
    }
    const s = f.elements.min_score.value.trim();
    if (s !== '' && !Number.isNaN(Number(s))) q.push('min_score=' + enc(String(Number(s))));
    return q;
  };
  const cats = () => boxes.filter((b) => b.checked).map((b) => b.value);
  const build = () => {
    const c = cats(), q = params(form);
    const path = paths[form.elements.format.value] + (c.length ? '/' + c.join('+') : '');
    return path + (q.length ? '?' + q.join('&') : '');
  };
  const show = () => {
    out.textContent = location.origin + build();
    const c = cats();
    picked.textContent = c.length ? 'Chosen: ' + c.join(', ') : 'None chosen: the configured ones';
    for (const g of groups) {
      const n = $$('input:checked', g).length, note = $('summary small', g);
      note.textContent = n ? n + ' chosen' : '';
    }
  };
  form.addEventListener('input', show);
  form.addEventListener('change', show);
  show();
  const list = $('#preview'), button = $('#preview-button');
  button.hidden = false;
  button.addEventListener('click', async () => {
    const c = cats(), q = params(form).filter((p) => !/^(authors|like)=/.test(p));
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


def csp_hash(text: str) -> str:
    """The CSP source expression allowing exactly ``text`` inline."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def html_document(title: str, body: str) -> bytes:
    """A whole page: ``body`` with the one style and the one script."""
    from html import escape

    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n"
        f"<body>\n{body}\n<script>{SCRIPT}</script></body></html>\n"
    ).encode()


SCRIPT_HASH = csp_hash(SCRIPT)
STYLE_HASH = csp_hash(STYLE)
CSP = (
    f"default-src 'none'; script-src {SCRIPT_HASH}; style-src {STYLE_HASH}; "
    "connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
