"""eSpeak NG: the offline speech provider, bundled through the ``espeakng-loader`` wheel.

Robotic but always available: no network, no system install. Synthesis runs at eSpeak's
native rate (22 050 Hz) and is resampled to :data:`~pipeline.speech.base.SAMPLE_RATE_HZ`;
word timings come from eSpeak's own word events (see :mod:`pipeline.speech.wordtimes`), in
seconds, so resampling does not change them.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from pipeline.avio import resample_audio
from pipeline.errors import SpeechError
from pipeline.speech import _espeak_ffi as ffi
from pipeline.speech.base import (
    SAMPLE_RATE_HZ,
    ProviderAbout,
    ProviderSettings,
    SpeechAudio,
    VoiceRef,
    resolve_voice_id,
)
from pipeline.speech.voices import LANGUAGES, normalize_language, splits_words_by_events
from pipeline.speech.wordtimes import WordEvent, trim_trailing_silence, word_timings

DEFAULT_RATE_WPM = 175
"""eSpeak's normal speaking rate, in words per minute (valid range 80..450)."""

ADAPTER_VERSION = "1"
"""Bump when this module changes the audio or timings it returns (part of the cache key)."""

ESPEAK_VOICES: dict[str, str] = {
    "en": "en-us",
    "es": "es",
    "fr": "fr",
    "de": "de",
    "it": "it",
    "pt": "pt-br",
    "nl": "nl",
    "ru": "ru",
    "ja": "ja",
    "zh": "cmn",
    "ko": "ko",
    "ar": "ar",
    "hi": "hi",
    "pl": "pl",
    "tr": "tr",
    "sv": "sv",
    "da": "da",
    "nb": "nb",
    "fi": "fi",
    "el": "el",
    "he": "he",
    "cs": "cs",
    "hu": "hu",
    "ro": "ro",
    "th": "th",
    "vi": "vi",
    "id": "id",
    "uk": "uk",
    "bn": "bn",
}
"""Language → eSpeak NG voice (language) name. A language not listed uses its own code."""

ESPEAK_VARIANTS: dict[str, str] = {
    "male": "",
    "male_warm": "+m2",
    "female": "+f3",
    "female_friendly": "+f4",
}
"""eSpeak NG variant appended per named voice (a language voice's default is male)."""


def espeak_voice_id(voice: VoiceRef) -> str:
    """The eSpeak NG voice id for ``voice`` (not checked against the installed data here).

    A named voice of a table language uses the table plus the name's variant; of another
    language, the code itself. Another provider's id (an Edge short name, a Piper voice) falls
    back to the language's ``male`` voice; any other name is an eSpeak id used verbatim.
    """
    voice_id = resolve_voice_id(EspeakProvider, voice)
    assert voice_id is not None  # eSpeak has a voice id for every named voice
    return voice_id


class EspeakProvider:
    """Offline text-to-speech with eSpeak NG (``name == "espeak"``).

    Thread-safe: calls from several threads are serialised (the library has global state).

    Args:
        rate_wpm: speaking rate in words per minute, 80..450.
    """

    name: ClassVar[str] = "espeak"
    online: ClassVar[bool] = False

    def __init__(self, rate_wpm: int = DEFAULT_RATE_WPM) -> None:
        if not 80 <= rate_wpm <= 450:
            raise ValueError(f"rate_wpm must be in 80..450, got {rate_wpm}")
        self.rate_wpm = rate_wpm

    @classmethod
    def create(cls, settings: ProviderSettings) -> EspeakProvider:
        """eSpeak at its normal rate."""
        return cls()

    @classmethod
    def about(cls) -> ProviderAbout:
        """Voice picker / About text."""
        try:
            version = ffi.get_library().version
        except SpeechError:
            version = "not loadable"
        return ProviderAbout(
            name=cls.name,
            label="eSpeak NG (offline, every language)",
            online=False,
            engine=f"eSpeak NG {version} (GPL-3.0-or-later), bundled by the espeakng-loader wheel",
            voices="rule-based formant voices from the eSpeak NG data files, bundled",
            licence="GPL-3.0-or-later; its output may be used for any purpose",
            notes=("Robotic but intelligible; the last resort of the chain.",),
        )

    @classmethod
    def table_voice_id(cls, voice: VoiceRef) -> str | None:
        """eSpeak voice for a named voice: the language's voice plus the name's variant
        (a language outside the table uses its own code)."""
        code = normalize_language(voice.language)
        variant = ESPEAK_VARIANTS.get(voice.name.strip().lower())
        if variant is None:
            return None
        return ESPEAK_VOICES.get(code, code) + variant

    @classmethod
    def owns_voice_id(cls, name: str) -> bool:
        """True for a voice the bundled data has (``"en-gb"``, ``"en-gb-x-rp+f2"``).

        Raises:
            SpeechError: the library cannot be loaded.
        """
        if not name.strip():
            return False
        lib = ffi.get_library()
        with ffi.LOCK:
            return lib.set_voice(name.strip())

    def unavailable_reason(self) -> str | None:
        """Always available (bundled)."""
        return None

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
                    hint=f"use a language code such as {', '.join(LANGUAGES)}",
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
