"""The job queue in SQLite: what the job runner calls.

States: PENDING → RUNNING → SUCCEEDED | FAILED | CANCELLED; FAILED/CANCELLED → PENDING on
retry. :meth:`JobStore.claim_next_job` takes SQLite's write lock (``BEGIN IMMEDIATE``) before
it reads, so several runners (threads or processes) never claim the same job. Methods return
:class:`Job` snapshots (frozen, safe to hand to another thread), never live ORM rows.

Cancelling a RUNNING job only marks it CANCELLED; the runner notices because
:meth:`JobStore.update_progress` then returns ``False`` (besides its own in-process flag), and
its later :meth:`JobStore.finish_job` leaves the CANCELLED state alone.

Damaged rows: a row whose stored values cannot be read back (random bytes in its JSON, an
unknown state, an unreadable timestamp — damage SQLite's ``integrity_check`` does not see)
never stops the queue. Job rows are read as raw bytes (``CAST(... AS BLOB)``) and checked one
by one; a damaged row is *quarantined*: :meth:`JobStore.claim_next_job` and
:meth:`JobStore.recover_after_crash` mark it FAILED with the reason (its stored values are
kept, for inspection) and go on with the next job, and :meth:`JobStore.list_jobs` /
:meth:`JobStore.get_job` return it as a FAILED snapshot whose ``error`` names the damage.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from studio.store.database import Database, rows_affected
from studio.store.tables import (
    TERMINAL_STATES,
    JobRow,
    JobState,
    StageCheckpointRow,
    utcnow,
)

log = logging.getLogger(__name__)

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


QUARANTINED = "quarantined"
"""First word of the ``error`` of a job set aside because its stored row is damaged."""

_JOB_COLUMNS = (
    "id",
    "project_id",
    "kind",
    "state",
    "priority",
    "stage",
    "progress",
    "message",
    "attempts",
    "crash_count",
    "error",
    "input_json",
    "output_json",
    "created_at",
    "started_at",
    "finished_at",
    "updated_at",
    "heartbeat_at",
    "active_s",
)
_RAW_JOBS = "SELECT id, {} FROM jobs".format(
    ", ".join(f"CAST({name} AS BLOB)" for name in _JOB_COLUMNS[1:])
)
"""Every column as stored (bytes), so no value can make the read itself fail: SQLite refuses
to hand out a TEXT value that is not UTF-8, and SQLAlchemy's types raise on bad dates or an
unknown enum value, which would fail the whole query instead of one row."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DamagedRowError(ValueError):
    """A stored job row cannot be read back; ``reason`` names the column and the problem."""

    def __init__(self, job_id: int, reason: str) -> None:
        super().__init__(f"job {job_id}: {reason}")
        self.job_id = job_id
        self.reason = reason


def _text(values: Mapping[str, Any], name: str, *, optional: bool = False) -> str | None:
    raw = values[name]
    if raw is None:
        if optional:
            return None
        raise ValueError(f"{name} is missing")
    try:
        return bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not text (random bytes)") from None


def _number(values: Mapping[str, Any], name: str, kind: type[int] | type[float]) -> Any:
    text = _text(values, name)
    try:
        return kind(str(text))
    except ValueError:
        raise ValueError(f"{name} is not a number") from None


def _moment(values: Mapping[str, Any], name: str, *, optional: bool = False) -> datetime | None:
    text = _text(values, name, optional=optional)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"{name} is not a date") from None


