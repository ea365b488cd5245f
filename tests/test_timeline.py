"""Timeline: audio-first scene lengths, captions, reveals, the audio track, subtitle files."""

from __future__ import annotations

import re
from itertools import pairwise

import numpy as np
import pytest

from pipeline.i18n.scripts import display_len, join_words
from pipeline.models import build_spec
from pipeline.speech.base import SAMPLE_RATE_HZ, SpeechAudio, WordTiming
from pipeline.subtitles import (
    HOLD_S,
    MAX_CUE_S,
    MAX_LAG_S,
    MAX_LINE_CHARS,
    MAX_LINES,
    MIN_CUE_S,
    _Spans,
    align_words,
    to_ass,
)
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


PARAGRAPH = (
    "Overview. This comprehensive guide explains how the internet works, from the physical "
    "infrastructure to future technologies. Install it from PyPI over HTTPS, for example with "
    "pip, and keep your tools up to date so that every new release of the package reaches "
    "you without delay. It costs $5. Really!"
)


def _spoken(text: str) -> list[WordTiming]:
    """Word timings as a voice would give them for ``text`` cleaned for speech: punctuation
    stripped, ``PyPI`` said as two words, ``$5`` as "5 dollars"."""
    spoken: list[str] = []
    for token in text.split():
        word = token.strip(".,!?;:")
        spoken += {"PyPI": ["Py", "PI"], "HTTPS": ["HTTP", "S"], "$5": ["5", "dollars"]}.get(
            word, [word]
        )
    return [WordTiming(w, 0.3 * i, 0.3 * i + 0.25) for i, w in enumerate(spoken)]


def test_written_words_get_the_spoken_timings():
    words = align_words(PARAGRAPH, _spoken(PARAGRAPH))
    assert [w.text for w in words] == PARAGRAPH.split()
    by_text = {w.text: w for w in words}
    spoken = {w.text: w for w in _spoken(PARAGRAPH)}
    assert by_text["PyPI"].start_s == spoken["Py"].start_s
    assert by_text["PyPI"].end_s == spoken["PI"].end_s
    assert by_text["HTTPS,"].end_s == spoken["S"].end_s
    assert by_text["$5."].start_s == spoken["5"].start_s
    starts = [w.start_s for w in words]
    assert starts == sorted(starts)
    assert all(w.end_s >= w.start_s for w in words)
    # A written word the voice skipped gets a time between its neighbours.
    skipped = align_words(
        "alpha beta gamma", [WordTiming("alpha", 0, 1), WordTiming("gamma", 2, 3)]
    )
    assert [w.text for w in skipped] == ["alpha", "beta", "gamma"]
    assert 1.0 <= skipped[1].start_s <= skipped[1].end_s <= 2.0
    assert align_words("alpha", [WordTiming("zzz", 0, 1)]) == []


def test_cues_are_readable_and_never_cross_a_sentence_end():
    words = align_words(PARAGRAPH, _spoken(PARAGRAPH))
    cues = cut_captions(words)
    assert " ".join(c.text for c in cues) == PARAGRAPH  # the written text, punctuation kept
    for cue in cues:
        sentence_ends = [w for w in cue.text.split()[:-1] if w[-1] in ".!?"]
        assert not sentence_ends, f"cue {cue.text!r} runs across a sentence end"
        assert 1 <= len(cue.lines) <= MAX_LINES
        assert all(len(line) <= MAX_LINE_CHARS for line in cue.lines)
        assert " ".join(cue.lines) == cue.text
        assert cue.end_s - cue.start_s <= MAX_CUE_S
        if len(cue.text.split()) == 1:  # only a sentence of one word stands alone
            assert cue.text in ("Overview.", "Really!")
    assert cues[1].text.startswith("This comprehensive guide")
    # Clause ends are preferred breaks: "works," ends a cue or a line.
    assert any(c.text.endswith("works,") or c.lines[0].endswith("works,") for c in cues)
    assert all(a.end_s <= b.start_s + 1e-9 for a, b in pairwise(cues))
    # Continuous speech: cues follow each other; a cue is shown at least 1 s when it can be.
    assert all(c.end_s - c.start_s >= MIN_CUE_S for c in cues[1:-1])


def test_cues_hold_after_speech_but_not_past_the_scene():
    words = [WordTiming("Hello", 0.0, 0.3), WordTiming("there.", 0.3, 0.5)]
    (cue,) = cut_captions(words)
    assert cue.end_s == pytest.approx(0.5 + HOLD_S)
    (cue,) = cut_captions([WordTiming("Hi.", 0.0, 0.1)])
    assert cue.end_s == pytest.approx(MIN_CUE_S)
    (cue,) = cut_captions(words, end_limit_s=0.8)
    assert cue.end_s == pytest.approx(0.8)


def _said(pairs: list[tuple[str, float]], gap_s: float = 0.05) -> list[WordTiming]:
    """Words said one after another, each for the given seconds."""
    words, t = [], 0.5
    for text, said_s in pairs:
        words.append(WordTiming(text, t, t + said_s))
        t += said_s + gap_s
    return words


