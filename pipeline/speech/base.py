"""Types shared by every speech provider.

All audio inside the pipeline is mono float32 PCM in -1..1 at :data:`SAMPLE_RATE_HZ`
(48 kHz, the AAC track's rate), so scenes can be concatenated without resampling later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

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
    """Which voice to use: a language code and a voice name (``"male"``/``"female"``) or id."""

    language: str = "en"
    name: str = "male"


@dataclass
class SpeechAudio:
    """The synthesised narration of one scene.

    Attributes:
        samples: mono float32, shape ``(n_samples,)``, at ``sample_rate_hz``.
        sample_rate_hz: always :data:`SAMPLE_RATE_HZ` for provider output.
        words: word timings when the provider gives them, else ``None``.
        provider: provider name (``"edge"``, ``"espeak"``, ``"silence"``).
        voice_id: the provider's own voice id that was used.
    """

    samples: MonoAudio
    sample_rate_hz: int = SAMPLE_RATE_HZ
    words: list[WordTiming] | None = None
    provider: str = ""
    voice_id: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        """Measured duration: number of decoded samples ÷ sample rate."""
        return float(len(self.samples)) / float(self.sample_rate_hz)


class SpeechProvider(Protocol):
    """A text-to-speech engine."""

    name: str

    def synthesize(self, text: str, voice: VoiceRef) -> SpeechAudio:
        """Speak ``text`` with ``voice``; return audio at :data:`SAMPLE_RATE_HZ`.

        Raises:
            pipeline.errors.SpeechError: when synthesis fails (network, unknown voice, …).
        """
        ...
