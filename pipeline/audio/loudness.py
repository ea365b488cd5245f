"""Loudness targets and speech levelling.

Figures:

* Targets, integrated loudness: −14 LUFS (YouTube, Spotify and TikTok play back at about
  this level), −16 LUFS (the default: Apple Podcasts and AES TD1004 for streaming speech),
  −23 LUFS (EBU R128 broadcast). True peak at most −1 dBTP (EBU R128 s1 / AES TD1004).
* Every speech clip is levelled to :data:`SPEECH_LEVEL_LUFS` before mixing, so voices of
  different providers (Edge, Piper, eSpeak) sound equally loud; the mix is normalised to the
  target afterwards (:mod:`pipeline.audio.master`).

Loudness is measured with FFmpeg's ``ebur128`` filter (:class:`pipeline.avio.LoudnessMeter`),
a BS.1770-4 meter; true peak with its 4× oversampling.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline import avio
from pipeline.speech.base import MonoAudio

LOUDNESS_TARGETS_LUFS: tuple[float, ...] = (-14.0, -16.0, -23.0)
"""Integrated loudness targets a user can choose (settings), LUFS."""

DEFAULT_TARGET_LUFS = -16.0
"""Default integrated loudness of every output, LUFS."""

TRUE_PEAK_LIMIT_DBTP = -1.0
"""Highest true peak allowed in an output, dBTP."""

LOUDNESS_TOLERANCE_LU = 1.0
"""How far an output's integrated loudness may be from its target (validation), LU."""

SPEECH_LEVEL_LUFS = -20.0
"""Integrated loudness every speech clip is levelled to before mixing, LUFS (leaves room
for the peaks of speech, whose peak-to-loudness ratio is typically 12–18 dB)."""

CLIP_PEAK_LIMIT = 10 ** (-1.0 / 20.0)
"""Levelled clips keep their sample peaks at or below −1 dBFS (peaks above are limited)."""

LEVELLING_VERSION = "1"
"""Part of speech cache keys: bump when levelling changes the stored samples."""


def check_target(target_lufs: float) -> float:
    """Return ``target_lufs`` if it is a sensible integrated-loudness target.

    Raises:
        ValueError: outside −31..−9 LUFS (the range FFmpeg's ``loudnorm`` accepts is −70..−5;
            anything outside −31..−9 is a typing mistake for published video).
    """
    if not -31.0 <= float(target_lufs) <= -9.0:
        raise ValueError(
            f"loudness target {target_lufs} LUFS is outside -31..-9 LUFS; "
            f"common targets are {', '.join(f'{t:g}' for t in LOUDNESS_TARGETS_LUFS)}"
        )
    return float(target_lufs)


@dataclass(frozen=True)
class Levelled:
    """A levelled speech clip.

    Attributes:
        samples: the clip after gain, mono float32 in −1..1.
        loudness_lufs: its integrated loudness after gain, or ``None`` if it could not be
            measured (shorter than 0.4 s, or silent): then it is left as it was.
        gain_db: the gain applied, dB.
        peak_limited: True if peaks above −1 dBFS were limited after the gain.
    """

    samples: MonoAudio
    loudness_lufs: float | None
    gain_db: float
    peak_limited: bool


def level_speech(samples: MonoAudio, level_lufs: float = SPEECH_LEVEL_LUFS) -> Levelled:
    """Bring one speech clip to ``level_lufs`` integrated loudness (ITU-R BS.1770).

    One constant gain is applied; if the clip's sample peak would then pass −1 dBFS, those
    peaks are limited (FFmpeg ``alimiter``, 2 ms look-ahead) rather than the gain lowered, so
    every clip keeps the same loudness. The result stays within −1..1.

    Args:
        samples: mono float32 at 48 kHz.
        level_lufs: wanted integrated loudness.

    Returns:
        The levelled clip; unchanged if it is too short or quiet to measure.
    """
    data = np.asarray(samples, dtype=np.float32)
    measured = avio.measure_loudness(data).integrated_lufs
    if measured is None:
        return Levelled(data, None, 0.0, False)
    gain_db = level_lufs - measured
    out = (data * np.float32(10 ** (gain_db / 20.0))).astype(np.float32)
    peak = float(np.max(np.abs(out))) if len(out) else 0.0
    limited = peak > CLIP_PEAK_LIMIT
    if limited:
        chain = avio.AudioFilterChain(
            [
                (
                    "alimiter",
                    f"limit={CLIP_PEAK_LIMIT:.6f}:attack=2:release=40:level=disabled:latency=1",
                )
            ],
            channels=1,
        )
        parts = chain.push(out.reshape(1, -1)) + chain.close()
        limited_out = np.concatenate(parts, axis=1).reshape(-1) if parts else out
        fitted = np.zeros(len(out), np.float32)
        fitted[: min(len(out), len(limited_out))] = limited_out[: len(out)]
        out = np.clip(fitted, -1.0, 1.0)
        after = avio.measure_loudness(out).integrated_lufs
        return Levelled(out, after, gain_db, True)
    return Levelled(out, level_lufs, gain_db, False)
