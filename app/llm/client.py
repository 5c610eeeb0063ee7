"""A thin client for any OpenAI-compatible API (OpenAI, DashScope, DeepSeek, Ollama, vLLM).

``LLMClient`` wraps an ``openai.AsyncOpenAI`` (passed in, so tests point it at a loopback
server): one method for a chat completion, one for a batch of embeddings, one for DashScope's
``file-extract`` upload. Every provider failure becomes an ``LLMError`` whose ``retryable`` says
whether trying later can help. ``openai`` is imported only when a client is built: it is slow
to import.
"""

from __future__ import annotations

import base64
import logging
import math
import sys
from array import array
from typing import TYPE_CHECKING, Any

from app.errors import LLMError, LLMUnreachable

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from app.llm.settings import Provider

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
        self._float_only = False  # the provider refused base64 embeddings

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
            raise provider_error(exc, self.timeout) from exc
        except (openai.APIError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise provider_error(exc, self.timeout) from exc
        choices = getattr(reply, "choices", None)
        content: str | None = choices[0].message.content if choices else None
        if not content or not content.strip():
            raise LLMError("the LLM answered with an empty message")
        return content.strip()

    async def embed(
        self, texts: list[str], *, dimensions: int | None = None, encoding: str = "base64"
    ) -> list[array[float]]:
        """One float32 embedding per text, in order, from one request; all of one length.

        ``encoding`` ``"base64"`` (packed float32: about 15x quicker to read than JSON numbers)
        falls back to ``"float"`` for good when the provider refuses it; answers in either form
        are read. Too few vectors, vectors of different lengths or non-finite numbers are an
        ``LLMError``, like any provider failure.
        """
        import openai

        if self._float_only:
            encoding = "float"
        extra: dict[str, Any] = {} if dimensions is None else {"dimensions": dimensions}
        what = "the embeddings endpoint"
        try:
            reply = await self.client.embeddings.create(
                model=self.model,
                input=texts,
                encoding_format=encoding,  # type: ignore[arg-type]
                timeout=self.timeout,
                **extra,
            )
            rows = sorted(reply.data, key=lambda item: item.index)
            vectors = [_vector(row.embedding) for row in rows]
        except openai.BadRequestError as exc:
            if encoding != "float" and "encoding_format" in str(exc):
                self._float_only = True
                return await self.embed(texts, dimensions=dimensions, encoding="float")
            raise provider_error(exc, self.timeout, what) from exc
        except (openai.APIError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise provider_error(exc, self.timeout, what) from exc
        if len(vectors) != len(texts) or [r.index for r in rows] != list(range(len(texts))):
            raise LLMError(f"{what} answered {len(vectors)} vectors for {len(texts)} texts")
        sizes = {len(v) for v in vectors}
        if len(sizes) > 1 or 0 in sizes:
            raise LLMError(f"{what} answered vectors of lengths {sorted(sizes)}")
        if not all(math.isfinite(sum(v)) for v in vectors):  # NaN and inf survive a sum
            raise LLMError(f"{what} answered a vector with NaN or infinite numbers")
        return vectors

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


def provider_error(exc: Exception, timeout: float, what: str = "the LLM") -> LLMError:
    """The ``LLMError`` for an exception raised by an ``openai`` call (``what`` names the API).

    Besides ``openai.APIError``, the client raises ``ValueError`` and the like on an answer it
    cannot read (a body that is not JSON): those are garbled answers.
    """
    import openai

    if isinstance(exc, openai.BadRequestError):
        return LLMError(f"{what} refused the request: {_short(exc)}", retryable=False)
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return LLMError(f"{what} rejected the API key: {_short(exc)}", retryable=False)
    if isinstance(exc, openai.APITimeoutError):
        return LLMError(f"{what} timed out after {timeout:g}s")
    if isinstance(exc, openai.APIConnectionError):  # never reached the provider: not a call
        where = _endpoint(exc.request.url.host, exc.request.url.port)
        return LLMUnreachable(f"{what} cannot be reached at {where} (base_url): {_short(exc)}")
    if isinstance(exc, openai.APIError):
        return LLMError(f"the call to {what} failed: {_short(exc)}")
    return LLMError(f"{what} answered something unreadable: {_short(exc)}")


def _vector(data: object) -> array[float]:
    """An embedding as JSON numbers or as base64 of little-endian float32."""
    if isinstance(data, str):
        vec = array("f", base64.b64decode(data, validate=True))
        if sys.byteorder == "big":  # pragma: no cover - every platform we deploy on is little
            vec.byteswap()
        return vec
    if not isinstance(data, list):
        raise TypeError(f"an embedding of type {type(data).__name__}")
    return array("f", data)


def _endpoint(host: str, port: int | None) -> str:
    """The host (and port) a request went to: what ``base_url`` named, never its path or key."""
    return f"{host}:{port}" if port else host


def _short(exc: Exception) -> str:
    text = str(exc).replace("\n", " ")
    return text[:300]


def build_client(cfg: Provider, model: str, timeout: float, *, feature: str) -> LLMClient | None:
    """An ``LLMClient`` for ``model`` at the endpoint ``cfg`` names; None without an API key
    (logging that ``feature`` is off), except for Ollama or vLLM on the same machine."""
    key, base_url = cfg.api_key(), cfg.resolved_base_url()
    if not key and not _is_local(base_url):
        log.warning("%s are off: no API key in %s", feature, key_variables(cfg.api_key_env))
        return None
    from openai import AsyncOpenAI

    client = AsyncOpenAI(api_key=key or "not-needed", base_url=base_url, max_retries=1)
    return LLMClient(client, model, timeout)


def key_variables(name: str) -> str:
    """``$MY_KEY or $OPENAI_API_KEY``, or just ``$OPENAI_API_KEY`` when that is the name."""
    return f"${name}" + (" or $OPENAI_API_KEY" if name != "OPENAI_API_KEY" else "")


def _is_local(base_url: str | None) -> bool:
    """Ollama and vLLM on the same machine need no key."""
    return bool(base_url) and any(h in str(base_url) for h in ("://localhost", "://127.0.0.1"))
