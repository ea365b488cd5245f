"""The SQLite store: pragmas, migrations, the job queue, checkpoints, projects, paths."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect, text
from sqlalchemy.exc import IntegrityError

from pipeline.models import VideoSpec
from studio import paths
from studio.store import (
    Database,
    DatabaseOpenError,
    JobState,
    JobStore,
    ProjectNotFoundError,
    ProjectStore,
    SchemaTooNewError,
    head_revision,
    open_database,
    upgrade_database,
)
from studio.store.tables import Base

TABLES = {
    "projects",
    "scenes",
    "templates",
    "jobs",
    "stage_checkpoints",
    "cache_entries",
    "cache_counters",
    "ledger_entries",
    "approvals",
    "paid_work_state",
    "budget_overrides",
    "budget_alerts",
    "scene_tiers",
    "budget_settings",
    "alembic_version",
}


class StepClock:
    """A clock that advances one second per call (distinct, ordered timestamps)."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def db(tmp_path: Path):
    database = open_database(tmp_path / "data" / "studio.sqlite3")
    yield database
    database.close()


@pytest.fixture
def jobs(db: Database) -> JobStore:
    return JobStore(db, clock=StepClock())


def _revisions(db: Database) -> list[str]:
    with db.engine.connect() as connection:
        return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def _indexes(db: Database, table: str) -> set[str]:
    with db.engine.connect() as connection:
        return {index["name"] for index in inspect(connection).get_indexes(table)}


# -- database and migrations ----------------------------------------------------------


def test_new_database_has_tables_pragmas_and_head_revision(db: Database) -> None:
    with db.engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == TABLES
    assert db.pragma("journal_mode") == "wal"
    assert db.pragma("foreign_keys") == 1
    assert db.pragma("synchronous") == 2  # FULL
    assert db.pragma("busy_timeout") == 10_000
    assert db.integrity_check() == ["ok"]
    assert _revisions(db) == [head_revision()] == ["0005_budget_zone"]


