"""The speech fallback chain: Edge TTS when allowed and reachable, else eSpeak NG, per scene.

Modes:

- ``"auto"`` (the CLI default): Edge first; on any Edge failure the scene is spoken by eSpeak
  and ``SpeechAudio.notes`` says why. The job never fails because the network is down.
- ``"offline"``: eSpeak only; no socket is ever opened.
- ``"online"``: Edge only; an Edge failure raises :class:`~pipeline.errors.SpeechError`.

The environment variable ``VIDEOSTUDIO_OFFLINE=1`` (also ``true``/``yes``/``on``) forces
``"offline"`` whatever mode was asked for.

Caching: :meth:`SpeechEngine.cache_key_parts` gives everything that shapes a scene's audio.
Look up the cache under the key of the first provider of :meth:`SpeechEngine.plan`; store a
result under ``cache_key_parts(text, voice, provider=audio.provider)``, so an eSpeak
fallback is never served later as if it were Edge audio.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal, get_args

import numpy as np

from pipeline.errors import SpeechError
from pipeline.speech.base import SAMPLE_RATE_HZ, SpeechAudio, VoiceRef
from pipeline.speech.edge import EdgeProvider, EdgeReachability, EdgeTimeouts
from pipeline.speech.espeak import EspeakProvider
from pipeline.speech.voices import is_edge_voice_id, is_named_voice

SpeechMode = Literal["auto", "offline", "online"]
"""How the engine may use the network (see the module docstring)."""

OFFLINE_ENV = "VIDEOSTUDIO_OFFLINE"
"""Environment variable that forces offline speech when set to 1/true/yes/on."""


def offline_forced(env: Mapping[str, str] | None = None) -> bool:
    """True if :data:`OFFLINE_ENV` asks for offline speech."""
    value = (os.environ if env is None else env).get(OFFLINE_ENV, "")
    return value.strip().lower() in {"1", "true", "yes", "on"}


class SpeechEngine:
    """Synthesises narration per scene with a fallback chain. Thread-safe.

    Args:
        mode: ``"auto"``, ``"offline"`` or ``"online"``.
        edge_timeout_s: Edge's connect + first-message bound, in seconds.
        espeak: the offline provider (default: :class:`EspeakProvider` at its normal rate).
        edge: the online provider (default: :class:`EdgeProvider` with ``edge_timeout_s``).
        env: environment to read :data:`OFFLINE_ENV` from (default ``os.environ``).

    Raises:
        ValueError: unknown ``mode``.
    """

    def __init__(
        self,
        mode: SpeechMode = "auto",
        *,
        edge_timeout_s: float = 5.0,
        espeak: EspeakProvider | None = None,
        edge: EdgeProvider | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        if mode not in get_args(SpeechMode):
            raise ValueError(f"mode must be one of {get_args(SpeechMode)}, got {mode!r}")
        self.requested_mode: SpeechMode = mode
        self.forced_offline = offline_forced(env)
        self.mode: SpeechMode = "offline" if self.forced_offline else mode
        self.espeak = espeak or EspeakProvider()
        self.edge = edge or EdgeProvider(EdgeTimeouts(first_byte_s=edge_timeout_s))

    @property
    def reachability(self) -> EdgeReachability:
        """The Edge reachability record this engine consults."""
        return self.edge.reachability

    def plan(self, voice: VoiceRef) -> list[str]:
        """Provider names in the order :meth:`synthesize` would try them now.

        Edge is left out in offline mode, for eSpeak voice ids, and (in auto mode) while it
        is marked unreachable.
        """
        if self.mode == "offline":
            return [self.espeak.name]
        if self.mode == "online":
            return [self.edge.name]
        if not _edge_can_speak(voice) or self.reachability.unavailable_reason() is not None:
            return [self.espeak.name]
        return [self.edge.name, self.espeak.name]

    def synthesize(self, text: str, voice: VoiceRef) -> SpeechAudio:
        """Speak one scene's narration.

        Empty or whitespace-only text gives zero-length audio with ``provider == "silence"``
        and no network use.

        Returns:
            48 kHz mono audio; ``provider`` says who spoke it and ``notes`` why a fallback
            happened.

        Raises:
            SpeechError: in ``"online"`` mode when Edge fails; in any mode when eSpeak fails
                (unknown language or voice id — the hint lists languages).
        """
        if not text.strip():
            return SpeechAudio(np.zeros(0, np.float32), words=[], provider="silence")
        notes: list[str] = []
        if self.forced_offline and self.requested_mode != "offline":
            notes.append(f"offline speech forced by {OFFLINE_ENV}")
        if self.mode == "online":
            return _with_notes(self.edge.synthesize(text, voice), notes)
        if self.mode == "auto":
            if not _edge_can_speak(voice):
                notes.append(f"edge skipped: {voice.name!r} is an eSpeak voice id")
            else:
                reason = self.reachability.unavailable_reason()
                if reason is not None:
                    notes.append(f"edge skipped: unreachable earlier in this run ({reason})")
                else:
                    try:
                        return _with_notes(self.edge.synthesize(text, voice), notes)
                    except SpeechError as exc:
                        notes.append(f"edge failed, used espeak: {exc.message}")
        return _with_notes(self.espeak.synthesize(text, voice), notes)

    def cache_key_parts(
        self, text: str, voice: VoiceRef, provider: str | None = None
    ) -> dict[str, str]:
        """Everything that shapes the audio of ``text`` spoken by ``provider``.

        Args:
            text: the narration, verbatim.
            voice: the requested voice.
            provider: ``"edge"``, ``"espeak"`` or ``"silence"``; default: the first of
                :meth:`plan` (what :meth:`synthesize` would try first now).

        Returns:
            String fields (provider, voice id, rate, library version, adapter version,
            sample rate, language, text) to hash for a content-addressed cache.

        Raises:
            ValueError: unknown provider. SpeechError: the voice does not resolve for it.
        """
        if not text.strip():
            provider = "silence"
        chosen = provider or self.plan(voice)[0]
        if chosen == "silence":
            parts = {"provider": "silence", "sample_rate_hz": str(SAMPLE_RATE_HZ)}
        elif chosen == self.edge.name:
            parts = self.edge.cache_key_parts(voice)
        elif chosen == self.espeak.name:
            parts = self.espeak.cache_key_parts(voice)
        else:
            raise ValueError(f"unknown speech provider {chosen!r}")
        return {**parts, "language": voice.language, "voice_name": voice.name, "text": text}


def _edge_can_speak(voice: VoiceRef) -> bool:
    """True unless the voice name is an eSpeak voice id (see :mod:`pipeline.speech.voices`)."""
    return is_named_voice(voice.name) or is_edge_voice_id(voice.name.strip())


def _with_notes(audio: SpeechAudio, notes: list[str]) -> SpeechAudio:
    audio.notes[:0] = notes
    return audio
