"""The time zone whose calendar days the budget counts, stored with the budget.

Every process that shares a database must count the same day, whatever its own zone (``TZ``)
is; the zone is therefore data, one row (``id = 1``) of ``budget_settings``, ``UTC`` unless
an operator sets another (``videostudio budget zone NAME``).

Revision ID: 0005_budget_zone
Revises: 0004_request
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005_budget_zone"
down_revision: str | None = "0004_request"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``budget_settings`` with its single row (zone ``UTC``)."""
    table = op.create_table(
        "budget_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_budget_settings"),
    )
    op.bulk_insert(table, [{"id": 1, "time_zone": "UTC", "updated_at": None}])


def downgrade() -> None:
    """Drop ``budget_settings``."""
    op.drop_table("budget_settings")
