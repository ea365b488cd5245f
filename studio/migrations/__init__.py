"""Alembic migrations of the Video Studio database.

Run programmatically by :func:`studio.store.migrate.upgrade_database`; no ``alembic.ini``.
``versions/`` holds one module per schema revision. To add one: write
``versions/NNNN_what.py`` by hand (copy the newest, set ``down_revision`` to its
``revision``), mirror the change in :mod:`studio.store.tables`, and run the store tests (one
compares the migrated schema with the ORM classes).
"""
