"""video_gen's four voices: checked when a scene file is loaded, spoken per scene offline,
and overridden by --voice (optionally keeping the voices scenes pin)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.adapters import load_document
from pipeline.artifacts import DirectoryStore
from pipeline.errors import InputError
from pipeline.narration import script_stage
from pipeline.render_job import synthesize_speech
from pipeline.speech.chain import SpeechEngine
from pipeline.speech.voices import NAMED_VOICES, override_voice

DATA = Path(__file__).parent / "data"


def test_the_four_voices_load_and_are_spoken_scene_by_scene_offline(tmp_path):
    spec = load_document(DATA / "video_gen_four_voices.yaml")
    assert [s.voice for s in spec.scenes] == [None, "male_warm", "female", "female_friendly"]
    engine = SpeechEngine("offline", env={"VIDEOSTUDIO_OFFLINE_VOICE": "espeak"})
    voiced = synthesize_speech(spec, script_stage(spec), DirectoryStore(tmp_path), engine)
    assert [audio.voice_id for audio, _ in voiced] == ["en-us", "en-us+m2", "en-us+f3", "en-us+f4"]
    assert all(audio.provider == "espeak" and audio.duration_s > 1.0 for audio, _ in voiced)
    # with Piper as the offline voice, the male voices are Piper's and the female eSpeak's
    piper_first = SpeechEngine("offline", env={})
    plans = [piper_first.plan(_voice(spec, i))[0] for i in range(4)]
    assert plans == ["piper", "piper", "espeak", "espeak"]


def _voice(spec, index):
    from pipeline.speech.base import VoiceRef

    return VoiceRef(spec.language, spec.scenes[index].voice or spec.voice)


def test_an_unknown_voice_fails_when_the_file_is_loaded(tmp_path):
    text = (DATA / "video_gen_four_voices.yaml").read_text().replace("female_friendly", "robot")
    bad = tmp_path / "bad_voice.yaml"
    bad.write_text(text)
    with pytest.raises(InputError) as info:
        load_document(bad)
    message = str(info.value)
    assert "bad_voice.yaml" in message
    assert "scenes[3]" in message
    assert "'robot'" in message
    for name in NAMED_VOICES:
        assert name in message


def test_voice_override_applies_to_every_scene_unless_kept():
    spec = load_document(DATA / "video_gen_four_voices.yaml")
    everyone = override_voice(spec, "female")
    assert everyone.voice == "female" and all(s.voice is None for s in everyone.scenes)
    kept = override_voice(spec, "female", keep_scene_voices=True)
    assert kept.voice == "female"
    assert [s.voice for s in kept.scenes] == [None, "male_warm", "female", "female_friendly"]
    with pytest.raises(InputError) as info:
        override_voice(spec, "robot")
    assert "--voice" in str(info.value)


def test_render_request_applies_voice_override_and_sound_options(tmp_path):
    from studio.cli import build_parser, render_overrides
    from studio.request import build_render_request
    from studio.settings import StudioSettings

    spec = load_document(DATA / "video_gen_four_voices.yaml")
    parser = build_parser()
    args = parser.parse_args(
        ["render", str(DATA / "video_gen_four_voices.yaml"), "--voice", "female",
         "--keep-scene-voices", "--music", "calm", "--music-level", "-18", "--loudness", "-14",
         "--offline-voice", "espeak"]
    )  # fmt: skip
    request = build_render_request(
        StudioSettings(), spec, overrides=render_overrides(args), output=tmp_path / "o.mp4"
    )
    assert request.spec.voice == "female"
    assert [s.voice for s in request.spec.scenes] == [
        None,
        "male_warm",
        "female",
        "female_friendly",
    ]
    options = request.options
    assert (options.music, options.music_level_db, options.loudness_lufs) == ("calm", -18.0, -14.0)
    assert options.offline_voice == "espeak"
    # without --keep-scene-voices every scene speaks with --voice
    args = parser.parse_args(["render", "x.yaml", "--voice", "male"])
    request = build_render_request(
        StudioSettings(), spec, overrides=render_overrides(args), output=tmp_path / "o.mp4"
    )
    assert all(s.voice is None for s in request.spec.scenes) and request.spec.voice == "male"
    # a bad loudness is an input error naming the option
    args = parser.parse_args(["render", "x.yaml", "--loudness", "-3"])
    with pytest.raises(InputError, match="loudness_lufs"):
        build_render_request(StudioSettings(), spec, overrides=render_overrides(args))
