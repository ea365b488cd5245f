"""The SQLite store of Video Studio: schema, migrations, jobs and projects.

Typical use::

    db = open_database(paths.database_path())   # creates/upgrades the schema
    jobs = JobStore(db)
    jobs.recover_after_crash()
    ...
    db.close()
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import DatabaseError

from pipeline.errors import StudioError
from studio.store.database import BUSY_TIMEOUT_S, Database
from studio.store.jobs import MAX_CRASHES, Checkpoint, Job, JobStore
from studio.store.migrate import SchemaTooNewError, head_revision, migrate, upgrade_database
from studio.store.projects import Project, ProjectNotFoundError, ProjectStore, ProjectSummary
from studio.store.tables import JobState


class DatabaseOpenError(StudioError):
    """The database file could not be opened (damaged, not a database, or locked)."""


def open_database(path: Path) -> Database:
    """Open (creating the folder and file if needed) and upgrade the database at ``path``.

    Raises:
        SchemaTooNewError: the file was written by a newer Video Studio.
        DatabaseOpenError: the file is not a database, is damaged, or stayed locked for longer
            than the busy timeout (10 s).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(path)
    try:
        migrate(db)
    except DatabaseError as error:
        db.close()
        raise DatabaseOpenError(
            f"could not open the database {path}: {error.orig or error}",
            hint="if another Video Studio is starting, wait and retry; if the file is damaged, "
            "move it away or use another --data-dir",
        ) from error
    except BaseException:
        db.close()
        raise
    return db


__all__ = [
    "BUSY_TIMEOUT_S",
    "MAX_CRASHES",
    "Checkpoint",
    "Database",
    "DatabaseOpenError",
    "Job",
    "JobState",
    "JobStore",
    "Project",
    "ProjectNotFoundError",
    "ProjectStore",
    "ProjectSummary",
    "SchemaTooNewError",
    "head_revision",
    "migrate",
    "open_database",
    "upgrade_database",
]
