"""Writes the generated reference pages of the documentation site:

- ``docs/reference/configuration.md``: every field of ``Settings`` and of the models it holds
  (``ai_summary``, ``embeddings``, profiles, delivery): name, environment variable, type,
  default and description;
- ``docs/reference/http-api.md``: every route of ``create_app().openapi()``.

Run ``python -m scripts.gen_reference`` after changing a setting or a route;
``tests/test_reference.py`` fails while the committed pages differ from what this writes. A
field's description is its ``Field(description=...)``, else its line in ``NOTES``; a field with
neither fails that test, so no setting goes undocumented.
"""

from __future__ import annotations

import os
import re
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "configuration": ROOT / "docs" / "reference" / "configuration.md",
    "http-api": ROOT / "docs" / "reference" / "http-api.md",
}

NOTES: dict[str, str] = {
    "Settings.config_file": "The legacy config.json to read (relative to the working directory)",
    "Settings.categories": "Categories of the configured feed (/rss, /atom, /feed.json), "
    "checked against arXiv's taxonomy",
    "Settings.keywords": "Include keywords or phrases: a paper must match one (empty: keep "
    "all). The default list is an example for LLM systems: set your own",
    "Settings.exclude_keywords": "Papers that mention any of these are dropped",
    "Settings.max_papers": "Items per feed (the default of ?limit=)",
    "Settings.days_back": "Announcement days a feed shows (days without papers do not count)",
    "Settings.min_score": "Papers scoring less are dropped",
    "Settings.enable_deduplication": "A paper listed in several categories appears once",
    "Settings.ai_summary": "LLM summaries of the top papers (the fields below)",
    "Settings.relevance_weight": "Points per unit of the LLM's 0-10 relevance rating",
    "Settings.relevance_batch_size": "Papers rated per LLM call",
    "Settings.relevance_max_candidates": "Papers rated per day",
    "Settings.redis_url": "Use Redis (an Upstash rediss:// URL works) when store_url is unset",
    "Settings.sqlite_path": "The SQLite file of the default store (/tmp/... on Vercel and "
    "AWS Lambda)",
    "Settings.announce_types": "Announce types kept: new, cross, replace, replace-cross",
    "Settings.keyword_weight": "Points per matched keyword",
    "Settings.title_bonus": "Extra points per keyword found in the title",
    "Settings.arxiv_rss_url": "Where listings come from",
    "Settings.fetch_timeout": "Seconds one arXiv request may take",
    "Settings.fetch_retries": "Retries after a timeout, 5xx or 429",
    "Settings.min_request_interval": "Seconds between arXiv requests, across instances; "
    "below 3 only for a loopback arxiv_rss_url",
    "Settings.feed_title": "Feed title prefix",
    "Settings.max_query_keywords": "Keywords one request may give",
    "Settings.max_limit": "The largest ?limit=",
    "Profile.title": "The feed's title",
    "Profile.categories": "As the top-level setting; unset: inherited",
    "Profile.keywords": "As the top-level setting; unset: inherited; [] keeps every paper "
    "that is similar enough",
    "Profile.exclude_keywords": "As the top-level setting; unset: inherited",
    "Profile.announce_types": "As the top-level setting; unset: inherited",
    "Profile.max_papers": "As the top-level setting; unset: inherited",
    "Profile.days_back": "As the top-level setting; unset: inherited",
    "Profile.min_score": "As the top-level setting; unset: inherited",
    "Profile.interests": "As the top-level setting; unset: inherited",
    "Profile.ai_summary": "Whether and how many of this profile's papers get summaries",
    "Profile.like": "arXiv ids (any form) to rank by similarity to",
    "Profile.dislike": "arXiv ids whose look-alikes are pushed down",
    "Profile.authors": "Authors to follow: their papers come first, marked",
    "Profile.similarity_weight": "Points per 0.1 of similarity to the library and likes",
    "Profile.min_similarity": "With a library or likes, a paper matching no keyword stays "
    "when its similarity reaches this",
    "Profile.delivery": "Where this profile's daily digest goes (as the top-level delivery)",
    "ProfileAI.enabled": "Summaries for this profile's top papers",
    "ProfileAI.max_papers_to_summarize": "How many of its top papers get one",
    "ZoteroSource.collections": "Collection keys to read (from the collection's URL); "
    "empty: the whole library",
    "AISummary.api_key_env": "The environment variable holding the API key",
    "AISummary.enabled": "Summaries of the configured feed's top papers",
    "AISummary.model": "The model name the provider knows",
    "AISummary.prompt_file": "Your own prompt; it may use {title}, {authors}, {categories}, "
    "{abstract}, {arxiv_id}, {language}",
    "AISummary.max_papers_to_summarize": "How many top papers get a summary",
    "AISummary.max_workers": "Concurrent LLM calls",
    "AISummary.source": "abstract, or pdf to summarize the full paper",
    "EmbeddingsSettings.api_key_env": "The environment variable holding the API key",
    "EmbeddingsSettings.model": "The embeddings model name the provider knows",
    "Delivery.email": "One SMTP message a day (the fields below)",
    "Delivery.webhooks": "Slack, Discord or generic JSON webhooks (the fields below)",
    "EmailDelivery.host": "The SMTP server",
    "EmailDelivery.security": "starttls, ssl or none (a password needs TLS)",
    "EmailDelivery.user": "The SMTP user",
    "EmailDelivery.to": "Recipients",
    "EmailDelivery.timeout": "Seconds the SMTP exchange may take",
    "Webhook.kind": "slack, discord or generic",
    "Webhook.url": "Where the digest is posted (shown only by kind and host)",
    "Webhook.timeout": "Seconds one post may take",
}

