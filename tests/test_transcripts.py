"""Transcripts as input (issue 13, item 2): .srt/.vtt → storyboard; YouTube URLs, offline."""

from __future__ import annotations

import re
from pathlib import Path

import av
import pytest

from pipeline.adapters import FORMATS, SUPPORTED_SUFFIXES, read_document
from pipeline.adapters.transcript import (
    TranscriptFetchError,
    read_transcript,
    source_url,
    youtube_video_id,
)
from pipeline.condense import estimate_duration_s
from pipeline.errors import InputError
from pipeline.models import TitleScene

DATA = Path(__file__).parent / "data" / "transcripts"
TALK = DATA / "python-performance-talk.srt"
AUTO = DATA / "espresso-at-home.en.vtt"
TALK_PARTS_S = (68.0, 178.1, 268.1, 353.2, 438.2, 528.9, 567.5)  # tests/data/transcripts/README
AUTO_PARTS_S = (26.0, 66.0, 106.0, 140.0)


def spoken_words(text: str) -> list[str]:
    """Lower-case words without punctuation (how two texts' words are compared)."""
    return re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", text.lower())


def srt_words(path: Path) -> list[str]:
    """Every word of an SRT file's cue text, read without pysubs2 (an independent reading)."""
    words: list[str] = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = block.splitlines()
        assert re.fullmatch(r"\d+", lines[0]) and "-->" in lines[1]
        words += spoken_words(" ".join(lines[2:]))
    return words


def narration_words(spec) -> list[str]:  # type: ignore[no-untyped-def]
    """The words narrated by the section scenes (not the opening title or the outro)."""
    scenes = [s for s in spec.scenes[1:] if isinstance(s, TitleScene)]
    return [w for s in scenes for w in spoken_words(s.narration or "")]


def test_transcripts_are_a_registered_input_format() -> None:
    assert {".srt", ".vtt"} <= set(FORMATS) and {".srt", ".vtt"} <= set(SUPPORTED_SUFFIXES)
    assert FORMATS[".srt"].load_parser().__name__ == "transcript_spec"


def test_long_talk_is_split_into_titled_sections_in_order() -> None:
    transcript = read_transcript(TALK)
    sections = transcript.sections
    starts = [s.start_s for s in sections]
    assert starts == sorted(starts) and 5 <= len(sections) <= 9
    assert abs(transcript.duration_s - 637) < 5  # 10½ minutes
    found = [p for p in TALK_PARTS_S if any(abs(p - s) <= 8.0 for s in starts[1:])]
    invented = [s for s in starts[1:] if not any(abs(p - s) <= 8.0 for p in TALK_PARTS_S)]
    assert len(found) >= 5 and not invented, (starts, found, invented)
    headings = [s.heading for s in sections]
    assert all(headings) and len(set(headings)) == len(headings)
    # a heading is a phrase the section itself says
    for section in sections:
        assert section.heading.lower() in section.text.lower()
    by_start = {round(s.start_s): s.heading for s in sections}
    assert by_start[268] == "Memory" and by_start[353] == "Threads"


def test_no_cue_text_is_lost_before_condensing() -> None:
    loaded = read_document(TALK)
    spec = loaded.spec
    assert narration_words(spec) == srt_words(TALK)
    assert spec.title == "Python performance talk"
    assert spec.scenes[-1].scene_type == "outro"
    # scenes of at most 220 words, each titled by its section's key phrase
    sections = {s.heading for s in read_transcript(TALK).sections}
    middle = [s for s in spec.scenes[1:-1] if isinstance(s, TitleScene)]
    assert {s.title for s in middle} == sections
    assert all(len((s.narration or "").split()) <= 220 for s in middle)


def test_automatic_captions_collapse_rolling_lines_and_drop_annotations() -> None:
    loaded = read_document(AUTO)
    expected = spoken_words((DATA / "espresso-at-home.spoken.txt").read_text(encoding="utf-8"))
    assert narration_words(loaded.spec) == expected  # every word once, in order
    assert any("3 sound annotations" in note for note in loaded.notes)
    assert any("no punctuation" in note for note in loaded.notes)
    transcript = read_transcript(AUTO)
    starts = [s.start_s for s in transcript.sections]
    assert len(starts) >= 3
    assert all(any(abs(p - s) <= 8.0 for p in AUTO_PARTS_S) for s in starts[1:]), starts
    # sentences were ended at pauses: each narration is sentences, capitalised
    for scene in loaded.spec.scenes[1:-1]:
        assert scene.narration[0].isupper() and scene.narration.endswith(".")


