"""All PyAV in one place: audio decoding and resampling, encoder probing, segment encoding,
concatenation, muxing and probing of finished files.

Like Manim's ``scene_file_writer.py`` this module is the one interface between the pipeline
and FFmpeg (through PyAV); nothing else in the project imports ``av``.
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Hashable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import av
import av.filter
import numpy as np
from av.video.reformatter import Colorspace, VideoReformatter

from pipeline import h264
from pipeline.errors import Cancelled, EncodeError, EncoderUnavailableError, StudioError
from pipeline.fsutil import temp_path_for
from pipeline.progress import NEVER_CANCEL, CancelToken, Progress, no_progress
from pipeline.render.base import FrameSource, RGBFrame
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


# ---------------------------------------------------------------------------------------------
# Audio filters and loudness (FFmpeg's filters through PyAV's filter graph)
# ---------------------------------------------------------------------------------------------

AudioBlock = np.ndarray
"""Planar float32 audio, shape ``(channels, n_samples)``, at :data:`SAMPLE_RATE_HZ`."""

AUDIO_BLOCK_SAMPLES = 48 * 1024
"""Samples per block when audio is streamed (about 1 s at 48 kHz)."""

_LAYOUTS = {1: "mono", 2: "stereo"}


def _layout(channels: int) -> str:
    try:
        return _LAYOUTS[channels]
    except KeyError:
        raise ValueError(f"1 or 2 audio channels are supported, not {channels}") from None


class AudioFilterChain:
    """A streaming chain of FFmpeg audio filters (one input, one output), via PyAV.

    Blocks go in with :meth:`push` and come out (possibly re-cut, or delayed by a filter's
    look-ahead) as planar float32 ``(channels, n)``; :meth:`close` flushes the rest. The last
    output frame's metadata (e.g. ``lavfi.r128.*`` of ``ebur128``) is kept in
    :attr:`metadata`. Used for loudness metering and limiting; memory does not grow with the
    length of the audio.

    Args:
        filters: ``(filter name, arguments)`` pairs, e.g. ``[("alimiter", "limit=0.8")]``.
        channels: 1 (mono) or 2 (stereo).
        sample_rate_hz: rate of the blocks pushed in.

    Raises:
        ValueError: unknown filter or bad arguments (FFmpeg's message).
    """

    def __init__(
        self,
        filters: Sequence[tuple[str, str]],
        *,
        channels: int,
        sample_rate_hz: int = SAMPLE_RATE_HZ,
    ) -> None:
        self.channels = channels
        self.sample_rate_hz = sample_rate_hz
        self._layout = _layout(channels)
        self._graph = av.filter.Graph()
        try:
            node = self._graph.add_abuffer(
                format="fltp",
                sample_rate=sample_rate_hz,
                layout=self._layout,
                time_base=Fraction(1, sample_rate_hz),
            )
            for name, args in [
                *filters,
                ("aformat", f"sample_fmts=fltp:channel_layouts={self._layout}"),
            ]:
                nxt = self._graph.add(name, args)
                node.link_to(nxt)
                node = nxt
            sink = self._graph.add("abuffersink")
            node.link_to(sink)
            self._graph.configure()
        except (av.error.FFmpegError, ValueError, KeyError) as exc:
            raise ValueError(f"audio filter chain {filters!r} cannot be built: {exc}") from exc
        self._pts = 0
        self.metadata: dict[str, str] = {}

    def _pull(self) -> list[AudioBlock]:
        out: list[AudioBlock] = []
        while True:
            try:
                frame = self._graph.pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return out
            if frame.metadata:
                self.metadata = dict(frame.metadata)
            out.append(frame.to_ndarray().reshape(self.channels, -1))

    def push(self, block: AudioBlock) -> list[AudioBlock]:
        """Filter one block ``(channels, n)``; returns whatever the chain has output so far."""
        data = np.ascontiguousarray(block, dtype=np.float32).reshape(self.channels, -1)
        if data.shape[1] == 0:
            return []
        frame = av.AudioFrame.from_ndarray(data, format="fltp", layout=self._layout)
        frame.sample_rate = self.sample_rate_hz
        frame.pts = self._pts
        frame.time_base = Fraction(1, self.sample_rate_hz)
        self._pts += data.shape[1]
        self._graph.push(frame)
        return self._pull()

    def close(self) -> list[AudioBlock]:
        """Flush the chain; returns the remaining output."""
        self._graph.push(None)
        return self._pull()


@dataclass(frozen=True)
class LoudnessMeasurement:
    """Loudness of some audio, per ITU-R BS.1770-4 / EBU R128.

    Attributes:
        integrated_lufs: gated integrated loudness, LUFS; ``None`` when nothing passed the
            −70 LUFS absolute gate (silence, or shorter than one 400 ms block).
        true_peak_dbtp: highest true peak over all channels, dBTP (``None`` if not measured
            or silent). Measured by FFmpeg's ``ebur128`` on a 4× oversampled signal (the
            BS.1770-4 Annex 2 method: upsample to 192 kHz, take the sample peak).
        duration_s: audio measured, seconds.
    """

    integrated_lufs: float | None
    true_peak_dbtp: float | None
    duration_s: float


class LoudnessMeter:
    """A streaming BS.1770-4 meter: FFmpeg's ``ebur128`` filter (``peak=true`` for the true
    peak). Feed blocks with :meth:`add`, read :meth:`result` once at the end.

    Args:
        channels: 1 or 2.
        true_peak: also measure the true peak (about 1.7× the cost).
    """

    def __init__(self, channels: int, *, true_peak: bool = False) -> None:
        args = "metadata=1" + (":peak=true" if true_peak else "")
        self._chain = AudioFilterChain([("ebur128", args)], channels=channels)
        self._true_peak = true_peak
        self._n = 0
        self._result: LoudnessMeasurement | None = None

    def add(self, block: AudioBlock) -> None:
        """Measure one more block ``(channels, n)`` (or ``(n,)`` for mono)."""
        data = np.asarray(block, dtype=np.float32).reshape(self._chain.channels, -1)
        self._n += data.shape[1]
        self._chain.push(data)

    def result(self) -> LoudnessMeasurement:
        """The measurement of everything added (the meter is closed by the first call)."""
        if self._result is None:
            self._chain.close()
            meta = self._chain.metadata
            integrated = _float_or_none(meta.get("lavfi.r128.I"))
            if integrated is not None and integrated <= -70.0:
                integrated = None
            peak: float | None = None
            if self._true_peak:
                linear = _float_or_none(meta.get("lavfi.r128.true_peak"))
                peak = 20.0 * math.log10(linear) if linear and linear > 0 else None
            self._result = LoudnessMeasurement(
                integrated, peak, self._n / self._chain.sample_rate_hz
            )
        return self._result


def _float_or_none(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def measure_loudness(samples: np.ndarray, *, true_peak: bool = False) -> LoudnessMeasurement:
    """Loudness of audio held in memory: mono ``(n,)`` or planar ``(channels, n)`` float32 at
    :data:`SAMPLE_RATE_HZ` (see :class:`LoudnessMeter`)."""
    data = np.asarray(samples, dtype=np.float32)
    channels = 1 if data.ndim == 1 else data.shape[0]
    meter = LoudnessMeter(channels, true_peak=true_peak)
    data = data.reshape(channels, -1)
    for start in range(0, data.shape[1], AUDIO_BLOCK_SAMPLES):
        meter.add(data[:, start : start + AUDIO_BLOCK_SAMPLES])
    return meter.result()


def probe_audio_file(path: str | Path) -> float:
    """Duration of the first audio stream of ``path`` in seconds (decoding it, as headers of
    MP3/OGG files may lie).

    Raises:
        ValueError: no audio stream, or nothing decodable.
        OSError / av.error.FFmpegError: unreadable file.
    """
    n = 0
    rate = SAMPLE_RATE_HZ
    for block in iter_audio_file(path, channels=1):
        n += block.shape[1]
    if n == 0:
        raise ValueError(f"{path} has no decodable audio")
    return n / rate


def iter_audio_file(
    path: str | Path, *, channels: int = 2, block_samples: int = AUDIO_BLOCK_SAMPLES
) -> Iterator[AudioBlock]:
    """Decode any audio file FFmpeg reads (MP3, WAV, M4A/AAC, OGG/Vorbis/Opus, FLAC) to planar
    float32 blocks ``(channels, ≤ block_samples)`` at :data:`SAMPLE_RATE_HZ`, streaming (one
    block in memory at a time).

    Raises:
        ValueError: the file has no audio stream.
        OSError / av.error.FFmpegError: unreadable file.
    """
    layout = _layout(channels)
    with av.open(str(path)) as container:
        if not container.streams.audio:
            raise ValueError(f"{path} has no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE_HZ)
        pending: list[np.ndarray] = []
        size = 0
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                pending.append(out.to_ndarray().reshape(channels, -1))
                size += pending[-1].shape[1]
                if size >= block_samples:
                    yield np.concatenate(pending, axis=1)
                    pending, size = [], 0
        for out in resampler.resample(None):
            pending.append(out.to_ndarray().reshape(channels, -1))
        if pending:
            yield np.concatenate(pending, axis=1)


# ---------------------------------------------------------------------------------------------
# Encoder probing
# ---------------------------------------------------------------------------------------------

ENCODER_PREFERENCES: tuple[str, ...] = ("auto", "nvenc", "qsv", "amf", "videotoolbox", "x264")
"""Values accepted by :func:`probe_encoder` (and the CLI's ``--encoder``)."""

_HARDWARE_CANDIDATES: tuple[tuple[str, str, str], ...] = (
    # (preference, FFmpeg codec name, label shown to the user)
    ("nvenc", "h264_nvenc", "NVIDIA NVENC (GPU)"),
    ("qsv", "h264_qsv", "Intel Quick Sync (GPU)"),
    ("amf", "h264_amf", "AMD AMF (GPU)"),
    ("videotoolbox", "h264_videotoolbox", "Apple VideoToolbox"),
)
_X264 = ("x264", "libx264", "x264 (CPU)")

_PROBE_LOCK = threading.Lock()
_PROBE_CACHE: dict[str, str | None] = {}
"""Codec name → ``None`` if it opened, else the reason it did not. One probe per process."""


@dataclass(frozen=True)
class EncodeSettings:
    """How one video is encoded. Everything here shapes the bits of a segment.

    Attributes:
        fps: frame rate, frames per second (constant frame rate).
        width_px, height_px: frame size; both must be even for yuv420p.
        crf: constant rate factor for x264 (0–51, lower is better; 23 is x264's default).
            Hardware encoders get the nearest equivalent (NVENC ``cq``, QSV ``global_quality``).
        preset: x264 preset. ``"ultrafast"`` is the default because on the 2-core reference
            machine it encodes static 1080p frames for 3.4 ms CPU each against 6.0 ms for
            ``"superfast"`` and ~7 ms for ``"veryfast"``, with the same or better PSNR at CRF 23
            (38 dB vs 36–37 dB on text slides; it spends ~2–3× the bits instead); see
            ``benchmarks/encode_bench.py``.
        keyint_s: distance between IDR keyframes in seconds (seeking granularity).
        pix_fmt: pixel format of the encoded video; players expect ``"yuv420p"``.
        threads: encoder threads (x264 frame threading); ``0`` lets x264 choose.
        repeat_frames: code a frame that repeats the previous one as an all-skip P frame
            written by :mod:`pipeline.h264` instead of running x264 on it (x264 spends ~7 ms
            of CPU analysing an unchanged 1080p frame; the written frame decodes to the same
            picture). Used only where the stream allows it (x264 ``ultrafast``: CAVLC, no
            B-frames); keyframes still come every ``keyint_s``.
    """

    fps: int = 30
    width_px: int = 1920
    height_px: int = 1080
    crf: int = 23
    preset: str = "ultrafast"
    keyint_s: float = 2.0
    pix_fmt: str = "yuv420p"
    threads: int = 2
    repeat_frames: bool = True

    @property
    def keyint_frames(self) -> int:
        """Distance between keyframes in frames (at least 1)."""
        return max(1, round(self.keyint_s * self.fps))

    def cache_token(self) -> str:
        """A string that changes whenever these settings would change a segment's bits.

        ``threads`` is left out on purpose: with frame threading the bits may differ slightly
        between thread counts, but the picture and the parameter sets (SPS/PPS) do not, so a
        cached segment stays valid and joinable.
        """
        return (
            f"{self.width_px}x{self.height_px}@{self.fps}:{self.pix_fmt}:crf={self.crf}:"
            f"preset={self.preset}:keyint={self.keyint_frames}"
            + (":repeat" if self.repeat_frames else "")
        )


@dataclass(frozen=True)
class EncoderChoice:
    """The H.264 encoder a job uses.

    Attributes:
        codec_name: FFmpeg encoder name (``"libx264"``, ``"h264_nvenc"``, …).
        label: human-readable name for the UI (``"x264 (CPU)"``).
        hardware: True for GPU/ASIC encoders.
        options: the encoder's private options (FFmpeg ``-x`` options), e.g. x264
            ``{"preset": "ultrafast", "crf": "23"}`` or NVENC ``{"preset": "p4", "rc": "vbr",
            "cq": "23"}``. :meth:`codec_options` refreshes the quality ones from
            :class:`EncodeSettings`.
    """

    codec_name: str
    label: str
    hardware: bool
    options: dict[str, str] = field(default_factory=dict)

    def codec_options(self, settings: EncodeSettings) -> dict[str, str]:
        """The options passed to the codec when encoding with ``settings``."""
        options = dict(self.options)
        options.update(_quality_options(self.codec_name, settings))
        return options

    def cache_token(self) -> str:
        """A string for cache keys: encoder name, options and the libavcodec version.

        The library version is included because segments are concatenated without
        re-encoding and must share one set of H.264 parameter sets (SPS/PPS).
        """
        opts = ",".join(f"{k}={v}" for k, v in sorted(self.options.items()))
        lavc = ".".join(str(part) for part in av.library_versions["libavcodec"])
        return f"{self.codec_name}[{opts}]@lavc{lavc}"


def _quality_options(codec_name: str, settings: EncodeSettings) -> dict[str, str]:
    """Map :class:`EncodeSettings` quality fields onto one encoder's private options."""
    crf = str(settings.crf)
    if codec_name == "libx264":
        return {"preset": settings.preset, "crf": crf}
    if codec_name == "h264_nvenc":
        return {"preset": "p4", "rc": "vbr", "cq": crf, "b": "0"}
    if codec_name == "h264_qsv":
        return {"preset": "veryfast", "global_quality": crf}
    if codec_name == "h264_amf":
        return {"quality": "speed", "rc": "cqp", "qp_i": crf, "qp_p": crf}
    if codec_name == "h264_videotoolbox":
        # VideoToolbox has no CRF; q:v is 1..100 (higher is better). 23 ↦ ~65.
        return {"q:v": str(max(1, min(100, 100 - round(settings.crf * 1.5))))}
    return {}


def _probe_codec(codec_name: str) -> str | None:
    """Open a tiny encoder context once per process; ``None`` if it works, else why not."""
    with _PROBE_LOCK:
        if codec_name in _PROBE_CACHE:
            return _PROBE_CACHE[codec_name]
        reason: str | None = None
        if codec_name == "h264_videotoolbox" and sys.platform != "darwin":
            reason = "VideoToolbox exists only on macOS"
        else:
            try:
                ctx = av.CodecContext.create(codec_name, "w")
                # every name probed here is a video encoder (PyAV types a name known only at
                # run time as the generic context)
                assert isinstance(ctx, av.VideoCodecContext), type(ctx)
                ctx.width = 256
                ctx.height = 256
                ctx.pix_fmt = "yuv420p"
                ctx.time_base = Fraction(1, 30)
                ctx.open()
            except av.codec.codec.UnknownCodecError:
                reason = "this FFmpeg build does not include it"
            except (av.error.FFmpegError, OSError, ValueError) as exc:
                reason = f"it could not be opened ({exc}); no suitable GPU or driver"
        _PROBE_CACHE[codec_name] = reason
        return reason


def available_encoders() -> dict[str, str | None]:
    """Every candidate encoder → ``None`` if it can be used here, else the reason it cannot.

    Results are cached per process (the first call costs a few milliseconds).
    """
    names = [codec for _, codec, _ in _HARDWARE_CANDIDATES] + [_X264[1]]
    return {name: _probe_codec(name) for name in names}


def _make_choice(preference: str, codec_name: str, label: str) -> EncoderChoice:
    hardware = preference != "x264"
    return EncoderChoice(
        codec_name=codec_name,
        label=label,
        hardware=hardware,
        options=_quality_options(codec_name, EncodeSettings()),
    )


def probe_encoder(preference: str = "auto") -> EncoderChoice:
    """Choose the H.264 encoder: a working hardware encoder if any, else libx264.

    ``"auto"`` tries ``h264_nvenc``, ``h264_qsv``, ``h264_amf`` and (on macOS)
    ``h264_videotoolbox`` in that order by opening a 256×256 codec context (about 1 ms each,
    cached per process), then falls back to ``libx264``. Any other value forces that encoder.

    Raises:
        EncoderUnavailableError: the forced encoder cannot be opened here (or the preference is
            not one of :data:`ENCODER_PREFERENCES`).
    """
    pref = preference.strip().lower()
    if pref not in ENCODER_PREFERENCES:
        raise EncoderUnavailableError(
            f"unknown encoder {preference!r}",
            hint=f"use one of: {', '.join(ENCODER_PREFERENCES)}",
        )
    candidates = [*_HARDWARE_CANDIDATES, _X264]
    if pref != "auto":
        candidates = [c for c in candidates if c[0] == pref]
    for key, codec_name, label in candidates:
        reason = _probe_codec(codec_name)
        if reason is None:
            return _make_choice(key, codec_name, label)
        if pref != "auto":
            raise EncoderUnavailableError(
                f"the {label} encoder ({codec_name}) is not available: {reason}",
                hint="use --encoder auto or --encoder x264",
            )
    raise EncoderUnavailableError(  # only if even libx264 is missing from the build
        "no H.264 encoder could be opened (libx264 is missing from this FFmpeg build)",
        hint="reinstall Video Studio; the bundled PyAV must include libx264",
    )


# ---------------------------------------------------------------------------------------------
# Atomic output files and error mapping
# ---------------------------------------------------------------------------------------------


def _temp_path_for(out_path: Path) -> Path:
    """A unique hidden temporary name in the target's folder (same filesystem → atomic rename),
    carrying this process's id (see :func:`pipeline.fsutil.temp_path_for`)."""
    return temp_path_for(out_path)


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _as_encode_error(exc: BaseException, target: Path, what: str) -> StudioError:
    """Turn an FFmpeg/OS error into an error the user can act on: a full, read-only or
    forbidden folder becomes a :class:`~pipeline.preflight.StorageError` naming it; anything
    else an :class:`EncodeError`."""
    if isinstance(exc, OSError):
        from pipeline.preflight import storage_error

        translated = storage_error(exc, target.parent, f"the {what} {target.name}")
        if translated is not None:
            return translated
    return EncodeError(
        f"writing {what} {target.name} failed: {exc}",
        hint="run again; if it keeps failing, try --encoder x264 and report the error",
    )


def _mux(container: av.container.OutputContainer, packet: av.Packet) -> None:
    """Write one packet (a seam so tests can inject write failures such as ENOSPC)."""
    container.mux(packet)


# ---------------------------------------------------------------------------------------------
# Segment encoding
# ---------------------------------------------------------------------------------------------

FRAME_BATCH = 15
"""Frames between cancel checks and progress reports in :func:`encode_segment`."""


@dataclass(frozen=True)
class SegmentInfo:
    """What :func:`encode_segment` wrote.

    Attributes:
        path: the finished segment file.
        n_frames: frames encoded (``duration_s * fps``).
        n_drawn: frames actually drawn and converted (changed ``frame_key``); the rest reused
            the previous frame.
        n_repeated: frames written as exact repeats without the encoder
            (:attr:`EncodeSettings.repeat_frames`); 0 when the stream does not allow them.
        duration_s: ``n_frames / fps``.
        encoder: the encoder's codec name.
        size_bytes: file size.
        wall_s: wall-clock seconds spent.
    """

    path: Path
    n_frames: int
    n_drawn: int
    n_repeated: int
    duration_s: float
    encoder: str
    size_bytes: int
    wall_s: float


def _rgb_to_yuv(
    rgb: np.ndarray, settings: EncodeSettings, reformatter: VideoReformatter | None = None
) -> av.VideoFrame:
    """Convert one RGB frame (H, W, 3) uint8 to a BT.709 limited-range ``pix_fmt`` frame.

    Uses libswscale through PyAV on the array's own memory (``from_numpy_buffer``: 9 ms per
    1080p frame when the array was first copied). Pass one ``reformatter`` for all the frames
    of a segment: it keeps its swscale context, which ``VideoFrame.reformat`` sets up anew
    for every frame (6.1 → 3.8 ms of CPU per 1080p frame with ``settings.threads`` 1,
    measured on the reference machine; the converted pixels are identical).

    Raises:
        ValueError: wrong shape or dtype.
    """
    expected = (settings.height_px, settings.width_px, 3)
    if rgb.shape != expected or rgb.dtype != np.uint8:
        raise ValueError(
            f"frame has shape {rgb.shape} dtype {rgb.dtype}; expected {expected} uint8"
        )
    # Wrapped, not copied: swscale reads the array directly (a 6.2 MB copy less per frame).
    frame = av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(rgb), format="rgb24")
    out = (reformatter or VideoReformatter()).reformat(
        frame,
        format=settings.pix_fmt,
        dst_colorspace=Colorspace.ITU709,
        threads=max(0, settings.threads),
    )
    out.color_range = _AVCOL_RANGE_MPEG
    return out


