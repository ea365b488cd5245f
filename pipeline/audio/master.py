"""Mastering: normalise the mix to a loudness target with a true-peak ceiling, streaming.

Two passes over the mix (which is regenerated, never held whole):

1. *Measure*: the mix through the limiter at two gains, ``g0`` (target − the clips' level)
   and ``g0 + 2 dB``, each into a BS.1770 meter (FFmpeg ``ebur128``; on request the second
   also measures the true peak with 4× oversampling).
2. *Produce*: the mix at the gain interpolated between the two probes to hit the target
   (the limiter takes more loudness away the harder it works, so a single measurement
   undershoots), through the limiter (whose ceiling is lowered by however far pass 1's true
   peak, when measured, passed :data:`TP_MARGIN_DBTP`); this pass feeds the AAC encoder
   (:func:`pipeline.avio.concat_and_mux`).

The limiter is FFmpeg's ``alimiter`` (look-ahead 3 ms, release 60 ms, latency compensated, no
auto-levelling) with a sample-peak ceiling of :data:`LIMITER_CEILING_DBFS`; the margin to
the −1 dBTP limit covers inter-sample peaks and the AAC encoder's overshoot (measured on the
decoded AAC of speech and music mixes: 0.2–0.6 dB; of Piper's narration up to 1.1 dB). The result lands within about 0.2 LU of
the target; :func:`pipeline.validate.validate_output` measures the decoded output to be sure.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from pipeline import avio
from pipeline.audio.loudness import DEFAULT_TARGET_LUFS, TRUE_PEAK_LIMIT_DBTP, check_target
from pipeline.audio.mix import Mix
from pipeline.progress import NEVER_CANCEL, CancelToken

LIMITER_CEILING_DBFS = -2.5
"""The limiter's sample-peak ceiling, dBFS. At −2.0 the Piper narration of
``benchmarks/explainer60.py`` came out of the AAC encoder at −1.22 to −1.69 dBTP, and 2 of
11 renders passed −1 dBTP and were mastered, encoded and validated again (2 s of a 9 s
render); 0.5 dB more margin keeps the retry for the rare transient."""

TP_MARGIN_DBTP = -1.8
"""Highest true peak accepted before encoding, dBTP (0.8 dB below the limit, for AAC)."""

_MAX_GAIN_DB = 30.0
_PROBE_STEP_DB = 2.0


@dataclass(frozen=True)
class MasterReport:
    """How the mix was mastered.

    Attributes:
        target_lufs: the integrated-loudness target.
        gain_db: gain applied to the mix before the limiter.
        limiter_ceiling_dbfs: the limiter's sample-peak ceiling.
        measured_lufs, measured_true_peak_dbtp: pass 1's measurement (at the first gain),
            ``None`` for a silent mix.
        channels: 1 (voice only) or 2 (with music).
    """

    target_lufs: float
    gain_db: float
    limiter_ceiling_dbfs: float
    measured_lufs: float | None
    measured_true_peak_dbtp: float | None
    channels: int


class MasteredAudio:
    """The mastered track as a stream for the muxer (``channels``, ``n_samples``, ``blocks()``).

    Build it with :func:`master`.
    """

    def __init__(self, mix: Mix, report: MasterReport) -> None:
        self.mix = mix
        self.report = report
        self.channels = mix.channels
        self.n_samples = mix.n_samples

    def blocks(self) -> Iterator[np.ndarray]:
        """Planar float32 ``(channels, n)`` blocks, exactly ``n_samples`` in all."""
        return _limited(self.mix, self.report.gain_db, self.report.limiter_ceiling_dbfs)

    def samples(self) -> np.ndarray:
        """The whole track in memory ``(channels, n_samples)`` (tests and previews only)."""
        blocks = list(self.blocks())
        if not blocks:
            return np.zeros((self.channels, 0), np.float32)
        return np.concatenate(blocks, axis=1)


def _limiter(channels: int, gain_db: float, ceiling_dbfs: float) -> avio.AudioFilterChain:
    """Gain, then FFmpeg's look-ahead limiter at ``ceiling_dbfs`` (sample peak)."""
    return avio.AudioFilterChain(
        [
            ("volume", f"{gain_db:.4f}dB"),
            (
                "alimiter",
                f"limit={10 ** (ceiling_dbfs / 20):.6f}:attack=3:release=60:"
                "level=disabled:latency=1",
            ),
        ],
        channels=channels,
    )


def _limited(mix: Mix, gain_db: float, ceiling_dbfs: float) -> Iterator[np.ndarray]:
    """The mix × gain through the limiter, exactly ``mix.n_samples`` long."""
    chain = _limiter(mix.channels, gain_db, ceiling_dbfs)
    remaining = mix.n_samples
    for block in mix.blocks():
        for out in chain.push(block):
            if remaining > 0:
                yield out[:, :remaining]
                remaining -= min(remaining, out.shape[1])
    for out in chain.close():
        if remaining > 0:
            yield out[:, :remaining]
            remaining -= min(remaining, out.shape[1])
    if remaining > 0:  # a filter kept samples back: pad with silence to the exact length
        yield np.zeros((mix.channels, remaining), np.float32)