def test_duration_condenses_a_transcript_through_the_request(tmp_path: Path) -> None:
    from studio.request import RenderOverrides, build_render_request
    from studio.settings import StudioSettings

    spec = read_document(TALK).spec
    assert estimate_duration_s(spec.scenes) > 400
    request = build_render_request(
        StudioSettings(), spec, overrides=RenderOverrides(duration_s=60), output=tmp_path / "t"
    )
    assert abs(estimate_duration_s(request.spec.scenes) - 60) <= 9
    kept = {getattr(s, "title", "") for s in request.spec.scenes}
    assert len(kept & {s.heading for s in read_transcript(TALK).sections}) >= 3


@pytest.mark.parametrize(
    ("text", "video_id"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ?t=42", "dQw4w9WgXcQ"),
        ("https://m.youtube.com/shorts/abcdefghijk", "abcdefghijk"),
        ("https://www.youtube.com/watch?v=short", None),
        ("https://example.com/watch?v=dQw4w9WgXcQ", None),
    ],
)
def test_youtube_video_ids(text: str, video_id: str | None) -> None:
    assert youtube_video_id(text) == video_id


def test_a_url_survives_being_made_a_path() -> None:
    url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert source_url(Path(url)) == url and source_url(Path("talk.srt")) is None


def test_youtube_url_offline_is_an_input_error_naming_the_url(capsys) -> None:  # type: ignore[no-untyped-def]
    from studio.cli import main

    url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    code = main(["render", url, "--offline"])
    err = capsys.readouterr().err
    assert code == 2
    assert url in err and "offline" in err and ".srt" in err


