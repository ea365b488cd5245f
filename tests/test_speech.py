"""Speech: eSpeak NG offline synthesis, the voice table, Edge TTS against a local fake
service, and the fallback chain. Runs offline."""

from __future__ import annotations

import io
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import av
import edge_tts.communicate
import numpy as np
import pytest

from pipeline.errors import SpeechError
from pipeline.speech.base import SAMPLE_RATE_HZ, SpeechAudio, VoiceRef, WordTiming
from pipeline.speech.chain import SpeechEngine, offline_forced
from pipeline.speech.edge import (
    EdgeProvider,
    EdgeReachability,
    EdgeTimeouts,
    edge_voice_id,
    is_edge_voice_id,
)
from pipeline.speech.espeak import EspeakProvider, espeak_voice_id
from pipeline.speech.voices import (
    NAMED_VOICES,
    VOICE_TABLE,
    list_voices,
    normalize_language,
)
from pipeline.speech.wordtimes import WordEvent, word_timings
from tests.fake_edge_server import FakeEdgeServer, FakeWord

ESPEAK_FIRST = {"VIDEOSTUDIO_OFFLINE_VOICE": "espeak"}

SENTENCE_20 = (
    "The committee reviewed every proposal carefully before choosing the three projects "
    "that will receive funding during the whole coming year."
)


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples.astype(np.float64))))) if len(samples) else 0.0


def assert_valid_audio(audio: SpeechAudio, *, min_s: float, max_s: float) -> None:
    assert audio.sample_rate_hz == SAMPLE_RATE_HZ
    assert audio.samples.dtype == np.float32
    assert audio.samples.ndim == 1
    assert min_s <= audio.duration_s <= max_s, audio.duration_s
    assert rms(audio.samples) > 0.01
    assert float(np.max(np.abs(audio.samples))) <= 1.0


def assert_valid_words(words: list[WordTiming] | None, duration_s: float) -> None:
    assert words
    starts = [w.start_s for w in words]
    assert starts == sorted(starts)
    for w in words:
        assert 0.0 <= w.start_s <= w.end_s <= duration_s + 1e-6, w
        assert w.text


@pytest.fixture(scope="module")
def espeak() -> EspeakProvider:
    return EspeakProvider()


# --- eSpeak NG ---------------------------------------------------------------------------


def test_espeak_english_sentence_has_plausible_duration_and_word_timings(espeak):
    assert len(SENTENCE_20.split()) == 20
    audio = espeak.synthesize(SENTENCE_20, VoiceRef("en", "male"))
    assert audio.provider == "espeak"
    assert audio.voice_id == "en-us"
    assert_valid_audio(audio, min_s=3.0, max_s=12.0)
    assert_valid_words(audio.words, audio.duration_s)
    assert audio.words is not None
    assert [w.text for w in audio.words] == [w.strip(".,") for w in SENTENCE_20.split()]
    # times come from eSpeak's word events: they spread over the clip, not bunched up
    assert audio.words[0].start_s < 0.2
    assert audio.words[-1].start_s > 0.7 * audio.duration_s
    assert audio.words[-1].end_s == pytest.approx(audio.duration_s, abs=0.3)
    assert audio.notes == []


