"""Fake OpenAI and Anthropic HTTP APIs on 127.0.0.1, for driving the real SDKs offline.

One :class:`FakeLLMServer` answers ``POST /v1/responses``, ``POST /v1/chat/completions`` and
``POST /v1/messages`` from a script: a queue of :class:`Reply` objects (or callables that take
the :class:`RecordedRequest` and return a ``Reply``), consumed one per request whatever the
path. Every request is recorded (path, headers, JSON body), so tests can count attempts.

Point the SDKs at it with ``base_url``: ``server.openai_base_url`` (``…/v1``) for ``openai``,
``server.anthropic_base_url`` (no ``/v1``: the SDK adds it) for ``anthropic``.

When the script runs out the server answers 500 with ``x-should-retry: false`` and the message
``"fake server: no scripted reply left"``, so a test that sends too much fails fast and clearly.

Use it as a context manager; leaving it shuts the server down and joins its thread.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAST_RETRY = {"retry-after-ms": "1"}
"""Headers that make both SDKs retry after 1 ms (``Retry-After: 0`` falls back to backoff)."""


@dataclass
class Reply:
    """One scripted HTTP answer: status, JSON (or raw bytes) body and extra headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        """The body as bytes (JSON-encoded unless already ``bytes``/``str``)."""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


Script = Reply | Callable[[RecordedRequest], Reply]


class _QuietServer(ThreadingHTTPServer):
    """Treats a client that hung up (timeout tests) as normal, not as an error to print."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            return
        super().handle_error(request, client_address)


class FakeLLMServer:
    """A scripted fake of the OpenAI and Anthropic HTTP APIs (see the module docstring)."""

    PATHS = ("/v1/responses", "/v1/chat/completions", "/v1/messages")

    def __init__(self, replies: Iterable[Script] = ()) -> None:
        self._replies: deque[Script] = deque(replies)
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self._httpd: _QuietServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting --

    def add(self, *replies: Script) -> None:
        """Queue more replies."""
        with self._lock:
            self._replies.extend(replies)

    @property
    def count(self) -> int:
        """How many requests arrived."""
        with self._lock:
            return len(self.requests)

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        assert self._httpd is not None, "start the server first (use it as a context manager)"
        return self._httpd.server_address[1]

    @property
    def openai_base_url(self) -> str:
        """``base_url`` for ``openai.OpenAI``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """``base_url`` for ``anthropic.Anthropic``."""
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle --

    def __enter__(self) -> FakeLLMServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                request = RecordedRequest(
                    "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                reply = server._next_reply(request)
                payload = reply.encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
                self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(10)
        self._httpd = None
        self._thread = None

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            script = self._replies.popleft() if self._replies else None
        if request.path not in self.PATHS:
            return Reply(404, {"error": {"message": f"fake server: no route {request.path}"}})
        if script is None:
            return Reply(
                500,
                {"error": {"message": "fake server: no scripted reply left", "type": "api_error"}},
                {"x-should-retry": "false"},
            )
        return script(request) if callable(script) else script


# --- bodies the SDKs accept -----------------------------------------------------------------


def openai_responses_ok(text: str, *, input_tokens: int = 100, output_tokens: int = 50) -> Reply:
    """A 200 from ``POST /v1/responses`` whose ``output_text`` is ``text``."""
    return Reply(
        200,
        {
            "id": "resp_fake",
            "object": "response",
            "created_at": 1_700_000_000,
            "status": "completed",
            "model": "gpt-fake",
            "output": [
                {
                    "type": "message",
                    "id": "msg_fake",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": text, "annotations": []}],
                }
            ],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": {
                "input_tokens": input_tokens,
                "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                "output_tokens": output_tokens,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": input_tokens + output_tokens,
            },
        },
    )


def openai_chat_ok(text: str, *, input_tokens: int = 100, output_tokens: int = 50) -> Reply:
    """A 200 from ``POST /v1/chat/completions`` whose first choice says ``text``."""
    return Reply(
        200,
        {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "gpt-fake",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text},
                }
            ],
            "usage": {
                "prompt_tokens": input_tokens,
                "completion_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
            },
        },
    )


def anthropic_ok(text: str, *, input_tokens: int = 100, output_tokens: int = 50) -> Reply:
    """A 200 from ``POST /v1/messages`` with one text block saying ``text``."""
    return Reply(
        200,
        {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": "claude-fake",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        },
        {"request-id": "req_fake"},
    )


def openai_error(
    status: int,
    message: str,
    *,
    type: str = "invalid_request_error",
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """An OpenAI error body: ``{"error": {"message", "type", "param", "code"}}``."""
    return Reply(
        status,
        {"error": {"message": message, "type": type, "param": None, "code": code}},
        {"x-request-id": "req_fake", **(headers or {})},
    )


def anthropic_error(
    status: int,
    message: str,
    *,
    type: str = "invalid_request_error",
    error_code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """An Anthropic error body: ``{"type": "error", "error": {"type", "message"[, details]}}``."""
    error: dict[str, Any] = {"type": type, "message": message}
    if error_code:
        error["details"] = {"error_code": error_code}
    return Reply(
        status,
        {"type": "error", "error": error},
        {"request-id": "req_fake", **(headers or {})},
    )


def _prompt_texts(request: RecordedRequest) -> list[dict[str, Any]]:
    """The ``[{"id", "field", "text"}, ...]`` list of a translation request (first user turn)."""
    body = request.body or {}
    turns = body.get("messages") or body.get("input") or []
    content = next(t["content"] for t in turns if t.get("role") == "user")
    start = content.index("[")
    texts, _ = json.JSONDecoder().raw_decode(content, start)
    return texts


def translator(
    dictionary: dict[str, str], *, api: str = "chat", missing: str = "«{text}»"
) -> Callable[[RecordedRequest], Reply]:
    """A scripted reply that translates a :mod:`pipeline.ai.translate` request.

    It reads the texts of the request and answers ``{"items": [{"id", "text"}, ...]}`` with
    ``dictionary[text]``, or ``missing`` formatted with the text for one it does not know.
    ``api`` is ``"chat"`` (Chat Completions, as Ollama and LM Studio serve) or ``"responses"``.
    """

    def reply(request: RecordedRequest) -> Reply:
        items = [
            {"id": item["id"], "text": dictionary.get(item["text"], missing.format(**item))}
            for item in _prompt_texts(request)
        ]
        answer = json.dumps({"items": items}, ensure_ascii=False)
        return openai_chat_ok(answer) if api == "chat" else openai_responses_ok(answer)

    return reply
