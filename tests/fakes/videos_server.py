"""A local stand-in for an OpenAI-compatible Videos API (``/v1/videos``), on 127.0.0.1.

The real ``openai`` SDK is pointed at it with ``base_url=server.base_url``. Endpoints, as the
SDK (3.x, ``openai/resources/videos.py``) calls them:

- ``POST /v1/videos`` (multipart form: ``prompt``, ``model``, ``seconds``, ``size``): create a
  job. Each request pops one behaviour from :attr:`FakeVideosServer.create_script` (default
  ``"ok"``):

  - ``"ok"``: record a job and answer 200 with the ``Video`` JSON.
  - ``"drop"``: record the job, then close the socket without any response (the client sees
    "server disconnected"): the job exists, the client does not know its id.
  - ``"quota"``: 429 with error code ``insufficient_quota``.
  - an ``int`` (400, 401, 404, 422, 429, 500, …): that status with an OpenAI error JSON.

  When :attr:`honour_idempotency` is set, a repeated ``Idempotency-Key`` returns the job it
  created first instead of a new one.
- ``GET /v1/videos/{id}``: ``queued`` → ``in_progress`` → ``completed`` (or ``failed``) after
  :attr:`polls_until_done` polls. :attr:`poll_errors` scripts an error status for the n-th
  poll (1-based), sent with ``retry-after-ms: 1`` so the SDK's retry is fast.
- ``GET /v1/videos/{id}/content``: :attr:`content` (the MP4 bytes the test made).
- ``GET /v1/videos``: the list page, newest first (``SyncConversationCursorPage`` shape);
  :attr:`list_hides_jobs` answers an empty page (a lagging list), :attr:`list_error` an error.

The server speaks HTTP/1.0 (one request per connection), so shutting it down leaves no
handler thread blocked on a keep-alive socket.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CreateBehaviour = str | int
"""``"ok"``, ``"drop"``, ``"quota"`` or an HTTP status code to answer with."""


@dataclass
class FakeJob:
    """One video job as the fake server keeps it."""

    id: str
    prompt: str
    model: str
    seconds: str
    size: str
    created_at: int
    idempotency_key: str | None
    polls: int = 0


@dataclass
class RecordedRequest:
    """One request the server received: method, path (without query), headers (lower-case)."""

    method: str
    path: str
    headers: dict[str, str]
    query: str = ""


@dataclass
class FakeVideosServer:
    """Runs the fake Videos API on a background thread while used as a context manager."""

    content: bytes = b""
    create_script: list[CreateBehaviour] = field(default_factory=list)
    polls_until_done: int = 2
    final_status: str = "completed"
    failure_message: str = "the model could not render this prompt"
    poll_errors: dict[int, int] = field(default_factory=dict)
    honour_idempotency: bool = True
    list_hides_jobs: bool = False
    list_error: int | None = None
    echo_idempotency_in_metadata: bool = False
    error_message_template: str = "{status} error from the fake gateway"
    on_retrieve: Callable[[int], None] | None = None

    def __post_init__(self) -> None:
        self.jobs: dict[str, FakeJob] = {}
        self.requests: list[RecordedRequest] = []
        self.create_requests = 0
        self.retrieve_requests = 0
        self.list_requests = 0
        self.download_requests = 0
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """What to pass as the SDK's ``base_url``."""
        assert self._httpd is not None, "the server is not running"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def events(self) -> list[str]:
        """The requests so far as ``"METHOD /path"`` strings, in arrival order."""
        with self._lock:
            return [f"{r.method} {r.path}" for r in self.requests]

    def __enter__(self) -> FakeVideosServer:
        server = self

        class Handler(_Handler):
            fake = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = False  # server_close() joins every handler thread
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._httpd is not None and self._thread is not None
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(10)

    # -- job logic (called from handler threads) -----------------------------------------

    def _create(self, form: dict[str, str], idem_key: str | None) -> tuple[FakeJob, bool]:
        """Record a job (or find the one with the same idempotency key); (job, was_new)."""
        with self._lock:
            self.create_requests += 1
            if self.honour_idempotency and idem_key:
                for job in self.jobs.values():
                    if job.idempotency_key == idem_key:
                        return job, False
            job = FakeJob(
                id=f"video_fake{next(self._ids):04d}",
                prompt=form.get("prompt", ""),
                model=form.get("model", "sora-2"),
                seconds=form.get("seconds", "4"),
                size=form.get("size", "720x1280"),
                created_at=int(time.time()),
                idempotency_key=idem_key,
            )
            self.jobs[job.id] = job
            return job, True

    def _status(self, job: FakeJob) -> str:
        if job.polls == 0:
            return "queued"
        if job.polls < self.polls_until_done:
            return "in_progress"
        return self.final_status

    def _video_json(self, job: FakeJob) -> dict[str, Any]:
        status = self._status(job)
        body: dict[str, Any] = {
            "id": job.id,
            "object": "video",
            "created_at": job.created_at,
            "completed_at": job.created_at + 1 if status == "completed" else None,
            "expires_at": None,
            "error": None,
            "model": job.model,
            "progress": 100 if status == "completed" else min(99, 30 * job.polls),
            "prompt": job.prompt,
            "remixed_from_video_id": None,
            "seconds": job.seconds,
            "size": job.size,
            "status": status,
        }
        if status == "failed":
            body["error"] = {"code": "generation_failed", "message": self.failure_message}
        if self.echo_idempotency_in_metadata and job.idempotency_key:
            body["metadata"] = {"idempotency_key": job.idempotency_key}
        return body