def _json_object(values: Mapping[str, Any], name: str, *, optional: bool = False) -> Any:
    text = _text(values, name, optional=optional)
    if text is None:
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        raise ValueError(f"{name} is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"{name} is not a JSON object")
    return parsed


def _job_from_raw(values: Mapping[str, Any]) -> Job:
    """A snapshot from raw column values (see :data:`_RAW_JOBS`).

    Raises:
        DamagedRowError: a value cannot be read back.
    """
    job_id = int(values["id"])
    try:
        state_text = str(_text(values, "state"))
        try:
            state = JobState(state_text)
        except ValueError:
            raise ValueError("state is not a job state") from None
        project = _text(values, "project_id", optional=True)
        return Job(
            id=job_id,
            project_id=int(project) if project is not None else None,
            kind=str(_text(values, "kind")),
            state=state,
            priority=_number(values, "priority", int),
            stage=str(_text(values, "stage")),
            progress=_number(values, "progress", float),
            message=str(_text(values, "message")),
            attempts=_number(values, "attempts", int),
            crash_count=_number(values, "crash_count", int),
            error=_text(values, "error", optional=True),
            input=_json_object(values, "input_json"),
            output=_json_object(values, "output_json", optional=True),
            created_at=_moment(values, "created_at") or _EPOCH,
            started_at=_moment(values, "started_at", optional=True),
            finished_at=_moment(values, "finished_at", optional=True),
            updated_at=_moment(values, "updated_at") or _EPOCH,
            heartbeat_at=_moment(values, "heartbeat_at", optional=True),
            active_s=_number(values, "active_s", float),
        )
    except ValueError as error:
        raise DamagedRowError(job_id, str(error)) from None


def quarantine_message(reason: str) -> str:
    """The ``error`` of a job set aside because its row is damaged."""
    return (
        f"{QUARANTINED}: the job's stored data is damaged ({reason}), so it was set aside "
        "and the rest of the queue runs; queue the document again (`videostudio queue add`)"
    )


def _quarantined_job(values: Mapping[str, Any], reason: str) -> Job:
    """A FAILED snapshot of a damaged row, with whatever of it can still be read."""

    def best(read: Callable[[], Any], default: Any) -> Any:
        try:
            value = read()
        except (ValueError, TypeError):
            return default
        return default if value is None else value

    stored_error = best(lambda: _text(values, "error", optional=True), "")
    return Job(
        id=int(values["id"]),
        project_id=None,
        kind=best(lambda: _text(values, "kind"), "?"),
        state=_finished_state(values) or JobState.FAILED,
        priority=best(lambda: _number(values, "priority", int), 0),
        stage=best(lambda: _text(values, "stage"), ""),
        progress=best(lambda: _number(values, "progress", float), 0.0),
        message="failed",
        attempts=best(lambda: _number(values, "attempts", int), 0),
        crash_count=best(lambda: _number(values, "crash_count", int), 0),
        error=stored_error if stored_error.startswith(QUARANTINED) else quarantine_message(reason),
        input={},
        output=None,
        created_at=best(lambda: _moment(values, "created_at"), _EPOCH),
        started_at=None,
        finished_at=best(lambda: _moment(values, "finished_at", optional=True), None),
        updated_at=best(lambda: _moment(values, "updated_at"), _EPOCH),
        heartbeat_at=None,
        active_s=best(lambda: _number(values, "active_s", float), 0.0),
    )


def _read_jobs(
    session: Session, where: str = "", params: Mapping[str, Any] | None = None
) -> list[tuple[Mapping[str, Any], Job | None, str]]:
    """Raw rows (``where`` is trusted SQL) as ``(values, snapshot or None, damage reason)``."""
    result = session.connection().exec_driver_sql(f"{_RAW_JOBS} {where}", dict(params or {}))
    rows: list[tuple[Mapping[str, Any], Job | None, str]] = []
    for raw in result:
        values = dict(zip(_JOB_COLUMNS, raw, strict=True))
        try:
            rows.append((values, _job_from_raw(values), ""))
        except DamagedRowError as error:
            rows.append((values, None, error.reason))
    return rows


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

        A candidate whose row is damaged is quarantined (FAILED with the reason) and the next
        one is taken, in the same transaction.

        Args:
            kinds: only consider jobs of these kinds (all kinds when ``None``).
        """
        now = self.clock()
        where = "WHERE state = 'PENDING'"
        params: dict[str, Any] = {}
        if kinds is not None:
            names = list(kinds)
            if not names:
                return None
            where += " AND kind IN ({})".format(", ".join(f":k{i}" for i in range(len(names))))
            params = {f"k{i}": name for i, name in enumerate(names)}
        order = " ORDER BY priority DESC, created_at, id LIMIT 1"
        with self.db.begin_immediate() as session:
            while True:
                rows = _read_jobs(session, where + order, params)
                if not rows:
                    return None
                values, job, reason = rows[0]
                if job is None:
                    self._quarantine(session, int(values["id"]), reason, now)
                    continue
                changes: dict[str, Any] = {
                    "state": JobState.RUNNING,
                    "attempts": job.attempts + 1,
                    "started_at": now,
                    "heartbeat_at": now,
                    "updated_at": now,
                    "finished_at": None,
                    "error": None,
                    "message": "starting",
                }
                session.execute(
                    update(JobRow)
                    .where(JobRow.id == job.id)
                    .values(**changes)
                    .execution_options(synchronize_session=False)
                )
                return replace(job, **changes)

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

    def record_last_progress(
        self, job_id: int, fraction: float, stage: str | None = None, *, active_s: float
    ) -> bool:
        """Record where a job that did not succeed stopped: its newest progress, which the
        runner's throttled writes (:data:`studio.jobs.PROGRESS_INTERVAL_S`) had not stored.

        Applies to a RUNNING, CANCELLED or FAILED job (a job cancelled from the panel is
        already CANCELLED when its work stops); progress and the time worked never go back.

        Args:
            fraction: 0–1 of the whole job (clamped).
            stage: the stage it was in; unchanged when ``None``.
            active_s: seconds worked on the job over all attempts.

        Returns:
            ``False`` when the job is in another state or unknown; nothing changes.
        """
        stopped = {JobState.RUNNING, JobState.CANCELLED, JobState.FAILED}
        job = self.get_job(job_id)
        if job is None or job.state not in stopped:
            return False
        values: dict[str, Any] = {
            "progress": max(job.progress, min(max(float(fraction), 0.0), 1.0)),
            "active_s": max(job.active_s, float(active_s)),
            "updated_at": self.clock(),
        }
        if stage is not None:
            values["stage"] = stage
        return self._update_where(job_id, stopped, values)

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
        """The job with this id, or ``None`` (a damaged row comes back as a FAILED snapshot
        naming the damage)."""
        with self.db.begin() as session:
            rows = _read_jobs(session, "WHERE id = :id", {"id": int(job_id)})
        return _snapshots(rows)[0] if rows else None

    def list_jobs(
        self, states: Iterable[JobState] | None = None, limit: int | None = None
    ) -> list[Job]:
        """Jobs, newest first; optionally only those in ``states`` and at most ``limit``.

        Damaged rows are listed as FAILED snapshots whose ``error`` names the damage.
        """
        wanted = set(states) if states is not None else None
        with self.db.begin() as session:
            rows = _read_jobs(session, "ORDER BY id DESC")
        jobs = [job for job in _snapshots(rows) if wanted is None or job.state in wanted]
        return jobs[:limit] if limit is not None else jobs

    def quarantine_damaged(self) -> list[Job]:
        """Mark every damaged job row that has not finished as FAILED with the reason (a
        finished one keeps its state; it is only shown with the damage named).

        Returns:
            snapshots of the jobs quarantined now, by id.
        """
        now = self.clock()
        found: list[Job] = []
        with self.db.begin_immediate() as session:
            for values, job, reason in _read_jobs(session, "ORDER BY id"):
                if job is None and _finished_state(values) is None:
                    self._quarantine(session, int(values["id"]), reason, now)
                    found.append(_quarantined_job(values, reason))
        return found

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
        """All saved stage results of ``job_id``, by stage name.

        A checkpoint whose stored values cannot be read back is left out (that stage is
        simply done again) and logged.
        """
        query = (
            "SELECT CAST(stage AS BLOB), CAST(content_hash AS BLOB), CAST(result_json AS BLOB),"
            " CAST(created_at AS BLOB) FROM stage_checkpoints WHERE job_id = :job_id"
        )
        found: dict[str, Checkpoint] = {}
        with self.db.begin() as session:
            raw_rows = list(session.connection().exec_driver_sql(query, {"job_id": job_id}))
        for raw in raw_rows:
            values = dict(
                zip(("stage", "content_hash", "result_json", "created_at"), raw, strict=True)
            )
            try:
                stage = str(_text(values, "stage"))
                found[stage] = Checkpoint(
                    stage=stage,
                    content_hash=str(_text(values, "content_hash")),
                    result=_json_object(values, "result_json"),
                    created_at=_moment(values, "created_at") or _EPOCH,
                )
            except ValueError as error:
                log.warning("job %s: ignoring a damaged checkpoint (%s)", job_id, error)
        return found

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
                PENDING again (a resumed render reuses what it finished: see the content cache). An interrupted job is always
                requeued, so a job that is merely interrupted always finishes.

        Call it once at startup, before any runner starts, in the one process that owns the
        queue (the studio's runner lock).

        Returns:
            The ids of the recovered jobs (requeued or failed), ascending.
        """
        now = self.clock()
        recovered: list[int] = []
        with self.db.begin_immediate() as session:
            for values, job, reason in _read_jobs(session, "WHERE state = 'RUNNING' ORDER BY id"):
                recovered.append(int(values["id"]))
                if job is None:
                    self._quarantine(session, int(values["id"]), reason, now)
                    continue
                changes: dict[str, Any] = {"updated_at": now}
                if not crashed:
                    changes.update(state=JobState.PENDING, message="requeued after an interruption")
                elif job.crash_count + 1 >= max_crashes:
                    last = job.message
                    if job.stage and not last.startswith(f"{job.stage}:"):
                        last = ": ".join(part for part in (job.stage, last) if part)
                    changes.update(
                        crash_count=job.crash_count + 1,
                        state=JobState.FAILED,
                        error=f"the job crashed the app {job.crash_count + 1} times: {last}",
                        message="failed",
                        finished_at=now,
                    )
                else:
                    changes.update(
                        crash_count=job.crash_count + 1,
                        state=JobState.PENDING,
                        message=f"requeued after a crash ({job.crash_count + 1})",
                    )
                session.execute(
                    update(JobRow)
                    .where(JobRow.id == job.id)
                    .values(**changes)
                    .execution_options(synchronize_session=False)
                )
        return recovered

    def _quarantine(self, session: Session, job_id: int, reason: str, now: datetime) -> None:
        """Set a damaged row aside: FAILED with the reason; its other values stay as stored."""
        log.error("job %s is damaged (%s): quarantined as FAILED", job_id, reason)
        session.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(
                state=JobState.FAILED,
                error=quarantine_message(reason),
                message="failed",
                finished_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )

    def _update_where(self, job_id: int, states: set[JobState], values: dict[str, Any]) -> bool:
        statement = (
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.state.in_(list(states)))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        with self.db.begin() as session:
            return rows_affected(session.execute(statement)) == 1


def _snapshots(rows: Sequence[tuple[Mapping[str, Any], Job | None, str]]) -> list[Job]:
    return [job if job is not None else _quarantined_job(values, why) for values, job, why in rows]


def _finished_state(values: Mapping[str, Any]) -> JobState | None:
    """The row's state if it is readable and final (SUCCEEDED, FAILED, CANCELLED)."""
    try:
        state = JobState(str(_text(values, "state")))
    except ValueError:
        return None
    return state if state in TERMINAL_STATES else None
