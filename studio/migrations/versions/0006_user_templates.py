"""User templates: the ``templates`` table becomes the index of the user's template files.

Each row is one template the user made in the template editor or imported; its YAML file in
``<data>/templates/`` is the source of truth, and the row keeps what the gallery and the CLI
list without reading every file (kind, name, description, format), the file's path and
SHA-256 (a file edited outside the studio is read again), the template as JSON, and when it
was made and changed. Bundled templates are not indexed (they ship with the program).

Revision ID: 0006_user_templates
Revises: 0005_budget_zone
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_user_templates"
down_revision: str | None = "0005_budget_zone"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``description``, ``format``, ``path``, ``content_sha256``, ``based_on``,
    ``created_at`` and ``updated_at`` to ``templates`` (the table was empty until now)."""
    with op.batch_alter_table("templates") as batch:
        batch.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("format", sa.String(length=8), nullable=False, server_default="16:9")
        )
        batch.add_column(sa.Column("path", sa.Text(), nullable=True))
        batch.add_column(sa.Column("content_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("based_on", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("created_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    """Drop the added columns."""
    with op.batch_alter_table("templates") as batch:
        for name in (
            "updated_at",
            "created_at",
            "based_on",
            "content_sha256",
            "path",
            "format",
            "description",
        ):
            batch.drop_column(name)
