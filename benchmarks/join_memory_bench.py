"""Benchmark: peak memory of mastering, joining and validating a video as long as the 137-page
PDF case, without encoding it (which takes about an hour of both cores on the 2-core machine).

Run:  nice -n 10 .venv/bin/python benchmarks/join_memory_bench.py              (137 pages)
      .venv/bin/python benchmarks/join_memory_bench.py --pages 4              (quick look)

The PDF case of ``memory_bench.py`` is read (``long_pdf``), voiced with eSpeak NG and timed as
``render_video`` would; then, as ``render_video`` calls them: mastering pass 1 over the whole
mix (:func:`pipeline.audio.master.master`), the join of the video's chunks with the mastered
narration encoded to AAC as a stream (:func:`pipeline.avio.concat_and_mux`), and the check
that decodes every frame (:func:`pipeline.validate.validate_output`). The chunks are one real
4-second chunk of the PDF's second scene (1080p, captions on) hard-linked as many times as the
video has chunks, so the file has the real length and packet count at no encoding cost.

Prints the highest RSS seen in each step (sampled every 20 ms) and the process's peak
(``ru_maxrss``). Target: <= 600 MB (issue 11).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from memory_bench import TARGET_MB, _rss_mb  # noqa: E402  (benchmarks/ is on the path)


def run(pages: int, work: Path) -> None:
    """Measure the steps on the PDF case cut to ``pages`` pages, files in ``work``."""
    from memory_bench import long_pdf

    from pipeline import avio, memory
    from pipeline.adapters import load_document
    from pipeline.artifacts import DirectoryStore
    from pipeline.audio.master import master
    from pipeline.audio.mix import Mix
    from pipeline.narration import script_stage
    from pipeline.render import min_display_durations
    from pipeline.render_job import CHUNK_FRAMES, render_context, scene_renderer
    from pipeline.render_job import synthesize_speech as voice
    from pipeline.speech.chain import SpeechEngine
    from pipeline.timeline import build_timeline, track_samples, voice_clips
    from pipeline.validate import validate_output

    memory.bound_heap()  # as render_video does
    step = ["speech"]
    peaks: dict[str, float] = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peaks[step[0]] = max(peaks.get(step[0], 0.0), _rss_mb())
            time.sleep(0.02)

    threading.Thread(target=sample, daemon=True).start()
    started = time.perf_counter()

    def done(what: str) -> None:
        print(f"{time.perf_counter() - started:7.0f} s  {what}  (peak {peaks[step[0]]:.0f} MB)")

    spec = load_document(long_pdf(work / f"long{pages}.pdf", pages))
    narrations = list(script_stage(spec))
    engine = SpeechEngine(mode="offline", offline_voice="espeak")
    voiced = voice(
        spec, narrations, DirectoryStore(work / "store"), engine, workers=2, release=True
    )
    speech = [audio for audio, _ in voiced]
    ctx = render_context(spec)
    manifest = build_timeline(
        spec, speech, narrations, min_durations_s=min_display_durations(list(spec.scenes), ctx)
    )
    done(f"speech and timeline: {len(spec.scenes)} scenes, {manifest.duration_s / 60:.1f} min")

    step[0] = "master"
    mastered = master(Mix(track_samples(manifest), voice_clips(manifest, speech), None))
    memory.trim_heap()
    done("mastering pass 1")

    step[0] = "chunks"
    settings = avio.EncodeSettings(fps=spec.fps, width_px=ctx.width_px, height_px=ctx.height_px)
    chunk = work / "chunk.mp4"
    source = scene_renderer(spec, manifest, ctx, min(1, len(spec.scenes) - 1))
    avio.encode_segment(source, CHUNK_FRAMES, settings, avio.probe_encoder("x264"), chunk)
    n_chunks = -(-manifest.n_frames // CHUNK_FRAMES)
    paths = [work / f"chunk{i:05d}.mp4" for i in range(n_chunks)]
    for path in paths:
        os.link(chunk, path)
    done(f"{n_chunks} chunks of {chunk.stat().st_size / 1e3:.0f} kB")

    step[0] = "mux"
    out = work / "long.mp4"
    avio.concat_and_mux(paths, mastered, out, fps=spec.fps)
    memory.trim_heap()
    done(f"joined: {out.stat().st_size / 1e6:.0f} MB")

    step[0] = "validate"
    report = validate_output(
        out,
        expected_width_px=ctx.width_px,
        expected_height_px=ctx.height_px,
        expected_fps=spec.fps,
        expected_duration_s=n_chunks * CHUNK_FRAMES / spec.fps,
        expected_loudness_lufs=mastered.report.target_lufs,
        true_peak_limit_dbtp=-1.0,
    )
    done(f"validated: {'passed' if report.passed else [c.name for c in report.failed]}")
    stop.set()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stages = ", ".join(f"{k} {v:.0f}" for k, v in peaks.items())
    verdict = "within" if peak <= TARGET_MB else "OVER"
    print(f"peak RSS {peak:.0f} MB ({verdict} the {TARGET_MB} MB target); per step (MB): {stages}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=137, help="pages of the long PDF")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="join-memory-bench-") as folder:
        run(args.pages, Path(folder))


if __name__ == "__main__":
    main()
