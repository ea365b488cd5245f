"""Checks before a render starts, and clear messages for disk problems while it runs.

Before any work (:func:`check_output_path`, :func:`check_free_space`, :func:`preflight`):

* the output must not be a folder, nor any of the files written beside it (thumbnail,
  subtitles, metadata) — :class:`~pipeline.errors.InputError`, exit code 2;
* the output folder must exist (it is created if missing) and be writable: a file is
  created in it and removed again, which catches read-only disks and missing permissions
  alike — :class:`StorageError`, exit code 1;
* each disk the render writes to must have room for what it will write there, estimated from
  the spec (:func:`estimate_render_bytes`) — :class:`StorageError`.

While the render runs, an ``OSError`` that means "disk full", "read-only" or "not allowed"
is turned into a :class:`StorageError` that names the folder and what to do
(:func:`storage_error`, :func:`translate_storage_errors`), instead of a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError, StudioError
from pipeline.fsutil import temp_path_for
from pipeline.models import VideoSpec

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
READ_ONLY_ERRNOS = frozenset({errno.EROFS})
NOT_ALLOWED_ERRNOS = frozenset({errno.EACCES, errno.EPERM})
STORAGE_ERRNOS = DISK_FULL_ERRNOS | READ_ONLY_ERRNOS | NOT_ALLOWED_ERRNOS

OUTPUT_BYTES_PER_S = {1920 * 1080: 250_000, 1080 * 1920: 250_000, 1080 * 1080: 160_000}
"""Bytes of MP4 per second of video, by frame area: about twice what renders of the corpus
documents measured (libx264 ultrafast, CRF 23: 0.09–0.17 MB/s at 1080p30; slides compress
well), so the estimate errs on the safe side."""
SPEECH_BYTES_PER_S = 200_000
"""Cached speech (float32 samples, up to 48 kHz) per second of narration."""
WORDS_PER_S = 2.3
"""Speaking rate for the length estimate (about 140 words per minute)."""
SCENE_PADDING_S = 1.5
"""Pause and transition time added to each scene in the length estimate."""
DATABASE_MARGIN_BYTES = 20 * 1024 * 1024
"""Free space the database folder needs (job rows, checkpoints, the SQLite journal)."""
MARGIN_BYTES = 32 * 1024 * 1024
"""Added to every estimate (file system overhead, logs)."""


class StorageError(StudioError):
    """A disk is full, read-only or not writable for us (exit code 1: the environment, not
    the input). The message names the folder; the hint says what to do."""


def _folder_words(folder: Path) -> str:
    return str(folder) if str(folder) else "the current folder"


def storage_error(error: OSError, path: Path | None, what: str) -> StorageError | None:
    """A :class:`StorageError` for ``error`` while writing ``what`` at ``path``, or ``None``
    when ``error`` is not a disk-full, read-only or permission problem.

    Args:
        error: the ``OSError`` raised (its ``filename`` is used when ``path`` is ``None``).
        path: the file or folder being written, if known.
        what: what was being written, in the user's words ("the video", "speech").
    """
    if error.errno not in STORAGE_ERRNOS:
        return None
    target = Path(path) if path is not None else None
    if target is None and getattr(error, "filename", None):
        target = Path(str(error.filename))
    folder = target if target is not None and target.is_dir() else None
    if folder is None and target is not None:
        folder = target.parent
    where = _folder_words(folder) if folder is not None else "its folder"
    if error.errno in DISK_FULL_ERRNOS:
        free = _free_text(folder)
        return StorageError(
            f"the disk is full while writing {what} in {where}{free}",
            hint="free some space on that disk (or choose a folder on another disk), then "
            "run again; finished scenes are kept in the cache",
        )
    if error.errno in READ_ONLY_ERRNOS:
        return StorageError(
            f"{where} is on a read-only disk, so {what} cannot be written there",
            hint="choose a writable folder (for the video: -o PATH; for the cache and data: "
            "--cache-dir / --data-dir), or remount the disk read-write",
        )
    return StorageError(
        f"not allowed to write {what} in {where} ({error.strerror or 'permission denied'})",
        hint="choose a folder you can write to, or change the folder's permissions",
    )


def _free_text(folder: Path | None) -> str:
    if folder is None:
        return ""
    with contextlib.suppress(OSError):
        return f" ({shutil.disk_usage(_existing(folder)).free / 1e6:.0f} MB free)"
    return ""


def _existing(path: Path) -> Path:
    """``path`` or its nearest existing ancestor."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


@contextlib.contextmanager
def translate_storage_errors(path: Path | None, what: str) -> Iterator[None]:
    """Inside the block, disk-full, read-only and permission ``OSError``\\ s become
    :class:`StorageError` (other errors pass unchanged)."""
    try:
        yield
    except StudioError:
        raise
    except OSError as error:
        translated = storage_error(error, path, what)
        if translated is None:
            raise
        raise translated from error


def output_paths(out_path: Path) -> dict[str, Path]:
    """Every file a render writes for ``out_path``: video, thumbnail, subtitles, metadata."""
    out_path = Path(out_path)
    return {
        "video": out_path,
        "thumbnail": out_path.with_suffix(".png"),
        "subtitles (.srt)": out_path.with_suffix(".srt"),
        "subtitles (.vtt)": out_path.with_suffix(".vtt"),
        "metadata": out_path.with_name(out_path.stem + ".metadata.json"),
    }


