"""Indexes for claiming the next job and for LRU eviction of the cache.

Revision ID: 0002_indexes
Revises: 0001_initial
Create Date: 2025-01-01
"""

from __future__ import annotations

from alembic import op

revision: str = "0002_indexes"
down_revision: str | None = "0001_initial"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``ix_jobs_claim`` and ``ix_cache_entries_last_used_at``."""
    op.create_index("ix_jobs_claim", "jobs", ["state", "priority", "created_at"])
    op.create_index("ix_cache_entries_last_used_at", "cache_entries", ["last_used_at"])


def downgrade() -> None:
    """Drop the two indexes."""
    op.drop_index("ix_cache_entries_last_used_at", table_name="cache_entries")
    op.drop_index("ix_jobs_claim", table_name="jobs")
