"""The SQLite schema as SQLAlchemy 2 ORM classes (typed ``Mapped[...]`` columns).

The schema itself is created and changed only by the Alembic migrations in
:mod:`studio.migrations`; these classes must describe the schema at the migrations' head
(a test compares the two). Every timestamp is a timezone-aware UTC ``datetime``
(:class:`UTCDateTime`); JSON columns hold text produced by ``json.dumps`` or pydantic's
``model_dump_json``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    DateTime,
    Dialect,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time as an aware UTC ``datetime``."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A ``DATETIME`` column that takes and returns aware UTC datetimes.

    SQLite has no time-zone type, so values are stored as naive UTC (ISO text, which sorts in
    time order) and come back with ``tzinfo=UTC``.

    Raises:
        ValueError: when binding a naive ``datetime`` (its zone would be a guess).
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Aware datetime → naive UTC for storage."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Stored naive UTC → aware UTC."""
        return None if value is None else value.replace(tzinfo=UTC)


class JobState(StrEnum):
    """Life cycle of a job: PENDING → RUNNING → SUCCEEDED | FAILED | CANCELLED."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


TERMINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})


class Base(DeclarativeBase):
    """Declarative base holding the shared :class:`MetaData` (with a naming convention)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProjectRow(Base):
    """A saved project: its source, its :class:`pipeline.models.VideoSpec` as JSON (layout
    ``spec_version``) and the user's render choices for it (``overrides_json``, a
    ``studio.request.RenderOverrides``)."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    source_path: Mapped[str | None] = mapped_column(Text)
    source_kind: Mapped[str] = mapped_column(String(32), default="")
    spec_json: Mapped[str] = mapped_column(Text)
    spec_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    overrides_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SceneRow(Base):
    """One scene of a project, in order, with the hash of its JSON (to spot edited scenes)."""

    __tablename__ = "scenes"
    __table_args__ = (UniqueConstraint("project_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    scene_json: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))


class TemplateRow(Base):
    """A user template (made in the template editor or imported): the index entry of its
    YAML file ``path`` (the source of truth; ``content_sha256`` tells when the file changed
    outside the studio), with the template as JSON (``data_json``) and what the gallery lists.
    ``first_approved_at`` is set when an operator first approves its paid generation;
    ``based_on`` is the template it was copied from, if any (migration 0006)."""

    __tablename__ = "templates"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    data_json: Mapped[str] = mapped_column(Text)
    first_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    format: Mapped[str] = mapped_column(String(8), default="16:9", server_default="16:9")
    path: Mapped[str | None] = mapped_column(Text)
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    based_on: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JobRow(Base):
    """A render (or other) job in the queue.

    ``input_json`` holds the render options and the spec; ``output_json`` the output paths.
    ``progress`` is a fraction 0–1 of the whole job (it never goes back, across attempts
    too); ``stage`` the stage running now; ``active_s`` the seconds worked on the job over
    all its attempts.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_claim", "state", "priority", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[JobState] = mapped_column(
        Enum(JobState, native_enum=False, length=16), default=JobState.PENDING
    )
    priority: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[str] = mapped_column(String(64), default="")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    crash_count: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    input_json: Mapped[str] = mapped_column(Text)
    output_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active_s: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")


