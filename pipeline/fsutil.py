"""Atomic file writes: nothing half-written is ever visible at a target path.

Every output and cache file is written to a temporary name *beside* its target (same folder,
so the rename cannot cross file systems) and moved into place with :func:`os.replace`.
Temporary names are ``.vs-tmp-<pid>-…`` (:data:`TEMP_PREFIX`, then the writing process's id)
so a sweep can tell the leftovers of a dead process from the files of a live one.

A render's outputs (video, thumbnail, subtitles, metadata) are committed as one set by
:class:`OutputSet`: all are written to temporary names first, then renamed into place in one
careful step with a rollback, so either the whole new set is in place or the previous set is
untouched — also when the process is killed in the middle (a journal in its staging folder
lets the next start finish the rollback, see :func:`sweep_stale_staging`).

Staging folders (``<cache>/staging/videostudio-<pid>-…``) hold a render's temporary files and
name, in ``output-folders.txt``, every folder where it made temporary files beside an
output. :func:`sweep_stale_staging` removes the staging folders of dead processes with those
temporary files, so a killed ``render`` leaves nothing behind after the next start or
``videostudio cache clean``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from pipeline.errors import EncodeError

log = logging.getLogger(__name__)

TEMP_PREFIX = ".vs-tmp-"
LEGACY_TEMP_AGE_S = 3600.0
"""Temporary files without a process id in their name (written by older versions) are swept
only when older than this."""
OUTPUT_FOLDERS_FILE = "output-folders.txt"
"""In a staging folder: the folders where that process made temporary files beside outputs."""
COMMIT_JOURNAL_FILE = "commit.json"
"""In a staging folder: the plan of an output set's commit (see :class:`OutputSet`)."""


def temp_path_for(target: Path, suffix: str | None = None) -> Path:
    """A new, unused temporary name beside ``target``: ``.vs-tmp-<pid>-<random><suffix>``.

    ``suffix`` defaults to ``target``'s, so libraries that pick a format by extension work.
    """
    tail = suffix if suffix is not None else target.suffix
    return target.parent / f"{TEMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:16]}{tail}"


def temp_owner(name: str) -> int | None:
    """The process id in a temporary file name, or ``None`` (not ours, or an older name)."""
    if not name.startswith(TEMP_PREFIX):
        return None
    head = name[len(TEMP_PREFIX) :].split("-", 1)[0]
    return int(head) if head.isdigit() else None


