"""Benchmark: a 60 s, 6-scene, 1920×1080 30 fps narrated explainer, end to end, cold cache.

Run:  .venv/bin/python benchmarks/explainer60.py   (add --warm to also time a cached re-run)

Prints wall time, frames per second, peak RSS, the encoder, per-stage seconds and a line
``real-time factor: N`` (video seconds ÷ wall seconds). Target on the 2-core reference
machine with libx264 at the default settings: real-time factor >= 6 and peak RSS <= 600 MB.
Speech is offline, so the figure does not depend on a network: Piper (the default English
offline voice) unless ``--offline-voice espeak`` (or ``VIDEOSTUDIO_OFFLINE_VOICE``) says
otherwise. Also prints the speech stage's cost (seconds per second of narration) and the
output's loudness measured on the decoded AAC.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.artifacts import DirectoryStore
from pipeline.models import build_spec
from pipeline.render_job import RenderOptions, render_video

SCENE_S = 10.0
SPEC = {
    "title": "How a render works",
    "format": "16:9",
    "fps": 30,
    "voice": "male",
    "language": "en",
    "scenes": [
        {
            "scene_type": "title",
            "title": "How a render works",
            "subtitle": "From a document to a finished video",
            "narration": "In the next minute you will see how a plain document becomes a narrated "
            "video, and why every step is fast and safe.",
        },
        {
            "scene_type": "list",
            "header": "Audio first",
            "items": [
                "Write the narration",
                "Synthesise speech",
                "Measure every clip",
                "Time the scenes",
            ],
            "narration": "Audio comes first. Write the narration, synthesise speech, measure every "
            "clip, then time the scenes to the voice.",
        },
        {
            "scene_type": "command",
            "header": "One command",
            "description": "Render any Markdown, PDF or Word document",
            "commands": [
                "videostudio render guide.md",
                "videostudio render deck.pdf --format 9:16",
            ],
            "narration": "One command renders any Markdown, PDF or Word document, in landscape, "
            "portrait or square format.",
        },
        {
            "scene_type": "code_comparison",
            "header": "Cleaner code",
            "before_code": "result = []\nfor x in data:\n    if x > 0:\n        result.append(x * 2)",
            "after_code": "result = [x * 2 for x in data if x > 0]",
            "narration": "Code scenes are coloured by syntax, and a comparison shows the before "
            "and after versions side by side.",
        },
        {
            "scene_type": "quiz",
            "question": "Which step runs before any frame is drawn?",
            "options": ["Encoding", "Speech", "Validation", "Muxing"],
            "correct_index": 1,
            "narration": "Quick quiz. Which step runs before any frame is drawn? Encoding, speech, "
            "validation or muxing? The answer is speech.",
        },
        {
            "scene_type": "outro",
            "main_text": "Make your first video",
            "sub_text": "videostudio demo",
            "narration": "That is the whole pipeline. Run the demo command and make your first "
            "video in a few seconds.",
        },
    ],
}


def _peak_rss_mb() -> float:
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return self_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", action="store_true", help="also time a second, cached run")
    parser.add_argument("--keep", type=Path, help="copy the output MP4 here")
    parser.add_argument("--offline-voice", help="piper or espeak (default: piper)")
    parser.add_argument("--music", help="a bundled bed (calm, bright, pulse) or an audio file")
    args = parser.parse_args()
    data = dict(SPEC)
    data["scenes"] = [
        {**scene, "min_duration_s": SCENE_S, "max_duration_s": SCENE_S} for scene in SPEC["scenes"]
    ]
    spec = build_spec(data)
    with tempfile.TemporaryDirectory(prefix="explainer60-") as tmp:
        out = Path(args.keep) if args.keep else Path(tmp) / "explainer60.mp4"
        store = DirectoryStore(Path(tmp) / "store")
        options = RenderOptions(
            speech_mode="offline", offline_voice=args.offline_voice, music=args.music
        )
        started = time.perf_counter()
        result = render_video(spec, out, store, options)
        wall_s = time.perf_counter() - started
        n_frames = round(result.duration_s * spec.fps)
        print(
            f"video: {result.duration_s:.2f} s, {n_frames} frames, 1920x1080 @ {spec.fps} fps, 6 scenes"
        )
        print(f"encoder: {result.encoder}")
        print(f"wall time: {wall_s:.2f} s")
        print(f"frames per second: {n_frames / wall_s:.1f}")
        for stage, seconds in result.stage_seconds.items():
            print(f"  stage {stage:9s} {seconds:6.2f} s")
        providers = sorted({scene.speech_provider for scene in result.scenes})
        speech_s = result.stage_seconds.get("speech", 0.0)
        narration_s = sum(scene.narration_duration_s for scene in result.scenes)
        print(
            f"speech: {', '.join(providers)}, {speech_s:.2f} s for {narration_s:.1f} s of "
            f"narration ({speech_s / max(narration_s, 1e-9):.3f} s per second of speech)"
        )
        print(
            f"loudness: {result.audio['integrated_lufs']} LUFS integrated, "
            f"{result.audio['true_peak_dbtp']} dBTP true peak (target "
            f"{result.audio['target_lufs']} LUFS, {result.audio['channels']} channel(s))"
        )
        print(f"peak RSS: {_peak_rss_mb():.0f} MB")
        print(f"real-time factor: {result.duration_s / wall_s:.2f}")
        if args.warm:
            started = time.perf_counter()
            render_video(spec, out, store, options)
            print(f"warm re-run (all scenes cached): {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