# FFmpeg enum values (libavutil/pixfmt.h): BT.709 primaries/transfer/matrix, limited range.
_AVCOL_BT709 = 1
_AVCOL_RANGE_MPEG = 1


def _add_video_stream(
    container: av.container.OutputContainer, settings: EncodeSettings, encoder: EncoderChoice
) -> av.VideoStream:
    stream = container.add_stream(encoder.codec_name, rate=settings.fps)
    # encoder.codec_name is always a video encoder (PyAV types a name known only at run time
    # as any kind of stream)
    assert isinstance(stream, av.VideoStream), type(stream)
    stream.width = settings.width_px
    stream.height = settings.height_px
    stream.pix_fmt = settings.pix_fmt
    stream.time_base = Fraction(1, settings.fps)
    ctx = stream.codec_context
    ctx.gop_size = settings.keyint_frames
    ctx.colorspace = _AVCOL_BT709
    ctx.color_primaries = _AVCOL_BT709
    ctx.color_trc = _AVCOL_BT709
    ctx.color_range = _AVCOL_RANGE_MPEG
    if encoder.codec_name == "libx264":
        # Frame threading: 10–25 % faster than slice threading here (measured, 1080p).
        ctx.thread_type = "FRAME"
        ctx.thread_count = max(0, settings.threads)
    stream.options = dict(encoder.codec_options(settings))  # PyAV: dict[str, object]
    return stream