def test_espeak_word_starts_fall_on_speech_onsets(espeak):
    """Each word event time is where the audio actually has sound (not silence)."""
    audio = espeak.synthesize("One. Two. Three.", VoiceRef("en", "male"))
    assert audio.words is not None and len(audio.words) == 3
    for word in audio.words:
        begin = int(word.start_s * SAMPLE_RATE_HZ)
        window = audio.samples[begin : begin + SAMPLE_RATE_HZ // 5]
        assert rms(window) > 0.01, word
    # sentence pauses: word ends come from clause ends, before the next word starts
    assert audio.words[0].end_s < audio.words[1].start_s


def test_espeak_female_voice_differs_from_male(espeak):
    male = espeak.synthesize("Good morning and welcome.", VoiceRef("en", "male"))
    female = espeak.synthesize("Good morning and welcome.", VoiceRef("en", "female"))
    assert female.voice_id == "en-us+f3"
    assert len(male.samples) != len(female.samples) or not np.array_equal(
        male.samples, female.samples
    )
    assert_valid_audio(female, min_s=0.8, max_s=4.0)


def test_espeak_is_repeatable(espeak):
    """eSpeak is not sample-exact between calls (a few ms of jitter), but close."""
    a = espeak.synthesize("Repeatable output.", VoiceRef("de", "male"))
    b = espeak.synthesize("Repeatable output.", VoiceRef("de", "male"))
    assert b.duration_s == pytest.approx(a.duration_s, rel=0.03)
    assert [w.text for w in a.words or []] == [w.text for w in b.words or []]


@pytest.mark.parametrize(
    ("language", "text", "min_words"),
    [
        ("es", "Hola mundo, esto es una prueba de voz.", 7),
        ("de", "Guten Tag, das ist ein kurzer Test.", 7),
        ("ja", "こんにちは、世界。今日はいい天気です。", 2),
        ("zh", "你好世界。今天天气很好。", 3),
        ("ru", "Привет мир, как дела?", 4),
    ],
)
def test_espeak_speaks_other_languages(espeak, language, text, min_words):
    audio = espeak.synthesize(text, VoiceRef(language, "female"))
    assert_valid_audio(audio, min_s=0.5, max_s=15.0)
    assert_valid_words(audio.words, audio.duration_s)
    assert audio.words is not None and len(audio.words) >= min_words
    spoken = "".join(w.text for w in audio.words)
    assert spoken == "".join(ch for ch in text if ch.isalnum())


def test_espeak_empty_text_is_silence_not_an_error(espeak):
    for text in ("", "   \n\t "):
        audio = espeak.synthesize(text, VoiceRef("en", "male"))
        assert audio.duration_s == 0.0
        assert audio.words == []


def test_espeak_unknown_language_raises_with_hint(espeak):
    with pytest.raises(SpeechError) as info:
        espeak.synthesize("Hello.", VoiceRef("xx", "male"))
    assert "xx" in info.value.message
    assert "en" in info.value.hint and "ja" in info.value.hint


def test_espeak_accepts_raw_voice_id_and_other_languages(espeak):
    raw = espeak.synthesize("Hello there.", VoiceRef("en", "en-gb+m3"))
    assert raw.voice_id == "en-gb+m3"
    assert_valid_audio(raw, min_s=0.3, max_s=4.0)
    afrikaans = espeak.synthesize("Goeie more.", VoiceRef("af", "male"))  # not in the table
    assert afrikaans.voice_id == "af"
    assert_valid_audio(afrikaans, min_s=0.3, max_s=4.0)


def test_espeak_is_thread_safe(espeak):
    jobs = [
        ("The first thread speaks English.", VoiceRef("en", "male")),
        ("El segundo hilo habla español.", VoiceRef("es", "female")),
        ("Der dritte Faden spricht Deutsch.", VoiceRef("de", "male")),
    ] * 2
    expected = [espeak.synthesize(text, voice) for text, voice in jobs]
    barrier = threading.Barrier(3)

    def run(job: tuple[str, VoiceRef]) -> SpeechAudio:
        barrier.wait(timeout=10)  # start each batch of three together
        return espeak.synthesize(*job)

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(run, jobs))
    for got, want in zip(results, expected, strict=True):
        assert got.voice_id == want.voice_id
        assert got.duration_s == pytest.approx(want.duration_s, rel=0.05)
        assert [w.text for w in got.words or []] == [w.text for w in want.words or []]
        assert_valid_audio(got, min_s=1.0, max_s=6.0)


def test_espeak_real_time_factor_is_small(espeak):
    paragraph = " ".join([SENTENCE_20] * 5)
    start = time.perf_counter()
    audio = espeak.synthesize(paragraph, VoiceRef("en", "male"))
    elapsed = time.perf_counter() - start
    assert audio.duration_s > 20
    assert elapsed / audio.duration_s < 0.5


# --- word timing alignment ---------------------------------------------------------------


