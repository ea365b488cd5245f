"""Captions without WordBoundary: word timings aligned to the audio when a provider gives
none (Edge TTS may stop sending WordBoundary events: edge-tts #420, #459)."""

from __future__ import annotations

import io

import av
import edge_tts.communicate
import numpy as np
import pytest

from pipeline.speech.align import align_words_to_audio, syllables
from pipeline.speech.base import SAMPLE_RATE_HZ, VoiceRef
from pipeline.speech.chain import SpeechEngine
from pipeline.speech.edge import EdgeProvider, EdgeReachability, EdgeTimeouts
from pipeline.speech.espeak import EspeakProvider
from pipeline.timeline import estimate_word_timings
from tests.fake_edge_server import FakeEdgeServer

TEXT = (
    "Audio comes first. Write the narration, synthesise speech, and measure every clip. "
    "Then time the scenes to the voice; captions follow it word by word!"
)


def to_mp3(samples: np.ndarray) -> bytes:
    """Speech as Edge sends it: 24 kHz mono MP3."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=24_000, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = SAMPLE_RATE_HZ
        resampler = av.AudioResampler(format="s16p", layout="mono", rate=24_000)
        for converted in resampler.resample(frame):
            for packet in stream.encode(converted):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def reference():
    """eSpeak speech of TEXT with eSpeak's own word events (the ground truth here)."""
    return EspeakProvider().synthesize(TEXT, VoiceRef("en", "male"))


def test_edge_without_word_boundaries_gets_timings_aligned_to_its_audio(monkeypatch, reference):
    with FakeEdgeServer("happy", mp3=to_mp3(reference.samples), words=[]) as server:
        monkeypatch.setattr(edge_tts.communicate, "WSS_URL", server.url)
        edge = EdgeProvider(EdgeTimeouts(first_byte_s=2.0), reachability=EdgeReachability())
        engine = SpeechEngine("online", providers={"edge": edge}, env={})
        audio = engine.synthesize(TEXT, VoiceRef("en", "male"))
    assert audio.provider == "edge"
    assert any("no word timings" in note for note in audio.notes), audio.notes
    words = audio.words
    assert words is not None
    assert [w.text for w in words] == [w.text for w in reference.words or []]
    starts = [w.start_s for w in words]
    assert starts == sorted(starts)
    assert all(0 <= w.start_s <= w.end_s <= audio.duration_s + 1e-6 for w in words)
    # close to the truth everywhere, with no drift towards the end
    truth = [w.start_s for w in reference.words or []]
    errors = np.abs(np.array(starts) - np.array(truth))
    assert errors.mean() < 0.15, errors
    assert errors[-5:].max() < 0.3, errors
    # sentences are pinned to their pauses: the first word after each full stop starts
    # within 0.15 s of where eSpeak says it does
    for index, word in enumerate(reference.words or []):
        if index and TEXT.split()[index - 1].endswith((".", "!", ";")):
            assert abs(starts[index] - word.start_s) < 0.15, word


def test_alignment_beats_an_even_spread(reference):
    aligned = align_words_to_audio(TEXT, reference.samples)
    spread = estimate_word_timings(TEXT, reference.duration_s)
    truth = np.array([w.start_s for w in reference.words or []])
    aligned_error = np.abs(np.array([w.start_s for w in aligned]) - truth).mean()
    spread_error = np.abs(np.array([w.start_s for w in spread]) - truth).mean()
    assert aligned_error < 0.8 * spread_error


def test_no_word_starts_inside_a_long_pause():
    rate = SAMPLE_RATE_HZ
    t = np.arange(rate) / rate
    burst = (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    silence = np.zeros(rate, np.float32)
    samples = np.concatenate([burst, silence, burst, burst])  # "One two." ... "Three four five."
    words = align_words_to_audio("One two. Three four five.", samples)
    assert [w.text for w in words] == ["One", "two", "Three", "four", "five"]
    assert words[1].end_s <= 1.01
    assert words[2].start_s == pytest.approx(2.0, abs=0.02)  # the sentence starts after the pause
    assert words[-1].end_s == pytest.approx(4.0, abs=0.02)


def test_syllable_weights():
    assert syllables("a") == 1
    assert syllables("narration") == 3
    assert syllables("2024") == 6  # digits read as several words
    assert syllables("こんにちは") > 2
