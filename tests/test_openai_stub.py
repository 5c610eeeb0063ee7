"""The OpenAI stub, driven through the real ``openai`` client over loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import math
import time
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from tests.openai_stub import (
    EMBEDDING_DIM,
    HTML_CONTENT,
    STUB_MODEL,
    SUMMARY_HEADINGS,
    OpenAIStub,
    default_responder,
    ids_in,
    ratings_responder,
    stub_score,
    stub_vector,
    summary_responder,
    wants_json,
)

pytestmark = pytest.mark.anyio

USER = "Summarize the following arXiv paper.\nTitle: Sparse Attention at Scale\nAbstract: ..."
MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "system", "content": "You are an expert research assistant."},
    {"role": "user", "content": USER},
]
RATING_PROMPT = "\n".join(
    [
        "Research interests: LLM inference",
        'Answer with JSON only, in the form {"ratings": [{"id": "<id>", "score": <0-10>}]}.',
        "",
        "[2601.01209v1] Sparse Attention at Scale",
        "    An abstract that mentions [brackets] mid-line.",
        "[2601.00042] Another paper",
        "id: 2512.99999v2",
        "[2601.01209v1] Sparse Attention at Scale (repeated)",
    ]
)


def client_for(stub: OpenAIStub, **kw: Any) -> openai.AsyncOpenAI:
    options: dict[str, Any] = {"max_retries": 0, "timeout": 10.0} | kw
    return openai.AsyncOpenAI(base_url=stub.base_url, api_key="test", **options)


async def ask(client: openai.AsyncOpenAI, **kw: Any) -> str | None:
    reply = await client.chat.completions.create(
        model=kw.pop("model", "qwen-test"), messages=kw.pop("messages", MESSAGES), **kw
    )
    content: str | None = reply.choices[0].message.content
    return content


async def test_chat_completion_returns_the_summary_and_is_recorded() -> None:
    with OpenAIStub() as stub:
        assert stub.base_url.startswith("http://127.0.0.1:")
        assert stub.base_url.endswith("/v1")
        async with client_for(stub) as client:
            reply = await client.chat.completions.create(
                model="qwen-test", messages=MESSAGES, temperature=0.2, max_tokens=500
            )
    content = reply.choices[0].message.content
    assert content is not None
    assert content == summary_responder({"messages": MESSAGES})
    for heading in SUMMARY_HEADINGS:
        assert heading in content
    assert "Summarize the following arXiv paper." in content  # first 40 characters
    assert "Sparse Attention at Scale" in content  # the Title: line
    assert reply.model == "qwen-test"
    assert reply.object == "chat.completion"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.choices[0].message.role == "assistant"
    assert reply.usage is not None
    assert reply.usage.prompt_tokens > 0
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens

    [call] = stub.chat_calls()
    assert call.path == "/v1/chat/completions"
    assert call.body["model"] == "qwen-test"
    assert call.body["messages"] == MESSAGES
    assert call.body["temperature"] == 0.2
    assert call.body["max_tokens"] == 500
    assert call.headers["authorization"] == "Bearer test"
    assert call.status == 200
    assert call.mode is None
    assert call.done
    assert call.started <= call.finished


async def test_custom_responder_latency_and_reset() -> None:
    with OpenAIStub(lambda body: f"echo {len(body['messages'])}", latency=0.2) as stub:
        async with client_for(stub) as client:
            started = time.monotonic()
            assert await ask(client) == "echo 2"
            assert time.monotonic() - started >= 0.2
            assert stub.chat_calls()[0].duration >= 0.2
            stub.latency = 0
            stub.failures = ["500"]
            stub.reset()
            assert (stub.calls, stub.failures, stub.peak_concurrency) == ([], [], 0)
            assert await ask(client) == "echo 2"  # the queued failure is gone
    assert len(stub.calls) == 1


async def test_concurrent_requests_really_overlap() -> None:
    with OpenAIStub(latency=0.3) as stub:
        async with client_for(stub) as client:
            started = time.monotonic()
            replies = await asyncio.gather(*(ask(client) for _ in range(5)))
            wall = time.monotonic() - started
    assert all(r and r.startswith(SUMMARY_HEADINGS[0]) for r in replies)
    assert stub.peak_concurrency == 5
    assert wall < 1.0
    assert len(stub.chat_calls()) == 5
    assert stub.in_flight == 0


async def test_sequential_requests_do_not_overlap() -> None:
    with OpenAIStub(latency=0.05) as stub:
        async with client_for(stub) as client:
            for _ in range(3):
                await ask(client)
    assert stub.peak_concurrency == 1


async def test_429_is_a_rate_limit_error_with_retry_after() -> None:
    with OpenAIStub() as stub:
        stub.failures = ["429"]
        async with client_for(stub) as client:
            with pytest.raises(openai.RateLimitError) as info:
                await ask(client)
            assert await ask(client)  # the queue is consumed: the next call succeeds
    assert info.value.status_code == 429
    assert info.value.response.headers["retry-after"] == "1"
    assert info.value.body == {
        "message": "rate limited",
        "type": "rate_limit_error",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    assert [c.status for c in stub.chat_calls()] == [429, 200]
    assert [c.mode for c in stub.chat_calls()] == ["429", None]


async def test_500_is_an_internal_server_error() -> None:
    with OpenAIStub() as stub:
        stub.failures = ["500"]
        async with client_for(stub) as client:
            with pytest.raises(openai.InternalServerError) as info:
                await ask(client)
    assert info.value.status_code == 500
    assert isinstance(info.value, openai.APIStatusError)


async def test_the_client_retries_a_429_after_retry_after() -> None:
    with OpenAIStub() as stub:
        stub.failures = ["429"]
        async with client_for(stub, max_retries=1) as client:
            assert await ask(client)
    first, second = stub.chat_calls()
    assert second.started - first.finished >= 0.9  # Retry-After: 1


async def test_timeout_is_an_api_timeout_error_and_stop_is_quick() -> None:
    stub = OpenAIStub()
    with stub:
        stub.failures = ["timeout"]
        async with client_for(stub, timeout=0.5) as client:
            started = time.monotonic()
            with pytest.raises(openai.APITimeoutError):
                await ask(client)
            assert time.monotonic() - started < 2.0
            assert await ask(client)  # the server still answers others meanwhile
        [hung, _ok] = stub.chat_calls()
        assert hung.mode == "timeout"
        assert not hung.done  # still "hanging" (stub.hang is 30 s)
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 2.0  # stop() woke the hung handler
    assert hung.done
    assert hung.status == 0  # never answered


async def test_timeout_mode_answers_after_hang() -> None:
    with OpenAIStub() as stub:
        stub.hang = 0.1
        stub.failures = ["timeout"]
        async with client_for(stub) as client:
            assert await ask(client)
    assert stub.chat_calls()[0].duration >= 0.1


async def test_garbage_raises_a_json_decode_error() -> None:
    # openai 1.x parses an application/json body with response.json() and lets the
    # JSONDecodeError through: it is NOT an openai.APIError.
    with OpenAIStub() as stub:
        stub.failures = ["garbage"]
        async with client_for(stub) as client:
            with pytest.raises(json.JSONDecodeError):
                await ask(client)
            assert await ask(client)


async def test_empty_and_html_are_valid_completions() -> None:
    with OpenAIStub() as stub:
        stub.failures = ["empty", "html"]
        async with client_for(stub) as client:
            assert await ask(client) == ""
            assert await ask(client) == HTML_CONTENT


async def test_always_fail_fails_every_request_until_cleared() -> None:
    with OpenAIStub() as stub:
        stub.always_fail = "500"
        stub.failures = ["html"]  # always_fail wins and leaves the queue alone
        async with client_for(stub) as client:
            for _ in range(3):
                with pytest.raises(openai.InternalServerError):
                    await ask(client)
            stub.always_fail = None
            assert await ask(client) == HTML_CONTENT
    assert [c.status for c in stub.chat_calls()] == [500, 500, 500, 200]


async def test_unknown_failure_mode_and_broken_responder_are_500s() -> None:
    def broken(body: dict[str, Any]) -> str:
        raise RuntimeError("boom")

    with OpenAIStub(broken) as stub:
        stub.failures = ["teapot"]
        async with client_for(stub) as client:
            with pytest.raises(openai.InternalServerError, match="teapot"):
                await ask(client)
            with pytest.raises(openai.InternalServerError, match="boom"):
                await ask(client)
    assert [repr(e) for e in stub.errors] == ["RuntimeError('boom')"]


async def test_file_upload_is_recorded() -> None:
    data = b"%PDF-1.4 \r\n\x00\xff binary\r\n--not-a-boundary\r\n%%EOF\n"
    with OpenAIStub() as stub:
        async with client_for(stub) as client:
            first = await client.files.create(
                file=("paper.pdf", data, "application/pdf"),
                purpose="file-extract",  # type: ignore[arg-type]
            )
            second = await client.files.create(
                file=("other.pdf", b"%PDF-1.4", "application/pdf"),
                purpose="file-extract",  # type: ignore[arg-type]
            )
    assert first.id.startswith("file-fe-")
    assert second.id != first.id
    assert (first.filename, first.purpose, first.bytes, first.status) == (
        "paper.pdf",
        "file-extract",
        len(data),
        "processed",
    )
    assert stub.uploads[0] == ("paper.pdf", data, "file-extract")
    assert len(stub.uploads) == 2
    assert stub.chat_calls() == []
    assert stub.calls[0].path == "/v1/files"
    assert stub.calls[0].body == {
        "filename": "paper.pdf",
        "purpose": "file-extract",
        "bytes": len(data),
    }


async def test_models_and_unknown_paths() -> None:
    with OpenAIStub() as stub:
        async with client_for(stub) as client:
            models = await client.models.list()
            with pytest.raises(openai.NotFoundError):
                await client.moderations.create(input="a")
    assert [m.id for m in models.data] == [STUB_MODEL]
    assert [c.status for c in stub.calls] == [200, 404]


async def test_embeddings_are_hashed_bags_of_words_in_both_encodings() -> None:
    with OpenAIStub() as stub:
        async with client_for(stub) as client:
            floats = await client.embeddings.create(
                model="m", input=["sparse attention", "attention sparse!"], encoding_format="float"
            )
            packed = await client.embeddings.create(model="m", input="sparse attention")
            short = await client.embeddings.create(
                model="m", input="sparse attention", dimensions=8, encoding_format="float"
            )
            with pytest.raises(openai.BadRequestError):
                await client.embeddings.create(model="m", input=[], encoding_format="float")
    first, second = (d.embedding for d in floats.data)
    assert first == second == stub_vector("sparse attention")  # word order does not matter
    assert len(first) == EMBEDDING_DIM
    assert math.isclose(sum(x * x for x in first), 1.0)
    assert [d.index for d in floats.data] == [0, 1]
    assert packed.data[0].embedding == pytest.approx(first, abs=1e-6)  # base64 float32
    assert len(short.data[0].embedding) == 8
    assert stub_vector("sparse attention") != stub_vector("dense attention")
    assert [c.body["input"] for c in stub.embedding_calls()] == [
        ["sparse attention", "attention sparse!"],
        "sparse attention",
        "sparse attention",
        [],
    ]
    assert [c.status for c in stub.embedding_calls()] == [200, 200, 200, 400]


async def test_ratings_for_the_ids_in_the_prompt() -> None:
    messages = [
        {"role": "system", "content": "You rate papers. Answer with JSON only."},
        {"role": "user", "content": RATING_PROMPT},
    ]
    schema = {"name": "answer", "schema": {"type": "object"}}
    with OpenAIStub() as stub:
        async with client_for(stub) as client:
            plain = await ask(client, messages=messages)
            schema_only = await ask(
                client,
                messages=[{"role": "user", "content": "[2601.00001] A paper"}],
                response_format={"type": "json_schema", "json_schema": schema},
            )
    assert plain is not None
    ratings = json.loads(plain)["ratings"]
    ids = ["2601.01209v1", "2601.00042", "2512.99999v2"]
    assert [r["id"] for r in ratings] == ids
    for rating in ratings:
        assert isinstance(rating["score"], int)
        assert 0 <= rating["score"] <= 10
        assert rating["score"] == stub_score(rating["id"])
        assert rating["reason"] == f"stub reason for {rating['id']}"
    assert schema_only is not None
    assert [r["id"] for r in json.loads(schema_only)["ratings"]] == ["2601.00001"]


def test_responders_compose_without_a_server() -> None:
    summary_body = {"messages": MESSAGES}
    rating_body = {"messages": [{"role": "user", "content": RATING_PROMPT}]}
    assert not wants_json(summary_body)
    assert wants_json(rating_body)
    assert wants_json(summary_body | {"response_format": {"type": "json_object"}})
    assert default_responder(summary_body) == summary_responder(summary_body)
    assert default_responder(rating_body) == ratings_responder(rating_body)
    assert json.loads(ratings_responder({"messages": []})) == {"ratings": []}
    assert ids_in("[a1]\n  ID: b2,\nnot [c3]\n[{x}]") == ["a1", "b2"]
    assert stub_score("2601.01209") == stub_score("2601.01209")
    parts = {"role": "user", "content": [{"type": "text", "text": "[2601.1] in parts"}]}
    assert "2601.1" in ratings_responder({"messages": [parts], "response_format": {}})
