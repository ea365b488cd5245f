"""Benchmark: peak memory and time of the audio path alone for a long video.

Run:  .venv/bin/python benchmarks/audio_memory.py [--minutes 30] [--music calm]

Builds a timeline of narration clips stored on disk (10 s of speech-like audio every 12 s,
as the speech cache holds them), then runs what a render does with them: the streaming mix
(with a ducked music bed if asked), the two-pass mastering to -16 LUFS / -1 dBTP and the AAC
encode muxed with a tiny video (64x64, 1 fps, so the video costs nothing), then decodes the
result once to measure its loudness as validation does. Prints wall time per step, the
loudness measured on the decoded AAC and peak RSS (``ru_maxrss``) after each step.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline import avio
from pipeline.audio.loudness import level_speech
from pipeline.audio.master import master
from pipeline.audio.mix import Mix, MusicSettings, VoiceClip
from pipeline.audio.music import music_source
from pipeline.render.base import FrameSource
from pipeline.speech.base import SAMPLE_RATE_HZ

CLIP_S, EVERY_S = 10.0, 12.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def speechlike(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = round(seconds * SAMPLE_RATE_HZ)
    t = np.arange(n) / SAMPLE_RATE_HZ
    phase = 2 * np.pi * np.cumsum(110 + 30 * rng.random() + 15 * np.sin(t)) / SAMPLE_RATE_HZ
    voice = sum(np.sin(k * phase) / k for k in range(1, 10))
    return (0.2 * voice * np.clip(np.sin(2 * np.pi * 3.7 * t), 0, None) ** 2).astype(np.float32)


class Gray:
    def frame_key(self, t_s: float) -> int:
        return 0

    def frame_at(self, t_s: float) -> np.ndarray:
        return np.full((64, 64, 3), 90, np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--music", default=None, help="bundled bed name or audio file")
    args = parser.parse_args()
    duration_s = args.minutes * 60
    with tempfile.TemporaryDirectory(prefix="audio-memory-") as folder:
        root = Path(folder)
        t0 = time.perf_counter()
        clip = level_speech(speechlike(CLIP_S, 1)).samples
        paths = []
        for i, start in enumerate(np.arange(1.0, duration_s - CLIP_S, EVERY_S)):
            path = root / f"clip{i}.npy"
            np.save(path, clip)
            paths.append((round(start * SAMPLE_RATE_HZ), path))
        clips = [VoiceClip(s, len(clip), lambda p=p: np.load(p)) for s, p in paths]
        print(
            f"{len(clips)} clips of {CLIP_S:g} s on disk: {time.perf_counter() - t0:.1f} s, "
            f"peak RSS {peak_rss_mb():.0f} MB"
        )
        n_samples = round(duration_s * SAMPLE_RATE_HZ)
        music = MusicSettings(music_source(args.music)) if args.music else None
        mix = Mix(n_samples, clips, music)

        t0 = time.perf_counter()
        mastered = master(mix)
        print(
            f"pass 1 (measure): {time.perf_counter() - t0:.1f} s, gain "
            f"{mastered.report.gain_db:+.2f} dB, peak RSS {peak_rss_mb():.0f} MB"
        )

        settings = avio.EncodeSettings(fps=1, width_px=64, height_px=64)
        encoder = avio.probe_encoder("x264")
        segment = root / "video.mp4"
        source: FrameSource = Gray()
        avio.encode_segment(source, round(duration_s), settings, encoder, segment)
        out = root / "out.mp4"
        t0 = time.perf_counter()
        avio.concat_and_mux([segment], mastered, out, fps=1)
        print(
            f"pass 2 (master + AAC encode + mux): {time.perf_counter() - t0:.1f} s, "
            f"peak RSS {peak_rss_mb():.0f} MB"
        )

        t0 = time.perf_counter()
        report = avio.decode_check(out)
        loudness = report.loudness
        assert loudness is not None
        print(
            f"validation decode + meter: {time.perf_counter() - t0:.1f} s, "
            f"peak RSS {peak_rss_mb():.0f} MB"
        )
        print(
            f"audio: {args.minutes:g} min, {mastered.channels} channel(s), "
            f"{loudness.integrated_lufs:.2f} LUFS integrated, "
            f"{loudness.true_peak_dbtp:.2f} dBTP true peak"
        )
        print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
