"""Piper, the offline neural English voice: real synthesis (short), the model checksum, word
timings from its phoneme durations, and the provider registry. Runs offline."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import SpeechError
from pipeline.speech import piper
from pipeline.speech.base import SAMPLE_RATE_HZ, VoiceRef, WordTiming
from pipeline.speech.chain import SpeechEngine
from pipeline.timeline import cut_captions

TEXT = "In 2024, the team shipped 3 releases. Captions follow the voice."


@pytest.fixture(scope="module")
def spoken():
    engine = SpeechEngine("offline", env={"VIDEOSTUDIO_OFFLINE_VOICE": "piper"})
    return engine.synthesize(TEXT, VoiceRef("en", "male"))


def test_english_offline_voice_is_piper_with_a_plausible_duration(spoken):
    assert spoken.provider == "piper"
    assert spoken.voice_id == "en_US-joe-medium"
    assert spoken.sample_rate_hz == SAMPLE_RATE_HZ
    assert spoken.samples.dtype == np.float32
    # 11 written words, 15 spoken ("twenty twenty four", "three"): 3.5–7 s at a normal pace
    assert 3.0 < spoken.duration_s < 7.5
    assert float(np.max(np.abs(spoken.samples))) <= 1.0
    rms = float(np.sqrt(np.mean(spoken.samples.astype(np.float64) ** 2)))
    assert rms > 0.02


def test_the_same_text_always_has_the_same_duration_and_word_timings(spoken):
    # Piper draws phoneme durations with noise unless told not to: a scene's preview and its
    # render (or a resumed job) must time the same narration the same way.
    engine = SpeechEngine("offline", env={"VIDEOSTUDIO_OFFLINE_VOICE": "piper"})
    again = engine.synthesize(TEXT, VoiceRef("en", "male"))
    assert len(again.samples) == len(spoken.samples)
    assert again.words == spoken.words


def test_piper_gives_one_timing_per_written_word_inside_the_clip(spoken):
    words = spoken.words
    assert words is not None
    assert [w.text for w in words] == [
        "In", "2024", "the", "team", "shipped", "3", "releases", "Captions", "follow", "the",
        "voice",
    ]  # fmt: skip
    starts = [w.start_s for w in words]
    assert starts == sorted(starts)
    for w in words:
        assert 0.0 <= w.start_s <= w.end_s <= spoken.duration_s + 1e-6, w
    # "2024" is three spoken words: it lasts much longer than "the" after it
    assert words[1].end_s - words[1].start_s > 3 * (words[2].end_s - words[2].start_s)
    # the sentence pause lies between "releases" and "Captions"
    assert words[7].start_s - words[6].end_s > 0.15
    # each word starts where there is voice, not silence
    for w in words:
        a = int(w.start_s * SAMPLE_RATE_HZ)
        window = spoken.samples[a : a + SAMPLE_RATE_HZ // 10].astype(np.float64)
        assert np.sqrt(np.mean(window**2)) > 0.01, w


def test_captions_come_from_piper_timings(spoken):
    cues = cut_captions(spoken.words or [])
    assert cues[0].text.startswith("In 2024")
    assert cues[-1].text.endswith("voice")
    # the words' times are within the clip (a cue may hold a moment past its last word)
    assert cues[-1].words[-1].end_s <= spoken.duration_s + 1e-6
    assert cut_captions(spoken.words or [], end_limit_s=spoken.duration_s)[-1].end_s <= (
        spoken.duration_s + 1e-6
    )
    assert all(a.start_s < b.start_s for a, b in zip(cues, cues[1:], strict=False))


def test_piper_is_levelled_like_every_clip(spoken):
    assert spoken.loudness_lufs is not None
    assert -22.0 <= spoken.loudness_lufs <= -19.5


def test_female_and_other_languages_fall_to_espeak():
    engine = SpeechEngine("offline", env={})
    assert engine.plan(VoiceRef("en", "female")) == ["espeak"]
    assert engine.plan(VoiceRef("es", "male")) == ["espeak"]
    assert engine.plan(VoiceRef("en", "male_warm")) == ["piper", "espeak"]


def test_a_model_with_another_checksum_is_refused(tmp_path):
    fake = tmp_path / "en_US-joe-medium.onnx"
    fake.write_bytes(b"not the published model")
    with pytest.raises(SpeechError) as info:
        piper.verify_model(fake.read_bytes(), fake)
    assert "SHA-256" in info.value.message and str(fake) in info.value.message
    assert "reinstall" in info.value.hint


def test_checksum_mismatch_falls_back_to_espeak_and_says_why(monkeypatch):
    piper.release_models()
    monkeypatch.setattr(piper, "MODEL_SHA256", "0" * 64)
    engine = SpeechEngine("offline", env={"VIDEOSTUDIO_OFFLINE_VOICE": "piper"})
    audio = engine.synthesize("Checked.", VoiceRef("en", "male"))
    assert audio.provider == "espeak"
    assert any("piper failed" in note and "SHA-256" in note for note in audio.notes)


def test_alignment_patch_exposes_phoneme_durations():
    data = piper.model_path().read_bytes()
    patch = piper.alignment_patch(data)
    assert patch and len(patch) < 64
    assert piper.alignment_patch(data + patch) == b""  # already patched: nothing to add


def test_written_words_align_to_merged_and_split_phoneme_words():
    tokens = ["in", "the", "year", "2024"]
    token_words = [["ɪn"], ["ðə"], ["jɪɹ"], ["twɛnti", "twɛnti", "fɔːɹ"]]
    spoken = [
        ("ɪnðə", 0.0, 0.3),  # eSpeak joins "in the"
        ("jɪɹ", 0.35, 0.6),
        ("twɛnti", 0.7, 1.0),
        ("twɛnti", 1.0, 1.3),
        ("fɔːɹ", 1.3, 1.6),
    ]
    words = piper.align_written_words(tokens, token_words, spoken, 1.7)
    assert words[0] == WordTiming("in", 0.0, pytest.approx(0.15))
    assert words[1].start_s == pytest.approx(0.15) and words[1].end_s == pytest.approx(0.3)
    assert words[2] == WordTiming("year", 0.35, 0.6)
    assert words[3] == WordTiming("2024", 0.7, 1.6)


class _Overlap:
    """A stand-in ONNX session that records how many runs overlap (each waits briefly for
    a partner)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.partner = threading.Event()

    def run(self, output_names, feeds):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            if self.running == 2:
                self.partner.set()
        self.partner.wait(0.5)
        with self.lock:
            self.running -= 1
        return feeds["input"].shape