def _may_repeat(settings: EncodeSettings, encoder: EncoderChoice) -> bool:
    """Whether to try repeat frames: asked for, and x264 (whose parameter sets are read)."""
    return settings.repeat_frames and encoder.codec_name == "libx264"


class _Repeats:
    """Interleave the encoder's packets with repeat frames in decoding order.

    x264 returns a frame's packet some frames after it was sent (frame threading), while a
    repeat is known at once; a repeat must follow the packet of the frame before it. Items
    wait in ``pending`` (frame index, encoded?) and leave in order. The H.264 writer is made
    from the stream's parameter sets once the encoder is open; if the stream cannot take
    repeats (:func:`pipeline.h264.supports_repeat_frames`), :meth:`repeat` says so and every
    frame is encoded.
    """

    def __init__(self, container: av.container.OutputContainer, stream: av.VideoStream) -> None:
        self.container = container
        self.stream = stream
        self.pending: deque[tuple[int, bool]] = deque()
        self.writer: h264.RepeatFrameWriter | None = None
        self.opened = False

    def repeat(self, index: int) -> bool:
        """Queue frame ``index`` as a repeat; ``False`` if it must be encoded instead."""
        if self.writer is None:
            return False
        self.pending.append((index, False))
        self._drain()
        return True

    def encoded(self, index: int | None, packets: Iterable[av.Packet]) -> None:
        """Frame ``index`` went to the encoder (``None``: the flush); mux what came back."""
        if index is not None:
            self.pending.append((index, True))
        if not self.opened:
            self.opened = True
            extradata = self.stream.codec_context.extradata
            with contextlib.suppress(h264.BitstreamError):
                params = h264.parse_parameter_sets(bytes(extradata or b""))
                if h264.supports_repeat_frames(params):
                    self.writer = h264.RepeatFrameWriter(params)
        if self.writer is None:  # no repeats: the encoder's packets as they come (B-frames)
            self.pending.clear()
            for packet in packets:
                _mux(self.container, packet)
            return
        for packet in packets:
            if not self.pending or not self.pending[0][1] or self.pending[0][0] != packet.pts:
                raise EncodeError(
                    f"the encoder returned frame {packet.pts} out of order",
                    hint="run again with --encoder x264; report this error",
                )
            self.pending.popleft()
            data = self.writer.renumber(bytes(packet))
            self._mux(data, packet.pts, packet.dts, packet.is_keyframe)
            self._drain()

    def finish(self) -> None:
        """Check that every frame left (after the flush).

        Raises:
            EncodeError: the encoder returned fewer packets than frames.
        """
        self._drain()
        if self.pending:
            raise EncodeError(
                f"the encoder returned no packet for frame {self.pending[0][0]}",
                hint="run again with --encoder x264; report this error",
            )

    def _drain(self) -> None:
        while self.pending and not self.pending[0][1]:
            assert self.writer is not None  # repeats are queued only with a writer
            index, _ = self.pending.popleft()
            self._mux(self.writer.repeat(), index, index, False)

    def _mux(self, data: bytes, pts: int | None, dts: int | None, keyframe: bool) -> None:
        packet = av.Packet(data)
        packet.stream = self.stream
        packet.time_base = self.stream.codec_context.time_base  # 1/fps: frame indices
        packet.pts = pts
        packet.dts = dts
        packet.duration = 1
        packet.is_keyframe = keyframe
        _mux(self.container, packet)


def encode_segment(
    source: FrameSource,
    n_frames: int,
    settings: EncodeSettings,
    encoder: EncoderChoice,
    out_path: Path,
    *,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCEL,
) -> SegmentInfo:
    """Encode one scene's video (no audio) to an MP4 segment at ``out_path``.

    Frame ``i`` shows ``source.frame_at(i / fps)`` with ``pts = i`` in time base ``1/fps``
    (as in PyAV's ``examples/numpy/generate_video_with_pts.py``); the encoder is flushed at
    the end. A frame whose ``frame_key`` equals the previous frame's is neither drawn nor
    converted again, and with :attr:`EncodeSettings.repeat_frames` (x264 ``ultrafast``) not
    encoded either: :mod:`pipeline.h264` writes it as an exact repeat, except where a
    keyframe is due (every ``keyint_s``), when the same picture goes to the encoder as an
    IDR frame. Elsewhere the same yuv420p frame object is re-sent with a new pts. The
    segment starts with an IDR keyframe, so segments can be joined by
    :func:`concat_and_mux`.

    The file is written to a hidden temporary name beside ``out_path`` and renamed into place;
    on any failure or cancellation the temporary file is deleted and ``out_path`` is untouched.

    Args:
        source: the scene's frames (each ``(height_px, width_px, 3)`` uint8 RGB).
        n_frames: number of frames to encode (≥ 1).
        settings: frame size, rate and quality.
        encoder: from :func:`probe_encoder`.
        out_path: the segment file to create (``.mp4``).
        progress: ``(fraction, message)`` every :data:`FRAME_BATCH` frames.
        cancel: checked every :data:`FRAME_BATCH` frames.

    Raises:
        Cancelled: ``cancel`` was set.
        EncodeError: the encoder or the disk failed.
        ValueError: ``n_frames < 1`` or a frame has the wrong shape/dtype.
    """
    if n_frames < 1:
        raise ValueError(f"n_frames must be at least 1, got {n_frames}")
    started = time.perf_counter()
    out_path = Path(out_path)
    fps = settings.fps
    n_drawn = 0
    n_repeated = 0
    with _atomic_output(out_path, "segment") as tmp:
        with av.open(str(tmp), mode="w", format="mp4") as container:
            stream = _add_video_stream(container, settings, encoder)
            writer = _Repeats(container, stream) if _may_repeat(settings, encoder) else None
            reformatter = VideoReformatter()  # one swscale context for the whole segment
            last_key: Hashable = None
            frame: av.VideoFrame | None = None
            last_keyframe = 0
            for index in range(n_frames):
                if index % FRAME_BATCH == 0:
                    cancel.raise_if_cancelled()
                    if index:
                        progress(index / n_frames, f"frame {index}/{n_frames}")
                t_s = index / fps
                key = source.frame_key(t_s)
                changed = frame is None or key != last_key
                if changed:
                    frame = _rgb_to_yuv(source.frame_at(t_s), settings, reformatter)
                    last_key = key
                    n_drawn += 1
                assert frame is not None
                frame.pts = index
                if writer is None:
                    for packet in stream.encode(frame):
                        _mux(container, packet)
                    continue
                keyframe_due = index - last_keyframe >= settings.keyint_frames
                if not changed and not keyframe_due and writer.repeat(index):
                    n_repeated += 1
                    continue
                # An unchanged frame sent only to start a keyframe interval is coded as one.
                frame.pict_type = av.video.frame.PictureType.I if keyframe_due else 0
                if keyframe_due:
                    last_keyframe = index
                writer.encoded(index, stream.encode(frame))
            cancel.raise_if_cancelled()
            if writer is None:
                for packet in stream.encode(None):
                    _mux(container, packet)
            else:
                writer.encoded(None, stream.encode(None))
                writer.finish()
    progress(1.0, f"encoded {n_frames} frames")
    return SegmentInfo(
        path=out_path,
        n_frames=n_frames,
        n_drawn=n_drawn,
        n_repeated=n_repeated,
        duration_s=n_frames / fps,
        encoder=encoder.codec_name,
        size_bytes=out_path.stat().st_size,
        wall_s=time.perf_counter() - started,
    )