def test_youtube_url_without_a_network_exits_1_naming_the_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    """No network: every request goes to a closed port on this machine (a refused proxy)."""
    from studio.cli import main

    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    url = "https://youtu.be/dQw4w9WgXcQ"
    with pytest.raises(TranscriptFetchError) as raised:
        read_document(url)
    assert raised.value.exit_code == 1 and url in str(raised.value)
    out = tmp_path / "video.mp4"
    assert main(["render", url, "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert url in err and "internet" in err and not out.exists()


def test_a_url_that_is_not_youtube_is_refused() -> None:
    with pytest.raises(InputError, match="not a YouTube video URL"):
        read_document("https://example.com/talk.html")


def test_broken_transcripts_are_input_errors(tmp_path: Path) -> None:
    empty = tmp_path / "music-only.vtt"
    empty.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:03.000\n[Music]\n", encoding="utf-8")
    with pytest.raises(InputError, match="no spoken text"):
        read_document(empty)
    latin = tmp_path / "latin1.srt"
    latin.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nCaf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8"):
        read_document(latin)


def test_batch_row_with_a_url_offline_is_reported_not_fatal(tmp_path: Path) -> None:
    from studio.batch import plan_batch
    from studio.service import open_studio

    manifest = tmp_path / "videos.csv"
    manifest.write_text(
        "input\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ\n" + str(AUTO) + "\n",
        encoding="utf-8",
    )
    with open_studio(
        tmp_path / "data", tmp_path / "cache", setting_overrides={"offline": True}
    ) as studio:
        batch = plan_batch(studio, manifest)
    bad, good = batch.rows
    assert "offline" in bad.error and bad.line == 2
    assert good.request is not None and good.request.output.name == "espresso-at-home.en.mp4"


@pytest.mark.slow
def test_render_a_transcript_to_40_seconds(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """``videostudio render talk.srt --duration 40`` offline: reopen the MP4 and measure it.

    The condensed storyboard's estimate is 39.8 s (within ±15 %, see the test above); the
    voices speak a talk's comma-rich sentences faster than the condenser's speech-rate model
    (fitted on document narration) predicts: 33.0 s measured with eSpeak NG and with Piper.
    The bound below is the measured shortfall plus a margin, not the ±15 % of documents."""
    from studio.cli import main

    out = tmp_path / "talk.mp4"
    args = ["render", str(TALK), "--duration", "40", "--format", "1:1", "--offline"]
    code = main([*args, "--offline-voice", "espeak", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    with av.open(str(out)) as container:
        duration_s = float(container.duration) / av.time_base
        assert container.streams.video[0].codec_context.width == 1080
        assert len(container.streams.audio) == 1
    assert 0.75 * 40.0 <= duration_s <= 1.15 * 40.0, duration_s
    assert out.with_suffix(".srt").exists()


def test_batch_manifest_mixes_templates_transcripts_and_duration(tmp_path: Path) -> None:
    """A CSV shared by rows of several kinds: ``duration`` is the render option
    ``duration_s``, and an empty ``field.*`` cell is "not given" (the persona template has
    none of the ad template's fields)."""
    from pipeline.condense import estimate_duration_s
    from studio.batch import plan_batch
    from studio.service import open_studio

    manifest = tmp_path / "videos.csv"
    manifest.write_text(
        "input,template,duration,field.product,field.problem,field.benefit_1,field.benefit_2\n"
        f"{TALK},,45,,,,\n"
        ",high_utilization.autopay_setup,,,,,\n"
        ",problem_solution,,Lumen Lamp,eye strain,warm light,USB-C\n",
        encoding="utf-8",
    )
    with open_studio(tmp_path / "data", tmp_path / "cache") as studio:
        batch = plan_batch(studio, manifest)
    assert [row.error for row in batch.rows] == ["", "", ""]
    talk = batch.rows[0].request
    assert talk is not None and abs(estimate_duration_s(talk.spec.scenes) - 45) <= 0.15 * 45


class _FakeTranscript:
    """A listed transcript of the fake API: ``fetch()`` answers the saved cues."""

    def __init__(self, language_code: str, cues: list[tuple[float, float, str]]) -> None:
        self.language_code = language_code
        self.cues = cues

    def fetch(self):  # type: ignore[no-untyped-def]
        import youtube_transcript_api as yt

        snippets = [
            yt.FetchedTranscriptSnippet(text, start, length) for start, length, text in self.cues
        ]
        return yt.FetchedTranscript(snippets, "dQw4w9WgXcQ", "x", self.language_code, False)


def _fake_youtube(
    monkeypatch: pytest.MonkeyPatch, transcripts: list[_FakeTranscript], *, disabled: bool = False
) -> list[str]:
    """Replace ``YouTubeTranscriptApi`` by a fake with the library's own listing API (``list``
    → ``find_transcript`` / iteration → ``fetch``) and its own result and error classes;
    returns the video ids asked for."""
    import youtube_transcript_api as yt

    asked: list[str] = []

    class Listing:
        def __init__(self, video_id: str) -> None:
            self.video_id = video_id

        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter(transcripts)

        def find_transcript(self, codes: list[str]) -> _FakeTranscript:
            for transcript in transcripts:
                if transcript.language_code in codes:
                    return transcript
            raise yt.NoTranscriptFound(self.video_id, codes, self)  # type: ignore[arg-type]

    class FakeApi:
        def __init__(self, http_client: object = None, **_: object) -> None:
            assert http_client is not None  # the studio's session with its timeouts

        def list(self, video_id: str) -> Listing:
            asked.append(video_id)
            if disabled:
                raise yt.TranscriptsDisabled(video_id)
            return Listing(video_id)

    monkeypatch.setattr(yt, "YouTubeTranscriptApi", FakeApi)
    return asked


def test_a_fetched_youtube_transcript_becomes_the_same_storyboard_as_its_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Online path without a network: the fake API answers the saved talk's cues (as the
    library's own snippet objects), in German only, so the fallback to the first listed
    transcript is taken; every spoken word is narrated, in order, as from the .srt file."""
    from pipeline.adapters.transcript import read_cues

    cues = [(c.start_s, c.end_s - c.start_s, c.text) for c in read_cues(TALK)]
    asked = _fake_youtube(monkeypatch, [_FakeTranscript("de", cues)])
    loaded = read_document("https://youtu.be/dQw4w9WgXcQ?t=3")
    assert asked == ["dQw4w9WgXcQ"]
    assert narration_words(loaded.spec) == srt_words(TALK)
    headings = {getattr(s, "title", "") for s in loaded.spec.scenes}
    assert {s.heading for s in read_transcript(TALK).sections} <= headings


def test_a_video_without_transcripts_is_an_input_error_naming_the_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from studio.cli import main

    _fake_youtube(monkeypatch, [], disabled=True)
    url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    out = tmp_path / "v.mp4"
    assert main(["render", url, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert url in err and "TranscriptsDisabled" in err and ".srt" in err and not out.exists()
