"""What an unchanged frame costs: x264 against a repeat frame written by pipeline.h264.

Run:  .venv/bin/python benchmarks/repeat_frames.py

Most frames of a narrated video repeat the one before (the 60 s explainer: 1,536 of 1,800).
This script measures, in CPU time (``time.thread_time``, so the figures hold on a loaded
machine too), what one such 1080p frame costs when libx264 encodes it at the project's
settings (``ultrafast``, CRF 23, one thread; a static slide, the cheapest frame there is) and
when :class:`pipeline.h264.RepeatFrameWriter` writes it, and prints both with the saving over
the explainer's repeats.
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

from pipeline import h264

FPS = 30
FRAMES = 300
EXPLAINER_REPEATS = 1536  # frames of benchmarks/explainer60.py written as repeats


def _slide() -> av.VideoFrame:
    slide = np.full((1080, 1920, 3), 246, np.uint8)
    slide[120:180, 160:1400] = 20
    slide[300:900, 160:1760] = 225
    return av.VideoFrame.from_ndarray(slide, format="rgb24").reformat(format="yuv420p")


def measure() -> tuple[float, float]:
    """CPU milliseconds per unchanged 1080p frame: (x264, repeat writer)."""
    frame = _slide()
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
        x264_ms = (time.thread_time() - started) * 1000 / FRAMES
        extradata = bytes(stream.codec_context.extradata or b"")
    writer = h264.RepeatFrameWriter(h264.parse_parameter_sets(extradata))
    started = time.thread_time()
    for _ in range(FRAMES):
        packet = av.Packet(writer.repeat())
        packet.pts = packet.dts = 0
    repeat_ms = (time.thread_time() - started) * 1000 / FRAMES
    return x264_ms, repeat_ms


def main() -> None:
    x264_ms, repeat_ms = measure()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"x264 ultrafast, one unchanged 1080p frame: {x264_ms:.2f} ms of CPU")
    print(f"repeat frame (pipeline.h264):             {repeat_ms:.3f} ms of CPU")
    saved_s = (x264_ms - repeat_ms) / 1000 * EXPLAINER_REPEATS
    print(f"saved on the explainer's {EXPLAINER_REPEATS} repeats: {saved_s:.1f} s of CPU")


if __name__ == "__main__":
    main()
