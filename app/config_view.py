"""What ``/api/config`` shows of the settings (pure): ``ConfigOut`` and ``config_out``.

``ConfigOut`` is an allow-list: a setting appears only when it is named here, secrets never do
(only whether they are set), and credentials in URLs are redacted. It is written out, not made
from ``Settings``: the route's response model must exist when the routes are imported, before
``app.config`` (pydantic-settings) is loaded, and a new setting (a key, an address) stays out
until it is named here (``tests/test_api_json.py`` asks that each be shown or kept out).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from app.models import AnnounceType
from app.redaction import redact

if TYPE_CHECKING:
    from app.config import Settings
    from app.delivery.settings import Delivery


PROVIDERS = {
    "api.openai.com": "openai",
    "dashscope.aliyuncs.com": "dashscope",
    "dashscope-intl.aliyuncs.com": "dashscope",
    "api.deepseek.com": "deepseek",
}
SET = "Whether it is set (the value is never shown: it may be an internal address or path)"


class AISummaryOut(BaseModel):
    """The ``ai_summary`` block: the provider by name, never its address; whether a key is set."""

    model_config = ConfigDict(defer_build=True)

    enabled: bool
    api_key_env: str
    api_key_set: bool = Field(
        description="Whether the variable named by api_key_env (else OPENAI_API_KEY) is set"
    )
    base_url: bool = Field(description=SET)
    provider: str = Field(description="openai, dashscope, deepseek, or custom (any other URL)")
    model: str
    prompt_file: bool = Field(description=SET)
    max_papers_to_summarize: int
    max_workers: int
    summary_language: str
    source: Literal["abstract", "pdf"]
    timeout: float
    time_budget: float
    daily_call_cap: int
    retry_after: float


class DeliveryOut(BaseModel):
    """Where the digest goes, without secrets: webhook URLs hold tokens, so only kind and host;
    e-mail addresses are counted, not shown."""

    model_config = ConfigDict(defer_build=True)

    email: str | None = Field(description="e.g. email:smtp.example.org (null: no e-mail)")
    email_recipients: int
    webhooks: list[str] = Field(description="e.g. slack:hooks.slack.com")

    @classmethod
    def of(cls, delivery: Delivery | None) -> Self | None:
        """The public view of the ``delivery`` setting."""
        if delivery is None:
            return None
        mail = delivery.email
        return cls(
            email=mail.label if mail else None,
            email_recipients=len(mail.to) if mail else 0,
            webhooks=[w.label for w in delivery.webhooks],
        )


class ConfigOut(BaseModel):
    """The effective configuration; secrets, addresses and paths show only whether they are set."""

    model_config = ConfigDict(defer_build=True)

    config_file: bool = Field(description="Whether a config file was found and read")
    categories: list[str]
    keywords: list[str]
    exclude_keywords: list[str]
    max_papers: int
    days_back: int
    min_score: float
    enable_deduplication: bool
    ai_summary: AISummaryOut
    interests: str | None
    relevance_weight: float
    relevance_batch_size: int
    relevance_max_candidates: int
    store_url: bool = Field(description=SET)
    redis_url: bool = Field(description=SET)
    sqlite_path: bool = Field(description="Whether it differs from the default (never shown)")
    announce_types: list[AnnounceType]
    keyword_weight: float
    title_bonus: float
    arxiv_rss_url: str = Field(description="arXiv's own address, or custom (never shown)")
    arxiv_api_url: str = Field(description="arXiv's own address, or custom (never shown)")
    arxiv_source: Literal["auto", "live", "sample"]
    contact: bool = Field(description=SET)
    fetch_timeout: float
    fetch_retries: int
    fetch_backoff: float
    min_request_interval: float
    adhoc_fetch_budget: int
    max_request_categories: int
    adhoc_lookup_budget: int
    fetch_batch_size: int
    cron_secret_set: bool = Field(description="Whether CRON_SECRET is set (refresh over HTTP)")
    refresh_time_budget: float
    refresh_call_seconds: float | None
    refresh_parallel_calls: int
    feed_title: str
    public_url: str | None = Field(description="The public address, credentials redacted")
    allowed_hosts: list[str] = Field(default_factory=list)
    max_query_keywords: int
    max_limit: int
    digest_template: bool = Field(default=False, description=SET)
    delivery: DeliveryOut | None = None
    delivery_allow_private: bool = Field(
        default=False, description="Webhooks may post to loopback or private addresses"
    )
    profiles: list[str] = Field(description="The profiles defined in config.json, by name")
    embeddings: str | None = Field(description="The embeddings model for profiles (null: off)")
    admin_token_set: bool = Field(description="Whether ADMIN_TOKEN is set (profile changes)")
    max_profiles: int
    zotero_api_url: str = Field(description="Zotero's own address, or custom (never shown)")
    feedback_secret_set: bool = Field(
        default=False, description="Whether FEEDBACK_SECRET is set (profile tokens, feedback links)"
    )
    store: str = Field(description="The store in use: memory, sqlite or redis")


def provider(base_url: str | None) -> str:
    """The provider a base URL names (``custom`` for anything not on the list)."""
    if not base_url:
        return "openai"
    return PROVIDERS.get((urlsplit(base_url).hostname or "").lower(), "custom")


def config_out(settings: Settings, store: str) -> ConfigOut:
    """The settings as ``/api/config`` shows them (pure)."""
    from app.config import Settings as Defaults

    ai = settings.ai_summary
    ai_out = AISummaryOut(
        **ai.model_dump(include=set(AISummaryOut.model_fields) - {"base_url", "prompt_file"}),
        api_key_set=bool(ai.api_key()),
        base_url=ai.resolved_base_url() is not None,
        provider=provider(ai.resolved_base_url()),
        prompt_file=ai.prompt_file is not None,
    )
    hidden = {"ai_summary", "store", "cron_secret_set", "config_file", "store_url", "redis_url"}
    hidden |= {"sqlite_path", "arxiv_rss_url", "contact", "digest_template", "public_url"}
    hidden |= {"delivery", "profiles", "admin_token_set", "arxiv_api_url", "embeddings"}
    hidden |= {"feedback_secret_set", "zotero_api_url"}
    values = settings.model_dump(mode="json", include=set(ConfigOut.model_fields) - hidden)
    default_rss = Defaults.model_fields["arxiv_rss_url"].get_default()
    default_api = Defaults.model_fields["arxiv_api_url"].get_default()
    default_zotero = Defaults.model_fields["zotero_api_url"].get_default()
    default_sqlite = Defaults.model_fields["sqlite_path"].get_default(call_default_factory=True)
    secret, token = settings.cron_secret, settings.admin_token
    return ConfigOut(
        **values,
        ai_summary=ai_out,
        delivery=DeliveryOut.of(settings.delivery),
        config_file=settings.config_file.is_file(),
        store_url=settings.store_url is not None,
        redis_url=settings.redis_url is not None,
        sqlite_path=settings.sqlite_path != default_sqlite,
        arxiv_rss_url=default_rss if settings.arxiv_rss_url == default_rss else "custom",
        arxiv_api_url=default_api if settings.arxiv_api_url == default_api else "custom",
        zotero_api_url=default_zotero if settings.zotero_api_url == default_zotero else "custom",
        profiles=sorted(settings.profiles),
        embeddings=settings.embeddings.model if settings.embeddings else None,
        admin_token_set=bool(token and token.get_secret_value()),
        feedback_secret_set=bool(
            settings.feedback_secret and settings.feedback_secret.get_secret_value()
        ),
        contact=settings.contact is not None,
        digest_template=settings.digest_template is not None,
        public_url=redact(settings.public_url) if settings.public_url else None,
        cron_secret_set=bool(secret and secret.get_secret_value()),
        store=store.split(" ", 1)[0],
    )