@dataclass(frozen=True)
class SegmentJob:
    """One segment for :func:`encode_segments_parallel`: a scene's frames and where they go."""

    source: FrameSource
    n_frames: int
    out_path: Path


def encode_segments_parallel(
    jobs: Sequence[SegmentJob],
    settings: EncodeSettings,
    encoder: EncoderChoice,
    *,
    max_workers: int = 2,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCEL,
) -> list[SegmentInfo]:
    """Encode several segments side by side on threads; results in the order of ``jobs``.

    PyAV releases the GIL while x264 encodes and while swscale converts, so two segments on
    two threads (each x264 instance with ``threads // max_workers`` frame threads) keep both
    cores busier than one segment with two frame threads. Measured on the 2-core reference
    machine: static 1080p frames 552 fps (2 segments × 1 thread) vs 452 fps (1 segment ×
    2 frame threads); ``benchmarks/encode_bench.py`` (60 s, 6 scenes, ultrafast) 5.3 s vs
    11.5 s wall while other work kept the load average near 2.4.

    ``progress`` is called from worker threads (it must be thread-safe) with the overall
    fraction weighted by frame counts. If one job fails, the others are cancelled, their
    temporary files removed, and the first error is raised; finished segments stay.

    Raises:
        Cancelled, EncodeError, ValueError: as :func:`encode_segment`.
    """
    if not jobs:
        return []
    workers = max(1, min(max_workers, len(jobs)))
    per_job = replace(settings, threads=max(1, settings.threads // workers))
    total = float(sum(job.n_frames for job in jobs))
    done = [0.0] * len(jobs)
    lock = threading.Lock()
    inner = CancelToken(parent=cancel)  # cancelled with `cancel`; also stops sibling jobs

    def _job_progress(i: int) -> Progress:
        def _report(fraction: float, message: str) -> None:
            with lock:
                done[i] = fraction * jobs[i].n_frames
                overall = sum(done) / total
            progress(overall, f"segment {i + 1}/{len(jobs)}: {message}")

        return _report

    def _run(i: int) -> SegmentInfo:
        job = jobs[i]
        try:
            return encode_segment(
                job.source,
                job.n_frames,
                per_job,
                encoder,
                job.out_path,
                progress=_job_progress(i),
                cancel=inner,
            )
        except BaseException:
            inner.cancel()
            raise

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="encode") as pool:
        futures = [pool.submit(_run, i) for i in range(len(jobs))]
        errors = [f.exception() for f in futures]
    # Report the root cause, not a sibling's "cancelled" caused by it.
    first = next((e for e in errors if e is not None and not isinstance(e, Cancelled)), None)
    first = first or next((e for e in errors if e is not None), None)
    if first is not None:
        raise first
    return [f.result() for f in futures]


# ---------------------------------------------------------------------------------------------
# Concatenation and muxing
# ---------------------------------------------------------------------------------------------

_AUDIO_CHUNK_SAMPLES = 48 * 1024
"""Samples per frame handed to the AAC encoder (PyAV splits them into 1024-sample frames)."""


class AudioSource(Protocol):
    """Audio streamed into :func:`concat_and_mux` (e.g. :class:`pipeline.audio.master.MasteredAudio`).

    ``channels`` is 1 or 2; ``blocks()`` yields planar float32 ``(channels, n)`` blocks at
    :data:`SAMPLE_RATE_HZ`, ``n_samples`` in all (the muxer pads or cuts to the video).
    """

    channels: int
    n_samples: int

    def blocks(self) -> Iterator[np.ndarray]: ...


class _ArraySource:
    """A mono array as an :class:`AudioSource`."""

    def __init__(self, audio: MonoAudio) -> None:
        self._audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        self.channels = 1
        self.n_samples = len(self._audio)

    def blocks(self) -> Iterator[np.ndarray]:
        for start in range(0, self.n_samples, _AUDIO_CHUNK_SAMPLES):
            yield self._audio[start : start + _AUDIO_CHUNK_SAMPLES].reshape(1, -1)


def _fitted_blocks(source: AudioSource, n_samples: int) -> Iterator[np.ndarray]:
    """``source``'s blocks cut or padded with silence to exactly ``n_samples``, clipped to
    −1..1, re-cut to :data:`_AUDIO_CHUNK_SAMPLES` (one block in memory at a time)."""
    channels = source.channels
    pending = np.zeros((channels, 0), np.float32)
    produced = 0
    for block in source.blocks():
        data = np.asarray(block, dtype=np.float32).reshape(channels, -1)
        pending = np.concatenate([pending, data], axis=1) if pending.shape[1] else data
        while pending.shape[1] >= _AUDIO_CHUNK_SAMPLES and produced < n_samples:
            take = min(_AUDIO_CHUNK_SAMPLES, n_samples - produced)
            yield np.clip(pending[:, :take], -1.0, 1.0)
            pending = pending[:, take:]
            produced += take
        if produced >= n_samples:
            return
    while produced < n_samples:
        take = min(_AUDIO_CHUNK_SAMPLES, n_samples - produced)
        chunk = np.zeros((channels, take), np.float32)
        have = min(take, pending.shape[1])
        chunk[:, :have] = pending[:, :have]
        pending = pending[:, have:]
        yield np.clip(chunk, -1.0, 1.0)
        produced += take


def _encode_audio_worker(
    stream: av.AudioStream,
    source: AudioSource,
    n_samples: int,
    out: queue.Queue,
    stop: threading.Event,
) -> None:
    """Encode ``source`` fitted to ``n_samples`` to AAC on ``stream``'s encoder, packets
    into ``out`` (bounded: the source is produced as fast as the muxer takes packets).

    Ends with ``None`` on success or the exception on failure. Only the codec context is used
    here; the muxing thread owns the container.
    """
    layout = _layout(source.channels)
    try:
        position = 0
        for chunk in _fitted_blocks(source, n_samples):
            if stop.is_set():
                return
            frame = _audio_frame(chunk, layout, position)
            position += chunk.shape[1]
            for packet in stream.encode(frame):
                _put(out, packet, stop)
        for packet in stream.encode(None):
            _put(out, packet, stop)
        _put(out, None, stop)
    except BaseException as exc:  # handed to the muxing thread, which re-raises it
        _put(out, exc, stop)


def _put(out: queue.Queue, item: object, stop: threading.Event) -> None:
    """Put ``item`` on the bounded queue, giving up when ``stop`` is set."""
    while not stop.is_set():
        try:
            out.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


@dataclass(frozen=True)
class _SegmentFacts:
    """What :func:`concat_and_mux` needs to know of a segment before joining it."""

    codec: str
    width_px: int
    height_px: int
    pix_fmt: str
    extradata: bytes
    fps: float | None
    n_frames: int


def _segment_facts(path: Path) -> _SegmentFacts:
    """Open ``path``, read its video stream's parameters and frame count, close it again (so
    a join of hundreds of segments holds one open at a time).

    Raises:
        EncodeError: unreadable, or no video stream.
    """
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise EncodeError(
                    f"segment {path.name} has no video stream",
                    hint="delete the cached segments and render again",
                )
            stream = container.streams.video[0]
            ctx = stream.codec_context
            rate = stream.average_rate
            return _SegmentFacts(
                codec=ctx.name,
                width_px=int(ctx.width),
                height_px=int(ctx.height),
                pix_fmt=str(ctx.pix_fmt),
                extradata=bytes(ctx.extradata or b""),
                fps=float(rate) if rate is not None else None,
                n_frames=_segment_frames(container),
            )
    except (av.error.FFmpegError, OSError) as exc:
        raise EncodeError(
            f"cannot read a video segment: {exc}",
            hint="clear the render cache and render again",
        ) from exc


def _check_segments(facts: Sequence[_SegmentFacts], segments: Sequence[Path], fps: int) -> None:
    """Raise :class:`EncodeError` unless all segments share codec, size and parameter sets."""
    ref = facts[0]
    for path, seg in zip(segments, facts, strict=True):
        same = (seg.codec, seg.width_px, seg.height_px, seg.pix_fmt, seg.extradata) == (
            ref.codec,
            ref.width_px,
            ref.height_px,
            ref.pix_fmt,
            ref.extradata,
        )
        if not same:
            raise EncodeError(
                f"segment {path.name} was encoded with different settings than "
                f"{segments[0].name} ({seg.codec} {seg.width_px}x{seg.height_px} "
                f"{seg.pix_fmt}), so they cannot be joined without re-encoding",
                hint="clear the render cache and render again",
            )
        if seg.fps is not None and abs(seg.fps - fps) > 0.01:
            raise EncodeError(
                f"segment {path.name} runs at {seg.fps:.3f} fps, expected {fps}",
                hint="clear the render cache and render again",
            )


def _segment_frames(container: av.container.InputContainer) -> int:
    """Frames in a segment: the MP4 sample count, or by demuxing if the header has none."""
    stream = container.streams.video[0]
    if stream.frames:
        return int(stream.frames)
    count = sum(1 for p in container.demux(stream) if p.size)
    container.seek(0)
    return count


@dataclass(frozen=True)
class EncodedAudio:
    """A soundtrack already encoded to AAC by :func:`encode_audio`, for
    :func:`concat_and_mux` to copy instead of encoding.

    Attributes:
        path: an audio-only MP4 (``.m4a``) holding one AAC-LC track at
            :data:`SAMPLE_RATE_HZ`.
        n_samples: its length in samples (per channel).
    """

    path: Path
    n_samples: int


def encode_audio(
    audio: MonoAudio | AudioSource,
    n_samples: int,
    out_path: Path,
    *,
    audio_bitrate: int = 128_000,
    cancel: CancelToken = NEVER_CANCEL,
) -> EncodedAudio:
    """Encode a soundtrack to AAC-LC now, so that muxing it later is a copy.

    The audio is fitted to ``n_samples`` (cut, or padded with silence) and clipped to −1..1,
    then encoded as :func:`concat_and_mux` would (48 kHz, mono at ``audio_bitrate``, stereo at
    1.5 × ``audio_bitrate``). A render encodes its sound this way beside the video encoding,
    where a core is partly idle, instead of in the mux, where it was the longest part (0.57 s
    of the explainer's 0.8 s mux, measured on the reference machine).

    The file is written to a hidden temporary name beside ``out_path`` and renamed into
    place; on failure nothing is left at ``out_path``.

    Raises:
        Cancelled: ``cancel`` was set (checked every block).
        EncodeError: codec failure or disk full.
        ValueError: ``n_samples < 1``.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1, got {n_samples}")
    source = _ArraySource(audio) if isinstance(audio, np.ndarray) else audio
    bit_rate = audio_bitrate if source.channels == 1 else audio_bitrate * 3 // 2
    path = write_audio_file(
        _fitted_blocks(source, n_samples), source.channels, Path(out_path), bit_rate=bit_rate,
        cancel=cancel,
    )  # fmt: skip
    return EncodedAudio(path, n_samples)


def _add_aac_stream(
    output: av.container.OutputContainer, channels: int, audio_bitrate: int
) -> av.AudioStream:
    """An opened AAC-LC encoder stream at :data:`SAMPLE_RATE_HZ` (stereo at 1.5 × the
    bitrate)."""
    stream = output.add_stream("aac", rate=SAMPLE_RATE_HZ, layout=_layout(channels))
    stream.bit_rate = audio_bitrate if channels == 1 else audio_bitrate * 3 // 2
    stream.time_base = Fraction(1, SAMPLE_RATE_HZ)
    stream.codec_context.open()  # here, before another thread or the header uses it
    return stream


def _audio_frame(chunk: np.ndarray, layout: str, position: int) -> av.AudioFrame:
    """Planar float32 ``(channels, n)`` as a frame starting at sample ``position``."""
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(chunk, dtype=np.float32), format="fltp", layout=layout
    )
    frame.sample_rate = SAMPLE_RATE_HZ
    frame.pts = position
    frame.time_base = Fraction(1, SAMPLE_RATE_HZ)
    return frame


def _copy_audio_worker(
    path: Path, stream: av.AudioStream, out: queue.Queue, stop: threading.Event
) -> None:
    """Put the AAC packets of ``path`` (from :func:`encode_audio`) into ``out`` in order, as
    packets of ``stream``, then ``None``; the exception instead on failure."""
    try:
        with av.open(str(path)) as container:
            for packet in container.demux(container.streams.audio[0]):
                if stop.is_set():
                    return
                if packet.size:
                    packet.stream = stream
                    _put(out, packet, stop)
        _put(out, None, stop)
    except BaseException as exc:  # handed to the muxing thread, which re-raises it
        _put(out, exc, stop)


def concat_and_mux(
    segments: Sequence[Path],
    audio: MonoAudio | AudioSource | EncodedAudio,
    out_path: Path,
    *,
    fps: int,
    audio_bitrate: int = 128_000,
    faststart: bool = True,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCEL,
) -> None:
    """Join video segments without re-encoding and mux one continuous AAC track.

    Video packets are copied from each segment in order, their pts/dts offset by the frames
    of the segments before (time base ``1/fps``). The output video stream takes the first
    segment's codec parameters, including its avcC extradata (SPS/PPS); segments from
    separately opened x264 encoders with the same settings have byte-identical parameter sets
    (checked here, else :class:`EncodeError`). Each segment starts with an IDR frame.

    The audio is fitted to the video's length (cut, or padded with silence) so both tracks end
    together, and encoded once to AAC-LC, 48 kHz, mono or stereo as the source is (stereo at
    1.5 × ``audio_bitrate``), on its own thread while the video is copied; packets are interleaved by
    time. An :class:`AudioSource` is streamed block by block (the whole track is never in
    memory); the encoder thread waits when the muxer falls behind (bounded queue). An
    :class:`EncodedAudio` (from :func:`encode_audio`, fitted to the video's length) is copied
    packet for packet instead. With ``faststart`` the ``moov`` atom is moved in front of
    ``mdat`` (``movflags=+faststart``).

    The file is written to a hidden temporary name beside ``out_path`` and renamed into place
    only when complete; on failure the temporary file is removed and an existing ``out_path``
    is left untouched.

    Args:
        segments: segment files from :func:`encode_segment`, in playing order (≥ 1).
        audio: the soundtrack: mono float32 at :data:`SAMPLE_RATE_HZ`, an
            :class:`AudioSource` (mono or stereo, streamed), or an :class:`EncodedAudio` of
            exactly the video's length.
        out_path: the final ``.mp4``.
        fps: frame rate of the segments.
        audio_bitrate: AAC bitrate in bits per second.
        faststart: put the index first so playback can start before the download ends.
        progress: ``(fraction, message)`` as packets are copied.
        cancel: checked every 30 video packets.

    Raises:
        Cancelled: ``cancel`` was set.
        EncodeError: segments cannot be joined, unreadable segment, disk full, codec error.
        ValueError: no segments, or an :class:`EncodedAudio` of another length.
    """
    if not segments:
        raise ValueError("concat_and_mux needs at least one segment")
    segments = [Path(s) for s in segments]
    out_path = Path(out_path)
    tmp = _temp_path_for(out_path)
    stop = threading.Event()
    try:
        facts = [_segment_facts(path) for path in segments]  # one open at a time
        _check_segments(facts, segments, fps)
        seg_frames = [seg.n_frames for seg in facts]
        total_frames = sum(seg_frames)
        n_samples = round(total_frames * SAMPLE_RATE_HZ / fps)
        if isinstance(audio, EncodedAudio) and audio.n_samples != n_samples:
            raise ValueError(
                f"the encoded audio has {audio.n_samples} samples; the video needs {n_samples}"
            )

        options = {"movflags": "+faststart"} if faststart else {}
        with (
            av.open(str(tmp), mode="w", format="mp4", options=options) as output,
            av.open(str(segments[0])) as first,
            contextlib.ExitStack() as stack,
        ):
            vout = output.add_stream_from_template(first.streams.video[0])
            audio_q: queue.Queue = queue.Queue(maxsize=256)
            if isinstance(audio, EncodedAudio):
                encoded = stack.enter_context(av.open(str(audio.path)))
                aout = output.add_stream_from_template(encoded.streams.audio[0])
                task: tuple[Any, ...] = (_copy_audio_worker, (audio.path, aout, audio_q, stop))
            else:
                source = _ArraySource(audio) if isinstance(audio, np.ndarray) else audio
                aout = _add_aac_stream(output, source.channels, audio_bitrate)
                task = (_encode_audio_worker, (aout, source, n_samples, audio_q, stop))
            worker = threading.Thread(target=task[0], args=task[1], name="aac-encode", daemon=True)
            worker.start()
            try:
                _copy_and_interleave(
                    output, vout, segments, seg_frames, fps, audio_q, progress, cancel
                )
            finally:
                stop.set()
                worker.join()
            cancel.raise_if_cancelled()
            progress(0.99, "writing the index (faststart)" if faststart else "finishing")
        os.replace(tmp, out_path)
    except BaseException as exc:
        stop.set()
        _unlink_quietly(tmp)
        if isinstance(exc, (av.error.FFmpegError, OSError)):
            raise _as_encode_error(exc, out_path, "video") from exc
        raise
    progress(1.0, f"wrote {out_path.name}")


def _copy_and_interleave(
    output: av.container.OutputContainer,
    vout: av.VideoStream,
    segments: Sequence[Path],
    seg_frames: list[int],
    fps: int,
    audio_q: queue.Queue,
    progress: Progress,
    cancel: CancelToken,
) -> None:
    """Copy every segment's video packets (offset in time) and interleave queued audio.

    Segments are opened one at a time, in order, and closed when copied: memory does not
    grow with the number of segments (a 30-minute video has about 450 four-second chunks).
    """
    frame_tb = Fraction(1, fps)
    total_frames = max(1, sum(seg_frames))
    audio_done = False
    pending_audio: av.Packet | None = None

    def mux_audio_until(t_s: float | None) -> None:
        """Mux queued audio packets that start before ``t_s`` (all if None)."""
        nonlocal audio_done, pending_audio
        while not audio_done:
            if pending_audio is None:
                item = audio_q.get()
                if item is None:
                    audio_done = True
                    return
                if isinstance(item, BaseException):
                    raise item
                pending_audio = item
            start_s = _packet_start_s(pending_audio)
            if t_s is not None and start_s > t_s:
                return
            _mux(output, pending_audio)
            pending_audio = None

    copied = 0
    offset = 0
    for seg_index, path in enumerate(segments):
        with av.open(str(path)) as container:
            vin = container.streams.video[0]
            in_tb = vin.time_base
            if in_tb is None:  # FFmpeg's MP4 demuxer always sets it
                raise EncodeError(f"{path}: the video stream has no time base")
            for packet in container.demux(vin):
                if packet.dts is None or packet.size == 0:
                    continue  # the demuxer's flush packet
                if copied % 30 == 0:
                    cancel.raise_if_cancelled()
                    progress(copied / total_frames, f"joining segment {seg_index + 1}")
                pts = packet.pts if packet.pts is not None else packet.dts
                packet.pts = offset + round(pts * in_tb * fps)
                packet.dts = offset + round(packet.dts * in_tb * fps)
                packet.duration = 1
                packet.time_base = frame_tb
                packet.stream = vout
                mux_audio_until(float(packet.dts * frame_tb))
                _mux(output, packet)
                copied += 1
        offset += seg_frames[seg_index]
    mux_audio_until(None)


# ---------------------------------------------------------------------------------------------
# Probing finished files
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoStreamInfo:
    """The first video stream of a file.

    Attributes:
        codec: FFmpeg codec name (``"h264"``).
        pix_fmt: pixel format (``"yuv420p"``).
        width_px, height_px: frame size.
        fps: average frame rate (frames ÷ duration, FFmpeg's ``avg_frame_rate``).
        n_frames: frame count from the container index (0 if unknown).
        duration_s: stream duration in seconds (0.0 if unknown).
    """

    codec: str
    pix_fmt: str
    width_px: int
    height_px: int
    fps: float
    n_frames: int
    duration_s: float


@dataclass(frozen=True)
class AudioStreamInfo:
    """The first audio stream of a file: codec name, rate in Hz, channel count, seconds."""

    codec: str
    sample_rate_hz: int
    channels: int
    duration_s: float


@dataclass(frozen=True)
class MediaInfo:
    """What :func:`probe_media` read from a file's headers (nothing is decoded).

    Attributes:
        path: the file.
        format_name: FFmpeg demuxer name (``"mov,mp4,m4a,3gp,3g2,mj2"`` for MP4).
        duration_s: container duration in seconds (longest track, edit lists applied).
        video, audio: the first stream of each kind, or ``None``.
        faststart: True when the MP4 ``moov`` box precedes ``mdat`` (False for non-MP4).
    """

    path: Path
    format_name: str
    duration_s: float
    video: VideoStreamInfo | None
    audio: AudioStreamInfo | None
    faststart: bool


def _stream_duration_s(stream: av.stream.Stream) -> float:
    if stream.duration is None or stream.time_base is None:
        return 0.0
    return float(stream.duration * stream.time_base)


def mp4_top_level_boxes(path: Path) -> list[tuple[str, int, int]]:
    """The top-level boxes of an ISO-BMFF (MP4) file as ``(type, offset, size)`` in bytes.

    Box header layout per ISO/IEC 14496-12 §4.2: 32-bit big-endian size, 4-char type; size 1
    means a 64-bit size follows, size 0 means "to the end of the file". Stops at the first
    malformed header (a truncated file).
    """
    boxes: list[tuple[str, int, int]] = []
    file_size = os.path.getsize(path)
    with open(path, "rb") as fh:
        offset = 0
        while offset + 8 <= file_size:
            fh.seek(offset)
            header = fh.read(16)
            size = int.from_bytes(header[0:4], "big")
            kind = header[4:8].decode("latin-1")
            if size == 1:
                if len(header) < 16:
                    break
                size = int.from_bytes(header[8:16], "big")
            elif size == 0:
                size = file_size - offset
            if size < 8:
                break
            boxes.append((kind, offset, size))
            offset += size
    return boxes


def _is_faststart(path: Path) -> bool:
    kinds = [kind for kind, _, _ in mp4_top_level_boxes(path)]
    if "moov" not in kinds or "mdat" not in kinds:
        return False
    return kinds.index("moov") < kinds.index("mdat")


def probe_media(path: Path) -> MediaInfo:
    """Read a media file's container and stream headers (no decoding).

    Raises:
        av.error.FFmpegError (an ``OSError``/``ValueError`` subclass): unreadable file.
        FileNotFoundError: no such file.
    """
    path = Path(path)
    with av.open(str(path)) as container:
        video = audio = None
        if container.streams.video:
            vs = container.streams.video[0]
            ctx = vs.codec_context
            rate = vs.average_rate or vs.base_rate
            video = VideoStreamInfo(
                codec=ctx.name,
                pix_fmt=str(ctx.pix_fmt or ""),
                width_px=int(ctx.width),
                height_px=int(ctx.height),
                fps=float(rate) if rate else 0.0,
                n_frames=int(vs.frames or 0),
                duration_s=_stream_duration_s(vs),
            )
        if container.streams.audio:
            aus = container.streams.audio[0]
            actx = aus.codec_context
            audio = AudioStreamInfo(
                codec=actx.name,
                sample_rate_hz=int(actx.sample_rate or 0),
                channels=int(actx.channels or 0),
                duration_s=_stream_duration_s(aus),
            )
        duration_s = container.duration / av.time_base if container.duration else 0.0
        format_name = container.format.name
    return MediaInfo(
        path=path,
        format_name=format_name,
        duration_s=float(duration_s),
        video=video,
        audio=audio,
        faststart=_is_faststart(path) if "mp4" in format_name else False,
    )


@dataclass(frozen=True)
class DecodeReport:
    """What :func:`decode_check` found by decoding a whole file.

    Attributes:
        video_frames, audio_frames: decoded frame counts.
        audio_samples: decoded audio samples (per channel).
        expected_video_frames: frame count the container index promises (0 if unknown).
        video_end_s: pts of the last video frame plus one frame duration, seconds.
        audio_end_s: pts of the last audio frame plus its length, seconds.
        errors: one message per demux/decode error, plus one if fewer video frames were
            decoded than the index promises (a truncated file).
        loudness: integrated loudness and true peak of the decoded audio (BS.1770,
            :class:`LoudnessMeter`), or ``None`` without a mono/stereo audio track.
    """

    video_frames: int
    audio_frames: int
    audio_samples: int
    expected_video_frames: int
    video_end_s: float
    audio_end_s: float
    errors: list[str]
    loudness: LoudnessMeasurement | None = None

    @property
    def ok(self) -> bool:
        """True when the whole file decoded without any error."""
        return not self.errors


_MAX_DECODE_ERRORS = 20


@dataclass
class _StreamCheck:
    """What decoding one stream of a file found (a half of :class:`DecodeReport`)."""

    frames: int = 0
    samples: int = 0
    expected_frames: int = 0
    end_s: float = 0.0
    errors: list[str] = field(default_factory=list)
    loudness: LoudnessMeasurement | None = None

    def note(self, message: str) -> None:
        if len(self.errors) < _MAX_DECODE_ERRORS:
            self.errors.append(message)


def _check_stream(
    path: Path, kind: str, start_dts: int | None = None, end_dts: int | None = None
) -> _StreamCheck:
    """Decode every frame of the first ``kind`` (``"video"``/``"audio"``) stream of ``path``;
    meter the audio.

    ``start_dts``/``end_dts`` (video, in the stream's time base) limit the check to the
    packets with ``start_dts <= dts < end_dts``; ``start_dts`` must be an IDR access unit's
    (:func:`_video_split`), so no packet from there on refers to one before it.
    """
    check = _StreamCheck()
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        check.note(f"cannot open the file: {exc}")
        return check
    with container:
        stream = container.streams.video[0] if kind == "video" else container.streams.audio[0]
        stream.codec_context.options = {"err_detect": "explode"}
        step_s = 0.0
        if isinstance(stream, av.VideoStream):
            check.expected_frames = int(stream.frames or 0)
            step_s = 1.0 / float(stream.average_rate) if stream.average_rate else 0.0
        meter: LoudnessMeter | None = None
        resampler: av.AudioResampler | None = None
        if isinstance(stream, av.AudioStream) and stream.codec_context.channels in _LAYOUTS:
            channels = int(stream.codec_context.channels)
            meter = LoudnessMeter(channels, true_peak=True)
            resampler = av.AudioResampler(
                format="fltp", layout=_layout(channels), rate=SAMPLE_RATE_HZ
            )
        if start_dts is not None:
            try:
                container.seek(start_dts, stream=stream, backward=True)
            except (av.error.FFmpegError, OSError) as exc:
                check.note(f"cannot seek to the second half of the video: {exc}")
                return check
        pending: list[np.ndarray] = []  # decoded audio not yet metered, (channels, n) each
        pending_n = 0
        packets = container.demux(stream)
        while True:
            packet: av.Packet | None
            try:
                packet = next(packets)
            except StopIteration:
                break
            except (av.error.FFmpegError, OSError) as exc:
                check.note(f"demux error: {exc}")
                break
            if packet.dts is not None:
                if start_dts is not None and packet.dts < start_dts:
                    continue  # the other half's (the seek landed before the split)
                if end_dts is not None and packet.dts >= end_dts:
                    packet = None  # the other half's: flush the decoder and stop
            try:
                frames = stream.codec_context.decode(packet)
            except (av.error.FFmpegError, OSError, ValueError) as exc:
                where = _packet_time(packet) if packet is not None else "the end of the half"
                check.note(f"{kind} decode error at {where}: {exc}")
                if packet is None:
                    break
                continue
            for frame in frames:
                if not isinstance(frame, (av.VideoFrame, av.AudioFrame)):
                    continue  # only one video or audio stream is demuxed
                # frames flushed by decode(None) carry no time base: the stream's is theirs
                time_base = frame.time_base or stream.time_base
                if frame.pts is None or time_base is None:
                    continue
                start_s = float(frame.pts * time_base)
                check.frames += 1
                if isinstance(frame, av.VideoFrame):
                    check.end_s = max(check.end_s, start_s + step_s)
                elif isinstance(frame, av.AudioFrame):
                    check.samples += frame.samples
                    check.end_s = max(check.end_s, start_s + frame.samples / frame.sample_rate)
                    if meter is not None and resampler is not None:
                        for out in resampler.resample(frame):
                            pending.append(out.to_ndarray())
                            pending_n += out.samples
                        if pending_n >= AUDIO_BLOCK_SAMPLES:
                            # ~1 s blocks: the meter costs 2.6x more fed 1,024 samples a time
                            meter.add(np.concatenate(pending, axis=1))
                            pending, pending_n = [], 0
            if packet is None:
                break
        if meter is not None and pending:
            meter.add(np.concatenate(pending, axis=1))
        if meter is not None and check.samples:
            check.loudness = meter.result()
    return check


def _video_split(container: av.container.InputContainer) -> int | None:
    """The dts of an IDR access unit near the middle of the first video stream, where its
    decoding can be cut in two halves checked side by side; ``None`` when there is none (a
    short video, a stream that is not H.264, or keyframes that are not IDR pictures).

    An IDR picture empties the decoder's reference list and every picture before it in
    decoding order is output before it (ITU-T H.264 §8.2.5.1, C.4.4): the halves decode
    exactly the frames that one pass would.
    """
    stream = container.streams.video[0]
    if stream.codec_context.name != "h264" or not stream.duration or stream.time_base is None:
        return None
    length_size = h264.avcc_length_size(bytes(stream.codec_context.extradata or b""))
    try:
        middle = (stream.start_time or 0) + stream.duration // 2
        container.seek(middle, stream=stream, backward=True)
        packet = next(p for p in container.demux(stream) if p.size and p.dts is not None)
        if not packet.is_keyframe or not packet.dts:
            return None
        if h264.NAL_IDR not in h264.nal_types(bytes(packet), length_size):
            return None
    except (av.error.FFmpegError, OSError, StopIteration, h264.BitstreamError):
        return None
    return int(packet.dts)


def decode_check(path: Path) -> DecodeReport:
    """Decode every video and audio frame of ``path`` and count what came out.

    The decoded audio also goes through a BS.1770 meter (integrated loudness, true peak).
    Decoders run with ``err_detect=explode`` so corrupt data raises instead of being
    concealed; each error is counted and decoding continues with the next packet (at most 20
    messages are kept). An unreadable container is reported as an error, not raised.

    The audio and the two halves of the video (cut at an IDR picture, :func:`_video_split`)
    are checked side by side on three threads, each from its own opening of the file (FFmpeg
    decodes without Python's lock): on the 60-second explainer the check took 1.9 s with
    both streams demuxed together on one thread, 1.0 s with the video on one thread.
    """
    try:
        with av.open(str(path)) as container:
            kinds = [k for k in ("video", "audio") if getattr(container.streams, k)]
            split = _video_split(container) if "video" in kinds else None
    except (av.error.FFmpegError, OSError) as exc:
        return DecodeReport(0, 0, 0, 0, 0.0, 0.0, [f"cannot open the file: {exc}"])
    if not kinds:
        return DecodeReport(0, 0, 0, 0, 0.0, 0.0, ["the file has no audio or video stream"])
    parts: list[tuple[str, int | None, int | None]] = [
        (kind, None, None) for kind in kinds if kind == "audio"
    ]
    if "video" in kinds:
        halves = [(None, split), (split, None)] if split is not None else [(None, None)]
        parts += [("video", start, end) for start, end in halves]
    with ThreadPoolExecutor(len(parts), thread_name_prefix="decode-check") as pool:
        checks = list(pool.map(lambda part: _check_stream(path, *part), parts))
    audio = next((c for p, c in zip(parts, checks, strict=True) if p[0] == "audio"), None)
    audio = audio or _StreamCheck()
    video = _StreamCheck()
    for part, check in zip(parts, checks, strict=True):
        if part[0] == "video":
            video.frames += check.frames
            video.expected_frames = max(video.expected_frames, check.expected_frames)
            video.end_s = max(video.end_s, check.end_s)
            video.errors += check.errors
    errors = video.errors + audio.errors
    if video.expected_frames and video.frames < video.expected_frames:
        errors.append(
            f"only {video.frames} of {video.expected_frames} video frames could be decoded"
        )
    return DecodeReport(
        video_frames=video.frames,
        audio_frames=audio.frames,
        audio_samples=audio.samples,
        expected_video_frames=video.expected_frames,
        video_end_s=video.end_s,
        audio_end_s=audio.end_s,
        errors=errors[:_MAX_DECODE_ERRORS],
        loudness=audio.loudness,
    )


def _packet_start_s(packet: av.Packet) -> float:
    """Start of an encoder's output ``packet`` in seconds (the encoder always sets its pts and
    time base).

    Raises:
        EncodeError: the packet carries no time.
    """
    if packet.pts is None or packet.time_base is None:
        raise EncodeError("the audio encoder produced a packet without a time stamp")
    return float(packet.pts * packet.time_base)


def _packet_time(packet: av.Packet) -> str:
    if packet.pts is None or packet.time_base is None:
        return "unknown time"
    return f"{float(packet.pts * packet.time_base):.3f} s"


def keyframe_indices(path: Path) -> list[int]:
    """Indices (in decode order) of the video packets flagged as keyframes; no decoding.

    Raises:
        ValueError: the file has no video stream.
        av.error.FFmpegError: unreadable file.
    """
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise ValueError(f"{path} has no video stream")
        packets = (p for p in container.demux(container.streams.video[0]) if p.size)
        return [index for index, packet in enumerate(packets) if packet.is_keyframe]


def extract_frame(path: Path, t_s: float) -> RGBFrame:
    """The video frame shown at ``t_s`` seconds, as RGB ``(height, width, 3)`` uint8.

    Seeks to the keyframe at or before ``t_s`` and decodes forward to the last frame whose
    pts ≤ ``t_s`` (a tiny tolerance absorbs time-base rounding).

    Raises:
        ValueError: the file has no video stream or no frame at ``t_s``.
        av.error.FFmpegError: unreadable file.
    """
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise ValueError(f"{path} has no video stream")
        stream = container.streams.video[0]
        if stream.time_base is not None:
            container.seek(int(max(0.0, t_s) / stream.time_base), stream=stream, backward=True)
        chosen: av.VideoFrame | None = None
        for frame in container.decode(stream):
            if frame.pts is None or frame.time_base is None:
                continue
            if float(frame.pts * frame.time_base) <= t_s + 1e-6:
                chosen = frame
            else:
                break
        if chosen is None:
            raise ValueError(f"{path} has no video frame at {t_s:.3f} s")
        # rgb24 is always uint8 (PyAV types to_ndarray as a union of dtypes); no copy
        return np.asarray(chosen.to_ndarray(format="rgb24"), dtype=np.uint8)


# ---------------------------------------------------------------------------------------------
# AI clips as scene frames
# ---------------------------------------------------------------------------------------------


class ClipFrames:
    """A :class:`~pipeline.render.base.FrameSource` that shows a video clip (an AI clip).

    Each clip frame is scaled to *cover* ``width_px × height_px`` (uniform scale, the larger
    of the two ratios) and centre-cropped, so a 1280×720 clip fills a 1920×1080 frame exactly
    and a 1080×1920 frame by its middle third. Time ``t_s`` shows the clip frame whose pts is
    the last one ≤ ``t_s``; past the clip's end the last frame is held. ``frame_key(t_s)`` is
    that clip frame's index (presentation order), so the encoder converts each clip frame
    once and reuses it while the key holds.

    The clip is decoded once, forward, as the encoder asks for frames in time order; only the
    current frame is kept in memory (a whole 8 s clip scaled to 1080p would need ~1.2 GB).
    Asking for an earlier frame (a preview) seeks to the keyframe before it. The container is
    closed when the last frame has been decoded, by :meth:`close`, or on exiting a ``with``.
    Display-matrix rotation and non-square pixels are not applied (gateways deliver neither).

    Raises:
        ValueError: the file has no video stream or no video frames.
        av.error.FFmpegError: unreadable file.
    """

    def __init__(self, path: Path, width_px: int, height_px: int) -> None:
        if width_px <= 0 or height_px <= 0:
            raise ValueError(f"frame size must be positive, not {width_px}×{height_px}")
        self.path = Path(path)
        self.width_px = width_px
        self.height_px = height_px
        with av.open(str(self.path)) as container:
            if not container.streams.video:
                raise ValueError(f"{self.path} has no video stream")
            stream = container.streams.video[0]
            pts = sorted(
                {int(p.pts) for p in container.demux(stream) if p.size and p.pts is not None}
            )
            time_base = stream.time_base or Fraction(1, 90000)
            self.clip_width_px = int(stream.codec_context.width)
            self.clip_height_px = int(stream.codec_context.height)
        if not pts:
            raise ValueError(f"{self.path} has no video frames")
        self._pts = pts
        self._index_of_pts = {value: index for index, value in enumerate(pts)}
        self._times_s = (np.asarray(pts, dtype=np.float64) - pts[0]) * float(time_base)
        scale = max(width_px / self.clip_width_px, height_px / self.clip_height_px)
        self._scaled = (
            max(width_px, round(self.clip_width_px * scale)),
            max(height_px, round(self.clip_height_px * scale)),
        )
        self._lock = threading.Lock()
        self._container: av.container.InputContainer | None = None
        self._frames: Iterator[av.VideoFrame] | None = None  # while a decoder is open
        self._position = -1  # index of the last frame the open decoder produced
        self._cached: tuple[int, RGBFrame] | None = None

    @property
    def n_frames(self) -> int:
        """Number of frames in the clip."""
        return len(self._pts)

    @property
    def clip_duration_s(self) -> float:
        """Start of the last frame, seconds from the first (the hold begins there)."""
        return float(self._times_s[-1])

    def index_at(self, t_s: float) -> int:
        """The index of the clip frame shown at ``t_s`` (the last index past the end)."""
        index = int(np.searchsorted(self._times_s, t_s + 1e-6, side="right")) - 1
        return min(max(index, 0), len(self._pts) - 1)

    def frame_key(self, t_s: float) -> Hashable:
        """:meth:`index_at` (equal for two times exactly when their frames are identical)."""
        return self.index_at(t_s)

    def frame_at(self, t_s: float) -> RGBFrame:
        """The clip frame at ``t_s``, scaled and centre-cropped: ``(height_px, width_px, 3)``."""
        index = self.index_at(t_s)
        with self._lock:
            if self._cached is not None and self._cached[0] == index:
                return self._cached[1]
            image = self._cover(self._decode(index))
            self._cached = (index, image)
            return image

    def close(self) -> None:
        """Close the decoder (frames already returned stay valid)."""
        with self._lock:
            self._close_decoder()

    def __enter__(self) -> ClipFrames:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _close_decoder(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = None
        self._frames = None
        self._position = -1

    def _decode(self, index: int) -> av.VideoFrame:
        """Decode forward to clip frame ``index`` (seeking first if it lies behind)."""
        if self._frames is None or index <= self._position:
            self._close_decoder()
            self._container = av.open(str(self.path))
            stream = self._container.streams.video[0]
            stream.thread_type = "AUTO"
            self._container.seek(self._pts[index], stream=stream, backward=True)
            self._frames = iter(self._container.decode(stream))
        assert self._frames is not None
        chosen: av.VideoFrame | None = None
        for frame in self._frames:
            known = None if frame.pts is None else self._index_of_pts.get(int(frame.pts))
            self._position = known if known is not None else self._position + 1
            chosen = frame
            if self._position >= index:
                break
        if chosen is None:
            raise ValueError(f"{self.path}: clip frame {index} could not be decoded")
        if self._position >= len(self._pts) - 1:
            self._close_decoder()  # the last frame is decoded: nothing more to read
        return chosen

    def _cover(self, frame: av.VideoFrame) -> RGBFrame:
        scaled_w, scaled_h = self._scaled
        rgb = frame.reformat(width=scaled_w, height=scaled_h, format="rgb24").to_ndarray()
        x0 = (scaled_w - self.width_px) // 2
        y0 = (scaled_h - self.height_px) // 2
        crop = rgb[y0 : y0 + self.height_px, x0 : x0 + self.width_px]
        return np.ascontiguousarray(crop, dtype=np.uint8)


def make_thumbnail(
    path: Path, out_png: Path, *, t_s: float | None = None, max_width_px: int = 640
) -> Path:
    """Save one frame of a video as a PNG thumbnail (written beside, then renamed).

    Args:
        path: the video.
        out_png: where the PNG goes.
        t_s: which moment; default the middle of the video.
        max_width_px: the thumbnail is scaled down (aspect kept) to at most this width.

    Returns:
        ``out_png``.

    Raises:
        ValueError / av.error.FFmpegError: no video or unreadable file.
    """
    from PIL import Image

    from pipeline.fsutil import atomic_path

    if t_s is None:
        t_s = probe_media(Path(path)).duration_s / 2
    image = Image.fromarray(extract_frame(Path(path), t_s))
    if image.width > max_width_px:
        height_px = max(1, round(image.height * max_width_px / image.width))
        image = image.resize((max_width_px, height_px), Image.Resampling.LANCZOS)
    with atomic_path(Path(out_png), suffix=".png") as tmp:
        image.save(tmp, format="PNG")
    return Path(out_png)


def split_video(video: Path, start_frames: Sequence[int], folder: Path, stem: str) -> list[Path]:
    """Copy the video stream of ``video`` into one file per part, without re-encoding.

    Part ``i`` holds frames ``start_frames[i]`` up to ``start_frames[i + 1]`` (the last part
    runs to the end); every part must start on a keyframe — a render's scenes do, since each
    scene's segment starts with an IDR frame. Files are ``<folder>/<stem>-NN.mp4`` (video
    only, ``+faststart``), each written to a temporary name and renamed into place.

    Args:
        video: a finished render.
        start_frames: first frame of each part, ascending, the first 0.
        folder: where the parts go (created).
        stem: file name prefix.

    Returns:
        The part files in order.

    Raises:
        EncodeError: unreadable input, a part not starting on a keyframe, disk full.
        ValueError: ``start_frames`` empty, not ascending or not starting at 0.
    """
    if not start_frames or start_frames[0] != 0 or list(start_frames) != sorted(start_frames):
        raise ValueError("start_frames must be ascending and start at 0")
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{stem}-{n + 1:02d}.mp4" for n in range(len(start_frames))]
    bounds = list(start_frames)
    try:
        with av.open(str(video)) as source:
            stream = source.streams.video[0]
            tb = stream.time_base
            rate = stream.average_rate or stream.guessed_rate
            if tb is None or not rate:
                raise EncodeError(f"{video.name} has no usable video timing", hint="render again")
            outputs: list[tuple[av.container.OutputContainer, Any, Path]] = []
            part = -1
            first_pts = 0
            try:
                for packet in source.demux(stream):
                    if packet.pts is None:
                        continue
                    frame = round(float(packet.pts * tb * rate))
                    while part + 1 < len(bounds) and frame >= bounds[part + 1]:
                        part += 1
                        if not packet.is_keyframe:
                            raise EncodeError(
                                f"part {part + 1} of {video.name} does not start on a keyframe",
                                hint="export from a render made by Video Studio",
                            )
                        tmp = _temp_path_for(paths[part])
                        out = av.open(
                            str(tmp), mode="w", format="mp4", options={"movflags": "+faststart"}
                        )
                        outputs.append((out, out.add_stream_from_template(stream), tmp))
                        first_pts = packet.pts
                    if part < 0:
                        continue
                    container, out_stream, _ = outputs[part]
                    packet.stream = out_stream
                    packet.pts -= first_pts
                    if packet.dts is not None:
                        packet.dts -= first_pts
                    _mux(container, packet)
                for container, _, _ in outputs:
                    container.close()
                for (_, _, tmp), path in zip(outputs, paths, strict=False):
                    os.replace(tmp, path)
            except BaseException:
                for container, _, tmp in outputs:
                    with contextlib.suppress(Exception):
                        container.close()
                    _unlink_quietly(tmp)
                raise
    except (av.error.FFmpegError, OSError) as exc:
        raise _as_encode_error(exc, folder, "scene files in") from exc
    if len(outputs) != len(paths):
        raise EncodeError(
            f"{video.name} has fewer frames than its scenes need", hint="render again"
        )
    return paths


@contextlib.contextmanager
def _atomic_output(out_path: Path, what: str) -> Iterator[Path]:
    """A temporary path beside ``out_path`` for the block to write; renamed into place when
    the block ends without error, else deleted (FFmpeg and OS errors become an
    :class:`~pipeline.errors.EncodeError` naming ``what``)."""
    tmp = _temp_path_for(out_path)
    try:
        yield tmp
        os.replace(tmp, out_path)
    except (av.error.FFmpegError, OSError) as exc:
        _unlink_quietly(tmp)
        raise _as_encode_error(exc, out_path, what) from exc
    except BaseException:
        _unlink_quietly(tmp)
        raise


def write_audio_file(
    blocks: Iterable[np.ndarray],
    channels: int,
    out_path: Path,
    *,
    bit_rate: int = 128_000,
    cancel: CancelToken = NEVER_CANCEL,
) -> Path:
    """Encode float blocks to an AAC ``.m4a`` file at :data:`SAMPLE_RATE_HZ` (editor stems).

    Args:
        blocks: ``(channels, n)`` float32 blocks in −1..1 (values beyond are clipped).
        channels: 1 or 2.
        out_path: the ``.m4a`` to write (written to a temporary name, then renamed).
        bit_rate: AAC bit rate per file, bits per second.
        cancel: checked every block.

    Raises:
        EncodeError: the file cannot be written (disk full, permissions).
        ValueError: ``channels`` is not 1 or 2, or a block has another channel count.
        Cancelled: ``cancel`` was set (no file is left).
    """
    layout = _layout(channels)
    with _atomic_output(out_path, "the sound file") as tmp:
        with av.open(str(tmp), mode="w", format="mp4") as output:
            stream = output.add_stream("aac", rate=SAMPLE_RATE_HZ, layout=layout)
            assert isinstance(stream, av.AudioStream)
            stream.bit_rate = bit_rate
            stream.time_base = Fraction(1, SAMPLE_RATE_HZ)
            position = 0
            for block in blocks:
                cancel.raise_if_cancelled()
                if block.shape[0] != channels:
                    raise ValueError(f"a block has {block.shape[0]} channels, not {channels}")
                data = np.clip(np.asarray(block, dtype=np.float32), -1.0, 1.0)
                for packet in stream.encode(_audio_frame(data, layout, position)):
                    _mux(output, packet)
                position += data.shape[1]
            for packet in stream.encode(None):
                _mux(output, packet)
    return out_path


def extract_audio(video: Path, out_path: Path) -> Path:
    """Copy the audio stream of ``video`` into ``out_path`` (``.m4a``), without re-encoding.

    Raises:
        EncodeError: no audio stream, unreadable input, disk full.
    """
    with _atomic_output(out_path, "the sound file") as tmp, av.open(str(video)) as source:
        if not source.streams.audio:
            raise EncodeError(f"{video.name} has no sound to export", hint="render again")
        stream = source.streams.audio[0]
        with av.open(str(tmp), mode="w", format="mp4") as output:
            out_stream = output.add_stream_from_template(stream)
            for packet in source.demux(stream):
                if packet.dts is None:
                    continue
                packet.stream = out_stream
                _mux(output, packet)
    return out_path
