"""Benchmark: loudness of real renders, per target and with each music bed.

Run:  .venv/bin/python benchmarks/loudness.py [--voice espeak|piper]

Renders a short two-scene video (640x360-class 1:1 at 24 fps, two voices) for each case and
prints the integrated loudness and true peak measured on the decoded AAC (ITU-R BS.1770-4 via
FFmpeg's ebur128, 4x oversampled true peak), the error to the target and the wall time.
Targets: every output within 1 LU of its target, true peak at most -1 dBTP.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.artifacts import DirectoryStore
from pipeline.models import build_spec
from pipeline.render_job import RenderOptions, render_video

SPEC = {
    "title": "Loudness check",
    "format": "1:1",
    "fps": 24,
    "scenes": [
        {
            "scene_type": "title",
            "title": "Loudness",
            "narration": "Every video is normalised to the same loudness, with or without music.",
        },
        {
            "scene_type": "list",
            "header": "Targets",
            "items": ["Streaming", "Podcasts", "Broadcast"],
            "voice": "female",
            "narration": "Streaming, podcasts and broadcast each have their own target.",
        },
    ],
}
CASES = [
    (-16.0, None),
    (-14.0, None),
    (-23.0, None),
    (-16.0, "calm"),
    (-16.0, "bright"),
    (-14.0, "pulse"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voice", default=None, help="offline voice: piper or espeak")
    args = parser.parse_args()
    spec = build_spec(SPEC)
    print(f"{'target':>7} {'music':>7} {'LUFS':>7} {'error':>6} {'dBTP':>6} {'wall':>6}")
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="loudness-") as folder:
        store = DirectoryStore(Path(folder) / "store")
        for target, music in CASES:
            started = time.perf_counter()
            result = render_video(
                spec,
                Path(folder) / "out.mp4",
                store,
                RenderOptions(
                    speech_mode="offline",
                    crf=35,
                    loudness_lufs=target,
                    music=music,
                    offline_voice=args.voice,
                ),
            )
            wall = time.perf_counter() - started
            lufs = float(result.audio["integrated_lufs"])  # type: ignore[arg-type]
            peak = float(result.audio["true_peak_dbtp"])  # type: ignore[arg-type]
            worst = max(worst, abs(lufs - target))
            print(
                f"{target:7.1f} {music or '-':>7} {lufs:7.2f} {lufs - target:+6.2f} "
                f"{peak:6.2f} {wall:5.1f}s"
            )
    print(f"largest error to target: {worst:.2f} LU")


if __name__ == "__main__":
    main()