class StageCheckpointRow(Base):
    """The persisted result of one finished stage of a job (so a job resumes after it)."""

    __tablename__ = "stage_checkpoints"
    __table_args__ = (UniqueConstraint("job_id", "stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    result_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CacheEntryRow(Base):
    """One cached artefact. ``path`` is relative to the cache root (``ab/abcd…``)."""

    __tablename__ = "cache_entries"
    __table_args__ = (Index("ix_cache_entries_last_used_at", "last_used_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    pinned_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Lease: another process must not evict this entry before this time (see ContentCache)."""


class CacheCounterRow(Base):
    """A persisted counter of the cache (``hits``, ``misses``)."""

    __tablename__ = "cache_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


# -- budget ledger, approvals and render tiers (migration 0003_budget) ----------------------
#
# Money is stored as whole micro-dollars (``*_micro_usd``, integers: 1 USD = 1,000,000) so
# sums are exact; :mod:`studio.budget` converts at the edges through ``Decimal(str(usd))``.
# ``day`` columns hold the calendar day the spend counts for, in the budget's time zone
# (:class:`BudgetSettingsRow`, UTC by default), as an ISO date string (``"2030-01-15"``),
# which sorts and groups as text.


def _enum_values(enum: type[StrEnum]) -> list[str]:
    """Store a :class:`StrEnum` by its (lower-case) values, not its member names."""
    return [member.value for member in enum]


class LedgerState(StrEnum):
    """Life cycle of a ledger entry: RESERVED → SETTLED | RELEASED | RECONCILED.

    RECONCILED: the reserving process died before settling; the estimate counts as spent.
    """

    RESERVED = "reserved"
    SETTLED = "settled"
    RELEASED = "released"
    RECONCILED = "reconciled"


class ApprovalState(StrEnum):
    """An operator's decision on a template's paid generation: PENDING → APPROVED | REJECTED."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class SceneTier(StrEnum):
    """Which renderer produced a scene: an AI clip, or a fallback (infographic, text card),
    or an ordinary rendered scene that never wanted an AI clip."""

    AI_CLIP = "ai_clip"
    AI_IMAGE = "ai_image"
    INFOGRAPHIC = "infographic"
    TEXT_CARD = "text_card"
    RENDERED = "rendered"


class LedgerEntryRow(Base):
    """One paid call in the budget ledger: its estimate (reserved first) and actual cost."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_day_state", "day", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    day: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(100))
    template_id: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    units: Mapped[float] = mapped_column(Float, default=0.0)
    estimated_micro_usd: Mapped[int] = mapped_column(Integer)
    actual_micro_usd: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[LedgerState] = mapped_column(
        Enum(LedgerState, native_enum=False, length=16, values_callable=_enum_values),
        default=LedgerState.RESERVED,
    )
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the entry was settled, released or reconciled."""


class ApprovalRow(Base):
    """A request to use a template's paid generation of one kind, and the operator's answer."""

    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_template_id_kind", "template_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    template_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    estimated_micro_usd: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[ApprovalState] = mapped_column(
        Enum(ApprovalState, native_enum=False, length=16, values_callable=_enum_values),
        default=ApprovalState.PENDING,
    )
    note: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(100))


class PaidWorkStateRow(Base):
    """The single row (``id = 1``) saying whether paid work is paused, why and since when."""

    __tablename__ = "paid_work_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BudgetOverrideRow(Base):
    """An operator's override of the hard stop for one local calendar day."""

    __tablename__ = "budget_overrides"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    approved_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BudgetAlertRow(Base):
    """A budget threshold crossed on a day, recorded once per day and level.

    ``level`` is ``"alert"`` (committed spend reached the alert fraction) or ``"stopped"``
    (the hard stop refused a paid call).
    """

    __tablename__ = "budget_alerts"
    __table_args__ = (UniqueConstraint("day", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[str] = mapped_column(String(10))
    level: Mapped[str] = mapped_column(String(16))
    committed_micro_usd: Mapped[int] = mapped_column(Integer)
    threshold_micro_usd: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SceneTierRow(Base):
    """Which tier produced one scene of a render, and what it cost (operator's fallback usage)."""

    __tablename__ = "scene_tiers"
    __table_args__ = (Index("ix_scene_tiers_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    template_id: Mapped[str | None] = mapped_column(String(100))
    scene_index: Mapped[int] = mapped_column(Integer)
    tier: Mapped[SceneTier] = mapped_column(
        Enum(SceneTier, native_enum=False, length=16, values_callable=_enum_values)
    )
    cost_micro_usd: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BudgetSettingsRow(Base):
    """The single row (``id = 1``) of settings stored with the budget (migration 0004).

    ``time_zone`` is the IANA zone whose calendar days the ledger counts (``"UTC"`` by
    default), the same for every process sharing the database whatever its own ``TZ``.
    """

    __tablename__ = "budget_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
