"""The speech fallback chain: the registered providers in order, per scene.

The chain is Edge TTS (online) → Piper (offline neural, English) → eSpeak NG (offline, every
language): whatever :mod:`pipeline.speech.registry` holds, online providers first. A provider
that cannot speak the voice (Piper has no Spanish, no female voice) is skipped; one that fails
hands the scene to the next, and ``SpeechAudio.notes`` says why.

Modes:

- ``"auto"`` (the CLI default): every provider; the job never fails because the network is
  down.
- ``"offline"``: offline providers only; no socket is ever opened.
- ``"online"``: online providers only; a failure raises :class:`~pipeline.errors.SpeechError`.

The environment variable ``VIDEOSTUDIO_OFFLINE=1`` (also ``true``/``yes``/``on``) forces
``"offline"`` whatever mode was asked for. The *offline voice* (``offline_voice=``, else the
environment variable ``VIDEOSTUDIO_OFFLINE_VOICE``, else the registry order: Piper) is the
offline provider tried first.

After synthesis every clip is levelled to :data:`~pipeline.audio.loudness.SPEECH_LEVEL_LUFS`
(so providers sound equally loud), and a clip without word timings gets them by alignment
against its audio (:mod:`pipeline.speech.align`).

Caching: :meth:`SpeechEngine.cache_key_parts` gives everything that shapes a scene's audio.
Look up the cache under the key of the first provider of :meth:`SpeechEngine.plan`; store a
result under ``cache_key_parts(text, voice, provider=audio.provider)``, so a fallback is
never served later as if it were the first provider's audio.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal, get_args

import numpy as np

from pipeline.audio.loudness import LEVELLING_VERSION, SPEECH_LEVEL_LUFS, level_speech
from pipeline.errors import InputError, SpeechError
from pipeline.speech.align import ALIGN_VERSION, align_words_to_audio
from pipeline.speech.base import (
    SAMPLE_RATE_HZ,
    ProviderSettings,
    SpeechAudio,
    SpeechProvider,
    VoiceRef,
    resolve_voice_id,
)
from pipeline.speech.registry import (
    OFFLINE_VOICE_ENV,
    offline_voice_preference,
    provider_classes,
    registered_names,
)
from pipeline.speech.voices import is_named_voice

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
        edge_timeout_s: an online provider's connect + first-answer bound, in seconds.
        offline_voice: registry name of the offline provider to try first (``"piper"``,
            ``"espeak"``); default: :data:`~pipeline.speech.registry.OFFLINE_VOICE_ENV`, else
            the registry order.
        providers: provider instances to use instead of creating them (by registry name),
            e.g. an Edge provider pointed at a test server.
        env: environment to read the variables from (default ``os.environ``).
        level_lufs: loudness each clip is levelled to; ``None`` leaves clips as spoken.

    Raises:
        ValueError: unknown ``mode``.
        InputError: unknown offline voice (names the valid ones).
    """

    def __init__(
        self,
        mode: SpeechMode = "auto",
        *,
        edge_timeout_s: float = 5.0,
        offline_voice: str | None = None,
        providers: Mapping[str, SpeechProvider] | None = None,
        env: Mapping[str, str] | None = None,
        level_lufs: float | None = SPEECH_LEVEL_LUFS,
    ) -> None:
        if mode not in get_args(SpeechMode):
            raise ValueError(f"mode must be one of {get_args(SpeechMode)}, got {mode!r}")
        self.requested_mode: SpeechMode = mode
        self.forced_offline = offline_forced(env)
        self.mode: SpeechMode = "offline" if self.forced_offline else mode
        self.level_lufs = level_lufs
        preference = offline_voice or offline_voice_preference(env)
        try:
            classes = provider_classes(preference)
        except ValueError as exc:
            source = "offline voice" if offline_voice else OFFLINE_VOICE_ENV
            raise InputError(str(exc), source=source, hint="use piper or espeak") from exc
        self.offline_voice = preference
        settings = ProviderSettings(edge_timeout_s=edge_timeout_s)
        given = dict(providers or {})
        self.providers: list[SpeechProvider] = [
            given.get(name) or cls.create(settings) for name, cls in classes
        ]

    def provider(self, name: str) -> SpeechProvider:
        """The chain's provider called ``name``.

        Raises:
            KeyError: no such provider.
        """
        for provider in self.providers:
            if provider.name == name:
                return provider
        raise KeyError(name)

    def _allowed(self, provider: SpeechProvider) -> bool:
        if self.mode == "offline":
            return not provider.online
        if self.mode == "online":
            return provider.online
        return True

    def _candidates(self, voice: VoiceRef) -> tuple[list[SpeechProvider], list[str]]:
        """Providers to try for ``voice`` in order, and notes on the ones skipped."""
        name = voice.name.strip()
        allowed = [p for p in self.providers if self._allowed(p)]
        notes: list[str] = []
        if is_named_voice(name):
            ordered = allowed
        else:
            owner = next((p for p in self.providers if type(p).owns_voice_id(name)), None)
            if owner is None:
                ordered = allowed  # nobody claims it: let the providers say why
            else:
                # The owner speaks its own id; offline providers after it in the registry
                # stand in with the language's male voice; no other online provider does (no
                # surprise network use).
                rank = {n: i for i, n in enumerate(registered_names())}
                after = [
                    p
                    for p in allowed
                    if not p.online and rank.get(p.name, 0) > rank.get(owner.name, 0)
                ]
                ordered = ([owner] if owner in allowed else []) + after
                notes += [
                    f"{p.name} skipped: {name!r} is a {owner.name} voice id"
                    for p in allowed
                    if p.online and p is not owner
                ]
        usable: list[SpeechProvider] = []
        for provider in ordered:
            if resolve_voice_id(type(provider), voice) is None:
                continue  # no such voice here (Piper: no female, English only)
            usable.append(provider)
        return usable, notes

    def plan(self, voice: VoiceRef) -> list[str]:
        """Provider names in the order :meth:`synthesize` would try them now (providers
        marked unavailable, e.g. Edge after a connection failure, are left out)."""
        usable, _ = self._candidates(voice)
        return [p.name for p in usable if p.unavailable_reason() is None] or [
            p.name for p in usable[-1:]
        ]

    def synthesize(self, text: str, voice: VoiceRef) -> SpeechAudio:
        """Speak one scene's narration.

        Empty or whitespace-only text gives zero-length audio with ``provider == "silence"``
        and no network use.

        Returns:
            48 kHz mono audio, levelled, with word timings; ``provider`` says who spoke it and
            ``notes`` why a fallback happened.

        Raises:
            SpeechError: in ``"online"`` mode when the online providers fail; in any mode when
                the last provider fails (unknown language or voice id — the hint lists
                languages).
        """
        if not text.strip():
            return SpeechAudio(np.zeros(0, np.float32), words=[], provider="silence")
        notes: list[str] = []
        if self.forced_offline and self.requested_mode != "offline":
            notes.append(f"offline speech forced by {OFFLINE_ENV}")
        usable, skipped = self._candidates(voice)
        notes += skipped
        if not usable:
            raise SpeechError(
                f"no speech provider has a voice {voice.name!r} for language "
                f"{voice.language!r} in {self.mode} mode",
                hint="run `videostudio voices` to see the voices and languages",
            )
        failures: list[tuple[str, str]] = []
        for index, provider in enumerate(usable):
            last = index == len(usable) - 1
            reason = provider.unavailable_reason()
            if reason is not None and not last:
                notes.append(f"{provider.name} skipped: unreachable earlier in this run ({reason})")
                continue
            try:
                audio = provider.synthesize(text, voice)
            except SpeechError as exc:
                if last:
                    raise
                failures.append((provider.name, exc.message))
                continue
            notes += [f"{name} failed, used {provider.name}: {why}" for name, why in failures]
            return self._finish(audio, text, voice, notes)
        raise AssertionError("unreachable: the last provider returns or raises")

    def _finish(
        self, audio: SpeechAudio, text: str, voice: VoiceRef, notes: list[str]
    ) -> SpeechAudio:
        """Level the clip and make sure it has word timings."""
        audio.notes[:0] = notes
        if not audio.words and audio.n_samples:
            audio.words = align_words_to_audio(text, audio.samples, voice.language)
            audio.notes.append(
                f"{audio.provider} gave no word timings; words aligned to the audio's pauses"
            )
        if self.level_lufs is not None and audio.n_samples:
            levelled = level_speech(audio.samples, self.level_lufs)
            audio.samples = levelled.samples
            audio.loudness_lufs = levelled.loudness_lufs
        return audio

    def cache_key_parts(
        self, text: str, voice: VoiceRef, provider: str | None = None
    ) -> dict[str, str]:
        """Everything that shapes the audio of ``text`` spoken by ``provider``.

        Args:
            text: the narration, verbatim.
            voice: the requested voice.
            provider: a registry name or ``"silence"``; default: the first of :meth:`plan`
                (what :meth:`synthesize` would try first now).

        Returns:
            String fields (provider, voice id, library version, adapter version, sample
            rate, levelling, language, text) to hash for a content-addressed cache.

        Raises:
            ValueError: unknown provider. SpeechError: the voice does not resolve for it.
        """
        if not text.strip():
            provider = "silence"
        chosen = provider or self.plan(voice)[0]
        if chosen == "silence":
            parts = {"provider": "silence", "sample_rate_hz": str(SAMPLE_RATE_HZ)}
        else:
            try:
                parts = self.provider(chosen).cache_key_parts(voice)
            except KeyError:
                raise ValueError(f"unknown speech provider {chosen!r}") from None
            parts["level"] = (
                f"{self.level_lufs:g} LUFS v{LEVELLING_VERSION}" if self.level_lufs else "off"
            )
            parts["align"] = ALIGN_VERSION
        return {**parts, "language": voice.language, "voice_name": voice.name, "text": text}

    def release(self) -> None:
        """Free what providers hold in memory (e.g. Piper's model) until they are used again."""
        for provider in self.providers:
            release = getattr(provider, "release", None)
            if callable(release):
                release()
