"""The Batch dialog and the jobs panel's "Export for editors": a manifest with a good and a bad
row queues exactly one job (never twice), a running batch reports "Batch: k of n done", and the
export of the finished render reads back in OpenTimelineIO with one clip per scene."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import opentimelineio as otio
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMenu, QTableWidget, QTableWidgetItem

from studio.jobs import JobRunner
from studio.service import Studio
from studio.store import JobState
from ui.batch_dialog import ERROR_COLOR, BatchDialog
from ui.jobs_panel import JobsPanel
from ui.main_window import MainWindow

TINY_MD = "# Tiny batch\n\nHello there.\n"
"""Two scenes (a title with this narration and an outro): quick to speak and render."""


def _manifest(folder: Path) -> Path:
    (folder / "tiny.md").write_text(TINY_MD, encoding="utf-8")
    manifest = folder / "videos.csv"
    manifest.write_text(
        "input,output,format\ntiny.md,out/tiny.mp4,16:9\nmissing.md,out/missing.mp4,16:9\n",
        encoding="utf-8",
    )
    return manifest


def _planned(qtbot, dialog: BatchDialog, source: Path) -> None:
    with qtbot.waitSignal(dialog.planned, timeout=20_000):
        dialog.load(source)


def _start(qtbot, dialog: BatchDialog) -> list[int]:
    assert dialog.start_button.isEnabled()
    with qtbot.waitSignal(dialog.queued, timeout=20_000) as queued:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    return list(queued.args[0])


def _item(table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
    item = table.item(row, column)
    assert item is not None, (row, column)
    return item


def _cell(table: QTableWidget, row: int, column: int) -> str:
    return _item(table, row, column).text()


def _color(table: QTableWidget, row: int, column: int) -> str:
    return _item(table, row, column).foreground().color().name()


def _render_jobs(studio: Studio) -> list:
    return [job for job in studio.jobs.list_jobs() if job.kind == "render"]


@pytest.fixture()
def runner(studio: Studio) -> Iterator[JobRunner]:
    runner = studio.make_runner()
    runner.start_in_background()
    yield runner
    runner.shutdown(60_000)


def test_manifest_rows_bad_row_in_red_and_start_queues_once(
    qtbot, studio: Studio, tmp_path: Path
) -> None:
    manifest = _manifest(tmp_path)
    dialog = BatchDialog(studio, None)
    qtbot.addWidget(dialog)
    dialog.show()
    _planned(qtbot, dialog, manifest)

    table = dialog.table
    assert table.rowCount() == 2
    assert [_cell(table, r, 0) for r in range(2)] == ["2", "3"]  # CSV lines
    assert _cell(table, 0, 1) == "tiny.md"
    assert _cell(table, 0, 2) == "tiny.mp4"
    assert _item(table, 0, 2).toolTip() == str((tmp_path / "out" / "tiny.mp4").resolve())
    assert _cell(table, 0, 3).startswith("16:9")
    assert _cell(table, 0, 4) == "ready"
    bad = _cell(table, 1, 4)
    assert bad.startswith("line 3: ") and "missing.md" in bad
    assert _color(table, 1, 1) == ERROR_COLOR
    assert _color(table, 0, 1) != ERROR_COLOR
    assert "1 ready, 1 with errors" in dialog.status.text()

    ids = _start(qtbot, dialog)
    jobs = _render_jobs(studio)
    assert len(jobs) == 1 and ids == [jobs[0].id]
    assert jobs[0].state is JobState.PENDING
    assert jobs[0].input["output"] == str((tmp_path / "out" / "tiny.mp4").resolve())
    assert dialog.status.text().startswith("1 job queued")
    assert _cell(table, 0, 4) == "pending"
    assert dialog.progress_text() == "Batch: 0 of 1 done"
    assert not dialog.start_button.isEnabled()  # a second click cannot queue it again

    # read the same manifest again (the dialog reopened): Start reuses the queued job
    again = BatchDialog(studio, None)
    qtbot.addWidget(again)
    _planned(qtbot, again, manifest)
    assert _start(qtbot, again) == ids
    assert [job.id for job in _render_jobs(studio)] == ids
    assert _cell(again.table, 0, 4) == "reused (pending)"
    assert "0 jobs queued, 1 reused" in again.status.text()


def test_unreadable_manifest_is_a_clear_error_in_the_dialog(
    qtbot, studio: Studio, tmp_path: Path
) -> None:
    dialog = BatchDialog(studio, None)
    qtbot.addWidget(dialog)
    broken = tmp_path / "videos.yaml"
    broken.write_text("videos: [unclosed\n", encoding="utf-8")
    planned: list[object] = []
    dialog.planned.connect(planned.append)
    dialog.load(broken)
    qtbot.waitUntil(lambda: "Cannot use" in dialog.status.text(), timeout=20_000)
    assert planned == []
    assert "malformed" in dialog.status.text() and str(broken) in dialog.status.text()
    assert ERROR_COLOR in dialog.status.styleSheet()
    assert dialog.table.rowCount() == 0 and not dialog.start_button.isEnabled()
    dialog.load(tmp_path / "nothing.txt")  # not a manifest at all
    qtbot.waitUntil(lambda: "must be .csv" in dialog.status.text(), timeout=20_000)
    assert _render_jobs(studio) == []


def test_batch_progress_then_export_for_editors_one_clip_per_scene(
    qtbot, studio: Studio, runner: JobRunner, tmp_path: Path
) -> None:
    manifest = _manifest(tmp_path)
    panel = JobsPanel(studio, runner)
    qtbot.addWidget(panel)
    dialog = BatchDialog(studio, runner)
    qtbot.addWidget(dialog)
    dialog.queued.connect(lambda _ids: panel.jobs.reload())
    _planned(qtbot, dialog, manifest)
    with qtbot.waitSignal(
        dialog.progressed, timeout=120_000, check_params_cb=lambda done, total: done == total == 1
    ):
        (job_id,) = _start(qtbot, dialog)
    assert dialog.progress_text() == "Batch: 1 of 1 done"
    assert dialog.progress.value() == dialog.progress.maximum() == 1
    assert _cell(dialog.table, 0, 4) == "succeeded"
    job = studio.jobs.get_job(job_id)
    assert job is not None and job.state is JobState.SUCCEEDED and job.output is not None

    # the job appears in the jobs panel; export it for editors
    qtbot.waitUntil(lambda: job_id in panel.items, timeout=10_000)
    panel.select_job(job_id)
    qtbot.waitUntil(panel.export_button.isEnabled, timeout=10_000)
    video = Path(job.output["output"])
    with qtbot.waitSignal(panel.exported, timeout=60_000) as exported:
        qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    result = exported.args[0]
    assert not isinstance(result, BaseException), result
    assert result.otio == video.with_suffix(".otio") and result.otio.is_file()
    assert str(result.otio) in panel.notice.text()
    meta = json.loads(Path(job.output["metadata"]).read_text(encoding="utf-8"))
    timeline = otio.adapters.read_from_file(str(result.otio))
    clips = list(timeline.video_tracks()[0].find_clips())
    assert len(clips) == len(meta["scenes"]) == 2
    for clip, scene in zip(clips, meta["scenes"], strict=True):
        assert clip.source_range.duration.to_frames() == round(scene["duration_s"] * meta["fps"])
        assert Path(clip.media_reference.target_url.removeprefix("file://")).is_file()
    assert timeline.duration().to_frames() == meta["n_frames"]

    # an export that cannot work says why in the panel (no crash, no dialog)
    Path(job.output["metadata"]).unlink()
    with qtbot.waitSignal(panel.exported, timeout=60_000) as failed:
        qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    assert isinstance(failed.args[0], Exception)
    assert panel.notice.text().startswith("Export failed: ")
    assert "metadata" in panel.notice.text()
    assert panel.export_button.isEnabled()


def test_file_menu_batch_render_opens_one_dialog_and_jobs_appear_in_the_panel(
    qtbot, studio: Studio, settings: QSettings, tmp_path: Path
) -> None:
    window = MainWindow(studio, None, settings)
    qtbot.addWidget(window)
    window.show()
    action = window.actions_["batch"]
    assert action.shortcut().toString() == "Ctrl+Shift+B"
    file_menu = window.menuBar().actions()[0].menu()
    assert isinstance(file_menu, QMenu) and action in file_menu.actions()
    action.trigger()
    dialog = window.batch_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    _planned(qtbot, dialog, _manifest(tmp_path))
    (job_id,) = _start(qtbot, dialog)
    qtbot.waitUntil(lambda: job_id in window.jobs.items, timeout=10_000)
    assert window.jobs.items[job_id].text(1) == "Pending"
    # the batch's overall progress is in the Jobs panel too
    qtbot.waitUntil(window.jobs.batch_label.isVisible, timeout=10_000)
    assert window.jobs.batch_label.text() == "Batch: 0 of 1 done"
    dialog.close()
    action.trigger()  # reopening shows the same batch and its progress
    assert window.batch_dialog is dialog and dialog.isVisible()
    assert dialog.progress_text() == "Batch: 0 of 1 done"
