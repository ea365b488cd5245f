"""The command line: exit codes, messages, and the demo from the README."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from studio.cli import main


def test_bad_input_exits_2_and_names_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    empty = tmp_path / "empty.md"
    empty.write_text("", encoding="utf-8")
    assert main(["render", str(empty), "-o", str(tmp_path / "out.mp4")]) == 2
    err = capsys.readouterr().err
    assert "empty.md" in err
    assert not (tmp_path / "out.mp4").exists()


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["render", str(tmp_path / "nope.md")]) == 2
    assert "nope.md" in capsys.readouterr().err


def test_bad_accent_colour_exits_2(
    corpus_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    code = main(
        [
            "render",
            str(corpus_dir / "video_gen-example_simple.yaml"),
            "--accent",
            "not-a-colour",
            "-o",
            str(tmp_path / "o.mp4"),
        ]
    )
    assert code == 2
    assert "colour" in capsys.readouterr().err


def test_forced_nvenc_exits_1_with_hint(
    corpus_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    code = main(
        [
            "render",
            str(corpus_dir / "video_gen-example_simple.yaml"),
            "--encoder",
            "nvenc",
            "--offline",
            "-o",
            str(tmp_path / "o.mp4"),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "nvenc" in err.lower() and "x264" in err


def test_voices_lists_offline_voices_for_29_languages(capsys: pytest.CaptureFixture[str]):
    assert main(["voices"]) == 0
    out = capsys.readouterr().out
    for lang in ("en", "es", "fr", "de", "ja", "zh", "ar", "hi", "uk", "bn"):
        assert f" {lang} " in out or f"│ {lang}" in out


@pytest.mark.slow
def test_demo_renders_the_bundled_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VIDEOSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["demo", "--offline", "--format", "1:1"]) == 0
    out = tmp_path / "videostudio-demo.mp4"
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.width == 1080
        assert container.streams.video[0].codec_context.height == 1080
        assert container.streams.audio[0].codec_context.name == "aac"
    assert (tmp_path / "videostudio-demo.srt").is_file()
