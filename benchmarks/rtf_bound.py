"""The best real-time factor this machine allows the 60 s explainer, from two unavoidable costs.

Run:  .venv/bin/python benchmarks/rtf_bound.py

``benchmarks/explainer60.py`` renders 60 s of 1080p30 video (1,800 frames) with 38 s of
narration spoken by Piper. Whatever the rest of the pipeline does, two costs remain:

1. **x264 encodes every frame**, even one identical to the previous frame (the output is
   constant frame rate): this script measures the CPU time per 1080p frame of libx264 at the
   project's settings (``ultrafast``, CRF 23, one thread) on a static slide, the cheapest
   frame there is.
2. **Piper synthesises every second of narration**: the CPU time per second of speech, one
   ONNX Runtime thread (as the speech stage runs it), measured on a paragraph.

CPU time (``time.thread_time``) is used, so the figures hold on a loaded machine too (within
the noise of shared caches). Their sum for the explainer, divided by the number of cores, is
the shortest wall time any schedule could reach; 60 s divided by it is the real-time factor
no implementation of this pipeline can beat on this machine at these settings. Prints each
figure and the bound.
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.speech.base import VoiceRef
from pipeline.speech.chain import SpeechEngine

VIDEO_S = 60.0
FPS = 30
NARRATION_S = 38.3  # the explainer's narration as Piper speaks it (explainer60.py prints it)
FRAMES = 300
PARAGRAPH = (
    "Audio comes first. Write the narration, synthesise speech, measure every clip, then "
    "time the scenes to the voice. Every scene is encoded on its own, so an edit re-encodes "
    "only what changed, and a crash loses at most a few seconds of work."
)


def x264_ms_per_frame() -> float:
    """CPU milliseconds libx264 spends on one unchanged 1080p frame (ultrafast, CRF 23)."""
    slide = np.full((1080, 1920, 3), 246, np.uint8)
    slide[120:180, 160:1400] = 20
    slide[300:900, 160:1760] = 225
    frame = av.VideoFrame.from_ndarray(slide, format="rgb24").reformat(format="yuv420p")
    with av.open(io.BytesIO(), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "23"}
        stream.codec_context.thread_count = 1
        started = time.thread_time()
        for index in range(FRAMES):
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        return (time.thread_time() - started) * 1000 / FRAMES


def piper_cpu_per_speech_s() -> float:
    """CPU seconds Piper spends per second of speech (one ONNX Runtime thread)."""
    engine = SpeechEngine("offline", env={"VIDEOSTUDIO_OFFLINE_VOICE": "piper"})
    voice = VoiceRef("en", "male")
    engine.synthesize("Warming up.", voice)  # the model loads once per process
    started = time.thread_time()
    audio = engine.synthesize(PARAGRAPH, voice)
    spent = time.thread_time() - started
    if audio.provider != "piper":
        raise SystemExit(f"Piper is not available here (spoken by {audio.provider})")
    return spent / audio.duration_s


def main() -> None:
    cores = os.cpu_count() or 1
    frame_ms = x264_ms_per_frame()
    speech = piper_cpu_per_speech_s()
    encode_cpu_s = frame_ms / 1000 * VIDEO_S * FPS
    speech_cpu_s = speech * NARRATION_S
    wall_s = (encode_cpu_s + speech_cpu_s) / cores
    print(f"load average {os.getloadavg()[0]:.1f} on {cores} cores")
    print(f"x264 ultrafast, one unchanged 1080p frame: {frame_ms:.2f} ms of CPU")
    print(f"  × {VIDEO_S * FPS:.0f} frames = {encode_cpu_s:.1f} s of CPU")
    print(f"Piper, one ONNX thread: {speech:.3f} s of CPU per second of speech")
    print(f"  × {NARRATION_S} s of narration = {speech_cpu_s:.1f} s of CPU")
    print(
        f"shortest possible wall time on {cores} cores: {wall_s:.1f} s "
        "(nothing else drawn, converted, muxed or validated)"
    )
    print(f"real-time factor bound: {VIDEO_S / wall_s:.2f}")


if __name__ == "__main__":
    main()