def test_cues_last_1_to_7_s_when_speech_is_quick_or_slow():
    # A heading said in 0.3 s, the next sentence 0.4 s later (eSpeak on the manim README):
    # "Note." is held 1 s, the next cue starts a little after its first word.
    quick = _said([("Note.", 0.3)])
    quick += _said([(w, 0.3) for w in "The community edition is free.".split()])
    quick[1:] = [WordTiming(w.text, w.start_s + 0.7, w.end_s + 0.7) for w in quick[1:]]
    cues = cut_captions(quick)
    assert [c.text for c in cues] == ["Note.", "The community edition is free."]
    assert cues[0].end_s - cues[0].start_s == pytest.approx(MIN_CUE_S)
    assert cues[1].start_s == pytest.approx(cues[0].end_s)
    assert cues[1].start_s - quick[1].start_s <= MAX_LAG_S + 1e-9
    # Numbers eSpeak reads slowly: no cue stays over 7 s, none crosses the sentence end.
    slow = _said(
        [("Uses", 0.3), ("frequencies", 0.6), ("up", 0.1), ("to", 0.1), ("106MHz", 1.4),
         ("or", 0.1), ("212MHz;", 1.5), ("Requires", 0.6), ("fiber", 0.3), ("very", 0.2),
         ("close", 0.3), ("to", 0.1), ("premises.", 0.6), ("Next", 0.3), ("one.", 0.3)]
    )  # fmt: skip
    cues = cut_captions(slow)
    assert all(MIN_CUE_S - 1e-9 <= c.end_s - c.start_s <= MAX_CUE_S + 1e-9 for c in cues)
    assert [c.text for c in cues][-1] == "Next one."
    assert all(not any(w.endswith(".") for w in c.text.split()[:-1]) for c in cues)


def test_timeline_captions_carry_the_written_words():
    spec = _spec()
    text = "Install it from PyPI over HTTPS. It costs $5."
    spoken = _spoken(text)
    audio = _tone(spoken[-1].end_s + 0.1)
    audio.words = spoken
    manifest = build_timeline(spec, [_tone(1.0), audio], ["Hello.", text])
    cues = manifest.scenes[1].captions
    assert [c.text for c in cues] == ["Install it from PyPI over HTTPS.", "It costs $5."]
    assert cues[0].start_s == pytest.approx(LEAD_IN_S)  # scene-relative, after the lead-in
    assert [w.text for w in manifest.scenes[1].words][:4] == ["Install", "it", "from", "PyPI"]


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
    cues = [
        Caption(0.0, 1.5, "Hello"),
        Caption(3661.25, 3662.0, "Later, on two lines", ("Later,", "on two lines")),
    ]
    srt = to_srt(cues)
    assert srt.splitlines()[:3] == ["1", "00:00:00,000 --> 00:00:01,500", "Hello"]
    assert "01:01:01,250 --> 01:01:02,000\nLater,\non two lines\n" in srt
    vtt = to_vtt(cues)
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello")


def test_ass_subtitles_highlight_each_word():
    pysubs2 = pytest.importorskip("pysubs2")
    words = align_words(PARAGRAPH, _spoken(PARAGRAPH))
    cues = cut_captions(words)
    document = to_ass(cues, 1080, 1920)
    subs = pysubs2.SSAFile.from_string(document)
    assert subs.info["PlayResX"] == "1080" and subs.info["PlayResY"] == "1920"
    assert len(subs) == len(cues)
    first = subs[1]
    assert first.start == round(cues[1].start_s * 1000)
    # One karaoke tag per word; the durations add up to the words' span.
    tags = [int(n) for n in re.findall(r"\\k(\d+)", first.text)]
    assert len(tags) == len(cues[1].words)
    span_cs = (cues[1].words[-1].end_s - cues[1].words[0].start_s) * 100
    assert sum(tags) == pytest.approx(span_cs, abs=len(tags))
    assert first.plaintext.replace("\n", " ") == cues[1].text
    style = subs.styles["Default"]
    assert (style.primarycolor.r, style.primarycolor.g) == (255, 214)  # the highlight


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError, match="one entry per scene"):
        build_timeline(_spec(), [_tone(1.0)], ["a", "b"])


@pytest.mark.parametrize(
    "words",
    [
        ["Hello,", "world", "", "of", "captions."],
        ["日本語", "です", "Python", "の", "本", "。"],
        ["สวัสดี", "ครับ", "hello", "ภาษา", "ไทย"],
        ["", "", "a"],
        ["مرحبا", "بالعالم", "—", "naïve", "café"],
    ],
)
def test_measured_runs_equal_the_joined_text(words):
    # The cue search measures every run of words from prefix sums instead of joining and
    # measuring the text: the figures must be the same, spaces (or none) included.
    spans = _Spans(words)
    for a in range(len(words) + 1):
        for b in range(a, len(words) + 1):
            assert spans.length(a, b) == display_len(join_words(words[a:b])), (a, b)


def test_a_long_sentence_is_cut_into_cues_that_fit_two_lines():
    words = [
        WordTiming(f"word{i % 7}{',' if i % 9 == 8 else ''}", i * 0.3, i * 0.3 + 0.25)
        for i in range(400)
    ] + [WordTiming("end.", 120.0, 120.3)]
    cues = cut_captions(words)
    assert [w for cue in cues for w in cue.words] == words  # every word once, in order
    for cue in cues:
        assert 1 <= len(cue.display_lines) <= 2
        assert all(display_len(line) <= MAX_LINE_CHARS for line in cue.display_lines)
        assert cue.end_s - cue.start_s <= MAX_CUE_S + 1e-9
