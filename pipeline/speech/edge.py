"""Edge TTS: the online speech provider (Microsoft Edge's read-aloud voices via ``edge-tts``).

Nothing is written to the output folders: the MP3 stream and its WordBoundary events are
collected in memory, decoded from a file in a private temporary folder, and that folder is
removed whatever happens.

Time bounds. Offline, ``edge-tts`` fails in milliseconds (DNS error); on a network that drops
packets it can hang for minutes. So every call is bounded twice: the first message from the
service (connect + handshake + first audio or metadata) must come within
``first_byte_timeout_s``, and the whole call within :meth:`EdgeTimeouts.total_for`. The work
runs on a daemon thread with its own event loop, so even a resolver stuck in a C call cannot
hold the caller beyond the bound.

Reachability. The first connection failure or timeout marks Edge unavailable in an
:class:`EdgeReachability` (one per process by default) for ``retry_after_s``; later calls fail
at once, so a 40-scene job waits once, not 40 times.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.avio import decode_audio_file
from pipeline.errors import SpeechError
from pipeline.speech.base import SAMPLE_RATE_HZ, SpeechAudio, VoiceRef, WordTiming
from pipeline.speech.voices import edge_voice_id

TICKS_PER_SECOND = 10_000_000
"""Edge offsets and durations are in 100-ns ticks."""

ADAPTER_VERSION = "1"
"""Bump when this module changes the audio or timings it returns (part of the cache key)."""


class EdgeReachability:
    """Remembers that Edge TTS failed to connect, so later calls do not wait again.

    Thread-safe. Args:
        retry_after_s: how long a failure is trusted before Edge is tried again.
        clock: monotonic clock in seconds (injectable for tests).
    """

    def __init__(
        self, retry_after_s: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.retry_after_s = retry_after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._reason: str | None = None
        self._since = 0.0

    def unavailable_reason(self) -> str | None:
        """Why Edge is considered unreachable now, or ``None`` if it may be tried."""
        with self._lock:
            if self._reason is not None and self._clock() - self._since >= self.retry_after_s:
                self._reason = None
            return self._reason

    def mark_unavailable(self, reason: str) -> None:
        """Record a connection failure; Edge is skipped for ``retry_after_s``."""
        with self._lock:
            self._reason, self._since = reason, self._clock()

    def mark_available(self) -> None:
        """Record a success (clears any failure)."""
        with self._lock:
            self._reason = None


DEFAULT_REACHABILITY = EdgeReachability()
"""The per-process reachability record shared by default by every :class:`EdgeProvider`."""


@dataclass(frozen=True)
class EdgeTimeouts:
    """Time bounds of one Edge call, in seconds.

    Attributes:
        first_byte_s: connect + handshake + first message.
        base_total_s: total budget for a short text (on top of ``first_byte_s``).
        per_char_s: extra total budget per character of text.
    """

    first_byte_s: float = 5.0
    base_total_s: float = 15.0
    per_char_s: float = 0.05

    def total_for(self, text: str) -> float:
        """The whole call's bound for ``text``: ``first_byte_s + base + per_char × len``."""
        return self.first_byte_s + self.base_total_s + self.per_char_s * len(text)


@dataclass
class _Collected:
    audio: bytearray
    boundaries: list[tuple[str, float, float]]  # (text, offset ticks, duration ticks)


class _Unreachable(Exception):
    """Internal: a connection-level failure (marks Edge unavailable)."""


def _edge_tts_version() -> str:
    try:
        return metadata.version("edge-tts")
    except metadata.PackageNotFoundError:
        return "unknown"


