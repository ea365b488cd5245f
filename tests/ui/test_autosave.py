"""Autosave: the first edit after opening or saving is saved, on a writer thread that busy
previews cannot starve; switching projects and closing the window keep every edit."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QSettings

from pipeline.models import VideoSpec
from studio.service import Studio
from ui.main_window import MainWindow
from ui.operations import BackgroundOp, operations_pool


def _window(qtbot, studio: Studio, settings: QSettings) -> MainWindow:
    window = MainWindow(studio, None, settings)
    qtbot.addWidget(window)
    window.show()
    return window


def _open(qtbot, window: MainWindow, project_id: int) -> None:
    with qtbot.waitSignal(window.project_loaded, timeout=10_000) as loaded:
        window.open_project(project_id)
    assert loaded.args == [project_id]


@pytest.fixture()
def busy_previews() -> Iterator[threading.Event]:
    """Occupy every thread of the UI's operations pool (as slow speech synthesis does)."""
    release = threading.Event()
    started = threading.Semaphore(0)

    def block() -> None:
        started.release()
        release.wait(30)

    for _ in range(operations_pool().maxThreadCount()):
        BackgroundOp(block).run()
    for _ in range(operations_pool().maxThreadCount()):
        assert started.acquire(timeout=10)
    yield release
    release.set()


def test_first_edit_after_opening_is_saved_while_previews_are_busy(
    qtbot, studio: Studio, settings: QSettings, small_spec: VideoSpec
):
    project_id = studio.projects.save_project(small_spec, name="Small test")
    window = _window(qtbot, studio, settings)
    _open(qtbot, window, project_id)
    qtbot.waitUntil(lambda: not window.preview.view.image.isNull(), timeout=10_000)

    release = threading.Event()
    blocked = 0
    for _ in range(operations_pool().maxThreadCount()):
        BackgroundOp(lambda: release.wait(30)).run()
        blocked += 1
    try:
        # The very first edit after opening: Ctrl+D on scene 1.
        with qtbot.waitSignal(window.saver.saved, timeout=5_000) as saved:
            window.actions_["duplicate"].trigger()
            assert not window.document.undo_stack.isClean()
            assert window.save_status.text() == "Saving…"
        assert saved.args == [project_id]
        stored = studio.projects.load_project(project_id).spec
        assert [s.scene_type for s in stored.scenes] == ["title", "title", "list", "outro"]
        assert window.document.undo_stack.isClean()
        assert window.save_status.text() == "All changes saved"
        assert "•" not in window.windowTitle()

        # The first edit after that save is saved as well.
        with qtbot.waitSignal(window.saver.saved, timeout=5_000):
            window.document.set_scene_field(2, "header", "Saved again")
        stored = studio.projects.load_project(project_id).spec
        assert stored.scenes[2].header == "Saved again"  # type: ignore[union-attr]
    finally:
        release.set()
    assert blocked == 2


def test_switching_projects_keeps_the_edit(
    qtbot, studio: Studio, settings: QSettings, small_spec: VideoSpec
):
    first = studio.projects.save_project(small_spec, name="First")
    second = studio.projects.save_project(small_spec.model_copy(update={"title": "Second"}))
    window = _window(qtbot, studio, settings)
    _open(qtbot, window, first)

    window.document.set_narration(1, "Edited right before switching.")
    assert window.saver.timer.isActive()  # not saved yet: the switch must save it
    _open(qtbot, window, second)

    assert window.document.project_id == second
    assert window.document.undo_stack.isClean()
    stored = studio.projects.load_project(first).spec
    assert stored.scenes[1].narration == "Edited right before switching."
    # Back to the first project: the editor shows the saved edit.
    _open(qtbot, window, first)
    assert window.document.require().scenes[1].narration == "Edited right before switching."


def test_a_new_document_is_inserted_once_however_many_saves_queue(
    qtbot, studio: Studio, settings: QSettings, small_spec: VideoSpec, busy_previews
):
    window = _window(qtbot, studio, settings)
    window.document.load(small_spec)  # never saved: no project id yet
    before = len(studio.projects.list_projects())
    for k in range(5):
        window.document.set_scene_field(0, "title", f"Title {k}")
        window.saver.save_now()
    qtbot.waitUntil(lambda: window.document.undo_stack.isClean(), timeout=5_000)
    projects = studio.projects.list_projects()
    assert len(projects) == before + 1
    project_id = window.document.project_id
    assert project_id is not None
    assert studio.projects.load_project(project_id).spec.scenes[0].title == "Title 4"  # type: ignore[union-attr]


def test_closing_saves_unsaved_edits(
    qtbot, studio: Studio, settings: QSettings, small_spec: VideoSpec
):
    project_id = studio.projects.save_project(small_spec)
    window = _window(qtbot, studio, settings)
    _open(qtbot, window, project_id)
    window.document.delete_scene(2)
    assert window.saver.timer.isActive()
    window.close()
    stored = studio.projects.load_project(project_id).spec
    assert [s.scene_type for s in stored.scenes] == ["title", "list"]
