"""One ``Settings`` object, validated at start.

Sources, highest priority first: keyword arguments (tests, the CLI), environment variables
(``ARXIV_FEEDS_<FIELD>``, plus the conventional names ``ARXIV_RSS_URL``, ``ARXIV_SOURCE``),
the legacy ``config.json`` (path from ``ARXIV_FEEDS_CONFIG``, default ``./config.json``), then the
built-in defaults below. The legacy file keeps its field names: ``categories``, ``keywords``,
``exclude_keywords``, ``max_papers``, ``days_back``, ``min_score``, ``enable_deduplication`` and
``ai_summary{...}``. Unknown keys there only warn; a bad value stops start-up with a message that
names the field.
"""

from __future__ import annotations

import logging
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from app.config_file import LegacyConfigSource
from app.delivery.addresses import private_webhooks, refusal
from app.delivery.settings import Delivery
from app.errors import ConfigError
from app.llm.settings import EmbeddingsSettings
from app.models import AnnounceType
from app.profiles.model import Profile, check_name
from app.ranking.signals import Weights
from app.redaction import validation_problems
from app.summaries.settings import AISummary
from app.validation import clean_keywords, is_loopback, known_categories

log = logging.getLogger(__name__)

DEFAULT_CATEGORIES = ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]
# An example: the interests of someone who follows LLM systems. Specific words and phrases, so
# that a traffic-analytics or sensor-network paper does not pass for one ("Fast", "Network" and
# "Framework" would let it). Set your own in config.json or ARXIV_FEEDS_KEYWORDS.
DEFAULT_KEYWORDS = [
    "LLM", "large language model", "RL", "RLHF", "MoE", "mixture of experts", "quantization",
    "speculative decoding", "KV cache", "prefill", "LLM inference", "LLM serving",
    "distributed training", "pipeline parallelism", "tensor parallelism", "FP8", "FP4",
    "sparse attention", "FlashAttention", "GPU kernel",
]  # fmt: skip
MIN_ARXIV_INTERVAL = 3.0  # seconds between requests: arXiv's terms of use


