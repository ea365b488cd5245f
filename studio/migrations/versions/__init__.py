"""Schema revisions (Alembic ignores this ``__init__``; it makes the folder ship as a package)."""