def test_migrated_schema_matches_the_orm_classes(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_database_from_a_newer_app_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "studio.sqlite3"
    upgrade_database(path)
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    raw.close()

    with pytest.raises(SchemaTooNewError) as caught:
        open_database(path)
    message = str(caught.value)
    assert "this database was created by a newer Video Studio (schema 0099_from_the_future)" in (
        message
    )
    assert "update the app or use another --data-dir" in message
    assert caught.value.revision == "0099_from_the_future"


def test_older_database_is_upgraded_on_open(tmp_path: Path) -> None:
    path = tmp_path / "studio.sqlite3"
    upgrade_database(path, "0001_initial")
    with Database(path) as old:
        assert _revisions(old) == ["0001_initial"]
        assert "ix_jobs_claim" not in _indexes(old, "jobs")
    insert_old_job(path)

    with open_database(path) as db:
        assert _revisions(db) == ["0005_budget_zone"]
        assert "ix_jobs_claim" in _indexes(db, "jobs")
        assert "ix_cache_entries_last_used_at" in _indexes(db, "cache_entries")
        assert [job.input for job in JobStore(db).list_jobs()] == [{"kept": True}]


def test_a_file_that_is_not_a_database_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "studio.sqlite3"
    path.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(DatabaseOpenError, match="is damaged") as caught:
        open_database(path)
    assert "move the file away" in caught.value.hint and "another --data-dir" in caught.value.hint


def test_concurrent_first_opens_migrate_once(tmp_path: Path) -> None:
    path = tmp_path / "studio.sqlite3"
    errors: list[BaseException] = []

    def opener() -> None:
        try:
            open_database(path).close()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Database(path) as db:
        assert _revisions(db) == ["0005_budget_zone"]


def test_begin_immediate_takes_the_write_lock_before_reading(db: Database) -> None:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.begin_immediate() as session:
            session.execute(text("SELECT count(*) FROM jobs"))
            other = sqlite3.connect(db.path, timeout=0)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
        with db.begin() as session:
            session.execute(text("SELECT 1"))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert statements[0] == "BEGIN IMMEDIATE"
    assert "BEGIN DEFERRED" in statements


def test_foreign_keys_are_enforced(db: Database, jobs: JobStore) -> None:
    with pytest.raises(IntegrityError):
        jobs.save_checkpoint(12345, "speech", "h", {})


# -- jobs -------------------------------------------------------------------------------


def test_claim_order_is_priority_then_age(jobs: JobStore) -> None:
    low_old = jobs.enqueue_job("render", {"n": 1})
    high = jobs.enqueue_job("render", {"n": 2}, priority=5)
    low_new = jobs.enqueue_job("render", {"n": 3})
    claimed = [jobs.claim_next_job() for _ in range(3)]
    assert [job.id for job in claimed if job] == [high, low_old, low_new]
    assert jobs.claim_next_job() is None

    first = claimed[0]
    assert first is not None
    assert first.state is JobState.RUNNING
    assert first.attempts == 1
    assert first.started_at is not None and first.started_at.tzinfo is UTC


def test_claim_can_filter_by_kind(jobs: JobStore) -> None:
    jobs.enqueue_job("render", {})
    thumb = jobs.enqueue_job("thumbnail", {})
    claimed = jobs.claim_next_job(kinds=["thumbnail"])
    assert claimed is not None and claimed.id == thumb


def test_job_lifecycle_progress_finish_and_output(jobs: JobStore) -> None:
    job_id = jobs.enqueue_job("render", {"spec": {"title": "T"}, "crf": 23})
    assert jobs.update_progress(job_id, 0.5, "not yet", "speech") is False  # still PENDING
    jobs.claim_next_job()
    assert jobs.update_progress(job_id, 1.7, "synthesising scene 2/4", "speech") is True
    running = jobs.get_job(job_id)
    assert running is not None
    assert (running.progress, running.stage, running.message) == (
        1.0,
        "speech",
        "synthesising scene 2/4",
    )
    assert running.heartbeat_at is not None

    assert jobs.finish_job(job_id, JobState.SUCCEEDED, output={"video": "/out/a.mp4"})
    done = jobs.get_job(job_id)
    assert done is not None
    assert done.state is JobState.SUCCEEDED
    assert done.output == {"video": "/out/a.mp4"}
    assert done.input == {"spec": {"title": "T"}, "crf": 23}
    assert done.finished_at is not None and done.finished_at >= done.started_at
    assert jobs.finish_job(job_id, JobState.FAILED, error="late") is False
    with pytest.raises(ValueError, match="final state"):
        jobs.finish_job(job_id, JobState.RUNNING)
    assert jobs.get_job(999) is None


def test_cancel_and_retry(jobs: JobStore) -> None:
    pending = jobs.enqueue_job("render", {})
    running = jobs.enqueue_job("render", {})
    assert jobs.cancel_job(pending)
    claimed = jobs.claim_next_job()
    assert claimed is not None and claimed.id == running

    assert jobs.cancel_job(running)
    assert jobs.update_progress(running, 0.3, "encoding") is False  # the runner stops
    assert jobs.finish_job(running, JobState.SUCCEEDED) is False  # stays cancelled
    cancelled = jobs.get_job(running)
    assert cancelled is not None and cancelled.state is JobState.CANCELLED
    assert jobs.cancel_job(running) is False

    assert jobs.retry_job(running)
    again = jobs.claim_next_job()
    assert again is not None and again.id == running and again.attempts == 2
    jobs.finish_job(running, JobState.FAILED, error="encoder exploded")
    failed = jobs.get_job(running)
    assert failed is not None and failed.error == "encoder exploded"
    assert jobs.retry_job(running)
    assert jobs.retry_job(running) is False  # PENDING is not retryable
    assert {job.state for job in jobs.list_jobs()} == {JobState.CANCELLED, JobState.PENDING}
    assert [job.id for job in jobs.list_jobs(states=[JobState.PENDING])] == [running]


def test_producers_and_consumers_never_lose_or_duplicate_jobs(db: Database) -> None:
    store = JobStore(db)
    producers, per_producer = 4, 50
    enqueued: list[int] = []
    claimed: list[int] = []
    lock = threading.Lock()
    producing = threading.Event()
    producing.set()
    errors: list[BaseException] = []

    def produce(worker: int) -> None:
        try:
            for n in range(per_producer):
                job_id = store.enqueue_job("render", {"worker": worker, "n": n}, priority=n % 3)
                with lock:
                    enqueued.append(job_id)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    def consume() -> None:
        try:
            while True:
                job = store.claim_next_job()
                if job is None:
                    if not producing.is_set():
                        return
                    continue
                with lock:
                    claimed.append(job.id)
                store.finish_job(job.id, JobState.SUCCEEDED)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=produce, args=(w,)) for w in range(producers)]
    consumers = [threading.Thread(target=consume) for _ in range(2)]
    for thread in threads + consumers:
        thread.start()
    for thread in threads:
        thread.join()
    producing.clear()
    for thread in consumers:
        thread.join()

    assert errors == []
    assert len(enqueued) == producers * per_producer
    counts = Counter(claimed)
    assert set(counts) == set(enqueued)
    assert max(counts.values()) == 1
    assert all(job.attempts == 1 for job in store.list_jobs())
    assert db.integrity_check() == ["ok"]


