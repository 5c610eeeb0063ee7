"""A thin client for any OpenAI-compatible chat API (OpenAI, DashScope, DeepSeek, Ollama, vLLM).

``LLMClient`` wraps an ``openai.AsyncOpenAI`` (passed in, so tests point it at a loopback
server): one method for a chat completion, one for DashScope's ``file-extract`` upload. Every
provider failure becomes an ``LLMError`` whose ``retryable`` says whether trying later can help.
``openai`` is imported only when a client is built: it is slow to import.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from app.errors import LLMError

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from app.summaries.settings import AISummary

log = logging.getLogger(__name__)

Message = dict[str, str]


class LLMClient:
    """Chat completions against one model of one provider."""

    def __init__(
        self,
        client: AsyncOpenAI,
        model: str,
        timeout: float,
        *,
        file_extract: bool | None = None,
    ) -> None:
        self.client = client
        self.model = model
        self.timeout = timeout
        self._file_extract = file_extract

    @property
    def is_dashscope(self) -> bool:
        """Whether whole PDFs go up as ``file-extract`` files, referenced as ``fileid://``.

        DashScope (qwen-long) does this; by default it is recognised from ``base_url``.
        """
        if self._file_extract is not None:
            return self._file_extract
        return "dashscope" in str(self.client.base_url)

    async def chat(
        self,
        messages: list[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
    ) -> str:
        """The assistant's reply text; with ``json_schema``, ask for JSON output."""
        import openai

        extra: dict[str, Any] = {}
        if json_schema is not None:
            extra["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": json_schema},
            }
        if max_tokens is not None:
            extra["max_tokens"] = max_tokens
        try:
            reply = await self.client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                timeout=self.timeout,
                **extra,
            )
        except openai.BadRequestError as exc:
            if json_schema is not None and "response_format" in str(exc):
                return await self.chat(messages, max_tokens=max_tokens)  # provider lacks it
            raise LLMError(f"the LLM refused the request: {_short(exc)}", retryable=False) from exc
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise LLMError(f"the LLM rejected the API key: {_short(exc)}", retryable=False) from exc
        except openai.APITimeoutError as exc:
            raise LLMError(f"the LLM timed out after {self.timeout:g}s") from exc
        except openai.APIError as exc:
            raise LLMError(f"the LLM call failed: {_short(exc)}") from exc
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # a garbled answer
            raise LLMError(f"the LLM answered something unreadable: {_short(exc)}") from exc
        choices = getattr(reply, "choices", None)
        content: str | None = choices[0].message.content if choices else None
        if not content or not content.strip():
            raise LLMError("the LLM answered with an empty message")
        return content.strip()

    async def aclose(self) -> None:
        """Close the provider's connection pool."""
        await self.client.close()

    async def upload_for_extraction(self, filename: str, data: bytes) -> str:
        """Upload a document with purpose ``file-extract`` (DashScope); returns the file id."""
        import openai

        try:
            uploaded = await self.client.files.create(
                file=(filename, data, "application/pdf"),
                purpose="file-extract",  # type: ignore[arg-type]
                timeout=self.timeout,
            )
        except openai.APIError as exc:
            raise LLMError(f"uploading {filename} failed: {_short(exc)}") from exc
        return str(uploaded.id)


def _short(exc: Exception) -> str:
    text = str(exc).replace("\n", " ")
    return text[:300]


def build_llm(cfg: AISummary) -> LLMClient | None:
    """An ``LLMClient`` for the configured provider, or None without an API key."""
    key = cfg.api_key()
    base_url = cfg.resolved_base_url()
    if not key and not _is_local(base_url):
        log.warning("LLM features are off: no API key in $%s (or $OPENAI_API_KEY)", cfg.api_key_env)
        return None
    from openai import AsyncOpenAI

    client = AsyncOpenAI(api_key=key or "not-needed", base_url=base_url, max_retries=1)
    return LLMClient(client, cfg.model, cfg.timeout)


def _is_local(base_url: str | None) -> bool:
    """Ollama and vLLM on the same machine need no key."""
    return bool(base_url) and any(h in str(base_url) for h in ("://localhost", "://127.0.0.1"))
