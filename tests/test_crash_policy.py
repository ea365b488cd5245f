"""A job that crashes the app (a fatal signal, recorded by faulthandler) three times is FAILED
with the reason; a job whose runner is merely killed from outside is requeued (see the kill
test). Each run is a real child process that dies of a real segmentation fault."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from studio.store import MAX_CRASHES, JobState, JobStore, open_database

REPO = Path(__file__).resolve().parents[1]

RUNNER = textwrap.dedent(
    """
    import faulthandler, sys
    from pathlib import Path
    from PySide6.QtCore import QCoreApplication
    from studio.service import Studio

    data, cache = Path(sys.argv[1]), Path(sys.argv[2])
    app = QCoreApplication([])
    studio = Studio(data, cache)
    if not studio.jobs.list_jobs():
        studio.jobs.enqueue_job("crash", {})

    def crash(ctx):
        ctx.progress(0.5, "work: about to crash")
        faulthandler._sigsegv()  # a native crash, as a buggy codec would cause

    runner = studio.make_runner(extra_handlers={"crash": crash})
    runner.idle.connect(app.quit)
    runner.start()
    if runner.running_ids:
        app.exec()
    studio.close()
    """
)


def _run(tmp_path: Path) -> int:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(tmp_path / "data"), str(tmp_path / "cache")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.returncode


def test_a_job_that_crashes_the_app_three_times_fails(tmp_path: Path):
    codes = [_run(tmp_path) for _ in range(MAX_CRASHES)]
    assert all(code < 0 or code > 128 for code in codes), codes  # died of a signal each time
    assert _run(tmp_path) == 0  # recovery marks it FAILED; nothing left to run
    db = open_database(tmp_path / "data" / "videostudio.sqlite3")
    try:
        (job,) = JobStore(db).list_jobs()
    finally:
        db.close()
    assert job.state is JobState.FAILED
    assert job.error == f"the job crashed the app {MAX_CRASHES} times: work: about to crash"
    assert job.attempts == MAX_CRASHES
    assert list((tmp_path / "data" / "crash").glob("*.log")) == []  # records consumed
