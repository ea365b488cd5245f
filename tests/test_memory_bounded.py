"""Memory bounded by design, not by length (issue 11, item 11): the join of a long video holds
one segment open at a time, validation decodes as a stream, and a stage's freed buffers go
back to the system (so the peak is the largest stage's, not the sum of every thread's heap).
The figures for whole renders (1, 10, 30 minutes and a 137-page PDF) come from
``benchmarks/memory_bench.py``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipeline import avio, memory
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


CORPUS_MD = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "corpus"
    / "video_gen-Internet_Guide_Vol1_Core_Infrastructure.md"
)

_RSS_MB = textwrap.dedent(
    """
    def rss_mb():
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    """
)
"""The child's resident memory in MB (prepended to the child scripts below)."""


def _child_figures(script: str, *args: str) -> dict[str, Any]:
    """Run ``script`` (with :data:`_RSS_MB` before it) in a fresh Python from the repository
    root and return the JSON object its last line prints."""
    done = subprocess.run(
        [sys.executable, "-c", _RSS_MB + script, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


_SPEECH_CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from pipeline.artifacts import DirectoryStore
    from pipeline.models import build_spec
    from pipeline.render_job import synthesize_speech
    from pipeline.speech.chain import SpeechEngine

    words = [w for w in Path(sys.argv[2]).read_text(encoding="utf-8").split() if w.isalpha()]
    scenes = [
        {"scene_type": "title", "title": f"Part {i}", "narration": " ".join(words[i * 300 : (i + 1) * 300]) + "."}
        for i in range(4)
    ]
    spec = build_spec({"title": "long pages", "scenes": scenes}, source="test")
    engine = SpeechEngine("offline", env={"VIDEOSTUDIO_OFFLINE_VOICE": "espeak"})
    before = rss_mb()
    voiced = synthesize_speech(
        spec, [s.narration for s in spec.scenes], DirectoryStore(Path(sys.argv[1])), engine,
        workers=2, release=True,
    )
    print(json.dumps({"before_mb": before, "after_mb": rss_mb(),
                      "audio_s": sum(a.duration_s for a, _ in voiced)}))
    """
)


@pytest.mark.skipif(not memory.heap_control_available(), reason="the C library is not glibc")
def test_speech_stage_gives_back_the_memory_of_long_narrations(tmp_path: Path):
    # Four minute-long narrations (a long PDF's pages), voiced two at a time: the clips are
    # released to the store, and the heaps of the two worker threads must not keep the
    # buffers they used (they kept ~300 MB before pipeline.memory; the live data is ~1 MB).
    figures = _child_figures(_SPEECH_CHILD, str(tmp_path / "store"), str(CORPUS_MD))
    assert figures["audio_s"] > 4 * 90  # about 110 s per narration
    assert figures["after_mb"] - figures["before_mb"] < 40, figures


_PIPER_CHILD = textwrap.dedent(
    """
    import json, sys
    from pipeline.speech.base import VoiceRef
    from pipeline.speech.chain import SpeechEngine

    engine = SpeechEngine("offline", env={"VIDEOSTUDIO_OFFLINE_VOICE": "piper"})
    voice = VoiceRef("en", "male")
    engine.synthesize("The model is loaded.", voice)
    loaded = rss_mb()
    words = sys.argv[1].split()
    # sentences of every length up to a model call's longest piece, as a long page has
    text = " ".join(" ".join(words[i : i + n]) + "." for i, n in enumerate((3, 9, 16, 5, 22, 12)))
    audio = engine.synthesize(text, voice)
    print(json.dumps({"loaded_mb": loaded, "after_mb": rss_mb(), "audio_s": audio.duration_s,
                      "provider": audio.provider}))
    """
)


@pytest.mark.skipif(not memory.heap_control_available(), reason="the C library is not glibc")
def test_piper_keeps_no_buffers_between_inferences():
    # ONNX Runtime's CPU arena kept the largest buffers any sentence needed and never shrank,
    # so the speech stage of a long document grew with its sentences (824 MB on the 137-page
    # PDF); without it, what an inference used is given back when it ends.
    words = [w for w in CORPUS_MD.read_text(encoding="utf-8").split() if w.isalpha()]
    figures = _child_figures(_PIPER_CHILD, " ".join(words[:80]))
    assert figures["provider"] == "piper"
    assert figures["audio_s"] > 15
    assert figures["after_mb"] - figures["loaded_mb"] < 40, figures


_FRAME_HEAP_CHILD = textwrap.dedent(
    """
    import json, resource
    import numpy as np
    from pipeline import memory

    def faults_per_frame():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(30):
            frame = np.ones((1080, 1920, 3), np.uint8)  # a 1080p RGB frame, 6.2 MB
            del frame
        return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 30

    memory.bound_heap()
    start = rss_mb()
    bounded = faults_per_frame()
    with memory.frame_heap():
        inside = faults_per_frame()
        inside_mb = rss_mb()
    after = faults_per_frame()
    print(json.dumps({"bounded": bounded, "inside": inside, "after": after,
                      "start_mb": start, "inside_mb": inside_mb, "end_mb": rss_mb()}))
    """
)


@pytest.mark.skipif(not memory.heap_control_available(), reason="the C library is not glibc")
def test_frames_reuse_heap_memory_while_encoding_and_give_it_back_after():
    # Under bound_heap every frame buffer is mapped and unmapped: hundreds of page faults of
    # zero-filling per 1080p frame (about 500 here; 4.5 s of system CPU on the 60-second
    # explainer). Inside frame_heap the buffers are reused; leaving it restores the bound and
    # trims.
    figures = _child_figures(_FRAME_HEAP_CHILD)
    assert figures["bounded"] > 300, figures
    assert figures["inside"] < figures["bounded"] / 10, figures
    assert figures["after"] > 300, figures  # the bound is back
    assert figures["end_mb"] - figures["start_mb"] < 20, figures  # and the heaps were trimmed