class Settings(BaseSettings):
    """Everything the service can be told. See README "Configuration"."""

    model_config = SettingsConfigDict(
        env_prefix="ARXIV_FEEDS_",
        env_nested_delimiter="__",
        extra="ignore",
        populate_by_name=True,
        validate_default=True,
    )

    config_file: Path = Field(
        default=Path("config.json"),
        validation_alias=AliasChoices("config_file", "ARXIV_FEEDS_CONFIG"),
    )

    # -- what to follow (legacy config.json fields) --
    categories: list[str] = Field(default_factory=lambda: list(DEFAULT_CATEGORIES), min_length=1)
    keywords: list[str] = Field(default_factory=lambda: list(DEFAULT_KEYWORDS))
    exclude_keywords: list[str] = Field(default_factory=list)
    max_papers: int = Field(default=30, ge=1, le=2000)
    days_back: int = Field(default=1, ge=1, le=60)
    min_score: float = Field(default=0.0, ge=0)
    enable_deduplication: bool = True
    ai_summary: AISummary = Field(default_factory=AISummary)

    # -- LLM relevance (optional) --
    interests: str | None = Field(
        default=None,
        max_length=2000,
        description="Plain-text research interests; when set, an LLM rates each candidate 0-10",
    )
    relevance_weight: float = Field(default=0.5, ge=0, le=10)
    relevance_batch_size: int = Field(default=25, ge=1, le=100)
    relevance_max_candidates: int = Field(default=200, ge=1, le=2000)

    # -- store --
    store_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("store_url", "STORE_URL", "ARXIV_FEEDS_STORE_URL"),
        description="memory://, sqlite:///path or redis[s]://...; chooses the store explicitly",
    )
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("redis_url", "REDIS_URL", "KV_URL"),
    )
    sqlite_path: Path = Field(
        default_factory=lambda: Path(
            # Vercel's and Lambda's functions can write only under /tmp
            "/tmp/arxiv-feeds.sqlite3"  # noqa: S108
            if os.environ.get("VERCEL") or os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
            else "data/arxiv-feeds.sqlite3"
        )
    )

    # -- ranking --
    announce_types: list[AnnounceType] = Field(
        default_factory=lambda: [AnnounceType.NEW], min_length=1
    )
    keyword_weight: float = Field(default=1.0, ge=0)
    title_bonus: float = Field(default=0.5, ge=0)

    # -- upstream --
    arxiv_rss_url: str = Field(
        default="https://rss.arxiv.org/rss",
        validation_alias=AliasChoices("arxiv_rss_url", "ARXIV_RSS_URL", "ARXIV_FEEDS_RSS_URL"),
    )
    arxiv_api_url: str = Field(
        default="https://export.arxiv.org/api/query",
        validation_alias=AliasChoices("arxiv_api_url", "ARXIV_API_URL", "ARXIV_FEEDS_API_URL"),
        description="arXiv's API, for the text of liked papers not in any held listing",
    )
    arxiv_source: Literal["auto", "live", "sample"] = Field(
        default="auto",
        validation_alias=AliasChoices("arxiv_source", "ARXIV_SOURCE", "ARXIV_FEEDS_SOURCE"),
        description="live: arXiv only; sample: bundled listings only; auto: arXiv, and the "
        "bundled sample listings when arXiv cannot be reached at all",
    )
    contact: str | None = Field(default=None, description="Added to the User-Agent")
    fetch_timeout: float = Field(default=20.0, gt=0, le=120)
    fetch_retries: int = Field(default=2, ge=0, le=5)
    fetch_backoff: float = Field(default=1.0, ge=0, le=30, description="First retry wait (s)")
    min_request_interval: float = Field(default=MIN_ARXIV_INTERVAL, ge=0)
    adhoc_fetch_budget: int = Field(
        default=40,
        ge=0,
        le=1000,
        description="New categories a day that feeds the owner did not define may fetch",
    )
    max_request_categories: int = Field(
        default=10,
        ge=0,
        le=1000,
        description="Categories the owner's feeds do not use that one request may name "
        "(an archive counts as its categories)",
    )
    adhoc_lookup_budget: int = Field(
        default=300,
        ge=0,
        le=100_000,
        description="Papers a day that feeds the owner did not define may look up by id on "
        "arXiv's API (like=, dislike=); past it they are named in the feed, not looked up",
    )
    fetch_batch_size: int = Field(
        default=10, ge=1, le=50, description="Cold categories asked for in one arXiv request"
    )

    # -- refresh --
    cron_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("cron_secret", "CRON_SECRET", "ARXIV_FEEDS_CRON_SECRET"),
        description="Bearer token for /api/cron/refresh; unset disables the route",
    )
    refresh_time_budget: float = Field(
        default=50.0, gt=0, le=3600, description="LLM time one refresh may spend (s)"
    )
    refresh_call_seconds: float | None = Field(
        default=None,
        gt=0,
        le=86400,
        description="Seconds one call of the refresh may run before it hands the rest to the "
        "next call (started at public_url); unset: the platform's maximum minus a margin on "
        "Vercel, no limit on a long-running server",
    )
    refresh_parallel_calls: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Calls of the refresh the service runs at once when it spans several",
    )

    # -- serving --
    feed_title: str = "arXiv papers"
    public_url: str | None = Field(default=None, description="Base URL for feed self links")
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names (host or host:port) requests may use; others get a 400. Empty: any",
    )
    max_query_keywords: int = Field(default=50, ge=1)
    max_limit: int = Field(default=500, ge=1)
    digest_template: Path | None = Field(
        default=None,
        description="A string.Template file that replaces the Markdown digest's default layout",
    )

    embeddings: EmbeddingsSettings | None = Field(
        default=None,
        description="An OpenAI-compatible embeddings endpoint for profiles' similarity",
    )

    # -- profiles (personal feeds) --
    profiles: dict[str, Profile] = Field(
        default_factory=dict, description="Personal feeds by name; see README 'Profiles'"
    )
    admin_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("admin_token", "ADMIN_TOKEN", "ARXIV_FEEDS_ADMIN_TOKEN"),
        description="Bearer token for PUT/DELETE /api/profiles/{name}; unset disables them",
    )
    max_profiles: int = Field(default=100, ge=0, le=10000, description="Stored profiles")
    feedback_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "feedback_secret", "FEEDBACK_SECRET", "ARXIV_FEEDS_FEEDBACK_SECRET"
        ),
        description="Signs profiles' tokens and feedback links; unset: neither exists. "
        "Changing it changes every token and link",
    )
    zotero_api_url: str = Field(
        default="https://api.zotero.org",
        description="Zotero's Web API (v3), which profiles with a 'zotero' library read",
    )

    # -- delivery (optional) --
    delivery: Delivery | None = Field(
        default=None, description="E-mail and webhooks that get the configured feed's digest"
    )
    delivery_allow_private: bool = Field(
        default=False,
        description="Let webhooks (configured, or in profiles) post to loopback, private or "
        "link-local addresses; off: public addresses only",
    )

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        return known_categories(value)

    @field_validator("keywords", "exclude_keywords")
    @classmethod
    def _clean_keywords(cls, value: list[str]) -> list[str]:
        return clean_keywords(value)

    @field_validator("profiles")
    @classmethod
    def _profile_names(cls, value: dict[str, Profile]) -> dict[str, Profile]:
        for name in value:
            check_name(name)
        return value

    @field_validator("digest_template")
    @classmethod
    def _template_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"digest_template {str(value)!r} does not exist")
        return value

    @field_validator("arxiv_rss_url", "arxiv_api_url", "zotero_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _polite_interval(self) -> Settings:
        host = urlsplit(self.arxiv_rss_url).hostname or ""
        if self.min_request_interval < MIN_ARXIV_INTERVAL and not is_loopback(host):
            raise ValueError(
                f"min_request_interval must be at least {MIN_ARXIV_INTERVAL:g}s for a real "
                "arXiv host (arXiv's terms of use); lower values are only for loopback tests"
            )
        return self

    @model_validator(mode="after")
    def _delivery_links(self) -> Settings:
        delivers = self.delivery is not None or any(p.delivery for p in self.profiles.values())
        if delivers and not self.public_url:
            raise ValueError(
                "delivery needs public_url: messages link to the feed's page "
                "(and e-mail's List-Unsubscribe points there)"
            )
        return self

    @model_validator(mode="after")
    def _public_webhooks(self) -> Settings:
        if self.delivery_allow_private:
            return self
        hooks = private_webhooks(self.delivery)
        hooks += [h for p in self.profiles.values() for h in private_webhooks(p.delivery)]
        if hooks:
            raise ValueError(refusal(hooks))
        return self

    @property
    def user_agent(self) -> str:
        """A descriptive User-Agent, as arXiv asks of automated clients."""
        from app import __version__

        ua = f"arxiv-feeds/{__version__} (RSS filtering service; python-httpx)"
        return f"{ua} contact: {self.contact}" if self.contact else ua

    def weights(self, *, similarity_weight: float = 1.0) -> Weights:
        """What each ranking signal is worth, as configured (a profile gives its own
        ``similarity_weight``)."""
        return Weights(
            keyword_weight=self.keyword_weight,
            title_bonus=self.title_bonus,
            relevance_weight=self.relevance_weight,
            similarity_weight=similarity_weight,
        )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """init > environment > legacy config.json > defaults."""
        init_kwargs: dict[str, Any] = getattr(init_settings, "init_kwargs", {})
        path = init_kwargs.get("config_file") or os.environ.get("ARXIV_FEEDS_CONFIG")
        return init_settings, env_settings, LegacyConfigSource(settings_cls, path)


def load_settings(**overrides: Any) -> Settings:
    """Build and validate the settings; any problem becomes one readable ``ConfigError``."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = [f"  {line}" for line in validation_problems(exc.errors(), "settings")]
        raise ConfigError("invalid configuration:\n" + "\n".join(lines)) from None
    except SettingsError as exc:  # an environment variable that is not the JSON it must be
        found = re.search(r'field "(\w+)"', str(exc))
        where = f"the {found[1]} setting" if found else "a setting"
        raise ConfigError(
            f"invalid configuration: {where} in the environment is not valid JSON"
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (loaded once)."""
    return load_settings()
