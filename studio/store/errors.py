"""What a database error means for the user: disk full, read-only, damaged, or busy.

SQLite reports each failure with a result code (Python 3.11 exposes it as
``sqlite_errorname`` on the driver's exception). The hint must fit the cause: a full or
read-only disk needs space or write access and the database must be *kept*; only a damaged
file should be moved away. :func:`database_error` makes that distinction, for opening the
database and for any write during work.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from pipeline.errors import StudioError


class DatabaseProblem(StudioError):
    """The database could not be used; the message says why and the hint what to do."""


class DatabaseOpenError(DatabaseProblem):
    """The database file could not be opened (disk full, read-only, damaged, or locked)."""


_KEEP = "the database itself is fine: do not move or delete it"


def _code(error: BaseException) -> str:
    original = error.orig if isinstance(error, DBAPIError) else error
    name = getattr(original, "sqlite_errorname", None)
    if isinstance(name, str):
        return name
    text = str(original).lower()  # older drivers: recognise SQLite's messages
    for words, code in (
        ("disk is full", "SQLITE_FULL"),
        ("readonly", "SQLITE_READONLY"),
        ("read-only", "SQLITE_READONLY"),
        ("malformed", "SQLITE_CORRUPT"),
        ("not a database", "SQLITE_NOTADB"),
        ("locked", "SQLITE_BUSY"),
        ("unable to open", "SQLITE_CANTOPEN"),
        ("disk i/o error", "SQLITE_IOERR"),
    ):
        if words in text:
            return code
    return ""


def _free_bytes(path: Path) -> int | None:
    folder = path.parent
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    with contextlib.suppress(OSError):
        return shutil.disk_usage(folder).free
    return None


def database_error(
    error: BaseException, path: Path, *, opening: bool = False
) -> DatabaseProblem | None:
    """A user-facing error for a database failure on the file at ``path``, or ``None`` when
    ``error`` is not one SQLite reported.

    Args:
        error: a SQLAlchemy ``DBAPIError`` (or the driver's own exception).
        path: the database file.
        opening: the failure happened while opening (then a :class:`DatabaseOpenError`).
    """
    if not isinstance(error, DBAPIError) and not hasattr(error, "sqlite_errorcode"):
        return None
    cls = DatabaseOpenError if opening else DatabaseProblem
    code = _code(error)
    detail = str(error.orig if isinstance(error, DBAPIError) else error)
    free = _free_bytes(path)
    if code == "SQLITE_FULL" or (
        code.startswith("SQLITE_IOERR") and free is not None and free < 1024 * 1024
    ):
        free_text = f", {free / 1e6:.0f} MB free" if free is not None else ""
        return cls(
            f"the disk holding the database is full ({path.parent}{free_text})",
            hint=f"free some space on that disk, then run again; {_KEEP}",
        )
    if code.startswith("SQLITE_READONLY") or (code == "SQLITE_CANTOPEN" and path.exists()):
        return cls(
            f"the database {path} cannot be written: its folder or disk is read-only or not "
            "writable for you",
            hint=f"make {path.parent} writable (or use another --data-dir); {_KEEP}",
        )
    if code == "SQLITE_CANTOPEN":
        return cls(
            f"the database folder {path.parent} cannot be used ({detail})",
            hint="check that the folder exists and is writable, or use another --data-dir",
        )
    if code in ("SQLITE_BUSY", "SQLITE_LOCKED"):
        return cls(
            f"the database {path} stayed locked by another Video Studio ({detail})",
            hint="wait for the other one to finish, then run again",
        )
    if code in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
        return cls(
            f"the database file {path} is damaged ({detail})",
            hint="move the file away (a new, empty database is made on the next start) or "
            "restore a backup, or use another --data-dir",
        )
    return cls(
        f"the database {path} could not be used: {detail}",
        hint="run again; if it keeps failing, check the disk of the data folder",
    )
