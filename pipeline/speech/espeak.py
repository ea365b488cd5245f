"""eSpeak NG: the offline speech provider, bundled through the ``espeakng-loader`` wheel.

Robotic but always available: no network, no system install. Synthesis runs at eSpeak's
native rate (22 050 Hz) and is resampled to :data:`~pipeline.speech.base.SAMPLE_RATE_HZ`;
word timings come from eSpeak's own word events (see :mod:`pipeline.speech.wordtimes`), in
seconds, so resampling does not change them.
"""

from __future__ import annotations

import numpy as np

from pipeline.avio import resample_audio
from pipeline.errors import SpeechError
from pipeline.speech import _espeak_ffi as ffi
from pipeline.speech.base import SAMPLE_RATE_HZ, SpeechAudio, VoiceRef
from pipeline.speech.voices import VOICE_TABLE, espeak_voice_id, splits_words_by_events
from pipeline.speech.wordtimes import WordEvent, trim_trailing_silence, word_timings

DEFAULT_RATE_WPM = 175
"""eSpeak's normal speaking rate, in words per minute (valid range 80..450)."""

ADAPTER_VERSION = "1"
"""Bump when this module changes the audio or timings it returns (part of the cache key)."""


class EspeakProvider:
    """Offline text-to-speech with eSpeak NG (``name == "espeak"``).

    Thread-safe: calls from several threads are serialised (the library has global state).

    Args:
        rate_wpm: speaking rate in words per minute, 80..450.
    """

    name = "espeak"

    def __init__(self, rate_wpm: int = DEFAULT_RATE_WPM) -> None:
        if not 80 <= rate_wpm <= 450:
            raise ValueError(f"rate_wpm must be in 80..450, got {rate_wpm}")
        self.rate_wpm = rate_wpm

    def voice_id(self, voice: VoiceRef) -> str:
        """The eSpeak voice id ``voice`` resolves to (see :mod:`pipeline.speech.voices`)."""
        return espeak_voice_id(voice)

    def has_voice(self, voice_id: str) -> bool:
        """True if the bundled data has ``voice_id`` (``"en-us"``, ``"es+f3"``, ``"cmn"``).

        Raises:
            SpeechError: the library cannot be loaded.
        """
        lib = ffi.get_library()
        with ffi.LOCK:
            return lib.set_voice(voice_id)

    def library_version(self) -> str:
        """eSpeak NG's version string (``"1.52.0"``).

        Raises:
            SpeechError: the library cannot be loaded.
        """
        return ffi.get_library().version

    def languages(self) -> list[str]:
        """Every language code the bundled data speaks, sorted.

        Raises:
            SpeechError: the library cannot be loaded.
        """
        lib = ffi.get_library()
        with ffi.LOCK:
            voices = lib.installed_voices()
        return sorted({code for v in voices for code in v.languages})

    def cache_key_parts(self, voice: VoiceRef) -> dict[str, str]:
        """Everything besides the text that shapes this provider's audio for ``voice``."""
        return {
            "provider": self.name,
            "voice_id": self.voice_id(voice),
            "rate_wpm": str(self.rate_wpm),
            "library": f"espeak-ng {self.library_version()}",
            "adapter": ADAPTER_VERSION,
            "sample_rate_hz": str(SAMPLE_RATE_HZ),
        }

    def synthesize(self, text: str, voice: VoiceRef) -> SpeechAudio:
        """Speak ``text``; return 48 kHz mono float32 audio with word timings.

        Empty or whitespace-only text gives zero-length audio and no words.

        Raises:
            SpeechError: eSpeak has no voice for ``voice`` (the hint lists the table's
                languages) or the library cannot be loaded.
        """
        voice_id = self.voice_id(voice)
        if not text.strip():
            return SpeechAudio(
                np.zeros(0, np.float32), words=[], provider=self.name, voice_id=voice_id
            )
        lib = ffi.get_library()
        with ffi.LOCK:
            if not lib.set_voice(voice_id):
                raise SpeechError(
                    f"eSpeak NG has no voice {voice_id!r} (language {voice.language!r})",
                    hint=f"use a language code such as {', '.join(VOICE_TABLE)}",
                )
            pcm, events = lib.synthesize(text, self.rate_wpm)
            native_rate = lib.sample_rate_hz
        samples = resample_audio(pcm, native_rate, SAMPLE_RATE_HZ)
        duration_s = len(samples) / SAMPLE_RATE_HZ
        word_events = [
            WordEvent(e.text_position - 1, e.audio_ms / 1000.0)
            for e in events
            if e.type == ffi.EVENT_WORD
        ]
        clause_ends = [
            e.audio_ms / 1000.0
            for e in events
            if e.type in (ffi.EVENT_END, ffi.EVENT_MSG_TERMINATED)
        ]
        words = word_timings(
            text,
            word_events,
            clause_ends,
            duration_s,
            split_by_events=splits_words_by_events(voice.language),
        )
        words = trim_trailing_silence(words, samples, SAMPLE_RATE_HZ)
        notes = [] if word_events else ["espeak gave no word events; word times are estimated"]
        return SpeechAudio(samples, words=words, provider=self.name, voice_id=voice_id, notes=notes)
