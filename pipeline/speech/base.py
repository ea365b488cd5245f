"""Types shared by every speech provider, and the provider interface.

All audio inside the pipeline is mono float32 PCM in -1..1 at :data:`SAMPLE_RATE_HZ`
(48 kHz, the AAC track's rate), so scenes can be concatenated without resampling later.

A provider is one class implementing :class:`SpeechProvider`, in one module, entered in
:mod:`pipeline.speech.registry`; the chain (:mod:`pipeline.speech.chain`), the voice listing
and the spec's voice check know providers only through that interface.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np
import numpy.typing as npt

SAMPLE_RATE_HZ = 48_000
"""Sample rate of all pipeline audio, in Hz."""

MonoAudio = npt.NDArray[np.float32]
"""Mono PCM, shape ``(n_samples,)``, float32 in -1..1, at :data:`SAMPLE_RATE_HZ`."""


@dataclass(frozen=True)
class WordTiming:
    """One spoken word and when it is said, in seconds from the start of its clip."""

    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class VoiceRef:
    """Which voice to use: a language code and a voice name (``"male"``, …) or a voice id."""

    language: str = "en"
    name: str = "male"


class SpeechAudio:
    """The synthesised narration of one scene.

    Args / attributes:
        samples: mono float32, shape ``(n_samples,)``, at ``sample_rate_hz``.
        sample_rate_hz: always :data:`SAMPLE_RATE_HZ` for provider output.
        words: word timings (seconds from the clip's start), or ``None`` if unknown.
        provider: provider name (``"edge"``, ``"piper"``, ``"espeak"``, ``"silence"``).
        voice_id: the provider's own voice id that was used.
        notes: why a fallback happened, how timings were obtained, …
        loudness_lufs: the clip's integrated loudness (ITU-R BS.1770) after levelling, or
            ``None`` if not measured (too short, or an old cache entry).

    :meth:`release` drops the samples from memory and keeps a loader: a long video keeps
    only the clip being mixed in memory, not all of them (see :mod:`pipeline.audio.mix`).
    """

    def __init__(
        self,
        samples: MonoAudio,
        sample_rate_hz: int = SAMPLE_RATE_HZ,
        words: list[WordTiming] | None = None,
        provider: str = "",
        voice_id: str = "",
        notes: list[str] | None = None,
        loudness_lufs: float | None = None,
    ) -> None:
        self._samples: MonoAudio | None = samples
        self._n_samples = int(len(samples))
        self._loader: Callable[[], MonoAudio] | None = None
        self.sample_rate_hz = sample_rate_hz
        self.words = words
        self.provider = provider
        self.voice_id = voice_id
        self.notes: list[str] = list(notes) if notes is not None else []
        self.loudness_lufs = loudness_lufs

    @property
    def samples(self) -> MonoAudio:
        """The clip's samples (loaded again from where they are kept if :meth:`release`\\ d)."""
        if self._samples is not None:
            return self._samples
        assert self._loader is not None
        return self._loader()

    @samples.setter
    def samples(self, value: MonoAudio) -> None:
        self._samples = value
        self._n_samples = int(len(value))
        self._loader = None

    @property
    def n_samples(self) -> int:
        """Number of samples (known without loading them)."""
        return self._n_samples

    @property
    def duration_s(self) -> float:
        """Measured duration: number of decoded samples ÷ sample rate."""
        return float(self._n_samples) / float(self.sample_rate_hz)

    @property
    def released(self) -> bool:
        """True once :meth:`release` dropped the samples from memory."""
        return self._samples is None

    def release(self, loader: Callable[[], MonoAudio]) -> None:
        """Drop the samples from memory; ``loader()`` must return them again on demand."""
        self._loader = loader
        self._samples = None

    def __repr__(self) -> str:
        return (
            f"SpeechAudio({self.duration_s:.2f} s, provider={self.provider!r}, "
            f"voice_id={self.voice_id!r}, words={len(self.words or [])})"
        )


@dataclass(frozen=True)
class ProviderAbout:
    """What the voice picker and the About/licences page say about a provider.

    Attributes:
        name: registry name (``"piper"``).
        label: display name (``"Piper (offline neural voice)"``).
        online: needs a network connection.
        engine: the engine and its licence (``"piper-tts 1.8.0, GPL-3.0-or-later"``).
        voices: where the voices come from (package, upstream source).
        licence: the voices' licence, in plain words.
        notes: what a user must know before publishing (e.g. commercial-use limits).
    """

    name: str
    label: str
    online: bool
    engine: str
    voices: str
    licence: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProviderSettings:
    """Settings a provider may read when the chain creates it.

    Attributes:
        edge_timeout_s: bound on an online provider's connect + first answer, seconds.
    """

    edge_timeout_s: float = 5.0


class SpeechProvider(Protocol):
    """A text-to-speech engine: one class in one module, entered in the registry.

    Class-level members work without loading the engine (listings, spec validation);
    instances are created by the chain through :meth:`create` and must be thread-safe.
    """

    name: ClassVar[str]
    """Registry name, also stored as ``SpeechAudio.provider`` and in cache keys."""
    online: ClassVar[bool]
    """True if it needs the network (skipped in offline mode)."""

    @classmethod
    def create(cls, settings: ProviderSettings) -> SpeechProvider:
        """A ready instance (heavy resources may still load on first use)."""
        ...

    @classmethod
    def about(cls) -> ProviderAbout:
        """Text for the voice picker and the About/licences page."""
        ...

    @classmethod
    def table_voice_id(cls, voice: VoiceRef) -> str | None:
        """This provider's voice id for a *named* voice of a language, or ``None`` if it has
        no voice for that name and language. Loads nothing."""
        ...

    @classmethod
    def owns_voice_id(cls, name: str) -> bool:
        """True if ``name`` is one of this provider's own voice ids (used verbatim)."""
        ...

    def voice_id(self, voice: VoiceRef) -> str:
        """The voice id used for ``voice``.

        Raises:
            pipeline.errors.SpeechError: this provider cannot speak it.
        """
        ...

    def unavailable_reason(self) -> str | None:
        """Why the provider should be skipped right now (e.g. unreachable), else ``None``."""
        ...

    def cache_key_parts(self, voice: VoiceRef) -> dict[str, str]:
        """Everything besides the text that shapes this provider's audio for ``voice``.

        Raises:
            pipeline.errors.SpeechError: this provider cannot speak ``voice``.
        """
        ...

    def synthesize(self, text: str, voice: VoiceRef) -> SpeechAudio:
        """Speak ``text`` with ``voice``; return audio at :data:`SAMPLE_RATE_HZ`.

        ``words`` may be ``None`` or empty when the engine gives no timings: the chain then
        aligns the words to the audio (:mod:`pipeline.speech.align`).

        Raises:
            pipeline.errors.SpeechError: when synthesis fails (network, unknown voice, …).
        """
        ...


def resolve_voice_id(provider: type[SpeechProvider], voice: VoiceRef) -> str | None:
    """The id ``provider`` uses for ``voice``: its own id verbatim, else its table's voice for
    the named voice (another provider's id counts as ``male``), else ``None``."""
    from pipeline.speech.voices import as_named, is_named_voice

    name = voice.name.strip()
    if is_named_voice(name):
        return provider.table_voice_id(VoiceRef(voice.language, name.lower()))
    if provider.owns_voice_id(name):
        return name
    return provider.table_voice_id(as_named(voice))