def test_word_timings_interpolate_words_without_events():
    text = "alpha beta — gamma delta"
    events = [WordEvent(0, 0.0), WordEvent(6, 0.5), WordEvent(19, 1.5)]  # no event for gamma
    words = word_timings(text, events, [2.0], 2.2)
    assert [w.text for w in words] == ["alpha", "beta", "gamma", "delta"]  # "—" dropped
    assert words[2].start_s == pytest.approx(0.5 + (13 - 6) / (19 - 6) * 1.0)
    assert words[-1].end_s == pytest.approx(2.0)
    assert words[0].end_s == pytest.approx(0.5)


def test_word_timings_split_scripts_without_spaces_at_events():
    text = "你好世界。今天"
    words = word_timings(
        text,
        [WordEvent(0, 0.0), WordEvent(2, 0.4), WordEvent(5, 1.0)],
        [],
        1.5,
        split_by_events=True,
    )
    assert [(w.text, w.start_s) for w in words] == [("你好", 0.0), ("世界", 0.4), ("今天", 1.0)]


def test_word_timings_without_events_are_estimated_over_the_clip():
    words = word_timings("one two three", [], [], 3.0)
    assert [w.text for w in words] == ["one", "two", "three"]
    assert words[0].start_s == 0.0 and words[-1].end_s == 3.0


# --- voice table -------------------------------------------------------------------------

VIDEO_GEN_LANGUAGES = (
    "en es fr de it pt nl ru ja zh ko ar hi pl tr sv da no fi el he cs hu ro th vi id uk bn"
).split()


def test_voice_table_covers_video_gen_languages():
    assert len(VIDEO_GEN_LANGUAGES) == 29
    for code in VIDEO_GEN_LANGUAGES:
        assert normalize_language(code) in VOICE_TABLE, code
    assert normalize_language("no") == "nb"
    assert normalize_language("pt_BR") == "pt"
    assert normalize_language("EN-gb") == "en"


def test_every_espeak_table_voice_exists_in_bundled_data(espeak):
    rows = [r for r in list_voices() if r.provider == "espeak"]
    assert len(rows) == len(NAMED_VOICES) * len(VOICE_TABLE)
    missing = [r.voice_id for r in rows if not espeak.has_voice(r.voice_id)]
    assert missing == []
    assert all(r.offline for r in rows)


def test_every_edge_table_voice_is_a_short_name_of_its_language():
    rows = [r for r in list_voices() if r.provider == "edge"]
    assert len(rows) == len(NAMED_VOICES) * len(VOICE_TABLE)
    for row in rows:
        assert is_edge_voice_id(row.voice_id), row
        assert row.voice_id.split("-")[0] == row.language, row
        assert not row.offline
    males = {r.voice_id for r in rows if r.name == "male"}
    females = {r.voice_id for r in rows if r.name == "female"}
    assert not males & females


def test_voice_resolution_rules():
    assert edge_voice_id(VoiceRef("en", "female")) == "en-US-AriaNeural"
    assert edge_voice_id(VoiceRef("en", "en-GB-SoniaNeural")) == "en-GB-SoniaNeural"
    assert espeak_voice_id(VoiceRef("en", "en-GB-SoniaNeural")) == "en-us"
    assert espeak_voice_id(VoiceRef("", "de-DE-KatjaNeural")) == "de"
    assert espeak_voice_id(VoiceRef("zh", "Female")) == "cmn+f3"
    assert espeak_voice_id(VoiceRef("en", "en-gb")) == "en-gb"
    with pytest.raises(SpeechError):
        edge_voice_id(VoiceRef("en", "en-gb"))  # an eSpeak id is not an Edge voice
    with pytest.raises(SpeechError):
        edge_voice_id(VoiceRef("xx", "male"))


# --- Edge TTS against a local fake service -----------------------------------------------


