"""A loopback stand-in for an OpenAI-compatible chat API, driven through the real ``openai`` client.

``OpenAIStub`` runs a stdlib ``ThreadingHTTPServer`` on ``127.0.0.1`` (port chosen by the OS) in
a daemon thread, so concurrent requests are answered concurrently. It speaks:

* ``POST /v1/chat/completions``: a valid ``chat.completion`` whose message content is
  ``responder(body)`` (``default_responder`` unless another is given), after ``latency`` seconds;
* ``POST /v1/embeddings``: one vector per input, ``stub_vector(text, dimensions)``: a hashed
  bag of words, so texts sharing words get close vectors (``float`` or ``base64`` encoding;
  with ``refuse_base64``, base64 is refused with a 400 as by providers that lack it);
* ``GET /v1/models``: one model, ``stub-model``;
* ``POST /v1/files`` (multipart, fields ``file`` and ``purpose``): DashScope's ``file-extract``
  upload, answered with an id ``file-fe-<n>`` and recorded in ``uploads``;
* anything else: a 404 with an OpenAI-style JSON error.

Every request is recorded in ``calls`` (as soon as it arrives; ``finished`` is NaN until it is
answered). ``failures`` is a FIFO of failure modes, one consumed per chat or embeddings request;
``always_fail`` makes every such request fail. The modes (see ``FAILURE_MODES``) and what
``openai`` 1.x raises:

``"429"``      429 + ``Retry-After: 1``             -> ``openai.RateLimitError``
``"500"``      500 with a JSON error body            -> ``openai.InternalServerError``
``"timeout"``  no answer for ``hang`` seconds        -> ``openai.APITimeoutError``
``"garbage"``  200, ``this is not json``             -> ``json.JSONDecodeError`` (not an APIError)
``"empty"``    200, message content ``""``           -> no exception
``"html"``     200, content ``HTML_CONTENT``         -> no exception

and, for embeddings only (``EMBEDDING_FAILURE_MODES``; "empty" answers no vectors there):

``"short"``    200, one vector fewer than inputs      -> no exception
``"ragged"``   200, vectors of different lengths       -> no exception
``"nan"``      200, a vector holding NaN               -> no exception

Usage::

    with OpenAIStub(latency=0.1) as stub:
        client = openai.AsyncOpenAI(base_url=stub.base_url, api_key="test", max_retries=0)
        stub.failures = ["429"]
        ...
        assert stub.peak_concurrency == 5

Stopping wakes hung (``"timeout"``) handlers and closes idle keep-alive connections, so leaving
the ``with`` block is quick even when a client is still open. Only ``127.0.0.1`` is ever bound.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import math
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, cast

from tests.loopback import LoopbackServer, OwnedServer

STUB_MODEL = "stub-model"
FAILURE_MODES = frozenset({"429", "500", "timeout", "garbage", "empty", "html"})
HTML_CONTENT = "<script>alert('x')</script><img src=x onerror=alert(1)> **bold**"
EMBEDDING_FAILURE_MODES = FAILURE_MODES | {"short", "ragged", "nan"}
GARBAGE_BODY = b"this is not json"
EMBEDDING_DIM = 64
SUMMARY_HEADINGS = (
    "## 1. Main contributions and innovations",
    "## 2. Methods and experimental setup",
    "## 3. Key results",
    "## 4. Conclusions and limitations",
)

Responder = Callable[[dict[str, Any]], str]
"""Maps a chat-completions request body to the assistant message content."""


@dataclass
class Call:
    """One recorded request.

    ``body`` is the parsed JSON body of a chat request, ``{}`` for a GET, and ``{"filename",
    "purpose", "bytes"}`` for an upload. ``headers`` keys are lower-case. ``finished`` is NaN
    while the request is in flight; it is set (with ``status``) just *before* the answer is
    written, so a client holding its answer always sees its call done. A request abandoned at
    shutdown gets ``finished`` but keeps ``status`` 0. ``mode`` is the failure mode applied to a
    chat request, or None.
    """

    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    started: float
    finished: float = math.nan
    method: str = "POST"
    status: int = 0
    mode: str | None = None

    @property
    def done(self) -> bool:
        """Whether the request has been answered (or abandoned)."""
        return not math.isnan(self.finished)

    @property
    def duration(self) -> float:
        """Seconds from arrival to answer (NaN while in flight)."""
        return self.finished - self.started


# -- responders ---------------------------------------------------------------------------------

_JSON_WORD = re.compile(r"\bJSON\b")
_BRACKET_ID = re.compile(r"^\s*\[([^\[\]\s{}\"']+)\]")
_LABEL_ID = re.compile(r"^\s*id:\s*([^\s\"',;]+)", re.IGNORECASE)
_TITLE = re.compile(r"^\s*Title:\s*(.+?)\s*$", re.MULTILINE)


def message_text(message: dict[str, Any]) -> str:
    """The text of a chat message (a string, or the ``text`` parts of a content list)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict)]
        return "\n".join(p for p in parts if isinstance(p, str))
    return ""