SECTIONS: dict[str, tuple[str, str]] = {
    "Settings": ("Top level", "config.json's top level, or `ARXIV_FEEDS_<NAME>`"),
    "AISummary": ("ai_summary", 'Under `"ai_summary"`'),
    "EmbeddingsSettings": ("embeddings", 'Under `"embeddings"`'),
    "Profile": ("profiles.NAME", 'Under `"profiles": {"NAME": {...}}`'),
    "ProfileAI": ("profiles.NAME.ai_summary", "A profile's own `ai_summary`"),
    "ZoteroSource": ("profiles.NAME.zotero", "A profile's Zotero library"),
    "Delivery": ("delivery", 'Under `"delivery"` (top level or a profile\'s)'),
    "EmailDelivery": ("delivery.email", "SMTP"),
    "Webhook": ("delivery.webhooks[]", "Each webhook"),
}


def models() -> list[type[BaseModel]]:
    """``Settings`` and every model its fields hold, in the order a reader meets them."""
    from app.config import Settings

    found: list[type[BaseModel]] = []

    def visit(model: type[BaseModel]) -> None:
        if model in found:
            return
        found.append(model)
        for field in model.model_fields.values():
            for inner in nested(field.annotation):
                visit(inner)

    visit(Settings)
    return found


def nested(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in nested(arg)]


def type_name(annotation: Any) -> str:
    if isinstance(annotation, type) and not typing.get_args(annotation):
        if issubclass(annotation, BaseModel):
            return "object"
        return {"SecretStr": "secret", "PosixPath": "path", "Path": "path"}.get(
            annotation.__name__, annotation.__name__
        )
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(str(a) for a in args)
    if origin in (types.UnionType, typing.Union):
        return " \\| ".join(type_name(a) for a in args).replace("NoneType", "null")
    if origin is list:
        return f"list of {type_name(args[0])}"
    if origin is dict:
        return f"map of {type_name(args[1])}"
    if annotation is type(None):
        return "null"
    return re.sub(r"\w+\.", "", str(annotation))


