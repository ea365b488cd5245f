"""Benchmark: peak memory (RSS) of whole renders as the video gets longer, and of a long PDF.

Run:  nice -n 10 .venv/bin/python benchmarks/memory_bench.py             (1, 10, 30 min + PDF)
      .venv/bin/python benchmarks/memory_bench.py --minutes 1 --no-pdf    (quick look)
      nice -n 10 .venv/bin/python benchmarks/memory_bench.py --minutes --voice espeak  (PDF only)

Each case runs in a fresh process (so its peak is its own) and renders, 1920×1080 at 30 fps,
offline, cold cache, with the offline voice ``--voice`` (``piper`` or ``espeak``; default:
``VIDEOSTUDIO_OFFLINE_VOICE``, else Piper):

* ``N min``: a spec of 100 scenes (fewer for short videos) whose narrations are sentences of
  the corpus guide (``../shared/corpus/video_gen-Internet_Guide_Vol1_Core_Infrastructure.md``),
  each long enough that the video lasts about N minutes. The scenes are cheap to draw (quote
  and title cards; their frames repeat), so the figure is the memory of the pipeline's
  plumbing — speech, timeline, encode, concat, mux, validate — not of drawing.
* ``PDF``: the corpus PDF's pages repeated to 137 pages, read through the limited parser
  (``pipeline.adapters.load_document``) and rendered as it comes (condensed to 100 scenes of
  up to a minute each: about 104 minutes of video with eSpeak NG; the repeated pages share
  their speech clips through the cache, so only ~19 narrations are voiced).

Prints, per case: the video's length, the wall time, the peak RSS of the render process
(``ru_maxrss``) and the highest RSS seen in each stage (sampled every 20 ms); while a case
runs, its child prints the stage peaks so far to stderr every ``--every`` seconds. Target: peak
RSS <= 600 MB for 30 minutes of 1080p and for the PDF — memory bounded by design, not by
the length of the video.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CORPUS = REPO.parent / "shared" / "corpus"
GUIDE_MD = CORPUS / "video_gen-Internet_Guide_Vol1_Core_Infrastructure.md"
GUIDE_PDF = CORPUS / "video_gen-Internet_Guide_Vol1_Core_Infrastructure.pdf"
WORDS_PER_S = 2.6
"""eSpeak NG's speaking rate at its default speed (about 155 words a minute), measured."""
TARGET_MB = 600


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _sentences() -> list[str]:
    text = GUIDE_MD.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"[#*`>|\[\]()_-]+", " ", text)
    found = [" ".join(s.split()) for s in re.split(r"(?<=[.!?])\s+", text)]
    return [s for s in found if 6 <= len(s.split()) <= 40]


def long_spec(minutes: float) -> object:
    """A spec of real sentences lasting about ``minutes`` (see the module docstring)."""
    from pipeline.models import MAX_SCENES, build_spec

    target_s = minutes * 60.0
    n_scenes = max(4, min(MAX_SCENES, round(target_s / 18.0)))
    words_per_scene = max(8, round(target_s / n_scenes * WORDS_PER_S))
    pool = _sentences()
    cursor = 0
    scenes = []
    for index in range(n_scenes):
        words: list[str] = []
        while len(words) < words_per_scene:
            words += pool[cursor % len(pool)].split()
            cursor += 1
        narration = " ".join(words[:words_per_scene]).rstrip(",;:") + "."
        if index % 2:
            scenes.append(
                {
                    "scene_type": "quote",
                    "quote_text": " ".join(words[:18]),
                    "attribution": f"Part {index + 1}",
                    "narration": narration,
                }
            )
        else:
            scenes.append(
                {
                    "scene_type": "title",
                    "title": f"Part {index + 1}",
                    "subtitle": " ".join(words[:8]),
                    "narration": narration,
                }
            )
    return build_spec(
        {"title": f"{minutes:g} minutes", "format": "16:9", "fps": 30, "scenes": scenes},
        source="memory benchmark",
    )