def last_user_message(body: dict[str, Any]) -> str:
    """The text of the last ``user`` message of a request body ("" when there is none)."""
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return message_text(message)
    return ""


def wants_json(body: dict[str, Any]) -> bool:
    """A ``response_format`` is set, or a system/user message contains the word ``JSON``."""
    if body.get("response_format") is not None:
        return True
    messages = body.get("messages")
    if not isinstance(messages, list):
        return False
    return any(
        isinstance(m, dict)
        and m.get("role") in ("system", "user")
        and _JSON_WORD.search(message_text(m)) is not None
        for m in messages
    )


def ids_in(text: str) -> list[str]:
    """Ids from lines starting with ``[<id>]`` or ``id: <id>``, in order, without repeats."""
    found: list[str] = []
    for line in text.splitlines():
        match = _BRACKET_ID.match(line) or _LABEL_ID.match(line)
        if match and match.group(1) not in found:
            found.append(match.group(1))
    return found


def stub_score(paper_id: str) -> int:
    """A score from 0 to 10 derived from a hash of ``paper_id`` (stable across runs)."""
    return int(hashlib.sha256(paper_id.encode()).hexdigest(), 16) % 11


def summary_responder(body: dict[str, Any]) -> str:
    """A Markdown summary with the four ``## 1.`` ... ``## 4.`` headings.

    It quotes the first 40 characters of the last user message (whitespace collapsed) and,
    when the message has a ``Title:`` line, the title.
    """
    text = last_user_message(body)
    head = " ".join(text[:40].split())
    title = _TITLE.search(text)
    about = f" ({title.group(1)})" if title else ""
    return "\n".join(
        [
            SUMMARY_HEADINGS[0],
            f"Stub summary of: {head}{about}",
            SUMMARY_HEADINGS[1],
            f"The stub read {len(text)} characters of prompt.",
            SUMMARY_HEADINGS[2],
            "No results: this text comes from the OpenAI stub.",
            SUMMARY_HEADINGS[3],
            "Deterministic output for tests.",
        ]
    )


def ratings_responder(body: dict[str, Any]) -> str:
    """``{"ratings": [{"id", "score", "reason"}]}`` for the ids in the last user message."""
    ratings = [
        {"id": pid, "score": stub_score(pid), "reason": f"stub reason for {pid}"}
        for pid in ids_in(last_user_message(body))
    ]
    return json.dumps({"ratings": ratings})


def default_responder(body: dict[str, Any]) -> str:
    """``ratings_responder`` when the request asks for JSON, else ``summary_responder``."""
    return ratings_responder(body) if wants_json(body) else summary_responder(body)


_WORD = re.compile(r"[^\W_]{2,}")


def stub_vector(text: str, dimensions: int = EMBEDDING_DIM) -> list[float]:
    """A deterministic unit vector for ``text``: each lower-cased word of two or more letters
    adds +1 or -1 (both from a hash of the word) at one coordinate. Texts sharing many words
    get a high cosine; a text without words gets a fixed vector.
    """
    vector = [0.0] * dimensions
    words = _WORD.findall(text.lower()) or [""]
    for word in words:
        digest = hashlib.sha256(word.encode()).digest()
        index = int.from_bytes(digest[:4], "big") % dimensions
        vector[index] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