def master(
    mix: Mix,
    *,
    target_lufs: float = DEFAULT_TARGET_LUFS,
    ceiling_dbfs: float = LIMITER_CEILING_DBFS,
    measure_true_peak: bool = False,
    refine: bool = False,
    cancel: CancelToken = NEVER_CANCEL,
) -> MasteredAudio:
    """Measure ``mix`` (pass 1) and return the stream that produces the mastered track.

    Args:
        mix: the narration (and bed) on the timeline.
        target_lufs: integrated loudness wanted (−14, −16, −23, …).
        ceiling_dbfs: the limiter's sample-peak ceiling (−24..0 dBFS).
        measure_true_peak: also measure the limited mix's true peak in pass 1 and lower the
            limiter's ceiling if it passes :data:`TP_MARGIN_DBTP` (costs about 2x pass 1;
            off by default: the fixed ceiling kept every measured output at −1.5 dBTP or
            below, and validation measures the final AAC).
        refine: measure once more at the interpolated gain and take a second secant step
            (one more pass over the mix). The straight line between two probes undershoots
            when the limiter works hard: at a −6 dBFS ceiling a Piper paragraph mastered for
            −16 LUFS came out at −16.63 without it. Used when validation sends the sound
            back with a lower ceiling (``render_job.TRUE_PEAK_RETRIES``).
        cancel: checked every block of pass 1 (and of the refining pass).

    Returns:
        A :class:`MasteredAudio` whose ``report`` says the gain and ceiling chosen.

    Raises:
        ValueError: target outside −31..−9 LUFS.
        Cancelled: ``cancel`` was set.
    """
    target = check_target(target_lufs)
    stereo_db = 3.01 if mix.channels == 2 else 0.0
    low = target - (mix.voice_level_lufs + stereo_db) if mix.clips else 0.0
    high = low + _PROBE_STEP_DB
    # True peak is measured on the final AAC by validation; pass 1 measures it only when asked
    # (``ebur128`` with oversampling costs about 3x the plain meter).
    meters = (
        avio.LoudnessMeter(mix.channels),
        avio.LoudnessMeter(mix.channels, true_peak=measure_true_peak),
    )
    ceiling_dbfs = float(np.clip(ceiling_dbfs, -24.0, 0.0))  # alimiter: limit 0.0625..1
    chains = (
        _limiter(mix.channels, low, ceiling_dbfs),
        _limiter(mix.channels, high, ceiling_dbfs),
    )
    for block in mix.blocks():
        cancel.raise_if_cancelled()
        for chain, meter in zip(chains, meters, strict=True):
            for out in chain.push(block):
                meter.add(out)
    for chain, meter in zip(chains, meters, strict=True):
        for out in chain.close():
            meter.add(out)
    at_low, at_high = (meter.result() for meter in meters)
    gain = low
    ceiling = ceiling_dbfs
    if at_low.integrated_lufs is not None and at_high.integrated_lufs is not None:
        # Loudness after the limiter against gain is close to a straight line over a few dB:
        # interpolate (secant) between the two probes.
        slope = (at_high.integrated_lufs - at_low.integrated_lufs) / _PROBE_STEP_DB
        slope = float(np.clip(slope, 0.2, 1.0))
        gain = low + (target - at_low.integrated_lufs) / slope
        gain = float(np.clip(gain, -_MAX_GAIN_DB, _MAX_GAIN_DB))
    if at_high.true_peak_dbtp is not None:
        ceiling -= max(0.0, at_high.true_peak_dbtp - TP_MARGIN_DBTP)
    if refine and at_low.integrated_lufs is not None and at_high.integrated_lufs is not None:
        meter = avio.LoudnessMeter(mix.channels)
        for out in _limited(mix, gain, ceiling):
            cancel.raise_if_cancelled()
            meter.add(out)
        at_gain = meter.result().integrated_lufs
        if at_gain is not None:
            # second secant step, from the nearer probe to the point just measured
            near_gain, near_lufs = (
                (low, at_low.integrated_lufs)
                if abs(gain - low) <= abs(gain - (low + _PROBE_STEP_DB))
                else (low + _PROBE_STEP_DB, at_high.integrated_lufs)
            )
            if abs(gain - near_gain) > 1e-3:
                slope = float(np.clip((at_gain - near_lufs) / (gain - near_gain), 0.1, 1.0))
            gain = float(np.clip(gain + (target - at_gain) / slope, -_MAX_GAIN_DB, _MAX_GAIN_DB))
    measured = at_low
    report = MasterReport(
        target_lufs=target,
        gain_db=round(gain, 3),
        limiter_ceiling_dbfs=round(ceiling, 3),
        measured_lufs=measured.integrated_lufs,
        measured_true_peak_dbtp=at_high.true_peak_dbtp,
        channels=mix.channels,
    )
    return MasteredAudio(mix, report)


__all__ = ["TRUE_PEAK_LIMIT_DBTP", "MasterReport", "MasteredAudio", "master"]
