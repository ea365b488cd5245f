"""A local stand-in for the Edge TTS websocket service, on 127.0.0.1, for offline tests.

Modes:

- ``"http500"``: answers the websocket handshake with HTTP 500.
- ``"close"``: accepts the TCP connection and closes it at once.
- ``"hang"``: accepts the TCP connection and never answers.
- ``"happy"``: speaks enough of the protocol for ``edge_tts.Communicate.stream()``:
  ``turn.start``, one ``audio.metadata`` WordBoundary per word, the MP3 in binary ``audio``
  messages, then ``turn.end``.

Point ``edge_tts`` at it with ``monkeypatch.setattr(edge_tts.communicate, "WSS_URL",
server.url)`` (``communicate.py`` imports the constant by name and appends ``&...`` to it).
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import WSMsgType, web

Mode = Literal["http500", "close", "hang", "happy"]


@dataclass(frozen=True)
class FakeWord:
    """A WordBoundary to send: the word and its offset and duration in seconds."""

    text: str
    offset_s: float
    duration_s: float


@dataclass
class FakeEdgeServer:
    """Runs the fake service on its own event loop thread while used as a context manager."""

    mode: Mode
    mp3: bytes = b""
    words: list[FakeWord] = field(default_factory=list)
    connections: int = 0
    ssml_received: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._stop = asyncio.Event()
        self._cleanup: list[object] = []
        self.port = 0

    @property
    def url(self) -> str:
        """What to put in ``edge_tts.communicate.WSS_URL``."""
        return f"ws://127.0.0.1:{self.port}/edge/v1?TrustedClientToken=test"

    def __enter__(self) -> FakeEdgeServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _start(self) -> None:
        if self.mode in ("close", "hang"):
            server = await asyncio.start_server(self._raw, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            self._cleanup.append(server)
            return
        app = web.Application()
        app.router.add_get("/edge/v1", self._http)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = runner.addresses[0][1]
        self._cleanup.append(runner)

    async def _shutdown(self) -> None:
        self._stop.set()
        for item in self._cleanup:
            if isinstance(item, web.AppRunner):
                await item.cleanup()
            elif isinstance(item, asyncio.Server):
                item.close()
                await item.wait_closed()

    async def _raw(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.mode == "hang":
            await self._stop.wait()
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass

    async def _http(self, request: web.Request) -> web.StreamResponse:
        self.connections += 1
        if self.mode == "http500":
            return web.Response(status=500, text="internal error")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        texts: list[str] = []
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                texts.append(msg.data)
                if "Path:ssml" in msg.data:
                    self.ssml_received.append(msg.data)
                    await self._speak(ws)
            elif msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                break
        return ws

    async def _speak(self, ws: web.WebSocketResponse) -> None:
        def text_frame(path: str, body: str) -> str:
            return (
                "X-RequestId:fake\r\nContent-Type:application/json; charset=utf-8\r\n"
                f"Path:{path}\r\n\r\n{body}"
            )

        await ws.send_str(text_frame("turn.start", "{}"))
        for word in self.words:
            meta = {
                "Metadata": [
                    {
                        "Type": "WordBoundary",
                        "Data": {
                            "Offset": round(word.offset_s * 10_000_000),
                            "Duration": round(word.duration_s * 10_000_000),
                            "text": {"Text": word.text, "Length": len(word.text)},
                        },
                    }
                ]
            }
            await ws.send_str(text_frame("audio.metadata", json.dumps(meta)))
        header = b"X-RequestId:fake\r\nContent-Type:audio/mpeg\r\nPath:audio\r\n"
        for start in range(0, len(self.mp3), 4096):
            chunk = self.mp3[start : start + 4096]
            await ws.send_bytes(len(header).to_bytes(2, "big") + header + chunk)
        await ws.send_str(text_frame("turn.end", "{}"))
