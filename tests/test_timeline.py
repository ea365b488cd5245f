"""Timeline: audio-first scene lengths, captions, reveals, the audio track, subtitle files."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from pipeline.models import build_spec
from pipeline.speech.base import SAMPLE_RATE_HZ, SpeechAudio, WordTiming
from pipeline.timeline import (
    LEAD_IN_S,
    TAIL_S,
    Caption,
    assemble_audio,
    build_timeline,
    cut_captions,
    estimate_word_timings,
    reveal_times,
    to_srt,
    to_vtt,
)


def _tone(duration_s: float, amplitude: float = 0.5) -> SpeechAudio:
    n = round(duration_s * SAMPLE_RATE_HZ)
    t = np.arange(n, dtype=np.float32) / SAMPLE_RATE_HZ
    return SpeechAudio(
        samples=(amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32), provider="test"
    )


def _spec(**scene_extra: object):
    return build_spec(
        {
            "title": "T",
            "scenes": [
                {"scene_type": "title", "title": "Hello"},
                {
                    "scene_type": "list",
                    "header": "Steps",
                    "items": ["Alpha", "Beta", "Gamma"],
                    **scene_extra,
                },
            ],
        }
    )


def test_scene_length_is_narration_plus_padding_in_whole_frames():
    spec = _spec()
    speech = [_tone(1.23), _tone(2.5)]
    manifest = build_timeline(spec, speech, ["Hello.", "Steps. Alpha. Beta. Gamma."])
    first, second = manifest.scenes
    assert first.n_frames == int(np.ceil((LEAD_IN_S + 1.23 + TAIL_S) * 30))
    assert second.start_s == pytest.approx(first.n_frames / 30)
    assert manifest.n_frames == first.n_frames + second.n_frames
    assert first.transition_in_s == 0 and second.transition_in_s > 0
    for scene in manifest.scenes:
        assert scene.duration_s >= scene.narration_end_s


def test_min_and_max_duration_bounds():
    spec = _spec(min_duration_s=8.0)
    manifest = build_timeline(spec, [_tone(1.0), _tone(2.0)], ["a", "b"])
    assert manifest.scenes[1].duration_s >= 8.0
    spec = _spec(max_duration_s=2.6)
    manifest = build_timeline(spec, [_tone(1.0), _tone(2.4)], ["a", "b"])
    scene = manifest.scenes[1]
    # The tail is trimmed, the narration never is.
    assert scene.narration_end_s <= scene.duration_s < LEAD_IN_S + 2.4 + TAIL_S


def test_estimated_word_timings_cover_the_audio_in_order():
    words = estimate_word_timings("Hello there, general Kenobi. You are a bold one!", 4.0)
    assert [w.text for w in words][:2] == ["Hello", "there,"]
    assert words[0].start_s == 0
    assert words[-1].end_s == pytest.approx(4.0, abs=1e-6)
    starts = [w.start_s for w in words]
    assert starts == sorted(starts)
    # The pause after "Kenobi." is longer than the gap after "general".
    gaps = {words[i].text: words[i + 1].start_s - words[i].end_s for i in range(len(words) - 1)}
    assert gaps["Kenobi."] > gaps["general"]


def test_captions_break_at_sentences_and_length():
    words = estimate_word_timings("One two. " + "word " * 30, 10.0)
    cues = cut_captions(words, max_chars=20)
    assert cues[0].text == "One two."
    assert all(len(c.text) <= 20 for c in cues)
    assert all(a.end_s <= b.start_s + 1e-9 for a, b in pairwise(cues))


def test_reveals_follow_the_narration():
    words = [
        WordTiming(w, i * 0.5, i * 0.5 + 0.4)
        for i, w in enumerate("Steps first Alpha then Beta and Gamma".split())
    ]
    times = reveal_times(["Alpha", "Beta", "Gamma"], words, 3.5)
    assert times == [1.0, 2.0, 3.0]
    # An item never said is revealed at an even share, never before the previous one.
    assert reveal_times(["Alpha", "Zeta"], words, 4.0) == [1.0, 2.0]


def test_audio_track_places_each_clip_at_its_scene():
    spec = _spec()
    speech = [_tone(1.0), _tone(2.0)]
    manifest = build_timeline(spec, speech, ["a", "b"])
    track = assemble_audio(manifest, speech)
    assert len(track) == round(manifest.duration_s * SAMPLE_RATE_HZ)
    second = manifest.scenes[1]
    begin = round((second.start_s + second.narration_offset_s) * SAMPLE_RATE_HZ)
    assert np.abs(track[begin - 2000 : begin - 10]).max() == 0  # silence before
    assert np.abs(track[begin + 1000 : begin + 3000]).max() > 0.1  # voice after
    assert np.abs(track).max() <= 10 ** (-1 / 20) + 1e-6


def test_subtitle_formats():
    cues = [Caption(0.0, 1.5, "Hello"), Caption(3661.25, 3662.0, "Later")]
    srt = to_srt(cues)
    assert srt.splitlines()[:3] == ["1", "00:00:00,000 --> 00:00:01,500", "Hello"]
    assert "01:01:01,250 --> 01:01:02,000" in srt
    vtt = to_vtt(cues)
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello")


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError, match="one entry per scene"):
        build_timeline(_spec(), [_tone(1.0)], ["a", "b"])
