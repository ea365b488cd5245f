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
import re
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from pipeline.avio import decode_audio_file
from pipeline.errors import SpeechError
from pipeline.speech.base import (
    SAMPLE_RATE_HZ,
    ProviderAbout,
    ProviderSettings,
    SpeechAudio,
    VoiceRef,
    WordTiming,
    resolve_voice_id,
)
from pipeline.speech.voices import NAMED_VOICES, normalize_language, voice_gender

TICKS_PER_SECOND = 10_000_000
"""Edge offsets and durations are in 100-ns ticks."""

ADAPTER_VERSION = "2"
"""Bump when this module changes the audio or timings it returns (part of the cache key)."""

EDGE_VOICES: dict[str, tuple[str, str]] = {
    "en": ("en-US-AndrewNeural", "en-US-AriaNeural"),
    "es": ("es-ES-AlvaroNeural", "es-ES-ElviraNeural"),
    "fr": ("fr-FR-HenriNeural", "fr-FR-DeniseNeural"),
    "de": ("de-DE-ConradNeural", "de-DE-KatjaNeural"),
    "it": ("it-IT-DiegoNeural", "it-IT-ElsaNeural"),
    "pt": ("pt-BR-AntonioNeural", "pt-BR-FranciscaNeural"),
    "nl": ("nl-NL-MaartenNeural", "nl-NL-ColetteNeural"),
    "ru": ("ru-RU-DmitryNeural", "ru-RU-SvetlanaNeural"),
    "ja": ("ja-JP-KeitaNeural", "ja-JP-NanamiNeural"),
    "zh": ("zh-CN-YunxiNeural", "zh-CN-XiaoxiaoNeural"),
    "ko": ("ko-KR-InJoonNeural", "ko-KR-SunHiNeural"),
    "ar": ("ar-SA-HamedNeural", "ar-SA-ZariyahNeural"),
    "hi": ("hi-IN-MadhurNeural", "hi-IN-SwaraNeural"),
    "pl": ("pl-PL-MarekNeural", "pl-PL-ZofiaNeural"),
    "tr": ("tr-TR-AhmetNeural", "tr-TR-EmelNeural"),
    "sv": ("sv-SE-MattiasNeural", "sv-SE-SofieNeural"),
    "da": ("da-DK-JeppeNeural", "da-DK-ChristelNeural"),
    "nb": ("nb-NO-FinnNeural", "nb-NO-PernilleNeural"),
    "fi": ("fi-FI-HarriNeural", "fi-FI-NooraNeural"),
    "el": ("el-GR-NestorasNeural", "el-GR-AthinaNeural"),
    "he": ("he-IL-AvriNeural", "he-IL-HilaNeural"),
    "cs": ("cs-CZ-AntoninNeural", "cs-CZ-VlastaNeural"),
    "hu": ("hu-HU-TamasNeural", "hu-HU-NoemiNeural"),
    "ro": ("ro-RO-EmilNeural", "ro-RO-AlinaNeural"),
    "th": ("th-TH-NiwatNeural", "th-TH-PremwadeeNeural"),
    "vi": ("vi-VN-NamMinhNeural", "vi-VN-HoaiMyNeural"),
    "id": ("id-ID-ArdiNeural", "id-ID-GadisNeural"),
    "uk": ("uk-UA-OstapNeural", "uk-UA-PolinaNeural"),
    "bn": ("bn-BD-PradeepNeural", "bn-BD-NabanitaNeural"),
}
"""Language → (male, female) Edge TTS short names (``edge-tts --list-voices``)."""

