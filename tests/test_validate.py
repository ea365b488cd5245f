"""validate_output on good files and on files broken in the ways real renders break."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from pipeline import avio
from pipeline.errors import OutputValidationError
from pipeline.speech.base import SAMPLE_RATE_HZ
from pipeline.validate import ValidationReport, validate_output

FPS = 30
W, H = 256, 144
N_FRAMES = 60
DURATION_S = N_FRAMES / FPS


class Stripes:
    """A bar that moves every 5 frames over a dark background."""

    def frame_key(self, t_s: float) -> int:
        return round(t_s * FPS) // 5

    def frame_at(self, t_s: float) -> np.ndarray:
        frame = np.full((H, W, 3), 20, np.uint8)
        x = (self.frame_key(t_s) * 16) % W
        frame[:, x : x + 16] = (240, 200, 40)
        return frame


def expect(path: Path, **overrides: float) -> ValidationReport:
    args = {
        "expected_width_px": W,
        "expected_height_px": H,
        "expected_fps": FPS,
        "expected_duration_s": DURATION_S,
    }
    args.update(overrides)
    return validate_output(path, **args)


def failed_names(report) -> set[str]:
    return {check.name for check in report.failed}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("validate")
    encoder = avio.probe_encoder("auto")
    settings = avio.EncodeSettings(fps=FPS, width_px=W, height_px=H)
    segment = avio.encode_segment(Stripes(), N_FRAMES, settings, encoder, folder / "seg.mp4")
    t = np.arange(round(DURATION_S * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    audio = (0.2 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    good = folder / "good.mp4"
    avio.concat_and_mux([segment.path], audio, good, fps=FPS)
    slow = folder / "no_faststart.mp4"
    avio.concat_and_mux([segment.path], audio, slow, fps=FPS, faststart=False)
    return {"good": good, "segment": segment.path, "no_faststart": slow, "folder": folder}


def test_a_good_file_passes_every_check(files):
    report = expect(files["good"])
    assert report.passed, report.failed
    names = {c.name for c in report.checks}
    assert {
        "video is H.264",
        "audio is AAC",
        "pixel format is yuv420p",
        "frame size",
        "frame rate",
        "duration",
        "audio and video end together",
        "decodes without errors",
        "faststart",
    } <= names
    assert report.decode is not None and report.decode.video_frames == N_FRAMES
    report.raise_if_failed()  # does not raise


def test_duration_mismatch_fails_with_both_durations_named(files):
    report = expect(files["good"], expected_duration_s=DURATION_S + 0.5)
    assert failed_names(report) == {"duration"}
    with pytest.raises(OutputValidationError) as info:
        report.raise_if_failed()
    message = str(info.value)
    assert "duration" in message and "2.000 s" in message and "2.500 s" in message


def test_wrong_size_fails(files):
    report = expect(files["good"], expected_width_px=1920, expected_height_px=1080)
    assert failed_names(report) == {"frame size"}
    assert "1920×1080" in report.failed[0].detail


def test_wrong_frame_rate_fails(files):
    report = expect(files["good"], expected_fps=25)
    assert "frame rate" in failed_names(report)


def test_missing_audio_fails(files):
    report = expect(files["segment"])
    assert {"audio is AAC", "audio and video end together", "faststart"} <= failed_names(report)
    with pytest.raises(OutputValidationError, match="no audio track"):
        report.raise_if_failed()


def test_index_at_the_end_fails_faststart(files):
    report = expect(files["no_faststart"])
    assert failed_names(report) == {"faststart"}


def test_truncated_file_fails_to_decode(files, tmp_path):
    data = files["good"].read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    report = expect(cut)
    assert "decodes without errors" in failed_names(report)
    assert report.decode is not None and report.decode.video_frames < N_FRAMES
    with pytest.raises(OutputValidationError, match="decodes without errors"):
        report.raise_if_failed()


def test_corrupt_payload_fails_to_decode(files, tmp_path):
    broken = tmp_path / "broken.mp4"
    shutil.copy(files["good"], broken)
    boxes = dict((kind, (offset, size)) for kind, offset, size in avio.mp4_top_level_boxes(broken))
    offset, size = boxes["mdat"]
    data = bytearray(broken.read_bytes())
    rng = np.random.default_rng(1)
    start = offset + 16
    data[start : start + size // 2] = rng.integers(0, 256, size // 2, dtype=np.uint8).tobytes()
    broken.write_bytes(bytes(data))
    report = expect(broken)
    assert "decodes without errors" in failed_names(report)


def test_not_a_video_and_missing_file_fail_plainly(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    report = expect(junk)
    assert failed_names(report) == {"file is readable"}
    missing = expect(tmp_path / "nope.mp4")
    assert failed_names(missing) == {"file exists"}


LONG_FRAMES = 8 * FPS  # four keyframe intervals: the decode check cuts the video in two


@pytest.fixture(scope="module", params=["ultrafast", "medium"])
def long_file(request, tmp_path_factory) -> Path:
    """Eight seconds of moving stripes with a sine; ``medium`` has B-frames and CABAC."""
    folder = tmp_path_factory.mktemp(f"long-{request.param}")
    encoder = avio.probe_encoder("x264")
    settings = avio.EncodeSettings(fps=FPS, width_px=W, height_px=H, preset=request.param)
    segment = avio.encode_segment(Stripes(), LONG_FRAMES, settings, encoder, folder / "seg.mp4")
    t = np.arange(round(LONG_FRAMES / FPS * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    out = folder / "long.mp4"
    avio.concat_and_mux(
        [segment.path], (0.2 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), out, fps=FPS
    )
    return out


def test_decode_check_in_two_halves_counts_every_frame_once(long_file):
    import av

    with av.open(str(long_file)) as container:
        split = avio._video_split(container)
        time_base = container.streams.video[0].time_base
    assert split is not None and 0 < split * time_base < LONG_FRAMES / FPS
    whole = avio._check_stream(long_file, "video")  # one pass, for comparison
    report = avio.decode_check(long_file)
    assert report.errors == []
    assert report.video_frames == whole.frames == report.expected_video_frames == LONG_FRAMES
    assert report.video_end_s == pytest.approx(whole.end_s) == pytest.approx(LONG_FRAMES / FPS)


@pytest.mark.parametrize("where", [0.25, 0.75])
def test_decode_check_finds_damage_in_either_half(long_file, tmp_path, where):
    import av

    with av.open(str(long_file)) as container:
        stream = container.streams.video[0]
        packets = [(p.pos, p.size) for p in container.demux(stream) if p.size and p.pos]
    pos, size = packets[int(len(packets) * where)]
    while size < 64:  # damage a packet with data to damage (not a repeat of a few bytes)
        packets.remove((pos, size))
        pos, size = packets[int(len(packets) * where)]
    data = bytearray(long_file.read_bytes())
    data[pos + 8 : pos + size] = (
        np.random.default_rng(3).integers(0, 256, size - 8, dtype=np.uint8).tobytes()
    )
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(data))
    report = avio.decode_check(broken)
    assert not report.ok
    assert any(
        "video decode error" in e or "video frames could be decoded" in e for e in report.errors
    )
