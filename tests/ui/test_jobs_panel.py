"""The job panel: queue a corpus render, cancel it from the panel, no output is left."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from pipeline.adapters import load_document
from pipeline.render_job import RenderOptions
from studio.jobs import JobRunner
from studio.service import Studio
from studio.store import JobState
from ui.jobs_panel import JobsPanel, JobView, format_seconds


@pytest.fixture()
def runner(studio: Studio) -> Iterator[JobRunner]:
    runner = studio.make_runner()
    runner.start()
    yield runner
    runner.shutdown(60_000)


def test_cancel_a_running_render_from_the_panel(
    qtbot, studio: Studio, runner: JobRunner, corpus_dir: Path, tmp_path: Path
):
    panel = JobsPanel(studio, runner)
    qtbot.addWidget(panel)
    panel.show()
    spec = load_document(corpus_dir / "video_gen-example_simple.yaml")
    output = tmp_path / "out" / "simple.mp4"
    queued: list[int] = []
    with qtbot.waitSignal(runner.job_started, timeout=10_000) as started:
        panel.jobs.enqueue_render(
            spec, output, options=RenderOptions(speech_mode="offline"), on_queued=queued.append
        )
    job_id = started.args[0]
    qtbot.waitUntil(lambda: job_id in panel.items, timeout=5000)
    panel.select_job(job_id)
    qtbot.waitUntil(panel.cancel_button.isEnabled, timeout=5000)
    with qtbot.waitSignal(
        runner.job_finished, timeout=60_000, check_params_cb=lambda jid, *_: jid == job_id
    ) as finished:
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert finished.args[1] == JobState.CANCELLED.value
    assert queued == [job_id]
    job = studio.jobs.get_job(job_id)
    assert job is not None and job.state is JobState.CANCELLED
    assert not output.exists()
    assert not list(output.parent.glob("*.mp4")) if output.parent.exists() else True
    qtbot.waitUntil(lambda: panel.retry_button.isEnabled(), timeout=5000)
    assert panel.bars[job_id].format() == "cancelled"
    assert panel.items[job_id].text(1) == "Cancelled"


def test_progress_rows_name_stage_and_scene_and_estimate_time(
    qtbot, studio: Studio, small_spec, tmp_path: Path
):
    job_id = studio.enqueue_render(small_spec, tmp_path / "never.mp4")
    panel = JobsPanel(studio, None)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: job_id in panel.items, timeout=5000)
    job = studio.jobs.claim_next_job()
    assert job is not None
    panel.jobs.jobs[job_id] = JobView(job, 0.0, "")
    panel.jobs._on_progress(job_id, 0.5, "encode: scene 2/3 (list)")
    bar = panel.bars[job_id]
    assert bar.value() == 500
    assert "encode: scene 2/3 (list)" in bar.format()
    view = panel.jobs.jobs[job_id]
    elapsed = view.elapsed_s()
    assert elapsed is not None and view.remaining_s() == pytest.approx(elapsed, rel=0.2, abs=0.5)
    assert format_seconds(75.2) == "1:15" and format_seconds(None) == "—"