class EdgeProvider:
    """Online text-to-speech with Edge TTS (``name == "edge"``).

    Args:
        timeouts: time bounds (see :class:`EdgeTimeouts`).
        rate: Edge prosody rate, ``"+0%"``, ``"-10%"``, ….
        reachability: failure record; default :data:`DEFAULT_REACHABILITY` (per process).
    """

    name = "edge"

    def __init__(
        self,
        timeouts: EdgeTimeouts | None = None,
        *,
        rate: str = "+0%",
        reachability: EdgeReachability | None = None,
    ) -> None:
        self.timeouts = timeouts or EdgeTimeouts()
        self.rate = rate
        self.reachability = reachability or DEFAULT_REACHABILITY

    def voice_id(self, voice: VoiceRef) -> str:
        """The Edge short name ``voice`` resolves to.

        Raises:
            SpeechError: the voice has no Edge equivalent (see :mod:`pipeline.speech.voices`).
        """
        return edge_voice_id(voice)

    def cache_key_parts(self, voice: VoiceRef) -> dict[str, str]:
        """Everything besides the text that shapes this provider's audio for ``voice``.

        Raises:
            SpeechError: the voice has no Edge equivalent.
        """
        return {
            "provider": self.name,
            "voice_id": self.voice_id(voice),
            "rate": self.rate,
            "library": f"edge-tts {_edge_tts_version()}",
            "adapter": ADAPTER_VERSION,
            "sample_rate_hz": str(SAMPLE_RATE_HZ),
        }

    def synthesize(self, text: str, voice: VoiceRef) -> SpeechAudio:
        """Speak ``text`` with Edge TTS; return 48 kHz mono float32 audio with word timings.

        Empty or whitespace-only text gives zero-length audio without a network call.

        Raises:
            SpeechError: Edge is marked unreachable, the connection failed or timed out
                (then it is marked unreachable), the service answered with an error, or
                its audio could not be decoded.
        """
        voice_id = self.voice_id(voice)
        if not text.strip():
            return SpeechAudio(
                np.zeros(0, np.float32), words=[], provider=self.name, voice_id=voice_id
            )
        reason = self.reachability.unavailable_reason()
        if reason is not None:
            raise SpeechError(
                f"Edge TTS is unreachable ({reason})",
                hint="check the network connection, or use offline speech",
            )
        total_s = self.timeouts.total_for(text)
        try:
            collected = _run_bounded(lambda: self._collect(text, voice_id, total_s), total_s)
        except _Unreachable as exc:
            self.reachability.mark_unavailable(str(exc))
            raise SpeechError(
                f"Edge TTS could not be reached ({exc})",
                hint="check the network connection, or use offline speech",
            ) from exc
        except SpeechError:
            raise
        except Exception as exc:  # edge_tts's own errors: bad voice, unexpected answer
            raise SpeechError(
                f"Edge TTS failed: {type(exc).__name__}: {exc}",
                hint="try another voice, or use offline speech",
            ) from exc
        self.reachability.mark_available()
        samples = _decode_mp3(bytes(collected.audio))
        duration_s = len(samples) / SAMPLE_RATE_HZ
        words = [
            WordTiming(
                word,
                min(offset / TICKS_PER_SECOND, duration_s),
                min((offset + length) / TICKS_PER_SECOND, duration_s),
            )
            for word, offset, length in collected.boundaries
        ]
        return SpeechAudio(samples, words=words, provider=self.name, voice_id=voice_id)

    async def _collect(self, text: str, voice_id: str, total_s: float) -> _Collected:
        """Stream one synthesis into memory, within the time bounds.

        Raises:
            _Unreachable: connection failure, handshake error or timeout.
        """
        import aiohttp
        import edge_tts

        first_s = self.timeouts.first_byte_s
        communicate = edge_tts.Communicate(
            text,
            voice_id,
            rate=self.rate,
            boundary="WordBoundary",
            connect_timeout=max(1, math.ceil(first_s)),
            receive_timeout=max(1, math.ceil(total_s)),
        )
        out = _Collected(bytearray(), [])
        stream = communicate.stream()
        try:
            async with asyncio.timeout(total_s):
                try:
                    chunk = await asyncio.wait_for(anext(stream, None), first_s)
                except TimeoutError as exc:
                    raise _Unreachable(f"no answer within {first_s:g} s") from exc
                while chunk is not None:
                    _take(chunk, out)
                    chunk = await anext(stream, None)
        except TimeoutError as exc:
            raise _Unreachable(f"no complete answer within {total_s:g} s") from exc
        except (aiohttp.ClientConnectionError, aiohttp.ClientResponseError, OSError) as exc:
            raise _Unreachable(_describe(exc)) from exc
        finally:
            await stream.aclose()
        return out


def _describe(exc: Exception) -> str:
    """A short reason for a connection-level failure."""
    import aiohttp

    if isinstance(exc, aiohttp.ClientConnectorError):
        detail = exc.os_error.strerror or str(exc.os_error) or type(exc.os_error).__name__
        return f"cannot connect to {exc.host}: {detail}"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"the service answered HTTP {exc.status} {exc.message}".rstrip()
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _take(chunk: Any, out: _Collected) -> None:
    """Add one ``edge_tts`` stream item (audio bytes or a WordBoundary) to ``out``."""
    if chunk["type"] == "audio":
        out.audio += chunk["data"]
    elif chunk["type"] == "WordBoundary":
        out.boundaries.append((chunk["text"], float(chunk["offset"]), float(chunk["duration"])))


def _decode_mp3(data: bytes) -> np.ndarray:
    """Decode MP3 bytes to 48 kHz mono float32 via :func:`pipeline.avio.decode_audio_file`.

    Raises:
        SpeechError: the bytes are not decodable audio.
    """
    with tempfile.TemporaryDirectory(prefix="videostudio-edge-") as folder:
        path = Path(folder) / "speech.mp3"
        path.write_bytes(data)
        try:
            return decode_audio_file(path, SAMPLE_RATE_HZ)
        except (OSError, ValueError) as exc:
            raise SpeechError(
                f"Edge TTS returned audio that could not be decoded ({exc})",
                hint="try again, or use offline speech",
            ) from exc


def _run_bounded(
    factory: Callable[[], Coroutine[Any, Any, _Collected]], timeout_s: float
) -> _Collected:
    """Run the coroutine made by ``factory`` on a fresh event loop in a daemon thread.

    Returns its result, or re-raises its exception. If it has not finished within
    ``timeout_s`` + 2 s (it bounds itself; this is a backstop for a resolver stuck in C),
    the thread is abandoned and :class:`_Unreachable` is raised.
    """
    box: dict[str, Any] = {}
    done = threading.Event()

    def runner() -> None:
        try:
            box["value"] = asyncio.run(factory())
        except BaseException as exc:  # handed to the caller
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=runner, name="edge-tts", daemon=True).start()
    if not done.wait(timeout_s + 2.0):
        raise _Unreachable(f"no answer within {timeout_s:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]
