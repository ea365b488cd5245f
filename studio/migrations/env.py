"""Alembic environment: runs migrations on the connection handed over in ``config.attributes``.

:func:`studio.store.migrate.upgrade_database` opens a ``BEGIN IMMEDIATE`` transaction on the
studio's own engine (with its pragmas) and passes the connection as
``config.attributes["connection"]``, so the whole upgrade is one transaction that other
processes wait for. Offline (``--sql``) mode is not supported.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from studio.store.tables import Base

config = context.config


def run_migrations_online() -> None:
    """Run the migrations inside the caller's transaction."""
    connection = config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "studio migrations run through studio.store.migrate.upgrade_database(), "
            "which passes config.attributes['connection']"
        )
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables
        transactional_ddl=True,  # our engine emits BEGIN itself, so DDL is transactional
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported for Video Studio")
run_migrations_online()
