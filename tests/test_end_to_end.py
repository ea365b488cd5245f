"""End to end: real documents from ../shared/corpus become MP4s; reopen them and check.

Each render runs once per module (fixtures) and offline (eSpeak NG), so the suite needs no
network. The checks reopen the files with PyAV directly, independently of pipeline.validate.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from pipeline.adapters import load_document
from pipeline.artifacts import DirectoryStore
from pipeline.errors import EncoderUnavailableError
from pipeline.models import VideoFormat
from pipeline.render_job import RenderOptions, RenderResult, render_video

pytestmark = pytest.mark.slow
OFFLINE = RenderOptions(speech_mode="offline")


def _render(doc: Path, tmp: Path, **updates: object) -> RenderResult:
    spec = load_document(doc)
    if updates:
        spec = spec.model_validate({**spec.model_dump(mode="json"), **updates})
    return render_video(spec, tmp / f"{doc.stem}.mp4", DirectoryStore(tmp / "store"), OFFLINE)


@pytest.fixture(scope="module")
def yaml_render(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    tmp = tmp_path_factory.mktemp("yaml")
    return _render(corpus_dir / "video_gen-example_new_scene_types.yaml", tmp)


@pytest.fixture(scope="module")
def readme_render(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    tmp = tmp_path_factory.mktemp("readme")
    return _render(corpus_dir / "pyav-README.md", tmp)


@pytest.fixture(scope="module")
def portrait_render(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    tmp = tmp_path_factory.mktemp("portrait")
    return _render(corpus_dir / "video_gen-example_simple.yaml", tmp, format="9:16")


def _probe(path: Path) -> dict[str, object]:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0]
        info: dict[str, object] = {
            "container_s": float(container.duration) / av.time_base,
            "video_codec": video.codec_context.name,
            "audio_codec": audio.codec_context.name,
            "pix_fmt": video.codec_context.pix_fmt,
            "size": (video.codec_context.width, video.codec_context.height),
            "fps": float(video.average_rate),
            "sample_rate_hz": audio.codec_context.sample_rate,
        }
        n_video = 0
        last_video_end = 0.0
        for frame in container.decode(video):
            n_video += 1
            last_video_end = float(frame.time) + 1 / float(video.average_rate)
        info["n_video_frames"] = n_video
        info["video_s"] = last_video_end
    with av.open(str(path)) as container:
        samples = 0
        rate = container.streams.audio[0].codec_context.sample_rate
        for frame in container.decode(audio=0):
            samples += frame.samples
        info["audio_s"] = samples / rate
    return info


def _assert_valid(result: RenderResult, fmt: VideoFormat) -> dict[str, object]:
    info = _probe(result.output_path)
    assert info["video_codec"] == "h264"
    assert info["audio_codec"] == "aac"
    assert info["pix_fmt"] == "yuv420p"
    assert info["size"] == fmt.size_px
    assert info["fps"] == pytest.approx(30.0)
    assert info["container_s"] == pytest.approx(result.duration_s, abs=0.1)
    assert info["n_video_frames"] == round(result.duration_s * 30)
    # Audio and video within one frame of each other (AAC priming is trimmed by the decoder).
    assert abs(float(info["audio_s"]) - float(info["video_s"])) <= 1 / 30 + 0.025
    assert result.validation.passed
    return info


def _caption_times(text: str) -> list[tuple[float, float]]:
    pattern = re.compile(r"(\d\d):(\d\d):(\d\d)[,.](\d{3}) --> (\d\d):(\d\d):(\d\d)[,.](\d{3})")
    spans = []
    for match in pattern.finditer(text):
        g = [int(x) for x in match.groups()]
        spans.append(
            (
                g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000,
                g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000,
            )
        )
    return spans


def _assert_side_files(result: RenderResult) -> None:
    for path in (result.srt_path, result.vtt_path):
        spans = _caption_times(path.read_text(encoding="utf-8"))
        assert len(spans) >= len(result.scenes), f"too few captions in {path.name}"
        for start, end in spans:
            assert 0 <= start < end <= result.duration_s + 0.001
        assert [s for s, _ in spans] == sorted(s for s, _ in spans)
    assert result.vtt_path.read_text(encoding="utf-8").startswith("WEBVTT")
    with Image.open(result.thumbnail_path) as thumb:
        assert thumb.format == "PNG" and thumb.width >= 320
        assert np.asarray(thumb.convert("L")).std() > 5  # not a blank image
    meta = json.loads(result.metadata_path.read_text(encoding="utf-8"))
    assert meta["encoder"] == result.encoder
    assert len(meta["scenes"]) == len(result.scenes)
    assert meta["duration_s"] == pytest.approx(result.duration_s, abs=1e-3)
    assert meta["versions"]["av"]
    leftovers = [p for p in result.output_path.parent.iterdir() if p.name.startswith(".vs-tmp-")]
    assert leftovers == []
    umask = os.umask(0)
    os.umask(umask)
    for path in (result.output_path, result.thumbnail_path, result.srt_path, result.metadata_path):
        # Outputs get the usual permissions of a new file, not a temporary file's 0600.
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path


def test_yaml_scene_file_renders_valid_mp4(yaml_render: RenderResult):
    info = _assert_valid(yaml_render, VideoFormat.LANDSCAPE)
    assert [s.scene_type for s in yaml_render.scenes] == [
        "title",
        "code_comparison",
        "quote",
        "code_comparison",
        "list",
        "outro",
    ]
    # min_duration 8.0 in the file is honoured.
    assert yaml_render.scenes[1].duration_s >= 8.0
    assert info["n_video_frames"] > 0
    _assert_side_files(yaml_render)


def test_markdown_readme_renders_valid_mp4(readme_render: RenderResult):
    _assert_valid(readme_render, VideoFormat.LANDSCAPE)
    types = {s.scene_type for s in readme_render.scenes}
    assert "title" in types and "outro" in types
    assert types & {"command", "solution"}, "the README's code blocks became code scenes"
    _assert_side_files(readme_render)
    # Audio first: each scene is at least as long as its narration.
    meta = json.loads(readme_render.metadata_path.read_text(encoding="utf-8"))
    for scene in meta["scenes"]:
        assert scene["speech_provider"] == "espeak"


def test_portrait_variant_with_burned_in_captions(portrait_render: RenderResult):
    _assert_valid(portrait_render, VideoFormat.PORTRAIT)
    _assert_side_files(portrait_render)
    meta = json.loads(portrait_render.metadata_path.read_text(encoding="utf-8"))
    assert meta["captions_burned_in"] is True
    assert (meta["width_px"], meta["height_px"]) == (1080, 1920)


def test_second_render_reuses_every_segment(corpus_dir: Path, tmp_path: Path):
    doc = corpus_dir / "video_gen-example_simple.yaml"
    first = _render(doc, tmp_path)
    assert not any(s.segment_cached for s in first.scenes)
    second = _render(doc, tmp_path)
    assert all(s.segment_cached and s.speech_cached for s in second.scenes)
    assert (
        _probe(second.output_path)["n_video_frames"] == _probe(first.output_path)["n_video_frames"]
    )


def test_forcing_nvenc_without_gpu_is_a_clear_error(corpus_dir: Path, tmp_path: Path):
    spec = load_document(corpus_dir / "video_gen-example_simple.yaml")
    with pytest.raises(EncoderUnavailableError) as caught:
        render_video(
            spec,
            tmp_path / "x.mp4",
            DirectoryStore(tmp_path / "s"),
            RenderOptions(encoder="nvenc", speech_mode="offline"),
        )
    assert "nvenc" in str(caught.value).lower()
    assert not (tmp_path / "x.mp4").exists()
