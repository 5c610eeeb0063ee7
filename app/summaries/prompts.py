"""Prompts: the default four-section summary, a user's ``prompt_file``, relevance rating.

A ``prompt_file`` may use ``{title}``, ``{authors}``, ``{categories}``, ``{abstract}``,
``{arxiv_id}`` and ``{language}``; a file without any of them gets the paper appended. The hash
of the final template is part of the cache key, so editing the prompt re-summarizes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from app.models import Paper

LANGUAGES = {
    "zh": "Write in Simplified Chinese, keeping technical terms, model and system names in "
    "English (e.g. 'KV-cache', 'MoE').",
    "en": "Write in English.",
    "ja": "Write in Japanese, keeping technical terms in English.",
    "ko": "Write in Korean, keeping technical terms in English.",
    "de": "Write in German, keeping technical terms in English.",
    "fr": "Write in French, keeping technical terms in English.",
    "es": "Write in Spanish, keeping technical terms in English.",
}

SYSTEM = "You are an expert research assistant who summarizes arXiv papers for researchers."

DEFAULT_TEMPLATE = """Summarize the following arXiv paper in Markdown with exactly these four
sections:

## 1. Main contributions and innovations
What problem it solves, what is new, and its advantages over existing methods.
## 2. Methods and experimental setup
The core method, datasets, metrics and baselines.
## 3. Key results
The main experimental findings, with numbers where the text gives them.
## 4. Conclusions and limitations
What the authors conclude, the limitations, and future directions.

{language}
Be accurate: do not invent results that the text does not contain.

"""
PAPER_BLOCK = """Title: {title}
Authors: {authors}
Categories: {categories}
arXiv: {arxiv_id}

{abstract}
"""
DEFAULT_TEMPLATE += PAPER_BLOCK

PDF_NOTE = "The full text of the paper follows (extracted from its PDF)."
_FIELDS = re.compile(r"\{(title|authors|categories|abstract|arxiv_id|language)\}")


@dataclass(frozen=True, slots=True)
class SummaryPrompt:
    """The summary prompt in use; ``digest`` identifies it in cache keys."""

    template: str
    language: str

    @property
    def digest(self) -> str:
        """A short hash of the template and language."""
        data = f"{self.language}\n{self.template}".encode()
        return hashlib.sha256(data).hexdigest()[:16]

    def language_instruction(self) -> str:
        """How to phrase the language requirement."""
        return LANGUAGES.get(self.language, f"Write in the language '{self.language}'.")

    def render(self, paper: Paper, text: str | None = None) -> str:
        """The user message for ``paper`` (``text``: the full text, when summarizing a PDF)."""
        body = f"{PDF_NOTE}\n\n{text}" if text else f"Abstract: {paper.abstract}"
        values = {
            "title": paper.title,
            "authors": ", ".join(paper.authors),
            "categories": ", ".join(paper.categories),
            "abstract": body,
            "arxiv_id": paper.versioned_id,
            "language": self.language_instruction(),
        }
        template = self.template
        if not _FIELDS.search(template):
            template = f"{template.rstrip()}\n\n{PAPER_BLOCK}"
        return _FIELDS.sub(lambda m: values[m.group(1)], template)


def load_prompt(prompt_file: Path | None, language: str) -> SummaryPrompt:
    """The configured prompt, or the default one."""
    template = prompt_file.read_text(encoding="utf-8") if prompt_file else DEFAULT_TEMPLATE
    return SummaryPrompt(template=template, language=language)


RELEVANCE_SYSTEM = (
    "You rate how relevant arXiv papers are to a researcher's interests. Answer with JSON only."
)


def relevance_prompt(interests: str, papers: list[Paper]) -> str:
    """One request rating many papers; ids in brackets are echoed back in the JSON."""
    lines = [
        f"Research interests: {interests}",
        "",
        "Rate each paper from 0 (irrelevant) to 10 (must read) for these interests, with a "
        "one-line reason. Answer with JSON only, in the form "
        '{"ratings": [{"id": "<id>", "score": <0-10>, "reason": "<one line>"}]}, '
        "one entry per paper, using the ids exactly as given.",
        "",
    ]
    for p in papers:
        lines.append(f"[{p.versioned_id}] {p.title}")
        lines.append(f"    {p.abstract[:600]}")
    return "\n".join(lines)