def check_not_a_folder(out_path: Path) -> None:
    """Refuse an output path that names an existing folder (before a ``.mp4`` suffix is
    added to it: ``-o videos`` must not become ``videos.mp4`` beside the folder).

    Raises:
        InputError: it is a folder (exit code 2).
    """
    out_path = Path(out_path).expanduser()
    if out_path.is_dir():
        raise InputError(
            "the output is a folder, not a video file",
            source=str(out_path),
            hint=f"give a file name, e.g. -o {out_path / 'video.mp4'}",
        )


def check_output_path(out_path: Path) -> Path:
    """Check (and if needed create) the output folder; return the ``.mp4`` path to write.

    A suffix other than ``.mp4`` is replaced by ``.mp4``.

    Raises:
        InputError: the output, or a file written beside it, is a folder; or a parent of the
            output folder is a file (exit code 2).
        StorageError: the output folder cannot be created or is not writable (exit code 1).
    """
    out_path = Path(out_path)
    check_not_a_folder(out_path)
    if out_path.suffix.lower() != ".mp4":
        out_path = out_path.with_suffix(".mp4")
    for what, path in output_paths(out_path).items():
        if path.is_dir():
            raise InputError(
                f"the {what} would be written to {path.name}, which is a folder",
                source=str(path),
                hint="choose another output name or move that folder",
            )
    folder = out_path.parent
    blocker = _existing(folder)
    if not blocker.is_dir():
        raise InputError(
            f"the output folder cannot be made: {blocker} is a file",
            source=str(out_path),
            hint="choose an output path inside a folder",
        )
    with translate_storage_errors(folder, "the video"):
        folder.mkdir(parents=True, exist_ok=True)
        probe = temp_path_for(out_path, ".probe")
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        probe.unlink()
    return out_path


@dataclass(frozen=True)
class SpaceNeed:
    """Bytes a render will write into one folder, and what for (for the message)."""

    folder: Path
    bytes: int
    what: str


def estimate_duration_s(spec: VideoSpec) -> float:
    """A rough length of the video in seconds, from the narration the offline rules write
    (:data:`WORDS_PER_S`, plus :data:`SCENE_PADDING_S` per scene; scene bounds respected)."""
    from pipeline.narration import script_stage

    total = 0.0
    for scene, text in zip(spec.scenes, script_stage(spec), strict=True):
        seconds = len(text.split()) / WORDS_PER_S + SCENE_PADDING_S
        low = getattr(scene, "min_duration_s", None) or 0.0
        high = getattr(scene, "max_duration_s", None)
        seconds = max(seconds, low)
        total += min(seconds, high) if high else seconds
    return total


def estimate_render_bytes(spec: VideoSpec) -> dict[str, int]:
    """Bytes a render of ``spec`` will write: ``{"output": …, "cache": …}``.

    The output folder holds the new MP4 (the previous files stay until the new set is
    committed); the cache holds the scene segments (about the MP4's size) and the speech.
    """
    width_px, height_px = spec.size_px
    rate = OUTPUT_BYTES_PER_S.get(width_px * height_px, 250_000)
    duration_s = estimate_duration_s(spec)
    video = int(duration_s * rate)
    return {
        "output": video + MARGIN_BYTES,
        "cache": video + int(duration_s * SPEECH_BYTES_PER_S) + MARGIN_BYTES,
    }


def check_free_space(needs: list[SpaceNeed]) -> None:
    """Raise :class:`StorageError` for the first disk without room for what goes there.

    Needs of folders on the same disk are added up.
    """
    by_device: dict[int, list[SpaceNeed]] = {}
    for need in needs:
        with contextlib.suppress(OSError):
            by_device.setdefault(os.stat(_existing(need.folder)).st_dev, []).append(need)
    for group in by_device.values():
        total = sum(need.bytes for need in group)
        folder = _existing(group[0].folder)
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            continue
        if free < total:
            listing = ", ".join(f"{n.what} in {n.folder} ~{n.bytes / 1e6:.0f} MB" for n in group)
            raise StorageError(
                f"not enough free space: {free / 1e6:.0f} MB free on the disk of {folder}, "
                f"and this render needs about {total / 1e6:.0f} MB there ({listing})",
                hint="free some space (`videostudio cache clean` frees cached scenes), or "
                "choose folders on another disk, then run again",
            )


def preflight(spec: VideoSpec, out_path: Path, folders: Mapping[str, Path] | None = None) -> Path:
    """All checks before a render: the output path (see :func:`check_output_path`) and free
    space on every disk it writes to.

    Args:
        spec: what will be rendered (its length is estimated for the space check).
        out_path: the video to write.
        folders: other folders written to, by role: ``"cache"`` (segments, speech, staging)
            and ``"data"`` (the database).

    Returns:
        The ``.mp4`` path to write.

    Raises:
        InputError, StorageError: as :func:`check_output_path` and :func:`check_free_space`.
    """
    out_path = check_output_path(out_path)
    estimate = estimate_render_bytes(spec)
    needs = [SpaceNeed(out_path.parent, estimate["output"], "the video")]
    folders = dict(folders or {})
    if "cache" in folders:
        needs.append(SpaceNeed(folders["cache"], estimate["cache"], "cached scenes and speech"))
    if "data" in folders:
        needs.append(SpaceNeed(folders["data"], DATABASE_MARGIN_BYTES, "the job database"))
    check_free_space(needs)
    return out_path