def test_recover_after_crash_requeues_then_fails_on_the_third_crash(jobs: JobStore) -> None:
    job_id = jobs.enqueue_job("render", {})
    untouched = jobs.enqueue_job("render", {})
    jobs.cancel_job(untouched)
    for crash in (1, 2):
        claimed = jobs.claim_next_job()
        assert claimed is not None and claimed.id == job_id
        jobs.update_progress(job_id, 0.4, f"encoding scene {crash}", "encode")
        assert jobs.recover_after_crash() == [job_id]
        job = jobs.get_job(job_id)
        assert job is not None
        assert (job.state, job.crash_count) == (JobState.PENDING, crash)

    jobs.claim_next_job()
    jobs.update_progress(job_id, 0.4, "encoding scene 3", "encode")
    assert jobs.recover_after_crash() == [job_id]
    job = jobs.get_job(job_id)
    assert job is not None
    assert job.state is JobState.FAILED
    assert job.crash_count == 3
    assert job.error == "the job crashed the app 3 times: encode: encoding scene 3"
    assert job.attempts == 3
    assert jobs.recover_after_crash() == []
    cancelled = jobs.get_job(untouched)
    assert cancelled is not None and cancelled.state is JobState.CANCELLED

    assert jobs.retry_job(job_id)  # an explicit retry starts the crash count afresh
    retried = jobs.get_job(job_id)
    assert retried is not None and retried.crash_count == 0


def test_checkpoints_are_saved_replaced_and_loaded(jobs: JobStore) -> None:
    job_id = jobs.enqueue_job("render", {})
    jobs.save_checkpoint(job_id, "speech", "aaa", {"audio": ["s0.wav"], "duration_s": 3.5})
    jobs.save_checkpoint(job_id, "timeline", "bbb", {"scenes": 1})
    jobs.save_checkpoint(job_id, "speech", "ccc", {"audio": ["s0b.wav"], "duration_s": 4.0})
    checkpoints = jobs.load_checkpoints(job_id)
    assert set(checkpoints) == {"speech", "timeline"}
    assert checkpoints["speech"].content_hash == "ccc"
    assert checkpoints["speech"].result == {"audio": ["s0b.wav"], "duration_s": 4.0}
    assert jobs.load_checkpoints(job_id + 1) == {}


def test_job_input_must_be_a_json_object(jobs: JobStore) -> None:
    with pytest.raises(ValueError):
        jobs.enqueue_job("render", "[1, 2]")
    with pytest.raises(ValueError):
        jobs.enqueue_job("render", {"path": object()})
    job_id = jobs.enqueue_job("render", '{"already": "json"}')
    job = jobs.get_job(job_id)
    assert job is not None and job.input == {"already": "json"}


# -- projects ---------------------------------------------------------------------------


def _spec(title: str = "Demo", second: str = "Second") -> VideoSpec:
    return VideoSpec.model_validate(
        {
            "title": title,
            "format": "9:16",
            "scenes": [
                {"scene_type": "title", "title": title, "subtitle": "sub"},
                {"scene_type": "list", "header": second, "items": ["a", "b"]},
            ],
        }
    )