def long_pdf(path: Path, pages: int = 137) -> Path:
    """The corpus PDF's pages repeated to ``pages`` pages."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(str(GUIDE_PDF))
    writer = PdfWriter()
    while len(writer.pages) < pages:
        for page in reader.pages[: pages - len(writer.pages)]:
            writer.add_page(page)
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


def child(case: str, work: Path, voice: str | None, every_s: float) -> dict[str, object]:
    """Render one case in this process with offline voice ``voice``; the figures as a dict."""
    from pipeline.adapters import load_document
    from pipeline.artifacts import DirectoryStore
    from pipeline.progress import ProgressEvent
    from pipeline.render_job import RenderOptions, render_video

    stage = ["load"]
    peaks: dict[str, float] = {}
    stop = threading.Event()

    def sample() -> None:
        last_print = time.perf_counter()
        while not stop.is_set():
            rss = _rss_mb()
            peaks[stage[0]] = max(peaks.get(stage[0], 0.0), rss)
            if every_s > 0 and time.perf_counter() - last_print >= every_s:
                last_print = time.perf_counter()
                so_far = ", ".join(f"{k} {v:.0f}" for k, v in peaks.items())
                minutes = (last_print - started) / 60
                print(f"  [{case}] {minutes:.1f} min: {so_far} MB", file=sys.stderr, flush=True)
            time.sleep(0.02)

    started = time.perf_counter()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    if case == "pdf":
        spec = load_document(long_pdf(work / "long137.pdf"))
    else:
        spec = long_spec(float(case))

    def on_event(event: ProgressEvent) -> None:
        if event.stage:
            stage[0] = event.stage

    result = render_video(
        spec,
        work / "out.mp4",
        DirectoryStore(work / "store"),
        RenderOptions(speech_mode="offline", offline_voice=voice),
        staging_root=work / "staging",
        events=on_event,
    )
    stop.set()
    sampler.join()
    return {
        "case": case,
        "voice": result.scenes[0].speech_provider if result.scenes else "",
        "scenes": len(spec.scenes),  # type: ignore[attr-defined]
        "duration_s": round(result.duration_s, 1),
        "wall_s": round(time.perf_counter() - started, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "stage_peak_mb": {name: round(value, 1) for name, value in peaks.items()},
    }


def run_case(case: str, voice: str | None, every_s: float) -> dict[str, object]:
    """Run one case in a fresh process and return its figures (its stderr passes through)."""
    command = [sys.executable, __file__, "--child", case, "--every", str(every_s)]
    if voice:
        command += ["--voice", voice]
    with tempfile.TemporaryDirectory(prefix="memory-bench-") as folder:
        done = subprocess.run(
            [*command, "--work", folder], stdout=subprocess.PIPE, text=True, check=False
        )
    if done.returncode != 0:
        raise SystemExit(f"case {case} failed (exit {done.returncode}; its errors are above)")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="*", default=[1, 10, 30])
    parser.add_argument("--no-pdf", action="store_true", help="skip the 137-page PDF case")
    parser.add_argument(
        "--voice",
        choices=("piper", "espeak"),
        help="offline voice (default: VIDEOSTUDIO_OFFLINE_VOICE, else Piper)",
    )
    parser.add_argument(
        "--every",
        type=float,
        default=300.0,
        help="print each running case's stage peaks so far every this many seconds (0: never)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.work, args.voice, args.every)))
        return
    cases = [f"{m:g}" for m in args.minutes] + ([] if args.no_pdf else ["pdf"])
    print(f"{'case':>8} {'scenes':>6} {'video':>9} {'wall':>8} {'peak RSS':>9}  per stage (MB)")
    worst = 0.0
    for case in cases:
        figures = run_case(case, args.voice, args.every)
        label = "137p PDF" if case == "pdf" else f"{case} min"
        stages = ", ".join(f"{k} {v:.0f}" for k, v in figures["stage_peak_mb"].items())  # type: ignore[attr-defined]
        peak = float(figures["peak_rss_mb"])  # type: ignore[arg-type]
        worst = max(worst, peak)
        print(
            f"{label:>8} {figures['scenes']:>6} {figures['duration_s']:>8.0f}s "
            f"{figures['wall_s']:>7.0f}s {peak:>7.0f} MB  {stages} ({figures['voice']})",
            flush=True,
        )
    verdict = "within" if worst <= TARGET_MB else "OVER"
    print(f"worst peak RSS: {worst:.0f} MB ({verdict} the {TARGET_MB} MB target)")


if __name__ == "__main__":
    main()
