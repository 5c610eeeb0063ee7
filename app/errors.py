"""The one error hierarchy of arxiv-feeds.

Every error the service raises on purpose is an ``ArxivFeedsError``; each carries the HTTP
status it maps to and a short machine-readable ``code``. ``app.main`` turns any of them into
a JSON body ``{"error": {"code", "message", "hint"?}}`` in one handler.

    ArxivFeedsError
    ├── ConfigError              (500) the configuration is unusable (raised at start-up)
    ├── InvalidQuery             (422) a malformed category, parameter or value
    │   └── InvalidLibrary       (422) a library file that cannot be imported (which entry/line)
    ├── Unauthorized             (401) an admin route without the right secret
    ├── Forbidden                (403) an admin route that is switched off
    ├── UnknownCategory          (404) well-formed, but not in arXiv's taxonomy
    ├── NotFound                 (404) no such paper / resource
    │   ├── UnknownProfile       (404) no profile of that name
    │   └── NotInSample          (404) a category the bundled sample listings do not hold
    ├── Conflict                 (409) the request contradicts the configuration
    ├── PayloadTooLarge          (413) a body over the limit
    ├── UpstreamError            (502) arXiv answered something unexpected (e.g. a 404)
    │   ├── UpstreamUnavailable  (503) arXiv unreachable, timing out, 5xx or 429
    │   │   ├── UpstreamParseError (503) HTML maintenance page, truncated or broken XML
    │   │   └── AdhocBudgetExhausted (503) today's budget of new categories for strangers is spent
    │   └── LibrarySyncError     (502) a profile's Zotero library could not be read (which, why)
    ├── StoreUnavailable         (503) data that must not be lost cannot be written now
    │   └── StoreFull            (503) the store refuses writes (Redis at its maxmemory)
    ├── LLMError                 (502) the LLM failed, timed out or answered garbage
    │   └── LLMBudgetExceeded    (429) the daily cap on LLM calls is reached
    └── DeliveryError            (502) an SMTP server or webhook refused the daily digest
"""

from __future__ import annotations


class ArxivFeedsError(Exception):
    """Base class: an error with an HTTP status, a code and a helpful message."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, object]:
        """The JSON error body."""
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        return {"error": body}

    def headers(self) -> dict[str, str]:
        """Extra response headers (e.g. ``Retry-After``)."""
        return {}


class ConfigError(ArxivFeedsError):
    """The configuration file or environment holds an unusable value."""

    code = "config_error"


class InvalidQuery(ArxivFeedsError):
    """A request parameter is malformed."""

    status = 422
    code = "invalid_query"


class QueryTooLong(ArxivFeedsError):
    """The query string is longer than any feed query needs."""

    status = 414
    code = "query_too_long"


class UnknownHost(ArxivFeedsError):
    """The request's Host is not one of ``allowed_hosts``."""

    status = 400
    code = "unknown_host"


class ResponseTooLarge(InvalidQuery):
    """The answer would exceed what the platform can send in one response."""

    code = "response_too_large"


class InvalidLibrary(InvalidQuery):
    """A library file (BibTeX, RIS, CSL-JSON, CSV, ids) that is malformed or too large."""

    code = "invalid_library"


class Unauthorized(ArxivFeedsError):
    """A protected route called without the right secret."""

    status = 401
    code = "unauthorized"

    def headers(self) -> dict[str, str]:
        """Tell the client which scheme to use."""
        return {"WWW-Authenticate": "Bearer"}


class Forbidden(ArxivFeedsError):
    """A protected route that is disabled by configuration."""

    status = 403
    code = "forbidden"


class UnknownCategory(ArxivFeedsError):
    """A well-formed category that arXiv does not have."""

    status = 404
    code = "unknown_category"


class NotFound(ArxivFeedsError):
    """A resource that does not exist."""

    status = 404
    code = "not_found"


class NotInSample(NotFound):
    """A category the bundled sample does not hold, asked for while the sample is served."""

    code = "not_in_sample"


class UnknownProfile(NotFound):
    """No profile of that name."""

    code = "unknown_profile"


class Conflict(ArxivFeedsError):
    """The request contradicts how the deployment is configured."""

    status = 409
    code = "conflict"


class PayloadTooLarge(ArxivFeedsError):
    """A request body over the limit."""

    status = 413
    code = "payload_too_large"


class UpstreamError(ArxivFeedsError):
    """arXiv answered with something that is not a usable listing."""

    status = 502
    code = "upstream_error"


class UpstreamUnavailable(UpstreamError):
    """arXiv could not be reached or refused to serve (timeouts, 5xx, 429)."""

    status = 503
    code = "upstream_unavailable"

    def __init__(
        self, message: str, *, hint: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        """``Retry-After`` in whole seconds (at least one minute when unknown)."""
        seconds = 60 if self.retry_after is None else max(1, round(self.retry_after))
        return {"Retry-After": str(seconds)}


class UpstreamParseError(UpstreamUnavailable):
    """The listing could not be parsed (HTML page, truncated or broken XML): arXiv is down
    for maintenance or cut the answer short, which passes like any outage."""

    code = "upstream_parse_error"


class AdhocBudgetExhausted(UpstreamUnavailable):
    """A feed the owner did not define asks for a category not yet held, and today's budget
    of such categories (``adhoc_fetch_budget``) is spent."""

    code = "adhoc_budget_exhausted"


class LibrarySyncError(UpstreamError):
    """A profile's Zotero library could not be read (a wrong key, a refusal, a timeout, a
    broken answer). The message names the profile, the library and the environment variable
    that holds the key, never the key; the last good copy stays in use."""

    code = "library_sync_failed"

    def __init__(
        self, message: str, *, hint: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after  # seconds Zotero asked for before the next request


class StoreUnavailable(ArxivFeedsError):
    """A durable write (a stored profile, the delivery ledger) cannot reach the store: it is
    unreachable. Nothing was changed; such writes never go to one instance's memory, where
    they would be lost (see ``app.store.keys``)."""

    status = 503
    code = "store_unavailable"

    def __init__(self, message: str, *, hint: str | None = None, retry_after: float = 60.0) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        """``Retry-After`` in whole seconds."""
        return {"Retry-After": str(max(1, round(self.retry_after)))}


class StoreFull(StoreUnavailable):
    """The store refuses writes: Redis is at its ``maxmemory`` with nothing it may evict."""

    code = "store_full"


class LLMError(ArxivFeedsError):
    """The LLM provider failed, timed out or answered something unusable."""

    status = 502
    code = "llm_error"

    def __init__(self, message: str, *, hint: str | None = None, retryable: bool = True) -> None:
        super().__init__(message, hint=hint)
        self.retryable = retryable


class LLMUnreachable(LLMError):
    """No connection to the LLM provider: the call never reached it (so it is not counted)."""


class LLMBudgetExceeded(LLMError):
    """The daily cap on LLM calls is reached; no more calls until tomorrow (UTC)."""

    status = 429
    code = "llm_budget_exceeded"


class DeliveryError(ArxivFeedsError):
    """An SMTP server or a webhook did not take the digest (it is retried on the next run).

    The message names the channel by kind and host only: webhook URLs and passwords are secrets.
    """

    status = 502
    code = "delivery_failed"