def test_project_round_trip_and_scene_hashes(db: Database) -> None:
    projects = ProjectStore(db, clock=StepClock())
    spec = _spec()
    project_id = projects.save_project(
        spec, source_path=Path("/docs/demo.md"), source_kind="markdown"
    )
    loaded = projects.load_project(project_id)
    assert loaded.spec == spec
    assert loaded.name == "Demo"
    assert loaded.source_path == Path("/docs/demo.md")
    assert loaded.source_kind == "markdown"
    assert len(loaded.scene_hashes) == 2
    assert loaded.created_at.tzinfo is UTC

    assert projects.save_project(_spec(second="Edited"), project_id=project_id) == project_id
    edited = projects.load_project(project_id)
    assert edited.scene_hashes[0] == loaded.scene_hashes[0]
    assert edited.scene_hashes[1] != loaded.scene_hashes[1]
    assert edited.updated_at > loaded.updated_at
    assert [p.id for p in projects.list_projects()] == [project_id]


def test_deleting_a_project_removes_scenes_and_unlinks_jobs(db: Database) -> None:
    projects = ProjectStore(db)
    jobs = JobStore(db)
    project_id = projects.save_project(_spec())
    job_id = jobs.enqueue_job("render", {}, project_id=project_id)
    assert projects.delete_project(project_id)
    assert projects.delete_project(project_id) is False
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM scenes")).scalar() == 0
    job = jobs.get_job(job_id)
    assert job is not None and job.project_id is None
    with pytest.raises(ProjectNotFoundError, match="project 1 does not exist"):
        projects.load_project(project_id)
    with pytest.raises(ProjectNotFoundError):
        projects.save_project(_spec(), project_id=project_id)


# -- paths ----------------------------------------------------------------------------


def test_paths_follow_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(tmp_path / "data"))
    monkeypatch.setenv(paths.CACHE_DIR_ENV, str(tmp_path / "cache"))
    assert paths.data_dir() == tmp_path / "data"
    assert paths.cache_dir() == tmp_path / "cache"
    assert paths.log_dir() == tmp_path / "data" / "logs"
    assert paths.database_path() == tmp_path / "data" / "videostudio.sqlite3"


def test_paths_default_to_platform_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(paths.DATA_DIR_ENV, raising=False)
    monkeypatch.delenv(paths.CACHE_DIR_ENV, raising=False)
    assert "videostudio" in str(paths.data_dir())
    assert "videostudio" in str(paths.cache_dir())
    assert "videostudio" in str(paths.log_dir())
    assert paths.cache_dir() != paths.data_dir()


def test_migration_0004_keeps_jobs_and_projects_and_versions_them(tmp_path: Path) -> None:
    path = tmp_path / "studio.sqlite3"
    upgrade_database(path, "0003_budget")
    spec = VideoSpec.model_validate(
        {"title": "Old", "scenes": [{"scene_type": "title", "title": "T"}]}
    )
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO projects (name, source_kind, spec_json, created_at, updated_at) "
            "VALUES ('old', 'markdown', ?, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
            (spec.model_dump_json(),),
        )
    raw.close()
    insert_old_job(path)

    with open_database(path) as db:
        assert _revisions(db) == [head_revision()]
        job = JobStore(db).list_jobs()[0]
        assert job.input == {"kept": True} and job.active_s == 0.0
        project = ProjectStore(db).load_project(1)
        assert project.spec == spec and project.overrides == {}
        with db.engine.connect() as connection:
            row = connection.execute(text("SELECT spec_version FROM projects")).one()
            assert row[0] == 1
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []


def insert_old_job(path: Path) -> None:
    """A PENDING render job written with plain SQL (the ORM describes the newest schema)."""
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO jobs (kind, state, priority, stage, progress, message, attempts, "
            "crash_count, input_json, created_at, updated_at) VALUES ('render', 'PENDING', 0, "
            "'', 0.0, 'queued', 0, 0, '{\"kept\":true}', '2026-01-01 00:00:00', "
            "'2026-01-01 00:00:00')"
        )
    raw.close()