class _Handler(BaseHTTPRequestHandler):
    fake: FakeVideosServer
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default stderr access log."""

    # -- helpers ---------------------------------------------------------------------------

    def _record(self) -> tuple[str, str]:
        path, _, query = self.path.partition("?")
        with self.fake._lock:
            self.fake.requests.append(
                RecordedRequest(
                    self.command, path, {k.lower(): v for k, v in self.headers.items()}, query
                )
            )
        return path, query

    def _send_json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_error_json(self, status: int, *, code: str | None = None) -> None:
        message = self.fake.error_message_template.format(
            status=status, auth=self.headers.get("Authorization", "")
        )
        body = {
            "error": {
                "message": message,
                "type": "insufficient_quota" if code == "insufficient_quota" else "api_error",
                "param": None,
                "code": code,
            }
        }
        # retry-after-ms keeps the SDK's own retries (on GETs) fast in tests.
        self._send_json(status, body, {"retry-after-ms": "1"})

    def _read_form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        content_type = self.headers.get("Content-Type", "")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        form: dict[str, str] = {}
        if message.is_multipart():
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if isinstance(name, str):
                    payload = part.get_payload(decode=True)
                    form[name] = payload.decode("utf-8") if isinstance(payload, bytes) else ""
        return form

    # -- routes ----------------------------------------------------------------------------

    def do_POST(self) -> None:
        path, _ = self._record()
        if path != "/v1/videos":
            self._send_error_json(404)
            return
        form = self._read_form()
        with self.fake._lock:
            behaviour: CreateBehaviour = (
                self.fake.create_script.pop(0) if self.fake.create_script else "ok"
            )
        if behaviour == "quota":
            with self.fake._lock:
                self.fake.create_requests += 1
            self._send_error_json(429, code="insufficient_quota")
            return
        if isinstance(behaviour, int):
            with self.fake._lock:
                self.fake.create_requests += 1
            self._send_error_json(
                behaviour, code="rate_limit_exceeded" if behaviour == 429 else None
            )
            return
        job, _ = self.fake._create(form, self.headers.get("Idempotency-Key"))
        if behaviour == "drop":
            self.close_connection = True  # accepted, but the answer never leaves
            return
        self._send_json(200, self.fake._video_json(job))

    def do_GET(self) -> None:
        path, _ = self._record()
        if path == "/v1/videos":
            with self.fake._lock:
                self.fake.list_requests += 1
            if self.fake.list_error is not None:
                self._send_error_json(self.fake.list_error)
                return
            with self.fake._lock:
                jobs = [] if self.fake.list_hides_jobs else list(self.fake.jobs.values())
                data = [self.fake._video_json(j) for j in sorted(jobs, key=lambda j: j.id)]
            data.reverse()  # newest first
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": data,
                    "first_id": data[0]["id"] if data else None,
                    "last_id": data[-1]["id"] if data else None,
                    "has_more": False,
                },
            )
            return
        match = re.fullmatch(r"/v1/videos/([^/]+)(/content)?", path)
        if match is None:
            self._send_error_json(404)
            return
        video_id, content = match.group(1), match.group(2)
        with self.fake._lock:
            job = self.fake.jobs.get(video_id)
        if job is None:
            self._send_error_json(404)
            return
        if content:
            with self.fake._lock:
                self.fake.download_requests += 1
            data = self.fake.content
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        with self.fake._lock:
            self.fake.retrieve_requests += 1
            n = self.fake.retrieve_requests
            status = self.fake.poll_errors.get(n)
            if status is None:
                job.polls += 1
                body = self.fake._video_json(job)
        if self.fake.on_retrieve is not None:
            self.fake.on_retrieve(n)
        if status is not None:
            self._send_error_json(status)
            return
        self._send_json(200, body)
