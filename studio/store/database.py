"""The SQLite engine: per-connection pragmas, explicit BEGIN, and ``BEGIN IMMEDIATE``.

Every connection gets ``journal_mode=WAL``, ``busy_timeout`` (10 s), ``synchronous=FULL`` and
``foreign_keys=ON``. Python's ``sqlite3`` (3.11) would otherwise start transactions only before
DML and never before SELECT or DDL, so, as in SQLAlchemy's "Enabling Non-Legacy SQLite
Transactional Modes" recipe, the driver's own BEGIN is switched off (``isolation_level=None``)
and SQLAlchemy's ``begin`` event emits ``BEGIN`` itself — ``BEGIN IMMEDIATE`` when the
engine or connection carries the execution option ``sqlite_begin="IMMEDIATE"``.

Use :meth:`Database.begin_immediate` for read-then-write transactions (claiming a job,
reserving budget): it takes SQLite's write lock before the first read, so two processes or
threads can never both read the same "next job" and both claim it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from sqlalchemy import URL, Connection, CursorResult, Engine, Result, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_S = 10.0
_BEGIN_OPTION = "sqlite_begin"
_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})


def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    """Pool ``connect`` hook: driver-level autocommit off (we BEGIN ourselves) and pragmas."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _on_begin(connection: Connection) -> None:
    """Connection ``begin`` hook: emit ``BEGIN`` / ``BEGIN IMMEDIATE`` ourselves."""
    mode = str(connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")).upper()
    if mode not in _BEGIN_MODES:
        raise ValueError(f"{_BEGIN_OPTION} must be one of {sorted(_BEGIN_MODES)}, not {mode!r}")
    connection.exec_driver_sql(f"BEGIN {mode}")


def create_sqlite_engine(path: Path) -> Engine:
    """An engine on the SQLite file ``path`` with the pragmas and BEGIN hooks installed.

    The parent folder must exist. Connections may be used from any thread (the pool hands each
    checkout to one thread at a time).
    """
    url = URL.create("sqlite+pysqlite", database=str(path))
    engine = create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def rows_affected(result: Result[Any]) -> int:
    """How many rows the UPDATE or DELETE (WHERE criteria, no RETURNING) that ``result``
    came from changed, as the SQLite driver counted them.

    ``Session.execute`` runs such a statement into a ``CursorResult``, but since SQLAlchemy
    2.0.44 it is typed as returning a plain ``Result`` (some ORM bulk INSERT/UPDATE flavours
    yield no cursor, and overloads cannot tell them apart); SQLAlchemy's changelog (#12813)
    asks callers that know they get a ``CursorResult`` to use ``typing.cast``.
    """
    return cast("CursorResult[Any]", result).rowcount


class Database:
    """An open Video Studio database: an engine plus session factories.

    Sessions use ``expire_on_commit=False`` so rows read in a transaction stay readable after
    it. Close with :meth:`close` (or use as a context manager) to dispose the pool.

    Args:
        path: the SQLite file (must already be migrated; see :func:`studio.store.open_database`).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine = create_sqlite_engine(path)
        self._immediate_engine = self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._immediate_sessions = sessionmaker(self._immediate_engine, expire_on_commit=False)

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A session in a deferred transaction: commits on success, rolls back on error.

        Right for reads and for blind writes; use :meth:`begin_immediate` when what you write
        depends on what you read.
        """
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def begin_immediate(self) -> Iterator[Session]:
        """A session whose transaction starts with ``BEGIN IMMEDIATE`` (the write lock).

        Waits up to the busy timeout (10 s) for other writers, then raises
        ``sqlalchemy.exc.OperationalError`` ("database is locked").
        """
        with self._immediate_sessions.begin() as session:
            yield session

    @contextmanager
    def connect_immediate(self) -> Iterator[Connection]:
        """A Core connection inside a ``BEGIN IMMEDIATE`` transaction (commits on success)."""
        with self._immediate_engine.begin() as connection:
            yield connection

    def pragma(self, name: str) -> object:
        """The current value of ``PRAGMA name`` on a fresh connection (diagnostics, tests)."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a pragma name: {name!r}")
        with self.engine.connect() as connection:
            return connection.exec_driver_sql(f"PRAGMA {name}").scalar()

    def integrity_check(self) -> list[str]:
        """``PRAGMA integrity_check``: ``["ok"]`` for a healthy file, else the problems found."""
        with self.engine.connect() as connection:
            return [str(row[0]) for row in connection.exec_driver_sql("PRAGMA integrity_check")]

    def close(self) -> None:
        """Close every pooled connection. The object must not be used afterwards."""
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
