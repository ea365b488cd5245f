"""Memory bounded by design, not by length (issue 11, item 11): the join of a long video holds
one segment open at a time, and validation decodes as a stream. The figures for whole renders
(1, 10, 30 minutes and a 137-page PDF) come from ``benchmarks/memory_bench.py``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from pipeline import avio
from pipeline.speech.base import SAMPLE_RATE_HZ
from pipeline.validate import validate_output

FPS = 30
W, H = 64, 48
N_SEGMENTS = 240  # the chunks of a 16-minute video


class Still:
    """One grey frame."""

    def frame_key(self, t_s: float) -> int:
        return 0

    def frame_at(self, t_s: float) -> np.ndarray:
        return np.full((H, W, 3), 128, np.uint8)


def _open_files_in(folder: Path) -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        count += target.startswith(str(folder))
    return count


def test_join_holds_one_segment_open_at_a_time(tmp_path: Path):
    settings = avio.EncodeSettings(fps=FPS, width_px=W, height_px=H)
    encoder = avio.probe_encoder("x264")
    segments = tmp_path / "segments"
    segments.mkdir()
    first = avio.encode_segment(Still(), 3, settings, encoder, segments / "0000.mp4").path
    paths = [first]
    for index in range(1, N_SEGMENTS):
        paths.append(segments / f"{index:04d}.mp4")
        shutil.copyfile(first, paths[-1])  # identical chunks join like a long still scene
    most_open = [0]

    def watch(fraction: float, message: str) -> None:
        most_open[0] = max(most_open[0], _open_files_in(segments))

    n_frames = 3 * N_SEGMENTS
    audio = np.zeros(round(n_frames / FPS * SAMPLE_RATE_HZ), np.float32)
    out = tmp_path / "long.mp4"
    avio.concat_and_mux(paths, audio, out, fps=FPS, progress=watch)
    assert 1 <= most_open[0] <= 2  # the segment being copied (and the stream template)
    report = validate_output(
        out,
        expected_width_px=W,
        expected_height_px=H,
        expected_fps=FPS,
        expected_duration_s=n_frames / FPS,
    )
    assert report.passed, report.failed
    assert report.decode is not None and report.decode.video_frames == n_frames
