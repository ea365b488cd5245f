"""The job queue in SQLite: what the job runner calls.

States: PENDING → RUNNING → SUCCEEDED | FAILED | CANCELLED; FAILED/CANCELLED → PENDING on
retry. :meth:`JobStore.claim_next_job` takes SQLite's write lock (``BEGIN IMMEDIATE``) before
it reads, so several runners (threads or processes) never claim the same job. Methods return
:class:`Job` snapshots (frozen, safe to hand to another thread), never live ORM rows.

Cancelling a RUNNING job only marks it CANCELLED; the runner notices because
:meth:`JobStore.update_progress` then returns ``False`` (besides its own in-process flag), and
its later :meth:`JobStore.finish_job` leaves the CANCELLED state alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from studio.store.database import Database
from studio.store.tables import (
    TERMINAL_STATES,
    JobRow,
    JobState,
    StageCheckpointRow,
    utcnow,
)

MAX_CRASHES = 3
"""A job that was RUNNING when the app died this many times is failed instead of re-queued."""

JsonObject = dict[str, Any]


def dump_json(value: Mapping[str, Any] | str) -> str:
    """A JSON object as compact, key-sorted text; a ``str`` must already be a JSON object.

    Raises:
        ValueError: the value is not JSON-serialisable or not a JSON object.
    """
    if isinstance(value, str):
        parsed = json.loads(value)
        if not isinstance(parsed, dict):
            raise ValueError("expected a JSON object")
        return value
    try:
        return json.dumps(dict(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except TypeError as error:
        raise ValueError(f"not JSON-serialisable: {error}") from error


@dataclass(frozen=True, slots=True)
class Job:
    """A snapshot of one job row. ``input``/``output`` are the parsed JSON objects;
    ``progress`` is 0–1; timestamps are aware UTC."""

    id: int
    project_id: int | None
    kind: str
    state: JobState
    priority: int
    stage: str
    progress: float
    message: str
    attempts: int
    crash_count: int
    error: str | None
    input: JsonObject
    output: JsonObject | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
    heartbeat_at: datetime | None
    active_s: float = 0.0

    @classmethod
    def from_row(cls, row: JobRow) -> Job:
        """Copy an ORM row into a snapshot."""
        return cls(
            id=row.id,
            project_id=row.project_id,
            kind=row.kind,
            state=JobState(row.state),
            priority=row.priority,
            stage=row.stage,
            progress=row.progress,
            message=row.message,
            attempts=row.attempts,
            crash_count=row.crash_count,
            error=row.error,
            input=json.loads(row.input_json),
            output=json.loads(row.output_json) if row.output_json else None,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            updated_at=row.updated_at,
            heartbeat_at=row.heartbeat_at,
            active_s=row.active_s or 0.0,
        )


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The saved result of one finished stage: ``content_hash`` of its inputs and ``result``."""

    stage: str
    content_hash: str
    result: JsonObject
    created_at: datetime


