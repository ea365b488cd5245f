"""Versioned render requests: cumulative job time, project spec versions and render choices.

Revision ID: 0004_request
Revises: 0003_budget
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_request"
down_revision: str | None = "0003_budget"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``jobs.active_s`` (seconds worked over all attempts), ``projects.spec_version``
    (layout version of ``spec_json``; existing rows are version 1) and
    ``projects.overrides_json`` (the user's render choices for the project)."""
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("active_s", sa.Float(), nullable=False, server_default="0"))
    with op.batch_alter_table("projects") as batch:
        batch.add_column(
            sa.Column("spec_version", sa.Integer(), nullable=False, server_default="1")
        )
        batch.add_column(sa.Column("overrides_json", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the three columns."""
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("overrides_json")
        batch.drop_column("spec_version")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("active_s")