def make_mp3(duration_s: float = 1.0, rate_hz: int = 24_000) -> bytes:
    """A mono MP3 of a 440 Hz tone (what Edge sends: 24 kHz mono MP3)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate_hz, layout="mono")
        n = int(duration_s * rate_hz)
        t = np.arange(n) / rate_hz
        tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(tone, format="flt", layout="mono")
        frame.sample_rate = rate_hz
        frame.pts = 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


@pytest.fixture
def point_edge_at(monkeypatch):
    def _point(server: FakeEdgeServer) -> None:
        monkeypatch.setattr(edge_tts.communicate, "WSS_URL", server.url)

    return _point


def fast_engine(first_byte_s: float = 1.0) -> SpeechEngine:
    edge = EdgeProvider(
        EdgeTimeouts(first_byte_s=first_byte_s, base_total_s=3.0), reachability=EdgeReachability()
    )
    return SpeechEngine("auto", providers={"edge": edge}, env=ESPEAK_FIRST)


def test_edge_happy_path_decodes_audio_and_word_boundaries(point_edge_at, monkeypatch, tmp_path):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    words = [FakeWord("Hello", 0.1, 0.3), FakeWord("world", 0.45, 0.4)]
    with FakeEdgeServer("happy", mp3=make_mp3(1.0), words=words) as server:
        point_edge_at(server)
        provider = EdgeProvider(EdgeTimeouts(first_byte_s=2.0), reachability=EdgeReachability())
        audio = provider.synthesize("Hello world", VoiceRef("en", "female"))
    assert audio.provider == "edge"
    assert audio.voice_id == "en-US-AriaNeural"
    assert "(en-US, AriaNeural)" in server.ssml_received[0]
    assert "Hello world" in server.ssml_received[0]
    assert_valid_audio(audio, min_s=0.95, max_s=1.15)
    assert audio.words == [
        WordTiming("Hello", pytest.approx(0.1), pytest.approx(0.4)),
        WordTiming("world", pytest.approx(0.45), pytest.approx(0.85)),
    ]
    assert list(tmp_path.iterdir()) == []  # the temporary MP3 folder is gone


def test_engine_uses_edge_when_reachable(point_edge_at):
    with FakeEdgeServer("happy", mp3=make_mp3(0.5), words=[FakeWord("Hi", 0.0, 0.2)]) as server:
        point_edge_at(server)
        engine = fast_engine()
        assert engine.plan(VoiceRef()) == ["edge", "espeak", "piper"]
        audio = engine.synthesize("Hi", VoiceRef("de", "male"))
    assert audio.provider == "edge"
    assert audio.voice_id == "de-DE-ConradNeural"
    assert audio.notes == []


def test_edge_undecodable_audio_falls_back_and_leaves_no_files(
    point_edge_at, monkeypatch, tmp_path
):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    with FakeEdgeServer("happy", mp3=b"not an mp3 at all" * 50) as server:
        point_edge_at(server)
        engine = fast_engine()
        audio = engine.synthesize("Broken audio.", VoiceRef("en", "male"))
    assert audio.provider == "espeak"
    assert any("could not be decoded" in note for note in audio.notes), audio.notes
    assert list(tmp_path.iterdir()) == []
    # a bad answer is not a connection failure: Edge stays eligible
    assert engine.provider("edge").unavailable_reason() is None


@pytest.mark.parametrize("mode", ["http500", "close"])
def test_edge_failure_falls_back_to_espeak_quickly(point_edge_at, mode):
    with FakeEdgeServer(mode) as server:
        point_edge_at(server)
        engine = fast_engine(first_byte_s=2.0)
        start = time.monotonic()
        audio = engine.synthesize("The network answered badly.", VoiceRef("en", "male"))
        elapsed = time.monotonic() - start
        first_connections = server.connections
        assert 1 <= first_connections <= 2  # aiohttp may retry a dropped GET once
        assert elapsed < 1.5
        assert audio.provider == "espeak"
        assert any("edge failed" in note for note in audio.notes), audio.notes
        assert_valid_audio(audio, min_s=0.8, max_s=5.0)
        # the failure is remembered: the next scene does not try Edge again
        second = engine.synthesize("Second scene.", VoiceRef("en", "male"))
        assert server.connections == first_connections
        assert second.provider == "espeak"
        assert any("edge skipped" in note for note in second.notes)
        assert engine.plan(VoiceRef()) == ["espeak", "piper"]


def test_edge_hang_falls_back_within_the_bound(point_edge_at):
    with FakeEdgeServer("hang") as server:
        point_edge_at(server)
        engine = fast_engine(first_byte_s=1.0)
        start = time.monotonic()
        audio = engine.synthesize("Nobody answers.", VoiceRef("fr", "female"))
        elapsed = time.monotonic() - start
        assert server.connections == 1
        assert 0.9 <= elapsed < 2.5
        assert audio.provider == "espeak"
        assert audio.voice_id == "fr+f3"
        assert any("no answer within 1 s" in note for note in audio.notes), audio.notes
        start = time.monotonic()
        second = engine.synthesize("Still nobody.", VoiceRef("fr", "female"))
        assert time.monotonic() - start < 0.5
        assert second.provider == "espeak"


def test_online_mode_raises_instead_of_falling_back(point_edge_at):
    with FakeEdgeServer("http500") as server:
        point_edge_at(server)
        edge = EdgeProvider(EdgeTimeouts(first_byte_s=1.0), reachability=EdgeReachability())
        engine = SpeechEngine("online", providers={"edge": edge}, env={})
        with pytest.raises(SpeechError, match="HTTP 500"):
            engine.synthesize("Must be Edge.", VoiceRef("en", "male"))


def test_reachability_expires():
    now = [100.0]
    record = EdgeReachability(retry_after_s=60.0, clock=lambda: now[0])
    record.mark_unavailable("down")
    assert record.unavailable_reason() == "down"
    now[0] += 61.0
    assert record.unavailable_reason() is None


# --- chain: offline mode and the environment ---------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to resolve a name or open a connection is recorded and fails."""
    attempts: list[str] = []

    def refuse(*args, **kwargs):
        attempts.append(repr(args[:2]))
        raise OSError("network use is forbidden in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_offline_mode_never_opens_a_socket(no_network):
    engine = SpeechEngine("offline", env=ESPEAK_FIRST)
    assert engine.plan(VoiceRef()) == ["espeak", "piper"]
    audio = engine.synthesize("Offline narration only.", VoiceRef("en", "male"))
    assert audio.provider == "espeak"
    assert audio.notes == []
    assert no_network == []


def test_offline_environment_variable_forces_offline(no_network):
    env = {"VIDEOSTUDIO_OFFLINE": "1", **ESPEAK_FIRST}
    assert offline_forced(env)
    assert not offline_forced({"VIDEOSTUDIO_OFFLINE": "0"})
    engine = SpeechEngine("auto", env=env)
    assert engine.mode == "offline"
    audio = engine.synthesize("Forced offline.", VoiceRef("es", "male"))
    assert audio.provider == "espeak"
    assert any("VIDEOSTUDIO_OFFLINE" in note for note in audio.notes)
    assert no_network == []


def test_engine_empty_text_is_silence(no_network):
    audio = fast_engine().synthesize("  ", VoiceRef())
    assert audio.provider == "silence"
    assert audio.duration_s == 0.0
    assert no_network == []


def test_engine_espeak_voice_id_skips_edge(no_network):
    engine = fast_engine()
    assert engine.plan(VoiceRef("en", "en-gb")) == ["espeak"]
    audio = engine.synthesize("British English.", VoiceRef("en", "en-gb"))
    assert audio.provider == "espeak" and audio.voice_id == "en-gb"
    assert any("edge skipped" in note for note in audio.notes)
    assert no_network == []


def test_engine_unknown_language_is_a_speech_error_with_hint(no_network):
    with pytest.raises(SpeechError) as info:
        fast_engine().synthesize("Hello.", VoiceRef("xx", "male"))
    assert "en" in info.value.hint
    assert no_network == []


def test_cache_key_parts_name_everything_that_shapes_audio():
    engine = SpeechEngine("offline", env={})
    key = engine.cache_key_parts("Hello.", VoiceRef("en", "female"))  # Piper has no female
    assert key["provider"] == "espeak"
    assert key["voice_id"] == "en-us+f3"
    assert key["library"].startswith("espeak-ng 1.")
    assert key["text"] == "Hello."
    assert key["sample_rate_hz"] == "48000"
    edge_key = engine.cache_key_parts("Hello.", VoiceRef("en", "female"), provider="edge")
    assert edge_key["voice_id"] == "en-US-AriaNeural"
    assert edge_key["library"].startswith("edge-tts ")
    assert edge_key != key
    assert engine.cache_key_parts("Hello.", VoiceRef("en", "male")) != key
    assert engine.cache_key_parts("", VoiceRef())["provider"] == "silence"
