"""Export for video editors: an OpenTimelineIO timeline (and its .otioz bundle and FCP7 XML)
read back with opentimelineio matches the render clip for clip."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio
import pytest

from pipeline import avio
from pipeline.errors import InputError
from pipeline.export import export_for_editors
from pipeline.models import build_spec
from studio.request import RenderOverrides
from studio.service import Studio


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export")
    spec = build_spec(
        {
            "title": "Export",
            "scenes": [
                {"scene_type": "title", "title": "Export", "narration": "A timeline for editors."},
                {
                    "scene_type": "list",
                    "header": "Steps",
                    "items": ["Render", "Export", "Edit"],
                    "narration": "First render. Then export. Then edit in your editor.",
                },
                {"scene_type": "outro", "main_text": "Done", "narration": "That is all."},
            ],
        }
    )
    with Studio(root / "data", root / "cache") as studio:
        request = studio.make_request(
            spec,
            overrides=RenderOverrides(offline=True, exports=("otio",), music="calm"),
            output=root / "out" / "export.mp4",
        )
        studio.render(request)
    return root / "out" / "export.mp4"


def _decode(path: Path, channels: int) -> np.ndarray:
    return np.concatenate(list(avio.iter_audio_file(path, channels=channels)), axis=1)


def _frames(path: Path) -> int:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sum(1 for packet in container.demux(stream) if packet.pts is not None)


def test_otio_timeline_matches_the_render(exported: Path) -> None:
    meta = json.loads(exported.with_name("export.metadata.json").read_text(encoding="utf-8"))
    timeline = otio.adapters.read_from_file(str(exported.with_suffix(".otio")))
    video_track = timeline.video_tracks()[0]
    clips = list(video_track.find_clips())
    assert len(clips) == len(meta["scenes"]) == 3
    fps = meta["fps"]
    for clip, scene in zip(clips, meta["scenes"], strict=True):
        frames = round(scene["duration_s"] * fps)
        assert clip.source_range.duration.to_frames() == frames
        media = Path(clip.media_reference.target_url.removeprefix("file://"))
        assert media.is_file() and _frames(media) == frames
        assert clip.metadata["videostudio"]["scene_type"] == scene["scene_type"]
    assert timeline.duration().to_frames() == meta["n_frames"]
    # narration and music on audio tracks of their own, each as long as the video
    assert [track.name for track in timeline.audio_tracks()] == ["Narration", "Music"]
    stems = {}
    for track in timeline.audio_tracks():
        (clip,) = list(track.find_clips())
        assert clip.source_range.duration.to_frames() == meta["n_frames"]
        stems[track.name] = Path(clip.media_reference.target_url.removeprefix("file://"))
    narration = _decode(stems["Narration"], 1)
    music = _decode(stems["Music"], 2)
    n_samples = round(meta["duration_s"] * 48_000)
    assert abs(narration.shape[1] - n_samples) <= 2048 and abs(music.shape[1] - n_samples) <= 2048
    # together they are the mix the video carries (before its limiter): same loudness
    n = min(narration.shape[1], music.shape[1])
    together = avio.measure_loudness(music[:, :n] + narration[:, :n])
    assert together.integrated_lufs is not None
    assert abs(together.integrated_lufs - meta["audio"]["integrated_lufs"]) < 1.0
    assert avio.measure_loudness(narration).integrated_lufs > together.integrated_lufs - 6
    cues = exported.with_suffix(".srt").read_text(encoding="utf-8").count(" --> ")
    assert len(video_track.markers) == cues > 0


def test_otioz_bundles_the_media_and_fcp_xml_reads_back(exported: Path, tmp_path: Path) -> None:
    """Both other files read back with opentimelineio match the render clip for clip: the
    .otioz's clips point at media inside the bundle (the same bytes as the export's scene
    files, each as many frames as its scene), the FCP7 XML's at the export's scene files."""
    meta = json.loads(exported.with_name("export.metadata.json").read_text(encoding="utf-8"))
    frames = [round(scene["duration_s"] * meta["fps"]) for scene in meta["scenes"]]
    timeline = otio.adapters.read_from_file(str(exported.with_suffix(".otio")))
    scene_files = [
        Path(clip.media_reference.target_url.removeprefix("file://"))
        for clip in timeline.video_tracks()[0].find_clips()
    ]
    with zipfile.ZipFile(exported.with_suffix(".otioz")) as bundle:
        names = bundle.namelist()
        assert sum(1 for n in names if n.startswith("media/") and n.endswith(".mp4")) == 3
        assert any(n.endswith(".m4a") for n in names)
        (tmp_path / "x").mkdir()
        bundled = otio.adapters.read_from_file(
            str(exported.with_suffix(".otioz")), extract_to_directory=str(tmp_path / "x")
        )
        clips = list(bundled.video_tracks()[0].find_clips())
        assert [c.source_range.duration.to_frames() for c in clips] == frames
        for clip, scene_file in zip(clips, scene_files, strict=True):
            inside = clip.media_reference.target_url
            assert inside == f"media/{scene_file.name}"
            assert bundle.read(inside) == scene_file.read_bytes()
            assert _frames(tmp_path / "x" / inside) == clip.source_range.duration.to_frames()
        for track in bundled.audio_tracks():
            (clip,) = list(track.find_clips())
            assert clip.media_reference.target_url in names
    premiere = otio.adapters.read_from_file(
        str(exported.with_name("export.fcp.xml")), adapter_name="fcp_xml"
    )
    clips = list(premiere.video_tracks()[0].find_clips())
    assert [c.source_range.duration.to_frames() for c in clips] == frames
    assert [Path(c.media_reference.target_url.removeprefix("file://")) for c in clips] == (
        scene_files
    )
    assert premiere.duration().to_frames() == meta["n_frames"]
    assert len(premiere.audio_tracks()) == 2  # narration and music


def test_export_without_metadata_is_an_input_error(tmp_path: Path) -> None:
    video = tmp_path / "other.mp4"
    video.write_bytes(b"not a render")
    with pytest.raises(InputError, match="metadata"):
        export_for_editors(video)


def test_a_render_that_kept_no_stems_exports_its_mixed_sound(
    exported: Path, tmp_path: Path
) -> None:
    """Stem files of another render beside the video are never used: only what this render's
    metadata lists."""
    video = tmp_path / exported.name
    video.write_bytes(exported.read_bytes())
    meta = json.loads(exported.with_name("export.metadata.json").read_text(encoding="utf-8"))
    for name in meta["audio"].pop("stems").values():
        (tmp_path / name).write_bytes(exported.with_name(name).read_bytes())  # stale files
    (tmp_path / "export.metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    (tmp_path / "export.srt").write_bytes(exported.with_suffix(".srt").read_bytes())
    result = export_for_editors(video)
    timeline = otio.adapters.read_from_file(str(result.otio))
    assert [track.name for track in timeline.audio_tracks()] == ["Narration and music"]
    assert result.stems == ()


@pytest.mark.parametrize(
    "command", [["render", "doc.md"], ["queue", "add", "doc.md"], ["batch", "v.csv"]]
)
def test_export_otio_is_a_render_option_of_every_command(command: list[str]) -> None:
    """``--export otio`` reaches the one render request from ``render``, ``queue add`` and
    ``batch`` alike; anything but ``otio`` is refused by the parser."""
    from studio.cli import build_parser, render_overrides

    parser = build_parser()
    assert render_overrides(parser.parse_args([*command, "--export", "otio"])).exports == ("otio",)
    assert render_overrides(parser.parse_args(command)).exports is None
    with pytest.raises(SystemExit):
        parser.parse_args([*command, "--export", "edl"])
