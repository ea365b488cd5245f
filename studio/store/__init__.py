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

from pipeline.preflight import translate_storage_errors
from studio.store.database import BUSY_TIMEOUT_S, Database
from studio.store.errors import DatabaseOpenError, DatabaseProblem, database_error
from studio.store.jobs import MAX_CRASHES, Checkpoint, Job, JobStore
from studio.store.migrate import SchemaTooNewError, head_revision, migrate, upgrade_database
from studio.store.projects import Project, ProjectNotFoundError, ProjectStore, ProjectSummary
from studio.store.tables import JobState


def open_database(path: Path) -> Database:
    """Open (creating the folder and file if needed) and upgrade the database at ``path``.

    Raises:
        SchemaTooNewError: the file was written by a newer Video Studio.
        DatabaseOpenError: the disk is full or read-only (the hint says to keep the file), the
            file is not a database or is damaged (the hint says to move it away), or it stayed
            locked for longer than the busy timeout (10 s).
        StorageError: the data folder cannot be created.
    """
    with translate_storage_errors(path.parent, "the database"):
        path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(path)
    try:
        migrate(db)
    except DatabaseError as error:
        db.close()
        problem = database_error(error, path, opening=True)
        raise (problem or DatabaseOpenError(str(error), hint="")) from error
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
    "DatabaseProblem",
    "Job",
    "JobState",
    "JobStore",
    "Project",
    "ProjectNotFoundError",
    "ProjectStore",
    "ProjectSummary",
    "SchemaTooNewError",
    "database_error",
    "head_revision",
    "migrate",
    "open_database",
    "upgrade_database",
]
