"""Encoding benchmark: 60 s of 1080p30 in 6 scenes, then concat + mux with 60 s of audio.

The synthetic scenes resemble ours: a gradient background with a title and bullet text drawn
once with Pillow, static for ~85 % of the frames; the first 15 % of each scene animate (a
progress bar grows and a panel fades in), so each of those frames has its own frame key.

Each configuration runs in a fresh subprocess so its peak RSS (``resource.getrusage``) is
its own. Usage::

    /work/venv/bin/python benchmarks/encode_bench.py                  # default matrix
    /work/venv/bin/python benchmarks/encode_bench.py --presets ultrafast --modes parallel
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline import avio  # noqa: E402
from pipeline.speech.base import SAMPLE_RATE_HZ  # noqa: E402

W, H, FPS = 1920, 1080, 30
N_SCENES = 6
SCENE_S = 10.0
ANIMATED_SHARE = 0.15
FONTS = REPO / "resources" / "fonts"


class SyntheticScene:
    """A mostly static slide; the first 15 % of frames animate. Counts draw time."""

    def __init__(self, index: int) -> None:
        self.n_frames = round(SCENE_S * FPS)
        self.n_animated = round(self.n_frames * ANIMATED_SHARE)
        y = np.linspace(0.0, 1.0, H, dtype=np.float32)[:, None, None]
        top = np.array([20 + 30 * index, 30, 60], np.float32)
        bottom = np.array([60, 20 + 20 * index, 120], np.float32)
        background = np.repeat((top * (1 - y) + bottom * y).astype(np.uint8), W, axis=1)
        image = Image.fromarray(background)
        draw = ImageDraw.Draw(image)
        title = ImageFont.truetype(str(FONTS / "DejaVuSans-Bold.ttf"), 84)
        body = ImageFont.truetype(str(FONTS / "DejaVuSans.ttf"), 44)
        draw.text((120, 90), f"Scene {index + 1}: how encoding works", font=title, fill="white")
        for line in range(7):
            draw.text(
                (150, 260 + line * 76),
                f"• Point {line + 1}: frames that do not change are reused, not redrawn",
                font=body,
                fill=(230, 230, 230),
            )
        self.base = np.asarray(image).copy()
        self.draw_s = 0.0

    def frame_key(self, t_s: float) -> int:
        return min(round(t_s * FPS), self.n_animated)

    def frame_at(self, t_s: float) -> np.ndarray:
        started = time.perf_counter()
        k = self.frame_key(t_s)
        a = k / self.n_animated
        frame = self.base.copy()
        frame[900:960, 150 : 150 + int(a * 1600)] = (255, 180, 0)
        panel = frame[700:860, 1100:1800].astype(np.uint16)
        frame[700:860, 1100:1800] = ((panel * (256 - int(a * 200))) >> 8).astype(np.uint8)
        self.draw_s += time.perf_counter() - started
        return frame


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def run_one(preset: str, mode: str) -> dict:
    """Encode 6 scenes with ``mode`` (sequential|parallel), then concat + mux; return figures."""
    encoder = avio.probe_encoder("auto")
    settings = avio.EncodeSettings(fps=FPS, width_px=W, height_px=H, preset=preset, threads=2)
    scenes = [SyntheticScene(i) for i in range(N_SCENES)]
    cpu_started = time.process_time()
    n_total = sum(s.n_frames for s in scenes)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        per_segment: list[float] = []
        if mode == "parallel":
            jobs = [
                avio.SegmentJob(s, s.n_frames, folder / f"seg{i}.mp4") for i, s in enumerate(scenes)
            ]
            infos = avio.encode_segments_parallel(jobs, settings, encoder, max_workers=2)
            per_segment = [i.wall_s for i in infos]
        else:
            infos = []
            for i, scene in enumerate(scenes):
                info = avio.encode_segment(
                    scene, scene.n_frames, settings, encoder, folder / f"seg{i}.mp4"
                )
                infos.append(info)
                per_segment.append(info.wall_s)
        encode_s = time.perf_counter() - started

        t = np.arange(round(n_total / FPS * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
        audio = (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
        started = time.perf_counter()
        out = folder / "out.mp4"
        avio.concat_and_mux([i.path for i in infos], audio, out, fps=FPS)
        mux_s = time.perf_counter() - started
        size_mb = out.stat().st_size / 1e6
    return {
        "preset": preset,
        "mode": mode,
        "encoder": encoder.codec_name,
        "frames": n_total,
        "drawn": sum(i.n_drawn for i in infos),
        "draw_s": sum(s.draw_s for s in scenes),
        "encode_s": encode_s,
        "encode_fps": n_total / encode_s,
        "per_segment_s": per_segment,
        "mux_s": mux_s,
        "total_s": encode_s + mux_s,
        "cpu_s": time.process_time() - cpu_started,
        "size_mb": size_mb,
        "peak_rss_mb": _peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="ultrafast,superfast,veryfast")
    parser.add_argument("--modes", default="sequential,parallel")
    parser.add_argument("--one", nargs=2, metavar=("PRESET", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(*args.one)))
        return
    print(f"60 s of {W}x{H} @ {FPS} fps in {N_SCENES} scenes, {ANIMATED_SHARE:.0%} animated")
    print(
        f"load average before: {os.getloadavg()[0]:.2f} (other work on the cores skews wall times)"
    )
    print(
        f"{'preset':<10} {'mode':<10} {'encoder':<8} {'encode s':>8} {'fps':>6} "
        f"{'draw s':>6} {'mux s':>6} {'total s':>7} {'CPU s':>6} {'MB':>5} {'RSS MB':>6}  per segment s"
    )
    for preset in args.presets.split(","):
        for mode in args.modes.split(","):
            child = subprocess.run(
                [sys.executable, __file__, "--one", preset, mode],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(child.stdout.strip().splitlines()[-1])
            segs = " ".join(f"{s:.2f}" for s in r["per_segment_s"])
            print(
                f"{r['preset']:<10} {r['mode']:<10} {r['encoder']:<8} {r['encode_s']:>8.2f} "
                f"{r['encode_fps']:>6.0f} {r['draw_s']:>6.2f} {r['mux_s']:>6.2f} "
                f"{r['total_s']:>7.2f} {r['cpu_s']:>6.2f} {r['size_mb']:>5.1f} {r['peak_rss_mb']:>6.0f}  {segs}",
                flush=True,
            )


if __name__ == "__main__":
    main()