@contextlib.contextmanager
def atomic_path(target: Path, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success move it onto ``target``.

    The temporary file keeps ``target``'s suffix (or ``suffix``) so libraries that pick a
    format by extension still work. On any exception the temporary file is deleted and
    ``target`` is left as it was.

    Raises:
        EncodeError: when the disk is full (``ENOSPC``) — with a hint to free space.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(target, suffix)
    # Created like any new file (0o666 less the umask), not 0o600 like mkstemp's, so the
    # finished output is readable as the user expects.
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        if error.errno == errno.ENOSPC:
            raise EncodeError(
                f"the disk is full while writing {target}",
                hint=f"free some space on the drive of {target.parent} and try again",
            ) from error
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically (temporary file + fsync + rename)."""
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())


def atomic_write_text(target: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``target`` atomically."""
    atomic_write_bytes(target, text.encode("utf-8"))


def sweep_temp_files(folder: Path, *, owner: int | None = None) -> list[Path]:
    """Delete leftover temporary files (from a crash) directly inside ``folder``.

    A file is a leftover when the process named in it no longer runs (or, with ``owner``,
    only the files of that dead process); a name without a process id (older versions) when
    it is older than :data:`LEGACY_TEMP_AGE_S`. Files of live processes are never touched.

    Returns the paths removed.
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    now = time.time()
    for path in folder.glob(f"{TEMP_PREFIX}*"):
        pid = temp_owner(path.name)
        if owner is not None and pid != owner:
            continue
        if pid is not None and _pid_alive(pid):
            continue
        with contextlib.suppress(OSError):
            if pid is None and now - path.lstat().st_mtime < LEGACY_TEMP_AGE_S:
                continue
            if path.is_dir() and not path.is_symlink():
                continue  # never a folder of ours
            path.unlink()
            removed.append(path)
    return removed


STAGING_PREFIX = "videostudio-"


def staging_dir_name() -> str:
    """Name prefix of this process's staging folders: ``videostudio-<pid>-``."""
    return f"{STAGING_PREFIX}{os.getpid()}-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_staging(root: Path) -> list[Path]:
    """Clean up after processes that died while rendering: for each staging folder in
    ``root`` whose process (pid in the name) no longer runs, finish an interrupted output
    commit (roll it back, or forward if it was complete; see :class:`OutputSet`), delete that
    process's temporary files beside the outputs it was writing, then the folder itself.

    Renders stage temporary files in ``<root>/videostudio-<pid>-*``; a render killed with
    SIGKILL cannot clean its own. Returns the paths removed.
    """
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for path in root.glob(f"{STAGING_PREFIX}*"):
        parts = path.name[len(STAGING_PREFIX) :].split("-", 1)
        if not parts[0].isdigit() or _pid_alive(int(parts[0])):
            continue
        pid = int(parts[0])
        journal = path / COMMIT_JOURNAL_FILE
        if journal.is_file():
            removed += recover_commit(journal)
        for folder in _noted_output_folders(path):
            removed += sweep_temp_files(folder, owner=pid)
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def note_output_folder(staging: Path, folder: Path) -> None:
    """Record in ``staging`` that this process makes temporary files in ``folder`` (so a
    sweep after a crash knows where to look). Idempotent."""
    notes = staging / OUTPUT_FOLDERS_FILE
    folder = Path(os.path.abspath(folder))
    if folder in _noted_output_folders(staging):
        return
    staging.mkdir(parents=True, exist_ok=True)
    with open(notes, "a", encoding="utf-8") as handle:
        handle.write(str(folder) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _noted_output_folders(staging: Path) -> list[Path]:
    try:
        text = (staging / OUTPUT_FOLDERS_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    return [Path(line) for line in text.splitlines() if line.strip()]


# ---------------------------------------------------------------------------------------------
# Committing a set of outputs
# ---------------------------------------------------------------------------------------------


def _write_journal(journal: Path, plan: dict[str, object]) -> None:
    tmp = journal.with_name(journal.name + ".new")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(plan, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, journal)


class OutputSet:
    """Files that appear together or not at all (a render's MP4, thumbnail, subtitles and
    metadata).

    Use::

        with OutputSet(staging) as outputs:
            write(outputs.temp_for(video_path))
            write(outputs.temp_for(srt_path))
            ...                      # validate the temporary files here
            outputs.commit()         # all new files in place, or the old set untouched

    :meth:`temp_for` hands out a temporary name beside each target (nothing is visible at a
    target yet). :meth:`commit`:

    1. writes a journal (``staging/commit.json``: each temporary file, its target and the
       backup name of the target's previous file), flushed to disk;
    2. keeps each existing target under its backup name (a hard link, so the target never
       disappears; a rename where links are not supported);
    3. renames every temporary file onto its target, in order;
    4. marks the journal committed, deletes the backups and the journal.

    If a rename fails in step 3 (read-only folder, disk error), every target already
    replaced is restored from its backup (or removed, if it is new) and the error is raised:
    the previous set is untouched. If the process dies between 1 and 4, the next sweep of its
    staging folder does the same from the journal (:func:`recover_commit`). Leaving the
    ``with`` block without a commit (an exception) deletes the temporary files.

    Args:
        staging: the render's private staging folder (holds the journal and the note of the
            output folders for :func:`sweep_stale_staging`).
    """

    def __init__(self, staging: Path) -> None:
        self.staging = Path(staging)
        self.pairs: list[tuple[Path, Path]] = []
        self.committed = False

    def temp_for(self, target: Path) -> Path:
        """A temporary name beside ``target`` (same suffix) to write the new file to; the
        target's folder is created if missing."""
        target = Path(target)
        if any(existing == target for _, existing in self.pairs):
            raise ValueError(f"{target} is already part of this output set")
        target.parent.mkdir(parents=True, exist_ok=True)
        note_output_folder(self.staging, target.parent)
        tmp = temp_path_for(target)
        self.pairs.append((tmp, target))
        return tmp

    def commit(self) -> None:
        """Move every temporary file onto its target, all or nothing (see the class doc).

        Raises:
            FileNotFoundError: a temporary file was never written.
            OSError: a rename failed; the previous files are back in place.
        """
        for tmp, _ in self.pairs:
            if not tmp.is_file():
                raise FileNotFoundError(f"{tmp} was never written")
        journal = self.staging / COMMIT_JOURNAL_FILE
        plan = [
            {
                "tmp": str(tmp),
                "target": str(target),
                "backup": str(temp_path_for(target)) if target.exists() else None,
            }
            for tmp, target in self.pairs
        ]
        self.staging.mkdir(parents=True, exist_ok=True)
        _write_journal(journal, {"state": "prepared", "pairs": plan})
        try:
            for entry in plan:
                if entry["backup"] is not None:
                    _keep_as_backup(Path(str(entry["target"])), Path(str(entry["backup"])))
            for entry in plan:
                _replace(Path(str(entry["tmp"])), Path(str(entry["target"])))
        except BaseException:
            _roll_back(plan)
            with contextlib.suppress(OSError):
                journal.unlink()
            raise
        self.committed = True
        _write_journal(journal, {"state": "committed", "pairs": plan})
        _finish_forward(plan)
        with contextlib.suppress(OSError):
            journal.unlink()
        for folder in {Path(str(entry["target"])).parent for entry in plan}:
            _sync_dir(folder)

    def discard(self) -> None:
        """Delete the temporary files (nothing was committed)."""
        for tmp, _ in self.pairs:
            with contextlib.suppress(OSError):
                tmp.unlink()

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.committed:
            self.discard()


def _replace(tmp: Path, target: Path) -> None:
    """``os.replace`` (a seam so tests can make one rename fail)."""
    os.replace(tmp, target)


def _keep_as_backup(target: Path, backup: Path) -> None:
    try:
        os.link(target, backup)
    except OSError:  # no hard links here (FAT, some network shares): move it aside
        os.replace(target, backup)


def _roll_back(plan: list[dict[str, object]]) -> None:
    """Put every previous file back; remove new files that had no previous one."""
    for entry in reversed(plan):
        tmp, target = Path(str(entry["tmp"])), Path(str(entry["target"]))
        backup = Path(str(entry["backup"])) if entry["backup"] is not None else None
        with contextlib.suppress(OSError):
            if backup is not None and backup.exists():
                if target.exists() and os.path.samefile(backup, target):
                    backup.unlink()  # not replaced yet (rename between links is a no-op)
                else:
                    os.replace(backup, target)
            elif backup is None and not tmp.exists() and target.exists():
                target.unlink()  # the new file had replaced nothing
        with contextlib.suppress(OSError):
            tmp.unlink()


def _finish_forward(plan: list[dict[str, object]]) -> None:
    for entry in plan:
        for name in ("backup", "tmp"):
            if entry[name] is not None:
                with contextlib.suppress(OSError):
                    Path(str(entry[name])).unlink()


def recover_commit(journal: Path) -> list[Path]:
    """Finish the output commit a dead process left in ``journal``: roll forward when it was
    marked committed (delete backups), else roll back (previous files back in place, new
    ones removed). Returns the targets restored or cleaned, then deletes the journal."""
    try:
        data = json.loads(journal.read_text(encoding="utf-8"))
        plan = list(data["pairs"])
        committed = data.get("state") == "committed"
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("unreadable commit journal %s: left as it is", journal)
        return []
    if committed:
        _finish_forward(plan)
    else:
        _roll_back(plan)
        log.warning("rolled back an interrupted output commit (%d files)", len(plan))
    with contextlib.suppress(OSError):
        journal.unlink()
    return [Path(str(entry["target"])) for entry in plan]


def _sync_dir(folder: Path) -> None:
    """Best effort: make renames in ``folder`` durable (POSIX only)."""
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
