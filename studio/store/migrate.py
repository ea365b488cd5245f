"""Schema versioning with Alembic, run programmatically (no ``alembic.ini``).

:func:`upgrade_database` brings a new or older database to the newest schema this code knows
(Alembic's ``head``) and refuses a database written by a newer Video Studio, whose revision is
not among :mod:`studio.migrations` scripts: running old code on it could corrupt it.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from pipeline.errors import StudioError
from studio.store.database import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class SchemaTooNewError(StudioError):
    """The database was created by a newer Video Studio (its schema revision is unknown here)."""

    def __init__(self, revision: str, path: Path) -> None:
        super().__init__(
            f"this database was created by a newer Video Studio (schema {revision}): {path}",
            hint="update the app or use another --data-dir",
        )
        self.revision = revision
        self.path = path


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic :class:`Config` pointing at :data:`MIGRATIONS_DIR`.

    Args:
        connection: the connection ``env.py`` migrates (``config.attributes["connection"]``).
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest schema revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise RuntimeError(f"no migration scripts found in {MIGRATIONS_DIR}")
    return head


def current_revisions(connection: Connection) -> tuple[str, ...]:
    """The revision(s) stamped in the database; ``()`` for a new, empty database."""
    return MigrationContext.configure(connection).get_current_heads()


def migrate(db: Database, revision: str = "head") -> None:
    """Upgrade ``db`` to ``revision`` (default: the newest) in one ``BEGIN IMMEDIATE``
    transaction, so concurrent openers wait instead of racing.

    Raises:
        SchemaTooNewError: the database carries a revision these scripts do not know.
    """
    with db.connect_immediate() as connection:
        script = ScriptDirectory.from_config(alembic_config())
        known = {rev.revision for rev in script.walk_revisions()}
        for current in current_revisions(connection):
            if current not in known:
                raise SchemaTooNewError(current, db.path)
        command.upgrade(alembic_config(connection), revision)


def upgrade_database(path: Path, revision: str = "head") -> None:
    """Create or upgrade the SQLite file at ``path`` to ``revision`` and close it again.

    The parent folder is created if needed.

    Raises:
        SchemaTooNewError: the file was written by a newer Video Studio.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with Database(path) as db:
        migrate(db, revision)