def rough_tokens(text: str) -> int:
    """A rough token count (about four characters a token)."""
    return max(1, (len(text) + 3) // 4) if text else 0


# -- the HTTP server ---------------------------------------------------------------------------


def _error(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def parse_multipart(content_type: str, data: bytes) -> list[EmailMessage]:
    """The parts of a ``multipart/form-data`` body (stdlib ``email`` parser, no ``cgi``)."""
    head = f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + data)
    if not message.is_multipart():
        raise ValueError("not a multipart body")
    return [cast(EmailMessage, part) for part in message.iter_parts()]


class _Handler(BaseHTTPRequestHandler):
    """Routes requests to the ``OpenAIStub`` that owns the server."""

    protocol_version = "HTTP/1.1"
    server: _Server
    _counted = False  # this request is in OpenAIStub.in_flight

    # connection bookkeeping, so stop() can close idle keep-alive connections
    def setup(self) -> None:
        super().setup()
        self.server.owner._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests are recorded, not logged."""

    # -- routing
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        call = self._record("GET", {})
        if path == "/v1/models":
            model = {"id": STUB_MODEL, "object": "model", "created": 0, "owned_by": "stub"}
            self._json(call, HTTPStatus.OK, {"object": "list", "data": [model]})
        else:
            self._not_found(call)

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        try:
            data = self._read_body()
        except ValueError as exc:
            call = self._record("POST", {})
            self._json(call, HTTPStatus.BAD_REQUEST, _error(str(exc), "invalid_request_error"))
            return
        if path == "/v1/chat/completions":
            self._chat(data)
        elif path == "/v1/embeddings":
            self._embeddings(data)
        elif path == "/v1/files":
            self._upload(data)
        else:
            self._not_found(self._record("POST", {}))

    def _not_found(self, call: Call) -> None:
        message = f"no route for {self.command} {self.path}"
        self._json(call, HTTPStatus.NOT_FOUND, _error(message, "invalid_request_error", "404"))

    # -- endpoints
    def _chat(self, data: bytes) -> None:
        owner = self.server.owner
        try:
            body = json.loads(data or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            call = self._record("POST", {})
            message = "the body must be a JSON object"
            self._json(call, HTTPStatus.BAD_REQUEST, _error(message, "invalid_request_error"))
            return
        call = self._record("POST", body)
        if body.get("stream"):
            message = "the OpenAI stub does not stream"
            self._json(call, HTTPStatus.BAD_REQUEST, _error(message, "invalid_request_error"))
            return
        call.mode = owner._next_failure()
        owner._enter()
        self._counted = True
        try:
            self._answer_chat(call, body)
        finally:
            self._done()

    def _done(self) -> None:
        """Leave the in-flight count (once), before the answer is written."""
        if self._counted:
            self._counted = False
            self.server.owner._leave()

    def _answered_as_failure(self, call: Call, mode: str | None) -> bool:
        """The latency, and the failure modes chat and embeddings share; True when answered."""
        owner = self.server.owner
        if owner.latency > 0 and owner._stopping.wait(owner.latency):
            self._abandon(call)
            return True
        if mode == "timeout" and owner._stopping.wait(owner.hang):
            self._abandon(call)
            return True
        if mode == "429":
            error = _error("rate limited", "rate_limit_error", "rate_limit_exceeded")
            self._json(call, HTTPStatus.TOO_MANY_REQUESTS, error, {"Retry-After": "1"})
            return True
        if mode == "500":
            error = _error("the stub failed on purpose", "server_error", "internal_error")
            self._json(call, HTTPStatus.INTERNAL_SERVER_ERROR, error)
            return True
        if mode == "garbage":
            self._send(call, HTTPStatus.OK, GARBAGE_BODY, "application/json")
            return True
        return False

    def _answer_chat(self, call: Call, body: dict[str, Any]) -> None:
        owner = self.server.owner
        mode = call.mode
        if mode is not None and mode not in FAILURE_MODES:
            message = f"unknown stub failure mode {mode!r}"
            self._json(call, HTTPStatus.INTERNAL_SERVER_ERROR, _error(message, "server_error"))
            return
        if self._answered_as_failure(call, mode):
            return
        if mode == "empty":
            content = ""
        elif mode == "html":
            content = HTML_CONTENT
        else:
            try:
                content = owner.responder(body)
                if not isinstance(content, str):
                    raise TypeError(f"the responder returned {type(content).__name__}, not str")
            except Exception as exc:
                owner._failed(exc)
                message = f"stub responder failed: {exc!r}"
                self._json(call, HTTPStatus.INTERNAL_SERVER_ERROR, _error(message, "server_error"))
                return
        self._json(call, HTTPStatus.OK, owner._completion(body, content))

    def _embeddings(self, data: bytes) -> None:
        owner = self.server.owner
        try:
            body = json.loads(data or b"{}")
        except ValueError:
            body = None
        texts = body.get("input") if isinstance(body, dict) else None
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            call = self._record("POST", body if isinstance(body, dict) else {})
            message = "'input' must be a string or a non-empty list of strings"
            self._json(call, HTTPStatus.BAD_REQUEST, _error(message, "invalid_request_error"))
            return
        call = self._record("POST", body)
        if owner.refuse_base64 and body.get("encoding_format") == "base64":
            message = "encoding_format must be 'float'"
            self._json(call, HTTPStatus.BAD_REQUEST, _error(message, "invalid_request_error"))
            return
        call.mode = owner._next_failure()
        owner._enter()
        self._counted = True
        try:
            self._answer_embeddings(call, body, texts)
        finally:
            self._done()

    def _answer_embeddings(self, call: Call, body: dict[str, Any], texts: list[str]) -> None:
        owner = self.server.owner
        mode = call.mode
        if mode is not None and mode not in EMBEDDING_FAILURE_MODES - {"html"}:
            message = f"stub failure mode {mode!r} does not apply to embeddings"
            self._json(call, HTTPStatus.INTERNAL_SERVER_ERROR, _error(message, "server_error"))
            return
        if self._answered_as_failure(call, mode):
            return
        dims = body.get("dimensions")
        size = dims if isinstance(dims, int) and dims > 0 else owner.embedding_dim
        vectors = [stub_vector(t, size) for t in texts]
        if mode == "empty":
            vectors = []
        elif mode == "short":
            vectors = vectors[:-1]
        elif mode == "ragged":
            vectors[-1] = vectors[-1][:-1]
        elif mode == "nan":
            vectors[0][0] = math.nan
        base64_wanted = body.get("encoding_format") == "base64"
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": _b64(v) if base64_wanted else v,
            }
            for i, v in enumerate(vectors)
        ]
        tokens = sum(rough_tokens(t) for t in texts)
        answer = {
            "object": "list",
            "data": data,
            "model": str(body.get("model") or STUB_MODEL),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        # json.dumps writes NaN for the "nan" mode, as a broken server might
        self._json(call, HTTPStatus.OK, answer)

    def _upload(self, data: bytes) -> None:
        owner = self.server.owner
        call = self._record("POST", {})
        try:
            parts = parse_multipart(self.headers.get("Content-Type", ""), data)
        except (ValueError, TypeError) as exc:
            message = f"expected multipart/form-data: {exc}"
            self._json(call, HTTPStatus.BAD_REQUEST, _error(message, "invalid_request_error"))
            return
        filename, content, purpose = "", None, ""
        for part in parts:
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            raw = payload if isinstance(payload, bytes) else b""
            if name == "file":
                filename, content = part.get_filename() or "upload", raw
            elif name == "purpose":
                purpose = raw.decode("utf-8", "replace")
        if content is None:
            message = "missing the 'file' field"
            self._json(call, HTTPStatus.BAD_REQUEST, _error(message, "invalid_request_error"))
            return
        call.body = {"filename": filename, "purpose": purpose, "bytes": len(content)}
        file_id = owner._add_upload(filename, content, purpose)
        answer = {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
            "created_at": int(time.time()),
        }
        self._json(call, HTTPStatus.OK, answer)

    # -- plumbing
    def _record(self, method: str, body: dict[str, Any]) -> Call:
        headers = {k.lower(): v for k, v in self.headers.items()}
        call = Call(self.path, body, headers, time.monotonic(), method=method)
        self.server.owner._add_call(call)
        return call

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size_line = self.rfile.readline(65537)
                try:
                    size = int(size_line.split(b";", 1)[0].strip(), 16)
                except ValueError as exc:
                    raise ValueError("bad chunked body") from exc
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError as exc:
            raise ValueError("bad Content-Length") from exc
        return self.rfile.read(length) if length > 0 else b""

    def _abandon(self, call: Call) -> None:
        """The stub is stopping: give up on this request without answering."""
        self.close_connection = True
        call.finished = time.monotonic()
        self._done()

    def _json(
        self,
        call: Call,
        status: HTTPStatus,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        self._send(call, status, json.dumps(payload).encode(), "application/json", headers)

    def _send(
        self,
        call: Call,
        status: HTTPStatus,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        # Book-keeping first: once the client has the answer, the call must look finished.
        call.status = int(status)
        call.finished = time.monotonic()
        self._done()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:  # the client gave up (e.g. its timeout fired)
            self.close_connection = True


def _b64(vector: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


class _Server(OwnedServer):
    block_on_close = False  # OpenAIStub.stop() joins the handler threads itself, with a deadline
    owner: OpenAIStub

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (timeouts, shutdown) are expected; anything else is printed."""
        if self.owner._stopping.is_set():
            return
        super().handle_error(request, client_address)


class OpenAIStub(LoopbackServer):
    """An OpenAI-compatible chat API on loopback; a context manager that returns itself."""

    handler = _Handler
    server_class = _Server
    thread_name = "openai-stub"

    def __init__(self, responder: Responder | None = None, *, latency: float = 0.0) -> None:
        """Answer chat requests with ``responder(body)`` after ``latency`` seconds."""
        super().__init__()
        self.responder: Responder = responder or default_responder
        self.latency = latency
        self.hang: float = 30.0
        self.embedding_dim = EMBEDDING_DIM
        self.refuse_base64 = False  # answer 400 to base64 embeddings, as some providers do
        self.failures: list[str] = []
        self.always_fail: str | None = None
        self.calls: list[Call] = []
        self.uploads: list[tuple[str, bytes, str]] = []
        self.errors: list[BaseException] = []
        self.peak_concurrency = 0
        self.in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._upload_ids = itertools.count(1)
        self._completion_ids = itertools.count(1)
        self._connections: dict[socket.socket, threading.Thread] = {}

    # -- lifecycle
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``."""
        return self.url + "/v1"

    def start(self) -> str:
        """Start serving in a daemon thread; returns ``base_url``."""
        self._stopping.clear()
        super().start()
        return self.base_url

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving: wake hung handlers, close open connections, free the port."""
        self._stopping.set()
        super().stop(timeout)

    def hang_up(self, timeout: float) -> None:
        """Close the connections still open and wait (until ``timeout``) for their handlers."""
        with self._lock:
            connections = dict(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for thread in connections.values():
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    # -- inspection
    def chat_calls(self) -> list[Call]:
        """The ``POST .../chat/completions`` calls, in arrival order."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == "POST" and c.path.split("?", 1)[0].endswith("/chat/completions")
            ]

    def embedding_calls(self) -> list[Call]:
        """The ``POST .../embeddings`` calls, in order (``body["input"]`` holds the texts)."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == "POST" and c.path.split("?", 1)[0].endswith("/embeddings")
            ]

    def reset(self) -> None:
        """Forget calls, uploads, errors and the peak; clear ``failures`` and ``always_fail``.

        ``responder``, ``latency`` and ``hang`` are kept.
        """
        with self._lock:
            self.calls.clear()
            self.uploads.clear()
            self.errors.clear()
            self.failures.clear()
            self.always_fail = None
            self.peak_concurrency = self.in_flight

    # -- used by the handler threads
    def _opened(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections[conn] = threading.current_thread()

    def _closed(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.pop(conn, None)

    def _add_call(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def _add_upload(self, filename: str, content: bytes, purpose: str) -> str:
        with self._lock:
            self.uploads.append((filename, content, purpose))
            return f"file-fe-{next(self._upload_ids)}"

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            self.errors.append(exc)

    def _next_failure(self) -> str | None:
        with self._lock:
            if self.always_fail is not None:
                return self.always_fail
            return self.failures.pop(0) if self.failures else None

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.peak_concurrency = max(self.peak_concurrency, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _completion(self, body: dict[str, Any], content: str) -> dict[str, Any]:
        messages = body.get("messages")
        prompt = sum(
            rough_tokens(message_text(m))
            for m in (messages if isinstance(messages, list) else [])
            if isinstance(m, dict)
        )
        completion = rough_tokens(content)
        with self._lock:
            number = next(self._completion_ids)
        return {
            "id": f"chatcmpl-stub-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(body.get("model") or STUB_MODEL),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }


__all__ = [
    "EMBEDDING_DIM",
    "EMBEDDING_FAILURE_MODES",
    "FAILURE_MODES",
    "HTML_CONTENT",
    "STUB_MODEL",
    "SUMMARY_HEADINGS",
    "Call",
    "OpenAIStub",
    "Responder",
    "default_responder",
    "ids_in",
    "last_user_message",
    "message_text",
    "ratings_responder",
    "stub_score",
    "stub_vector",
    "summary_responder",
    "wants_json",
]
