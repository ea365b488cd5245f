"""Validate a finished video: probe its streams, compare durations, decode it end to end.

"Encode, then probe" (PyAV's ``tests/test_encode.py``): every render ends by reopening its
output. All media access goes through :mod:`pipeline.avio`; this module never imports ``av``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline import avio
from pipeline.errors import OutputValidationError

LOUDNESS_TOLERANCE_LU = 1.0
"""Allowed difference between the output's integrated loudness and its target, LU."""

DURATION_TOLERANCE_S = 0.1
"""Allowed difference between the container duration and the expected duration, seconds."""


@dataclass(frozen=True)
class Check:
    """One validation check: a plain-words ``name``, whether it ``passed``, and a ``detail``."""

    name: str
    passed: bool
    detail: str


@dataclass
class ValidationReport:
    """The result of :func:`validate_output`.

    Attributes:
        path: the file checked.
        checks: every check, in the order they ran.
        media: what the headers said, or ``None`` if the file could not be opened.
        decode: what decoding found, or ``None`` if the file could not be opened.
    """

    path: Path
    checks: list[Check] = field(default_factory=list)
    media: avio.MediaInfo | None = None
    decode: avio.DecodeReport | None = None

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(check.passed for check in self.checks)

    @property
    def failed(self) -> list[Check]:
        """The checks that failed."""
        return [check for check in self.checks if not check.passed]

    def add(self, name: str, passed: bool, detail: str) -> None:
        """Record one check."""
        self.checks.append(Check(name, bool(passed), detail))

    def raise_if_failed(self) -> None:
        """Raise :class:`OutputValidationError` naming every failed check.

        Raises:
            OutputValidationError: at least one check failed.
        """
        failed = self.failed
        if failed:
            listing = "; ".join(f"{c.name}: {c.detail}" for c in failed)
            raise OutputValidationError(
                f"{self.path.name} failed {len(failed)} check(s): {listing}",
                hint="render the video again; if it keeps failing, try --encoder x264 "
                "and report the problem with this file",
            )


def validate_output(
    path: Path,
    *,
    expected_width_px: int,
    expected_height_px: int,
    expected_fps: int,
    expected_duration_s: float,
    expected_loudness_lufs: float | None = None,
    loudness_tolerance_lu: float = LOUDNESS_TOLERANCE_LU,
    true_peak_limit_dbtp: float | None = None,
) -> ValidationReport:
    """Check a finished MP4 the way a publishing platform would.

    Checks: H.264 video; AAC audio; yuv420p; the expected frame size and frame rate;
    container duration within :data:`DURATION_TOLERANCE_S` of ``expected_duration_s``; audio
    and video durations within one frame (``1 / expected_fps``) of each other; the whole file
    decodes without errors; the index (``moov``) precedes the media data (faststart). With
    ``expected_loudness_lufs``: the decoded AAC's integrated loudness (ITU-R BS.1770, FFmpeg
    ``ebur128``) is within ``loudness_tolerance_lu`` of it; with ``true_peak_limit_dbtp``: its
    true peak (4× oversampled) is at or below it.

    Never raises for a bad file: every problem becomes a failed check. Call
    :meth:`ValidationReport.raise_if_failed` to turn failures into an exception.
    """
    path = Path(path)
    report = ValidationReport(path=path)
    if not path.is_file():
        report.add("file exists", False, f"{path} does not exist")
        return report
    try:
        media = avio.probe_media(path)
    except (OSError, ValueError) as exc:  # av.error.FFmpegError subclasses one of these
        report.add("file is readable", False, f"it cannot be opened as a video ({exc})")
        return report
    report.media = media
    video, audio = media.video, media.audio
    frame_s = 1.0 / expected_fps

    if video is None:
        report.add("video is H.264", False, "there is no video stream")
    else:
        report.add("video is H.264", video.codec == "h264", f"video codec is {video.codec}")
        report.add(
            "pixel format is yuv420p",
            video.pix_fmt == "yuv420p",
            f"pixel format is {video.pix_fmt or 'unknown'}",
        )
        report.add(
            "frame size",
            (video.width_px, video.height_px) == (expected_width_px, expected_height_px),
            f"{video.width_px}×{video.height_px}, expected "
            f"{expected_width_px}×{expected_height_px}",
        )
        report.add(
            "frame rate",
            abs(video.fps - expected_fps) < 0.01,
            f"{video.fps:.3f} fps, expected {expected_fps}",
        )

    if audio is None:
        report.add("audio is AAC", False, "there is no audio track")
    else:
        report.add("audio is AAC", audio.codec == "aac", f"audio codec is {audio.codec}")

    report.add(
        "duration",
        abs(media.duration_s - expected_duration_s) <= DURATION_TOLERANCE_S,
        f"{media.duration_s:.3f} s, expected {expected_duration_s:.3f} s "
        f"(± {DURATION_TOLERANCE_S} s)",
    )

    if video is not None and audio is not None:
        drift = abs(video.duration_s - audio.duration_s)
        report.add(
            "audio and video end together",
            drift <= frame_s + 1e-6,
            f"video {video.duration_s:.3f} s, audio {audio.duration_s:.3f} s "
            f"(differ by {drift * 1000:.0f} ms; at most one frame, {frame_s * 1000:.0f} ms)",
        )
    else:
        report.add("audio and video end together", False, "needs both an audio and a video track")

    decode = avio.decode_check(path)
    report.decode = decode
    if decode.ok:
        detail = f"decoded {decode.video_frames} video and {decode.audio_frames} audio frames"
    else:
        more = f" (+{len(decode.errors) - 3} more)" if len(decode.errors) > 3 else ""
        detail = "; ".join(decode.errors[:3]) + more
    report.add("decodes without errors", decode.ok, detail)

    loudness = decode.loudness
    if expected_loudness_lufs is not None:
        measured = loudness.integrated_lufs if loudness is not None else None
        report.add(
            "loudness",
            measured is not None
            and abs(measured - expected_loudness_lufs) <= loudness_tolerance_lu + 1e-9,
            f"{measured:.1f} LUFS integrated, target {expected_loudness_lufs:g} LUFS "
            f"(± {loudness_tolerance_lu:g} LU)"
            if measured is not None
            else "the audio is silent or could not be measured",
        )
    if true_peak_limit_dbtp is not None:
        peak = loudness.true_peak_dbtp if loudness is not None else None
        report.add(
            "true peak",
            peak is None or peak <= true_peak_limit_dbtp + 1e-9,
            f"{peak:.1f} dBTP, at most {true_peak_limit_dbtp:g} dBTP"
            if peak is not None
            else "silent audio",
        )

    report.add(
        "faststart",
        media.faststart,
        "the index is at the start"
        if media.faststart
        else "the index is at the end of the "
        "file, so playback cannot start before the whole file is downloaded",
    )
    return report
