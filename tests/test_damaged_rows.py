"""A damaged job row (random bytes where JSON belongs, an unknown state, a bad date — damage
``PRAGMA integrity_check`` does not see) is quarantined: FAILED with the reason, listed by
``jobs``, and the rest of the queue runs (issue 11, item 3)."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QThreadPool

from studio.jobs import JobContext, JobRunner
from studio.store import JobState, JobStore, open_database
from studio.store.jobs import QUARANTINED

REPO = Path(__file__).resolve().parents[1]

# (what is damaged, SQL that damages job :id) — each leaves integrity_check "ok".
DAMAGE = [
    ("random bytes in input_json", "UPDATE jobs SET input_json = :blob WHERE id = :id"),
    ("random bytes as text", "UPDATE jobs SET input_json = CAST(:blob AS TEXT) WHERE id = :id"),
    ("truncated JSON", 'UPDATE jobs SET input_json = \'{"spec": {"tit\' WHERE id = :id'),
    ("JSON that is not an object", "UPDATE jobs SET input_json = '[1, 2]' WHERE id = :id"),
    ("unknown state", "UPDATE jobs SET state = 'PEND' || CAST(:blob AS TEXT) WHERE id = :id"),
    ("unreadable date", "UPDATE jobs SET created_at = 'yesterday-ish' WHERE id = :id"),
    ("bytes in a number", "UPDATE jobs SET attempts = :blob WHERE id = :id"),
]


def damage(db_path: Path, job_id: int, sql: str, seed: int = 7) -> None:
    """Apply ``sql`` to job ``job_id`` with a plain sqlite3 connection (as a disk fault or a
    foreign tool would), then check SQLite itself sees nothing wrong."""
    blob = random.Random(seed).randbytes(48) + b"\xff\xfe"
    connection = sqlite3.connect(db_path)
    try:
        with connection:
            connection.execute(sql, {"id": job_id, "blob": blob})
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        connection.close()


def _double(ctx: JobContext) -> Mapping[str, Any]:
    return {"answer": ctx.job.input["x"] * 2}


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[JobStore]:
    db = open_database(tmp_path / "jobs.sqlite3")
    yield JobStore(db)
    db.close()


@pytest.mark.parametrize(("what", "sql"), DAMAGE, ids=[d[0] for d in DAMAGE])
def test_damaged_row_is_quarantined_and_the_queue_runs(
    qtbot, store: JobStore, tmp_path: Path, what: str, sql: str
):
    ids = [store.enqueue_job("calc", {"x": n}, priority=10 - n) for n in range(3)]
    damage(store.db.path, ids[0], sql)  # the job that would run first

    listed = {job.id: job for job in store.list_jobs()}
    assert set(listed) == set(ids)
    assert listed[ids[0]].state is JobState.FAILED
    assert listed[ids[0]].error.startswith(QUARANTINED) and "damaged" in listed[ids[0]].error
    assert store.get_job(ids[0]).error == listed[ids[0]].error

    pool = QThreadPool()
    runner = JobRunner(store, {"calc": _double}, pool=pool)
    finished: list[tuple[int, str]] = []
    runner.job_finished.connect(lambda job_id, state, _err: finished.append((job_id, state)))
    runner.start()
    qtbot.waitUntil(lambda: len(finished) == 3, timeout=10_000)
    runner.shutdown()  # no scheduler thread outlives the test
    pool.waitForDone()
    assert sorted(finished) == [(ids[0], "FAILED"), (ids[1], "SUCCEEDED"), (ids[2], "SUCCEEDED")]
    assert store.get_job(ids[2]).output == {"answer": 4}
    after = store.get_job(ids[0])
    assert after.state is JobState.FAILED and after.error.startswith(QUARANTINED)
    connection = sqlite3.connect(store.db.path)
    try:
        state = connection.execute("SELECT state FROM jobs WHERE id = ?", (ids[0],)).fetchone()
        assert state == ("FAILED",)  # written, so it stays set aside
    finally:
        connection.close()


def test_damaged_running_job_is_quarantined_on_recovery(store: JobStore):
    job_id = store.enqueue_job("calc", {"x": 1})
    store.claim_next_job()
    damage(store.db.path, job_id, DAMAGE[0][1])
    assert store.recover_after_crash(crashed=True) == [job_id]
    job = store.get_job(job_id)
    assert job.state is JobState.FAILED and job.error.startswith(QUARANTINED)


def test_damaged_checkpoint_is_ignored_not_fatal(store: JobStore):
    job_id = store.enqueue_job("calc", {"x": 1})
    store.save_checkpoint(job_id, "script", "h", {"ok": True})
    store.save_checkpoint(job_id, "speech", "h", {"ok": True})
    damage(
        store.db.path,
        job_id,
        "UPDATE stage_checkpoints SET result_json = :blob WHERE job_id = :id AND stage = 'speech'",
    )
    assert set(store.load_checkpoints(job_id)) == {"script"}


@pytest.mark.slow
def test_cli_lists_the_damaged_job_and_runs_the_others(tmp_path: Path, corpus_dir: Path):
    env = {
        **os.environ,
        "VIDEOSTUDIO_DATA_DIR": str(tmp_path / "data"),
        "VIDEOSTUDIO_CACHE_DIR": str(tmp_path / "cache"),
        "VIDEOSTUDIO_OFFLINE": "1",
        "PYTHONPATH": str(REPO),
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "studio", *args],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )

    scene_file = tmp_path / "short.yaml"
    scene_file.write_text(
        "title: Short\nscenes:\n"
        "  - {scene_type: title, title: Short, narration: Hi., min_duration_s: 1, "
        "max_duration_s: 1.5}\n"
    )
    for n in range(2):
        out = tmp_path / f"out{n}.mp4"
        assert cli("queue", "add", str(scene_file), "-o", str(out), "--offline").returncode == 0
    damage(tmp_path / "data" / "videostudio.sqlite3", 1, DAMAGE[0][1])

    listing = cli("jobs")
    assert listing.returncode == 0, listing.stderr
    assert "FAILED" in listing.stdout and "quarantined" in listing.stdout
    started = time.monotonic()
    run = cli("run")
    assert run.returncode == 1, run.stderr  # one job FAILED (the damaged one)
    assert "job 2: SUCCEEDED" in run.stderr
    assert "job 1: FAILED — quarantined" in run.stderr
    assert (tmp_path / "out1.mp4").is_file() and not (tmp_path / "out0.mp4").exists()
    assert time.monotonic() - started < 200
