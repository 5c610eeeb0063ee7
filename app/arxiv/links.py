"""Code and project links found in an abstract (pure: text in, links out).

Authors put their code in the abstract ("Code is available at https://github.com/org/repo."):
``code_links`` finds those URLs, with or without a scheme for the well-known hosts, drops the
punctuation that ends the sentence around them, and names each one by where it points:
``github``, ``gitlab``, ``huggingface`` or ``project`` (any other page, e.g. ``org.github.io``).
Links to arXiv itself and to DOIs are not code. Each URL appears once, in the order found.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

LinkKind = Literal["github", "gitlab", "huggingface", "project"]

_HOSTS = r"(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co|hf\.co)"
_URL = re.compile(
    rf"(?:https?://|(?<![\w./@-])(?={_HOSTS}/))[^\s<>\"'{{}}|\\^`]+",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\""
_PAIRS = {")": "(", "]": "[", "}": "{"}
NAMES = {"github": "GitHub", "gitlab": "GitLab", "huggingface": "Hugging Face"}
_NOT_CODE = ("arxiv.org", "doi.org", "dx.doi.org", "creativecommons.org")


class CodeLink(BaseModel):
    """A link to a paper's code, model, data or project page."""

    model_config = ConfigDict(frozen=True)

    kind: LinkKind
    url: str

    @property
    def name(self) -> str:
        """``GitHub``, ``GitLab``, ``Hugging Face`` or ``Project page``."""
        return NAMES.get(self.kind, "Project page")


def code_links(text: str) -> list[CodeLink]:
    """Every code or project link in ``text``, named by kind, each once, in order."""
    found: dict[str, CodeLink] = {}
    for match in _URL.finditer(text):
        url = _trim(match.group(0))
        if "://" not in url:
            url = "https://" + url
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not host or "." not in host or _is_not_code(host):
            continue
        kind = _kind(host, parts.path)
        if kind is None:
            continue
        key = url.rstrip("/").lower()
        if key not in found:
            found[key] = CodeLink(kind=kind, url=url.rstrip("/") if kind != "project" else url)
    return list(found.values())


def _trim(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets from the end."""
    while url:
        last = url[-1]
        closing = last in _PAIRS and url.count(last) > url.count(_PAIRS[last])
        if last in _TRAILING or closing:
            url = url[:-1]
        else:
            break
    return url


def _is_not_code(host: str) -> bool:
    return any(host == h or host.endswith("." + h) for h in _NOT_CODE)


def _kind(host: str, path: str) -> LinkKind | None:
    host = host.removeprefix("www.")
    segments = [s for s in path.split("/") if s]
    if host == "github.com":
        return "github" if segments else None
    if host == "gitlab.com":
        return "gitlab" if segments else None
    if host in ("huggingface.co", "hf.co"):
        return "huggingface" if segments else None
    return "project"