def _two_runs_at_once(session: piper._Session, ids: int) -> int:
    feeds = {"input": np.zeros((1, ids), np.int64)}
    threads = [threading.Thread(target=session.run, args=(None, feeds)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    return session.session.most


@pytest.mark.parametrize(
    ("limit_mb", "resident", "ids", "expected"),
    [
        (10_000.0, 300.0, 201, 2),  # room for both longest pieces: both cores work
        (500.0, 420.0, 201, 1),  # a long PDF's speech stage: 420 + 2 x 90 MB > 500
        (500.0, None, 201, 1),  # resident memory unknown: the ids budget (one long piece)
        (500.0, None, 90, 2),  # ... which two short pieces fit
    ],
)
def test_inferences_run_side_by_side_only_within_the_memory_limit(
    monkeypatch, limit_mb, resident, ids, expected
):
    monkeypatch.setattr(piper.memory, "resident_mb", lambda: resident)
    session = piper._Session(_Overlap(), limit_mb=limit_mb)
    assert _two_runs_at_once(session, ids) == expected
    assert session.most_at_once == expected
    assert session._in_flight == []  # every run released its share


def test_a_memory_peak_seen_once_keeps_later_inferences_one_at_a_time(monkeypatch):
    # The other scene's thread holds long clips for moments (the 137-page PDF): a low reading
    # right after one must not let two inferences start together.
    readings = iter([480.0])
    monkeypatch.setattr(piper.memory, "resident_mb", lambda: next(readings, 300.0))
    session = piper._Session(_Overlap(), limit_mb=500.0)
    session._sample()  # the 480 MB moment
    assert _two_runs_at_once(session, 90) == 1  # 300 now, but 480 + 2 x 40 MB > 500


class _RecordingRuntime:
    """Stands in for the onnxruntime module: records what each session was made from."""

    def __init__(self) -> None:
        self.made_from: list[object] = []
        self.file_held: list[bytes] = []

    def InferenceSession(self, model, sess_options=None, providers=None):
        self.made_from.append(model)
        if isinstance(model, str):
            self.file_held.append(Path(model).read_bytes())
        return object()


def test_the_voice_session_is_made_from_a_temporary_file_then_deleted():
    """Made from bytes, ONNX Runtime's session keeps them (64 MB) as long as it lives."""
    runtime = _RecordingRuntime()
    piper._session_from_file(runtime, b"patched model", options=None)
    (source,) = runtime.made_from
    assert isinstance(source, str) and runtime.file_held == [b"patched model"]
    assert not Path(source).exists() and not Path(source).parent.exists()


def test_without_a_writable_temporary_folder_the_bytes_are_used(monkeypatch):
    def no_room(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(piper.tempfile, "TemporaryDirectory", no_room)
    runtime = _RecordingRuntime()
    piper._session_from_file(runtime, b"patched model", options=None)
    assert runtime.made_from == [b"patched model"]
