"""Disk full: a final mux or a cache write that hits ENOSPC leaves the previous output
untouched, removes its temporary files and leaves the job retryable (and a retry succeeds)."""

from __future__ import annotations

import errno
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool

from pipeline import avio
from pipeline.adapters import load_document
from pipeline.fsutil import STAGING_PREFIX, TEMP_PREFIX
from studio import cache as cache_module
from studio.request import RenderOverrides
from studio.service import Studio
from studio.store import JobState

pytestmark = pytest.mark.slow


@pytest.fixture()
def studio(tmp_path: Path) -> Iterator[Studio]:
    studio = Studio(tmp_path / "data", tmp_path / "cache")
    yield studio
    QThreadPool.globalInstance().waitForDone()
    studio.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run_one(qtbot, studio: Studio, job_id: int) -> str:
    runner = studio.make_runner()
    with qtbot.waitSignal(runner.job_finished, timeout=120_000) as finished:
        runner.start()
    runner.shutdown()  # no scheduler thread outlives the test
    assert finished.args[0] == job_id
    return finished.args[1]


def _leftovers(tmp_path: Path) -> list[Path]:
    found = [p for p in tmp_path.rglob("*") if p.name.startswith((TEMP_PREFIX, ".tmp-"))]
    staging = tmp_path / "cache" / "staging"
    found += list(staging.glob(f"{STAGING_PREFIX}*")) if staging.is_dir() else []
    return found


def _spec(corpus_dir: Path, title: str):
    spec = load_document(corpus_dir / "video_gen-example_simple.yaml")
    data = spec.model_dump(mode="json")
    data["title"] = title
    data["scenes"][0]["title"] = title  # a visible change, so a new render differs
    return spec.model_validate(data)


def test_mux_hits_enospc(qtbot, studio: Studio, corpus_dir: Path, tmp_path: Path, monkeypatch):
    out = tmp_path / "out" / "video.mp4"
    offline = RenderOverrides(offline=True)
    first = studio.enqueue(
        studio.make_request(_spec(corpus_dir, "First"), overrides=offline, output=out)
    )
    assert _run_one(qtbot, studio, first) == "SUCCEEDED"
    before = _digest(out)

    real_mux = avio._mux
    calls = {"n": 0}

    def failing_mux(container, packet):
        calls["n"] += 1
        if calls["n"] > 30:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_mux(container, packet)

    monkeypatch.setattr(avio, "_mux", failing_mux)
    second = studio.enqueue(
        studio.make_request(_spec(corpus_dir, "Second"), overrides=offline, output=out)
    )
    assert _run_one(qtbot, studio, second) == "FAILED"
    job = studio.jobs.get_job(second)
    assert job is not None and job.state is JobState.FAILED
    assert "disk is full" in (job.error or "")
    assert _digest(out) == before  # the previous output is untouched
    assert _leftovers(tmp_path) == []

    monkeypatch.setattr(avio, "_mux", real_mux)  # space was freed
    assert studio.jobs.retry_job(second)
    assert _run_one(qtbot, studio, second) == "SUCCEEDED"
    assert _digest(out) != before


def test_cache_write_hits_enospc(
    qtbot, studio: Studio, corpus_dir: Path, tmp_path: Path, monkeypatch
):
    out = tmp_path / "out" / "video.mp4"
    real_copy = cache_module.ContentCache._copy
    calls = {"n": 0}

    def failing_copy(temp, source):
        calls["n"] += 1
        if calls["n"] > 3:
            temp.write_bytes(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_copy(temp, source)

    monkeypatch.setattr(cache_module.ContentCache, "_copy", staticmethod(failing_copy))
    job_id = studio.enqueue(
        studio.make_request(
            _spec(corpus_dir, "Cache"), overrides=RenderOverrides(offline=True), output=out
        )
    )
    assert _run_one(qtbot, studio, job_id) == "FAILED"
    job = studio.jobs.get_job(job_id)
    assert job is not None and "disk" in (job.error or "").lower()
    assert not out.exists()
    assert _leftovers(tmp_path) == []

    monkeypatch.setattr(cache_module.ContentCache, "_copy", staticmethod(real_copy))
    assert studio.jobs.retry_job(job_id)
    assert _run_one(qtbot, studio, job_id) == "SUCCEEDED"
    assert out.is_file()
