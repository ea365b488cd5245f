"""The job panel: queue a corpus render, cancel it from the panel, no output is left."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from pipeline.adapters import load_document
from pipeline.progress import ProgressEvent
from studio.jobs import JobRunner
from studio.request import RenderOverrides
from studio.service import Studio
from studio.store import JobState
from ui.jobs_panel import JobsPanel, JobView, format_seconds


@pytest.fixture()
def runner(studio: Studio) -> Iterator[JobRunner]:
    runner = studio.make_runner()
    runner.start_in_background()
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
        request = studio.make_request(spec, overrides=RenderOverrides(offline=True), output=output)
        panel.jobs.enqueue(request, on_queued=queued.append)
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
    job_id = studio.enqueue(studio.make_request(small_spec, output=tmp_path / "never.mp4"))
    panel = JobsPanel(studio, None)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: job_id in panel.items, timeout=5000)
    job = studio.jobs.claim_next_job()
    assert job is not None
    panel.jobs.jobs[job_id] = JobView(job, 0.0, "")
    event = ProgressEvent(
        0.5, "encode", "Drawing scene 2 of 3", 1, 3, remaining_s=40.0, elapsed_s=100.0
    )
    panel.jobs._on_event(job_id, event)
    bar = panel.bars[job_id]
    assert bar.value() == 500
    assert "Drawing scene 2 of 3" in bar.format()
    view = panel.jobs.jobs[job_id]
    elapsed = view.elapsed_s()  # the time worked over all attempts, counting on
    assert elapsed is not None and 100.0 <= elapsed < 102.0
    remaining = view.remaining_s()  # the render's own estimate, counting down
    assert remaining is not None and 38.0 < remaining <= 40.0
    assert format_seconds(75.2) == "1:15" and format_seconds(None) == "—"


def test_the_gui_thread_never_writes_the_database(
    qtbot, studio: Studio, settings, small_spec, tmp_path: Path
):
    """Opening, editing (autosave), queueing, claiming, cancelling and retrying a render from
    the window: every INSERT/UPDATE/DELETE runs off the GUI thread."""
    from sqlalchemy import event

    from ui.main_window import MainWindow

    project_id = studio.projects.save_project(small_spec)
    gui = threading.get_ident()
    on_gui: list[str] = []
    writes: list[str] = []

    def spy(_conn, _cursor, statement: str, *_args) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)
            if threading.get_ident() == gui:
                on_gui.append(statement)

    # The start-up sweep (budget reservations of a crashed process) runs in make_runner, on
    # the main thread before any window exists; everything after it is watched.
    runner = studio.make_runner()
    event.listen(studio.db.engine, "before_cursor_execute", spy)
    try:
        runner.start_in_background()
        studio.settings.update(
            studio.settings.current.model_copy(update={"output_dir": tmp_path / "out"})
        )
        window = MainWindow(studio, runner, settings)
        qtbot.addWidget(window)
        window.show()
        with qtbot.waitSignal(window.project_loaded, timeout=10_000):
            window.open_project(project_id)
        with qtbot.waitSignal(window.saver.saved, timeout=5_000):
            window.document.set_scene_field(0, "title", "Edited")
        with qtbot.waitSignal(runner.job_started, timeout=10_000) as started:
            window.render_current()
        job_id = started.args[0]
        panel = window.jobs
        qtbot.waitUntil(lambda: job_id in panel.items, timeout=5000)
        panel.select_job(job_id)
        with qtbot.waitSignal(runner.job_finished, timeout=60_000):
            panel.cancel_button.click()
        qtbot.waitUntil(panel.retry_button.isEnabled, timeout=5000)
        with qtbot.waitSignal(runner.job_started, timeout=10_000):
            panel.retry_button.click()
        window.close()  # the autosave's last flush happens here
        assert on_gui == []
        assert any("UPDATE projects" in w for w in writes)  # the autosave
        assert any("INSERT INTO jobs" in w for w in writes)  # queued
        assert sum("UPDATE jobs" in w for w in writes) >= 4  # claimed, cancelled, retried, …
    finally:
        runner.shutdown(60_000)
        event.remove(studio.db.engine, "before_cursor_execute", spy)


def test_open_folder_without_a_file_manager_copies_the_path(
    qtbot, studio: Studio, small_spec, tmp_path: Path, monkeypatch
):
    from PySide6.QtGui import QDesktopServices, QGuiApplication

    output = tmp_path / "videos" / "small.mp4"
    output.parent.mkdir()
    job_id = studio.enqueue(studio.make_request(small_spec, output=output))
    panel = JobsPanel(studio, None)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: job_id in panel.items, timeout=5000)
    assert panel.empty_label.isHidden() and not panel.tree.isHidden()
    panel.select_job(job_id)
    opened: list[str] = []
    monkeypatch.setattr(
        QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or False
    )
    assert panel.open_folder() is False
    assert opened == [str(output.parent)]
    assert QGuiApplication.clipboard().text() == str(output.parent)
    assert str(output.parent) in panel.notice.text()
