"""Budget ledger, approvals, paid-work pause, budget overrides and alerts, scene tiers.

Money columns are whole micro-dollars (``*_micro_usd``, integers; 1 USD = 1,000,000) so sums
are exact. ``day`` columns are local calendar days as ISO date strings (``"2030-01-15"``).

Revision ID: 0003_budget
Revises: 0002_indexes
Create Date: 2026-10-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003_budget"
down_revision: str | None = "0002_indexes"
branch_labels: str | None = None
depends_on: str | None = None

LEDGER_STATES = ("reserved", "settled", "released", "reconciled")
APPROVAL_STATES = ("pending", "approved", "rejected")
SCENE_TIERS = ("ai_clip", "infographic", "text_card", "rendered")


def upgrade() -> None:
    """Create the budget tables and their indexes."""
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("template_id", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("units", sa.Float(), nullable=False),
        sa.Column("estimated_micro_usd", sa.Integer(), nullable=False),
        sa.Column("actual_micro_usd", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(*LEDGER_STATES, name="ledgerstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_ledger_entries_job_id_jobs", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_entries"),
    )
    op.create_index("ix_ledger_entries_day_state", "ledger_entries", ["day", "state"])
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("template_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("estimated_micro_usd", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(*APPROVAL_STATES, name="approvalstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_approvals"),
    )
    op.create_index("ix_approvals_template_id_kind", "approvals", ["template_id", "kind"])
    op.create_table(
        "paid_work_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("paused_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_paid_work_state"),
    )
    op.create_table(
        "budget_overrides",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_budget_overrides"),
    )
    op.create_table(
        "budget_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("committed_micro_usd", sa.Integer(), nullable=False),
        sa.Column("threshold_micro_usd", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_budget_alerts"),
        sa.UniqueConstraint("day", "level", name="uq_budget_alerts_day"),
    )
    op.create_table(
        "scene_tiers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("template_id", sa.String(length=100), nullable=True),
        sa.Column("scene_index", sa.Integer(), nullable=False),
        sa.Column(
            "tier",
            sa.Enum(*SCENE_TIERS, name="scenetier", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("cost_micro_usd", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_scene_tiers_job_id_jobs", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_scene_tiers"),
    )
    op.create_index("ix_scene_tiers_created_at", "scene_tiers", ["created_at"])


def downgrade() -> None:
    """Drop the budget tables (their indexes go with them)."""
    for table in (
        "scene_tiers",
        "budget_alerts",
        "budget_overrides",
        "paid_work_state",
        "approvals",
        "ledger_entries",
    ):
        op.drop_table(table)