def default_of(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "required"
    else:
        value = field.default
    if isinstance(value, BaseModel):
        return "see below"
    if value is None:
        return "unset"
    if isinstance(value, list) and len(value) > 6:
        return f"{len(value)} items (see below)"
    if isinstance(value, list | dict | bool | int | float):
        text = repr(value).replace("'", '"').replace("True", "true").replace("False", "false")
        text = re.sub(r"<AnnounceType\.\w+: (\"\w+\")>", r"\1", text)
        return f"`{text}`"
    return f"`{value}`"


def env_names(model: type[BaseModel], name: str, field: FieldInfo) -> str:
    if model.__name__ != "Settings":
        return ""
    if name == "profiles":
        return "`ARXIV_FEEDS_PROFILES` (JSON)"
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        names = [str(c).upper() for c in alias.choices if str(c).upper() == str(c)]
        return ", ".join(f"`{n}`" for n in names)
    nested_model = nested(field.annotation)
    if nested_model:
        return f"`ARXIV_FEEDS_{name.upper()}` (JSON), `ARXIV_FEEDS_{name.upper()}__<FIELD>`"
    return f"`ARXIV_FEEDS_{name.upper()}`"


def description(model: type[BaseModel], name: str, field: FieldInfo) -> str | None:
    return field.description or NOTES.get(f"{model.__name__}.{name}")


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def configuration_page() -> str:
    from app.config import DEFAULT_KEYWORDS

    os.environ.pop("VERCEL", None)
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `python -m scripts.gen_reference` from `Settings` and the models it",
        "holds: do not edit by hand (tests/test_reference.py checks it). -->",
        "",
        "Every setting, from the code. Settings come from, highest first: the environment,",
        "`config.json` (path in `ARXIV_FEEDS_CONFIG`), the defaults below. In the environment a",
        "list or an object is JSON (`ARXIV_FEEDS_CATEGORIES='[\"cs.LG\"]'`) and a nested field",
        "is `ARXIV_FEEDS_<SECTION>__<FIELD>` (`ARXIV_FEEDS_AI_SUMMARY__ENABLED=true`).",
        "See [Configuration](../configuration.md) for how they fit together.",
    ]
    for model in models():
        title, where = SECTIONS.get(model.__name__, (model.__name__, ""))
        lines += ["", f"## {title}", "", where + ".", ""]
        env = model.__name__ == "Settings"
        head = "| Name | " + ("Environment | " if env else "") + "Type | Default | Description |"
        lines += [head, "|" + " --- |" * (5 if env else 4)]
        for name, field in model.model_fields.items():
            shown = field.alias if field.alias and field.alias != name else name
            text = description(model, name, field) or "UNDOCUMENTED"
            row = [f"`{shown}`"]
            if env:
                row.append(env_names(model, name, field))
            row += [type_name(field.annotation), default_of(field), cell(text)]
            lines.append("| " + " | ".join(row) + " |")
    lines += ["", "## The default keywords", "", "An example list (LLM systems); set your own:", ""]
    lines.append(", ".join(f"`{k}`" for k in DEFAULT_KEYWORDS) + ".")
    return "\n".join(lines) + "\n"


def http_api_page() -> str:
    from app.main import create_app

    spec = create_app().openapi()
    lines = [
        "# HTTP API reference",
        "",
        "<!-- Generated by `python -m scripts.gen_reference` from the OpenAPI document: do not",
        "edit by hand (tests/test_reference.py checks it). -->",
        "",
        f"Every route of {spec['info']['title']} {spec['info']['version']}, from its OpenAPI",
        "document (served at `/openapi.json`, browsable at `/docs` and `/redoc`). Errors are",
        'JSON: `{"error": {"code", "message", "hint"}}`.',
    ]
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            lines += ["", f"## `{method.upper()} {path}`", ""]
            summary = op.get("summary") or op.get("operationId", "")
            lines.append(f"**{summary}** (`{op.get('operationId', '')}`)")
            if op.get("description"):
                lines += ["", " ".join(op["description"].split())]
            params = op.get("parameters", [])
            if params:
                lines += [
                    "",
                    "| Parameter | In | Required | Description |",
                    "| --- | --- | --- | --- |",
                ]
                for p in params:
                    text = cell(" ".join(str(p.get("description", "")).split()))
                    required = "yes" if p.get("required") else "no"
                    lines.append(f"| `{p['name']}` | {p['in']} | {required} | {text} |")
            codes = ", ".join(f"`{code}`" for code in op.get("responses", {}))
            lines += ["", f"Responses: {codes}."]
    return "\n".join(lines) + "\n"


def render() -> dict[str, str]:
    """Each generated page's text, by name."""
    return {"configuration": configuration_page(), "http-api": http_api_page()}


def main() -> None:
    for name, text in render().items():
        PAGES[name].parent.mkdir(parents=True, exist_ok=True)
        PAGES[name].write_text(text, encoding="utf-8")
        print(f"wrote {PAGES[name].relative_to(ROOT)}")


if __name__ == "__main__":
    main()
