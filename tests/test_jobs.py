"""The job runner on QThreadPool: states, progress signals, cancel, limits, crash recovery."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QThreadPool

from pipeline.errors import InputError
from studio.jobs import JobContext, JobRunner
from studio.store import JobState, JobStore, open_database


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[JobStore]:
    db = open_database(tmp_path / "jobs.sqlite3")
    yield JobStore(db)
    db.close()


@pytest.fixture()
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[QThreadPool]:
    """A thread pool for the test's runners. Every runner made during the test is shut down
    (its scheduler thread stopped, its jobs finished) before the pool and the database go:
    a runner left to the garbage collector could still claim and launch a job on a pool
    that is being deleted."""
    pool = QThreadPool()
    pool.setMaxThreadCount(4)
    made: list[JobRunner] = []
    original_init = JobRunner.__init__

    def init(self: JobRunner, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(JobRunner, "__init__", init)
    yield pool
    for runner in made:
        runner.shutdown()
    pool.waitForDone()


def _steps(ctx: JobContext) -> Mapping[str, Any]:
    for i in range(5):
        ctx.cancel.raise_if_cancelled()
        ctx.progress((i + 1) / 5, f"work: step {i + 1}")
        time.sleep(0.01)
    return {"answer": ctx.job.input["x"] * 2}


def test_job_succeeds_with_progress_and_output(qtbot, store: JobStore, pool: QThreadPool):
    runner = JobRunner(store, {"calc": _steps}, pool=pool)
    seen: list[float] = []
    runner.job_progress.connect(lambda _id, fraction, _msg: seen.append(fraction))
    with qtbot.waitSignal(runner.job_finished, timeout=5000) as finished:
        job_id = runner.enqueue("calc", {"x": 21})
    assert finished.args == [job_id, "SUCCEEDED", ""]
    job = store.get_job(job_id)
    assert job is not None and job.state is JobState.SUCCEEDED
    assert job.output == {"answer": 42} and job.progress == 1.0 and job.attempts == 1
    assert seen and seen[-1] == 1.0


def test_failures_are_recorded_not_raised(qtbot, store: JobStore, pool: QThreadPool):
    def bad_input(ctx: JobContext) -> Mapping[str, Any]:
        raise InputError("the file is empty", hint="add text")

    def bug(ctx: JobContext) -> Mapping[str, Any]:
        raise ZeroDivisionError("oops")

    runner = JobRunner(store, {"bad": bad_input, "bug": bug}, pool=pool)
    with qtbot.waitSignals([runner.job_finished, runner.job_finished], timeout=5000):
        a = runner.enqueue("bad", {})
        b = runner.enqueue("bug", {})
    qtbot.waitUntil(lambda: not runner.running_ids, timeout=5000)
    job_a, job_b = store.get_job(a), store.get_job(b)
    assert job_a is not None and job_a.state is JobState.FAILED and "empty" in (job_a.error or "")
    assert job_b is not None and job_b.state is JobState.FAILED
    assert "ZeroDivisionError" in (job_b.error or "")


def test_cancel_stops_a_running_job(qtbot, store: JobStore, pool: QThreadPool):
    started = threading.Event()

    def slow(ctx: JobContext) -> Mapping[str, Any]:
        started.set()
        for _ in range(500):
            ctx.cancel.raise_if_cancelled()
            time.sleep(0.01)
        return {}

    runner = JobRunner(store, {"slow": slow}, pool=pool)
    job_id = runner.enqueue("slow", {})
    assert started.wait(5)
    with qtbot.waitSignal(runner.job_finished, timeout=5000) as finished:
        assert runner.cancel(job_id)
    assert finished.args[1] == "CANCELLED"
    job = store.get_job(job_id)
    assert job is not None and job.state is JobState.CANCELLED


def test_cancel_from_another_process_is_noticed(qtbot, store: JobStore, pool: QThreadPool):
    started = threading.Event()

    def slow(ctx: JobContext) -> Mapping[str, Any]:
        started.set()
        for i in range(500):
            ctx.progress(i / 500, "work")
            ctx.cancel.raise_if_cancelled()
            time.sleep(0.01)
        return {}

    runner = JobRunner(store, {"slow": slow}, pool=pool)
    job_id = runner.enqueue("slow", {})
    assert started.wait(5)
    with qtbot.waitSignal(runner.job_finished, timeout=5000):
        store.cancel_job(job_id)  # what `videostudio cancel ID` does
    job = store.get_job(job_id)
    assert job is not None and job.state is JobState.CANCELLED


def test_one_render_at_a_time(qtbot, store: JobStore, pool: QThreadPool):
    active = [0]
    peak = [0]
    lock = threading.Lock()

    def render(ctx: JobContext) -> Mapping[str, Any]:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return {}

    runner = JobRunner(store, {"render": render, "speech": render}, pool=pool)
    ids = [runner.enqueue("render", {"n": i}) for i in range(4)]
    qtbot.waitUntil(
        lambda: all(
            (job := store.get_job(i)) is not None and job.state is JobState.SUCCEEDED for i in ids
        ),
        timeout=10000,
    )
    assert peak[0] == 1
    # Higher priority runs first among pending jobs.
    order: list[int] = []

    def record(ctx: JobContext) -> Mapping[str, Any]:
        order.append(ctx.job.input["n"])
        return {}

    runner2 = JobRunner(store, {"ordered": record}, pool=pool, default_limit=1)
    runner2._paused = True  # queue everything first
    for n, priority in ((1, 0), (2, 5), (3, 1)):
        store.enqueue_job("ordered", {"n": n}, priority=priority)
    runner2._paused = False
    runner2.schedule()
    qtbot.waitUntil(lambda: len(order) == 3, timeout=5000)
    assert order == [2, 3, 1]


def test_crash_recovery_requeues_then_fails_without_progress(store: JobStore):
    job_id = store.enqueue_job("render", {})
    for _ in range(2):
        assert store.claim_next_job() is not None  # the app "dies" while it runs
        assert store.recover_after_crash() == [job_id]
        job = store.get_job(job_id)
        assert job is not None and job.state is JobState.PENDING
    store.claim_next_job()
    store.recover_after_crash()
    job = store.get_job(job_id)
    assert job is not None and job.state is JobState.FAILED
    assert "crashed the app 3 times" in (job.error or "")


def test_progress_after_a_crash_clears_the_count(qtbot, store: JobStore, pool: QThreadPool):
    job_id = store.enqueue_job("work", {})
    store.claim_next_job()
    store.recover_after_crash()
    store.claim_next_job()
    store.recover_after_crash()  # crash_count == 2

    def work(ctx: JobContext) -> Mapping[str, Any]:
        ctx.checkpoint("scene-0", "hash", {"index": 0})
        raise RuntimeError("killed again")  # behaves like a crash for the count below

    runner = JobRunner(store, {"work": work}, pool=pool)
    with qtbot.waitSignal(runner.job_finished, timeout=5000):
        runner.schedule()
    job = store.get_job(job_id)
    assert job is not None and job.crash_count == 0
    assert "scene-0" in store.load_checkpoints(job_id)
