"""A local stand-in for an OpenAI-compatible images endpoint (``/v1/images/generations``).

The real ``openai`` SDK is pointed at it with ``base_url=server.base_url``. Each
``POST /v1/images/generations`` (JSON: ``model``, ``prompt``, ``size``, ``n``, ``quality``)
pops one behaviour from :attr:`FakeImagesServer.script` (default ``"ok"``):

- ``"ok"``: 200 with ``{"data": [{"b64_json": <image>}]}`` (:attr:`image` bytes);
- ``"url"``: 200 with ``{"data": [{"url": <this server>/files/image.png}]}``; ``GET`` of that
  path answers :attr:`image`;
- ``"garbage"``: 200 with base64 data that is no image;
- ``"tiny"``: 200 with a valid 64×64 PNG (too small to use);
- ``"quota"``: 429 with error code ``insufficient_quota``;
- an ``int``: that HTTP status with an OpenAI error JSON.

Every request is recorded (:attr:`requests`, with its JSON body and headers). HTTP/1.0, one
request per connection.
"""

from __future__ import annotations

import base64
import io
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

Behaviour = str | int


def sample_image(width_px: int = 1536, height_px: int = 1024) -> bytes:
    """A PNG with a recognisable picture: a blue-to-orange gradient and a white disc."""
    ramp = np.tile(np.linspace(0, 255, width_px, dtype=np.float32), (height_px, 1))
    mask = Image.fromarray(ramp.astype(np.uint8), mode="L")  # left 0 → right 255
    blue = Image.new("RGB", (width_px, height_px), (30, 80, 200))
    orange = Image.new("RGB", (width_px, height_px), (240, 140, 40))
    image = Image.composite(orange, blue, mask)
    disc = Image.new("L", (width_px, height_px), 0)
    r = height_px // 6
    ImageDraw.Draw(disc).ellipse(
        (width_px // 2 - r, height_px // 3 - r, width_px // 2 + r, height_px // 3 + r), fill=255
    )
    image.paste((255, 255, 255), mask=disc)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Recorded:
    """One request: method, path, JSON body (``{}`` for GET) and headers (lower-case keys)."""

    method: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class FakeImagesServer:
    """Runs the fake images endpoint on a background thread while used as a context manager."""

    image: bytes = b""
    script: list[Behaviour] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.image = self.image or sample_image()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The ``/v1`` root to give the SDK."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def generations(self) -> int:
        """How many generation requests arrived."""
        return sum(1 for r in self.requests if r.path.endswith("/images/generations"))

    def __enter__(self) -> FakeImagesServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, payload: object) -> None:
                self._send(status, json.dumps(payload).encode(), "application/json")

            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                with fake._lock:
                    fake.requests.append(Recorded("GET", self.path, {}, headers))
                if self.path.startswith("/files/"):
                    self._send(200, fake.image, "image/png")
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode("latin-1")}
                with fake._lock:
                    fake.requests.append(Recorded("POST", self.path, body, headers))
                    behaviour: Behaviour = fake.script.pop(0) if fake.script else "ok"
                if not self.path.endswith("/images/generations"):
                    self._json(404, {"error": {"message": "not found"}})
                elif behaviour == "ok":
                    data = base64.b64encode(fake.image).decode()
                    self._json(200, {"created": 1764633600, "data": [{"b64_json": data}]})
                elif behaviour == "url":
                    port = self.server.server_address[1]
                    url = f"http://127.0.0.1:{port}/files/image.png"
                    self._json(200, {"created": 1764633600, "data": [{"url": url}]})
                elif behaviour == "garbage":
                    data = base64.b64encode(b"<html>this is not an image</html>" * 20).decode()
                    self._json(200, {"created": 1764633600, "data": [{"b64_json": data}]})
                elif behaviour == "tiny":
                    data = base64.b64encode(sample_image(64, 64)).decode()
                    self._json(200, {"created": 1764633600, "data": [{"b64_json": data}]})
                elif behaviour == "quota":
                    self._json(
                        429,
                        {
                            "error": {
                                "message": "You exceeded your current quota",
                                "type": "insufficient_quota",
                                "code": "insufficient_quota",
                            }
                        },
                    )
                else:
                    status = int(behaviour)
                    self._json(
                        status,
                        {"error": {"message": f"scripted {status}", "type": "server_error"}},
                    )

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
