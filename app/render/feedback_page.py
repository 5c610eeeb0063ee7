"""The HTML of feedback (pure): the page a feedback link opens, the reading page's buttons and
the profile owner's form.

A feedback link's GET never records (mail scanners and prefetching readers follow links): it
answers ``confirm_page``, which says what the click will do and holds a ``<form
method="post">`` to the same URL, usable without JavaScript. The reading page's buttons
(``buttons``) post directly. The owner's form (``owner_form``) asks for the profile's token;
the page's one script (``app.render.page_assets``) sends its library and keywords with it.
"""

from __future__ import annotations

from html import escape

from app.models import FeedbackLinks
from app.render.page_assets import html_document

WHAT = {
    "more": "<b>More like this</b>: papers similar to it rank higher in this feed",
    "less": "<b>Less like this</b>: it leaves this feed, and papers similar to it rank lower",
    "none": "<b>Undo</b>: forget your feedback on it",
}
WHAT_BUTTON = {"more": "More like this", "less": "Less like this", "none": "Undo my feedback"}
SAID = {"more": "More like this", "less": "Less like this", None: "no feedback yet"}


def confirm_page(
    *,
    profile: str,
    arxiv_id: str,
    paper_title: str | None,
    choice: str,
    current: str | None,
    urls: dict[str, str],
) -> bytes:
    """What a click on feedback ``choice`` will do, and the form that does it; ``urls`` are
    the (relative) URLs of each choice."""
    title = escape(paper_title or f"arXiv:{arxiv_id}")
    others = " · ".join(
        f'<a href="{escape(url)}">{escape(c if c != "none" else "undo")}</a>'
        for c, url in urls.items()
        if c != choice
    )
    body = (
        f'<main class="box"><h1>Feedback on a paper in “{escape(profile)}”</h1>'
        f'<p><a href="https://arxiv.org/abs/{escape(arxiv_id)}">{title}</a></p>'
        f"<p>Now: {escape(SAID[current])}.</p>"
        f"<p>This will record {WHAT[choice]}. It takes effect on the next read of the feed.</p>"
        f'<form method="post" action="{escape(urls[choice])}">'
        f'<button class="go" type="submit">{escape(WHAT_BUTTON[choice])}</button></form>'
        f'<p class="muted">Or: {others} · <a href="/p/{escape(profile)}/">the feed</a></p></main>'
    )
    return html_document(f"Feedback: {paper_title or arxiv_id}", body)


def buttons(links: FeedbackLinks) -> str:
    """The reading page's two feedback buttons, each a form posting to its signed URL."""
    return "".join(
        f'<form method="post" action="{escape(url)}" class="fb">'
        f'<button type="submit">{label}</button></form>'
        for url, label in ((links.more, "More like this"), (links.less, "Less like this"))
    )


def owner_form(name: str) -> str:
    """The profile owner's box: upload a library, change keywords and followed authors."""
    api = escape(f"/api/profiles/{name}")
    return (
        f'<section id="owner" class="box" data-api="{api}"><h2>Your profile</h2>'
        '<p class="muted">For the owner: the profile\'s token (or the admin token) is needed.'
        " It is sent with each change and never stored.</p>"
        '<form id="owner-form"><label>Token <input name="token" type="password" '
        'autocomplete="off" required></label>'
        '<label>Library (BibTeX, RIS, CSL-JSON or Zotero CSV) <input name="library" type="file"'
        ' accept=".bib,.bibtex,.ris,.json,.csv,.txt"></label>'
        '<label>Keywords, one a line <textarea name="keywords" rows="3"></textarea></label>'
        '<label>Followed authors, one a line <textarea name="authors" rows="3"></textarea>'
        '</label><p class="muted">Empty fields are left as they are.</p>'
        '<div class="actions"><button class="go" type="submit">Save</button>'
        '<output id="owner-out" role="status"></output></div></form></section>'
    )
