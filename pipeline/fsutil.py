"""Atomic file writes: nothing half-written is ever visible at a target path.

Every output and cache file is written to a temporary name *beside* its target (same folder,
so the rename cannot cross file systems) and moved into place with :func:`os.replace`.
Temporary names start with :data:`TEMP_PREFIX` so a startup sweep can find leftovers.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import EncodeError

TEMP_PREFIX = ".vs-tmp-"


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
    tail = suffix if suffix is not None else target.suffix
    tmp = target.parent / f"{TEMP_PREFIX}{uuid.uuid4().hex[:16]}{tail}"
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


def sweep_temp_files(folder: Path) -> list[Path]:
    """Delete leftover temporary files (from a crash) directly inside ``folder``.

    Returns the paths removed.
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for path in folder.glob(f"{TEMP_PREFIX}*"):
        with contextlib.suppress(OSError):
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
    """Delete staging folders in ``root`` whose process (pid in the name) no longer runs.

    Renders stage temporary files in ``<root>/videostudio-<pid>-*``; a render killed with
    SIGKILL cannot clean its own. Returns the folders removed.
    """
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for path in root.glob(f"{STAGING_PREFIX}*"):
        parts = path.name[len(STAGING_PREFIX) :].split("-", 1)
        if not parts[0].isdigit() or _pid_alive(int(parts[0])):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed
