"""Durability: SIGKILL the headless runner 10 times at random moments; every job still finishes.

Three renders of short real corpus documents (about 2.5 minutes of video in all, so the test
stays bounded on a slow, shared machine) are queued; ``videostudio run`` is started in a
child process and killed with SIGKILL at seeded random moments (most of them while scene
segments are being encoded), then started again, 10 times; a last run finishes the queue.
Then:

* every job is SUCCEEDED and its MP4 passes the output validation of the main job;
* ``PRAGMA integrity_check`` is ``ok``;
* no temporary file is left (output folder, cache, staging) after the startup sweep;
* no scene chunk (a segment of at most 4 s) was encoded more than twice (from the job log).

The figures (kills, encodes, re-encodes, wall time) are printed (``pytest -s`` shows them).
"""

from __future__ import annotations

import collections
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.fsutil import STAGING_PREFIX, TEMP_PREFIX
from pipeline.validate import validate_output
from studio.store import JobState, JobStore, open_database

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
KILLS = 10
SEED = 20261121
_ENCODE_RE = re.compile(
    r"^\S+ \S+ (\d+) pipeline\.render_job INFO encoding scene \d+/\d+ chunk \d+ key=(\w+)"
)
_STORED_RE = re.compile(
    r"^\S+ \S+ (\d+) pipeline\.render_job INFO stored scene \d+/\d+ chunk \d+ key=(\w+)"
)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _encode_lines(log: Path) -> list[tuple[int, str]]:
    if not log.is_file():
        return []
    found = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _ENCODE_RE.match(line)
        if match:
            found.append((int(match.group(1)), match.group(2)))
    return found


def _log_lines(log: Path, pid: int | None) -> list[str]:
    """Lines of the job log, only those of process ``pid`` unless it is ``None``."""
    if not log.is_file():
        return []
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return lines if pid is None else [line for line in lines if f" {pid} " in line[:40]]


def _keys(lines: list[str], pattern: re.Pattern[str]) -> set[str]:
    return {match.group(2) for line in lines if (match := pattern.match(line))}


@pytest.mark.timeout(480)  # bounded: three short documents, ten kills
def test_sigkill_ten_times_then_resume(corpus_dir: Path, tmp_path: Path):
    env = {
        **os.environ,
        "VIDEOSTUDIO_DATA_DIR": str(tmp_path / "data"),
        "VIDEOSTUDIO_CACHE_DIR": str(tmp_path / "cache"),
        "VIDEOSTUDIO_OFFLINE": "1",
        "PYTHONPATH": str(REPO),
    }
    out_dir = tmp_path / "out"
    documents = [
        ("video_gen-Internet_Guide_README.md", "16:9"),
        ("video_gen-example_new_scene_types.yaml", "1:1"),
        ("video_gen-example_simple.yaml", "9:16"),
    ]
    for name, fmt in documents:
        result = _cli(
            env,
            "queue",
            "add",
            str(corpus_dir / name),
            "-o",
            str(out_dir / f"{name}.mp4"),
            "--format",
            fmt,
            "--offline",
        )
        assert result.returncode == 0, result.stderr
    log = tmp_path / "data" / "logs" / "videostudio.log"
    rng = random.Random(SEED)
    started = time.perf_counter()
    kills = working_kills = 0
    victims: set[str] = set()  # chunks whose encoding the previous kill interrupted
    for _ in range(KILLS):
        run_log = tmp_path / f"run-{kills}.txt"
        with open(run_log, "w", encoding="utf-8") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "studio", "run"],
                env=env,
                cwd=REPO,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        # A random moment of the work: the clock starts once this run has started a job (a
        # slow start-up on a busy machine must not turn every kill into a kill at import
        # time), and the kill waits while a chunk that an earlier kill interrupted is being
        # encoded again (so a kill costs a chunk at most one extra encode, which is what is
        # measured).
        delay = rng.uniform(0.2, 1.5)
        kill_at: float | None = None
        give_up = time.monotonic() + 180.0
        while process.poll() is None and time.monotonic() < give_up:
            lines = _log_lines(log, None)
            mine = [line for line in lines if f" {process.pid} " in line[:40]]
            now = time.monotonic()
            # Every other run's clock starts when it encodes its first chunk instead: on a busy
            # machine the work before encoding (speech, fonts, layout) can outlast every random
            # delay, and half the kills must land while scenes are being encoded.
            if kills % 2 == 0:
                begun = any(" job " in line and " started " in line for line in mine)
            else:
                begun = bool(_keys(mine, _ENCODE_RE))
            if kill_at is None and begun:
                kill_at = now + delay
            pending = victims - _keys(lines, _STORED_RE)
            # Safe to kill when no interrupted chunk is waiting, or when this run has stored a
            # chunk (so its first chunks have long started and are in the log) and none of
            # them is an interrupted chunk still being encoded.
            safe = not pending or (
                bool(_keys(mine, _STORED_RE)) and not (_keys(mine, _ENCODE_RE) & pending)
            )
            if kill_at is not None and now >= kill_at and safe:
                break
            time.sleep(0.05)
        if process.poll() is not None:
            # Only a finished queue ends a run early.
            assert process.returncode == 0, run_log.read_text(encoding="utf-8")
            break
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
        lines = _log_lines(log, None)
        mine = [line for line in lines if f" {process.pid} " in line[:40]]
        working_kills += any(_ENCODE_RE.match(line) for line in mine)
        victims = (victims | _keys(mine, _ENCODE_RE)) - _keys(lines, _STORED_RE)
    final = _cli(env, "run")
    wall_s = time.perf_counter() - started
    assert final.returncode == 0, final.stdout + final.stderr

    db = open_database(tmp_path / "data" / "videostudio.sqlite3")
    try:
        jobs = JobStore(db).list_jobs()
        assert db.integrity_check() == ["ok"]
    finally:
        db.close()
    assert len(jobs) == len(documents)
    assert all(job.state is JobState.SUCCEEDED for job in jobs), [
        (j.id, j.state, j.error) for j in jobs
    ]
    for job in jobs:
        output = Path(job.output["output"]) if job.output else None
        assert output is not None and output.is_file()
        meta = output.with_name(output.stem + ".metadata.json")
        import json

        duration_s = json.loads(meta.read_text(encoding="utf-8"))["duration_s"]
        spec_format = job.input["spec"]["format"]
        width, height = {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080)}[
            spec_format
        ]
        report = validate_output(
            output,
            expected_width_px=width,
            expected_height_px=height,
            expected_fps=30,
            expected_duration_s=duration_s,
        )
        assert report.passed, [c for c in report.checks if not c.passed]

    leftovers = [p for p in out_dir.iterdir() if p.name.startswith(TEMP_PREFIX)]
    leftovers += [
        p for p in (tmp_path / "cache").rglob("*") if p.name.startswith((".tmp-", TEMP_PREFIX))
    ]
    staging = tmp_path / "cache" / "staging"
    leftovers += list(staging.glob(f"{STAGING_PREFIX}*")) if staging.is_dir() else []
    assert leftovers == []

    encodes = collections.Counter(key for _, key in _encode_lines(log))
    worst = max(encodes.values())
    again = sum(1 for n in encodes.values() if n > 1)
    print(
        f"\nkill test: {kills} SIGKILLs ({working_kills} while encoding), {len(jobs)} jobs "
        f"SUCCEEDED, {sum(encodes.values())} scene "
        f"encodes for {len(encodes)} scenes ({again} encoded twice, at most {worst}×), "
        f"{wall_s:.1f} s wall"
    )
    assert kills >= 8, f"only {kills} kills happened before the queue was done: add work"
    assert working_kills >= 4, "too few kills landed while scenes were being encoded"
    assert worst <= 2, {key: n for key, n in encodes.items() if n > 2}