EDGE_ENGLISH: dict[str, str] = {
    "male": "en-US-AndrewMultilingualNeural",
    "male_warm": "en-US-BrianMultilingualNeural",
    "female": "en-US-AriaNeural",
    "female_friendly": "en-US-AvaMultilingualNeural",
}
"""English named voices: video_gen's documented voices (Andrew, Aria, Ava). Its ``male_warm``
was Azure's ``en-US-BrandonMultilingualNeural``, which Edge's read-aloud service does not serve
(edge-tts reaches only the voices of the Edge browser), so Brian, the other multilingual male
voice Edge serves, stands in. In other languages ``male_warm`` and ``female_friendly`` are the
language's ``male`` and ``female`` voices."""

_EDGE_ID = re.compile(r"^[a-z]{2,3}-[A-Za-z]{2,}(-[A-Za-z]+)*-[A-Za-z]+Neural$")


def is_edge_voice_id(name: str) -> bool:
    """True if ``name`` looks like an Edge TTS short name (``"en-GB-SoniaNeural"``)."""
    return bool(_EDGE_ID.match(name.strip()))


def edge_voice_id(voice: VoiceRef) -> str:
    """The Edge TTS short name for ``voice`` (see :mod:`pipeline.speech.voices`).

    Raises:
        SpeechError: the voice is another provider's id, or the language has no Edge voice.
    """
    voice_id = resolve_voice_id(EdgeProvider, voice)
    if voice_id is not None and (is_edge_voice_id(voice.name) or _is_named(voice.name)):
        return voice_id
    if not _is_named(voice.name):
        raise SpeechError(
            f"voice {voice.name.strip()!r} is not an Edge TTS voice",
            hint=f"use {', '.join(NAMED_VOICES)} or an Edge short name such as 'en-GB-SoniaNeural'",
        )
    raise SpeechError(
        f"no Edge TTS voice is configured for language {voice.language!r}",
        hint=f"use one of {', '.join(sorted(EDGE_VOICES))} or an Edge voice short name",
    )


def _is_named(name: str) -> bool:
    return name.strip().lower() in NAMED_VOICES


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

    name: ClassVar[str] = "edge"
    online: ClassVar[bool] = True

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

    @classmethod
    def create(cls, settings: ProviderSettings) -> EdgeProvider:
        """An Edge provider bounded by ``settings.edge_timeout_s`` (shared reachability)."""
        return cls(EdgeTimeouts(first_byte_s=settings.edge_timeout_s))

    @classmethod
    def about(cls) -> ProviderAbout:
        """Voice picker / About text."""
        return ProviderAbout(
            name=cls.name,
            label="Edge TTS (online neural voices)",
            online=True,
            engine=f"edge-tts {_edge_tts_version()} (LGPL-3.0), Microsoft Edge's read-aloud "
            "service",
            voices="Microsoft's neural voices, streamed from the service; nothing is installed",
            licence="Microsoft's service terms; no licence is granted by this application",
            notes=(
                "Needs a network connection; text is sent to Microsoft.",
                "Edge's free read-aloud service is not a supported API and may change.",
            ),
        )

    @classmethod
    def table_voice_id(cls, voice: VoiceRef) -> str | None:
        """Edge voice for a named voice of a table language, else ``None``."""
        code = normalize_language(voice.language)
        name = voice.name.strip().lower()
        if code == "en" and name in EDGE_ENGLISH:
            return EDGE_ENGLISH[name]
        pair = EDGE_VOICES.get(code)
        if pair is None or name not in NAMED_VOICES:
            return None
        return pair[1] if voice_gender(name) == "female" else pair[0]

    @classmethod
    def owns_voice_id(cls, name: str) -> bool:
        """Edge short names (``"en-GB-SoniaNeural"``)."""
        return is_edge_voice_id(name)

    def voice_id(self, voice: VoiceRef) -> str:
        """The Edge short name ``voice`` resolves to.

        Raises:
            SpeechError: the voice has no Edge equivalent (see :mod:`pipeline.speech.voices`).
        """
        return edge_voice_id(voice)

    def unavailable_reason(self) -> str | None:
        """Why Edge is skipped now (unreachable earlier in this run), else ``None``."""
        return self.reachability.unavailable_reason()

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
