"""All PyAV in one place: audio decoding and resampling, encoder probing, segment encoding,
concatenation, muxing and probing of finished files.

Like Manim's ``scene_file_writer.py`` this module is the one interface between the pipeline
and FFmpeg (through PyAV); nothing else in the project imports ``av``.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from pipeline.speech.base import SAMPLE_RATE_HZ, MonoAudio


def resample_audio(
    samples: np.ndarray, from_rate_hz: int, to_rate_hz: int = SAMPLE_RATE_HZ
) -> MonoAudio:
    """Resample mono PCM with FFmpeg's resampler (libswresample).

    Args:
        samples: mono audio, shape ``(n,)``; float32 in -1..1 or int16.
        from_rate_hz: its sample rate.
        to_rate_hz: the wanted rate (default :data:`SAMPLE_RATE_HZ`).

    Returns:
        float32 mono, shape ``(round(n * to / from),)`` give or take the resampler's delay
        (flushed, so no samples are lost).
    """
    data = np.asarray(samples)
    if data.dtype == np.int16:
        data = data.astype(np.float32) / 32768.0
    data = np.ascontiguousarray(data, dtype=np.float32).reshape(1, -1)
    if from_rate_hz == to_rate_hz or data.shape[1] == 0:
        return data.reshape(-1).copy()
    frame = av.AudioFrame.from_ndarray(data, format="flt", layout="mono")
    frame.sample_rate = from_rate_hz
    resampler = av.AudioResampler(format="flt", layout="mono", rate=to_rate_hz)
    chunks = [out.to_ndarray().reshape(-1) for out in resampler.resample(frame)]
    chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


def decode_audio_file(path: str | Path, to_rate_hz: int = SAMPLE_RATE_HZ) -> MonoAudio:
    """Decode any audio file FFmpeg reads (MP3, WAV, …) to mono float32 at ``to_rate_hz``.

    The duration of the result is measured from decoded samples, not from container headers.

    Raises:
        av.error.FFmpegError (an ``OSError``/``ValueError`` subclass): unreadable file.
        ValueError: the file has no audio stream.
    """
    with av.open(str(path)) as container:
        if not container.streams.audio:
            raise ValueError(f"{path} has no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=to_rate_hz)
        chunks: list[np.ndarray] = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32)