class JobStore:
    """Job queue operations on a :class:`Database`.

    Args:
        db: the open database.
        clock: returns "now" as an aware UTC datetime (injectable for tests).
    """

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock

    def enqueue_job(
        self,
        kind: str,
        input_json: Mapping[str, Any] | str,
        priority: int = 0,
        project_id: int | None = None,
    ) -> int:
        """Add a PENDING job and return its id.

        Args:
            kind: what the job does (``"render"``, ``"thumbnail"``, …).
            input_json: render options and spec, as a JSON object (mapping or text).
            priority: higher runs first; equal priorities run oldest first.
            project_id: the project it belongs to, if any.

        Raises:
            ValueError: ``input_json`` is not a JSON object.
        """
        now = self.clock()
        row = JobRow(
            kind=kind,
            input_json=dump_json(input_json),
            priority=priority,
            project_id=project_id,
            state=JobState.PENDING,
            stage="",
            progress=0.0,
            message="queued",
            attempts=0,
            crash_count=0,
            created_at=now,
            updated_at=now,
        )
        with self.db.begin() as session:
            session.add(row)
            session.flush()
            return row.id

    def claim_next_job(self, kinds: Iterable[str] | None = None) -> Job | None:
        """Atomically take the next PENDING job (highest priority, then oldest) and mark it
        RUNNING (``attempts`` + 1, ``started_at`` = now). ``None`` when nothing is pending.

        Args:
            kinds: only consider jobs of these kinds (all kinds when ``None``).
        """
        now = self.clock()
        query = select(JobRow).where(JobRow.state == JobState.PENDING)
        if kinds is not None:
            query = query.where(JobRow.kind.in_(list(kinds)))
        query = query.order_by(JobRow.priority.desc(), JobRow.created_at, JobRow.id).limit(1)
        with self.db.begin_immediate() as session:
            row = session.scalars(query).first()
            if row is None:
                return None
            row.state = JobState.RUNNING
            row.attempts += 1
            row.started_at = now
            row.heartbeat_at = now
            row.updated_at = now
            row.finished_at = None
            row.error = None
            row.message = "starting"
            session.flush()
            return Job.from_row(row)

    def update_progress(
        self,
        job_id: int,
        fraction: float,
        message: str,
        stage: str | None = None,
        *,
        active_s: float | None = None,
    ) -> bool:
        """Record progress of a RUNNING job (also its heartbeat).

        Args:
            fraction: 0–1 of the whole job (clamped).
            message: short text for the job panel.
            stage: the stage running now; unchanged when ``None``.
            active_s: seconds worked on the job over all attempts; unchanged when ``None``.

        Returns:
            ``False`` when the job is no longer RUNNING (cancelled elsewhere): stop working.
        """
        now = self.clock()
        values: dict[str, Any] = {
            "progress": min(max(float(fraction), 0.0), 1.0),
            "message": message,
            "heartbeat_at": now,
            "updated_at": now,
        }
        if stage is not None:
            values["stage"] = stage
        if active_s is not None:
            values["active_s"] = max(0.0, float(active_s))
        return self._update_where(job_id, {JobState.RUNNING}, values)

    def finish_job(
        self,
        job_id: int,
        state: JobState,
        error: str | None = None,
        output: Mapping[str, Any] | None = None,
    ) -> bool:
        """Move a RUNNING job to a final state.

        Args:
            state: SUCCEEDED, FAILED or CANCELLED.
            error: what went wrong (for FAILED).
            output: output paths etc. as a JSON object.

        Returns:
            ``False`` when the job was not RUNNING (e.g. cancelled meanwhile); nothing changes.

        Raises:
            ValueError: ``state`` is not a final state.
        """
        state = JobState(state)
        if state not in TERMINAL_STATES:
            raise ValueError(f"finish_job needs a final state, not {state}")
        now = self.clock()
        values: dict[str, Any] = {
            "state": state,
            "error": error,
            "finished_at": now,
            "updated_at": now,
            "message": {
                JobState.SUCCEEDED: "done",
                JobState.FAILED: "failed",
                JobState.CANCELLED: "cancelled",
            }[state],
        }
        if output is not None:
            values["output_json"] = dump_json(output)
        if state is JobState.SUCCEEDED:
            values["progress"] = 1.0
        return self._update_where(job_id, {JobState.RUNNING}, values)

    def cancel_job(self, job_id: int) -> bool:
        """Cancel a PENDING or RUNNING job. ``False`` if it was already finished or unknown."""
        now = self.clock()
        values = {
            "state": JobState.CANCELLED,
            "finished_at": now,
            "updated_at": now,
            "message": "cancelled",
        }
        return self._update_where(job_id, {JobState.PENDING, JobState.RUNNING}, values)

    def retry_job(self, job_id: int) -> bool:
        """Queue a FAILED or CANCELLED job again; it resumes (what it finished is in the
        content cache). Progress and the time worked are kept (they never go back); error
        and crash count are reset. ``False`` if the job is in another state.
        """
        values = {
            "state": JobState.PENDING,
            "error": None,
            "crash_count": 0,
            "started_at": None,
            "finished_at": None,
            "updated_at": self.clock(),
            "message": "queued for retry",
        }
        return self._update_where(job_id, {JobState.FAILED, JobState.CANCELLED}, values)

    def clear_crash_count(self, job_id: int) -> None:
        """Forget earlier crashes of a RUNNING job that has made progress since it restarted.

        Only crashes without progress in between count towards :data:`MAX_CRASHES`, so a job
        that is merely interrupted (killed, power cut) always finishes in the end.
        """
        self._update_where(job_id, {JobState.RUNNING}, {"crash_count": 0})

    def get_job(self, job_id: int) -> Job | None:
        """The job with this id, or ``None``."""
        with self.db.begin() as session:
            row = session.get(JobRow, job_id)
            return Job.from_row(row) if row is not None else None

    def list_jobs(
        self, states: Iterable[JobState] | None = None, limit: int | None = None
    ) -> list[Job]:
        """Jobs, newest first; optionally only those in ``states`` and at most ``limit``."""
        query = select(JobRow).order_by(JobRow.id.desc())
        if states is not None:
            query = query.where(JobRow.state.in_(list(states)))
        if limit is not None:
            query = query.limit(limit)
        with self.db.begin() as session:
            return [Job.from_row(row) for row in session.scalars(query)]

    def save_checkpoint(
        self, job_id: int, stage: str, content_hash: str, result: Mapping[str, Any]
    ) -> None:
        """Store (or replace) the result of ``stage`` of ``job_id``.

        Args:
            content_hash: hash of everything the stage's result depends on; a resumed job
                reuses the result only if its inputs hash the same.
            result: a JSON object (paths, durations, …).
        """
        values = {
            "job_id": job_id,
            "stage": stage,
            "content_hash": content_hash,
            "result_json": dump_json(result),
            "created_at": self.clock(),
        }
        statement = sqlite_insert(StageCheckpointRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["job_id", "stage"],
            set_={
                "content_hash": statement.excluded.content_hash,
                "result_json": statement.excluded.result_json,
                "created_at": statement.excluded.created_at,
            },
        )
        with self.db.begin() as session:
            session.execute(statement)

    def load_checkpoints(self, job_id: int) -> dict[str, Checkpoint]:
        """All saved stage results of ``job_id``, by stage name."""
        query = select(StageCheckpointRow).where(StageCheckpointRow.job_id == job_id)
        with self.db.begin() as session:
            return {
                row.stage: Checkpoint(
                    stage=row.stage,
                    content_hash=row.content_hash,
                    result=json.loads(row.result_json),
                    created_at=row.created_at,
                )
                for row in session.scalars(query)
            }

    def recover_after_crash(
        self, max_crashes: int = MAX_CRASHES, *, crashed: bool = True
    ) -> list[int]:
        """Startup recovery: every RUNNING job belongs to a process that died.

        Args:
            max_crashes: crashes after which a job is failed instead of requeued.
            crashed: whether that process *crashed* (a fatal error such as a segmentation
                fault or an abort was recorded) rather than being stopped from outside
                (SIGKILL, power loss). Only crashes count: each RUNNING job gets
                ``crash_count`` + 1 and at ``max_crashes`` becomes FAILED with the error
                "the job crashed the app N times: <stage>: <message>"; otherwise it is
                PENDING again and resumes from its checkpoints. An interrupted job is always
                requeued, so a job that is merely interrupted always finishes.

        Call it once at startup, before any runner starts, in the one process that owns the
        queue (the studio's runner lock).

        Returns:
            The ids of the recovered jobs (requeued or failed), ascending.
        """
        now = self.clock()
        recovered: list[int] = []
        query = select(JobRow).where(JobRow.state == JobState.RUNNING).order_by(JobRow.id)
        with self.db.begin_immediate() as session:
            for row in session.scalars(query):
                row.updated_at = now
                recovered.append(row.id)
                if not crashed:
                    row.state = JobState.PENDING
                    row.message = "requeued after an interruption"
                    continue
                row.crash_count += 1
                if row.crash_count >= max_crashes:
                    last = row.message
                    if row.stage and not last.startswith(f"{row.stage}:"):
                        last = ": ".join(part for part in (row.stage, last) if part)
                    row.state = JobState.FAILED
                    row.error = f"the job crashed the app {row.crash_count} times: {last}"
                    row.message = "failed"
                    row.finished_at = now
                else:
                    row.state = JobState.PENDING
                    row.message = f"requeued after a crash ({row.crash_count})"
        return recovered

    def _update_where(self, job_id: int, states: set[JobState], values: dict[str, Any]) -> bool:
        statement = (
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.state.in_(list(states)))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        with self.db.begin() as session:
            return session.execute(statement).rowcount == 1
