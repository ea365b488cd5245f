"""Main window smoke test: library → storyboard → properties and preview; reorder; layout."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from pipeline.models import VideoSpec
from studio.service import Studio
from studio.settings import load_settings, settings_path
from ui import theme
from ui.fields import label_for
from ui.main_window import MainWindow


def _window(qtbot, studio: Studio, settings: QSettings) -> MainWindow:
    window = MainWindow(studio, None, settings)
    qtbot.addWidget(window)
    window.show()
    return window


def test_library_storyboard_properties_preview_and_reorder(
    qtbot, studio: Studio, settings: QSettings, small_spec: VideoSpec
):
    older = studio.projects.save_project(small_spec.model_copy(update={"title": "Older"}))
    project_id = studio.projects.save_project(small_spec, name="Small test")
    window = _window(qtbot, studio, settings)
    qtbot.waitUntil(lambda: window.library.project_ids() == [project_id, older], timeout=5000)

    window.library.search.setText("small")
    assert window.library.project_ids() == [project_id]
    window.library.search.clear()

    with qtbot.waitSignal(window.project_loaded, timeout=5000):
        window.library.project_activated.emit(project_id)
    board = window.storyboard
    assert board.card_count() == 3
    assert [board.model.index(i, 0).data(board.model.TypeRole) for i in range(3)] == [
        "Title",
        "List",
        "Outro",
    ]
    assert "Small test" in window.windowTitle()

    # Selecting a scene fills the properties and the preview.
    with qtbot.waitSignal(window.preview.frame_shown, timeout=30_000) as shown:  # helper start
        board.view.setCurrentIndex(board.model.index(1, 0))
    assert shown.args[0] == 1
    assert window.document.current == 1
    assert window.properties.scene_form.editors["header"].value() == "Points"
    assert window.properties.scene_form.editors["items"].value() == [
        {"title": "One"},
        {"title": "Two"},
    ]
    assert not window.preview.view.image.isNull()
    qtbot.waitUntil(lambda: None not in board.model.durations_s(), timeout=10_000)
    assert board.model.index(0, 0).data(board.model.DurationRole) > 1.0
    qtbot.waitUntil(lambda: board.model.thumbnail_count() == 3, timeout=10_000)

    # Reorder through the document model: the cards follow, and undo puts them back.
    window.document.move_scene(2, 0)
    assert [board.model.index(i, 0).data(board.model.TypeRole) for i in range(3)] == [
        "Outro",
        "Title",
        "List",
    ]
    assert window.document.current == 0
    assert window.windowTitle().startswith("Small test •")
    window.document.undo_stack.undo()
    assert [board.model.index(i, 0).data(board.model.TypeRole) for i in range(3)] == [
        "Title",
        "List",
        "Outro",
    ]


def test_editing_a_field_in_properties_is_undoable(
    qtbot, studio: Studio, settings: QSettings, small_spec: VideoSpec
):
    window = _window(qtbot, studio, settings)
    window.document.load(small_spec)
    editor = window.properties.scene_form.editors["title"]
    editor.edit.setText("Changed")  # type: ignore[attr-defined]
    editor.edit.editingFinished.emit()  # type: ignore[attr-defined]
    assert window.document.require().scenes[0].title == "Changed"  # type: ignore[union-attr]
    editor.edit.setText("")  # type: ignore[attr-defined]
    editor.edit.editingFinished.emit()  # type: ignore[attr-defined]
    assert window.properties.scene_form.error.isVisibleTo(window.properties)
    assert window.document.require().scenes[0].title == "Changed"  # type: ignore[union-attr]
    window.actions_["undo"].trigger()
    assert window.document.require().scenes[0].title == "Hello"  # type: ignore[union-attr]
    assert editor.value() == "Hello"


def test_layout_and_theme_are_remembered(qtbot, studio: Studio, settings: QSettings):
    window = _window(qtbot, studio, settings)
    window.resize(780, 560)
    window.docks["jobs"].hide()
    window.actions_["dark"].trigger()
    # The theme is a studio setting (saved off the GUI thread), the layout a QSettings value.
    qtbot.waitUntil(lambda: studio.settings.current.theme == "dark", timeout=5000)
    assert theme.current_theme() == "dark"
    size = window.size()
    window.close()
    assert load_settings(settings_path()).theme == "dark"
    assert settings.value("ui/theme") is None
    again = _window(qtbot, studio, settings)
    assert again.size() == size
    assert not again.docks["jobs"].isVisible()
    assert again.actions_["dark"].isChecked()
    again.actions_["dark"].trigger()
    qtbot.waitUntil(lambda: studio.settings.current.theme == "light", timeout=5000)
    assert theme.current_theme() == "light"


def test_shortcuts(qtbot, studio: Studio, settings: QSettings):
    window = _window(qtbot, studio, settings)
    keys = {name: action.shortcut().toString() for name, action in window.actions_.items()}
    assert keys["new"] == "Ctrl+N"
    assert keys["render"] == "Ctrl+R"
    assert keys["duplicate"] == "Ctrl+D"
    assert keys["undo"] == "Ctrl+Z"
    assert keys["delete"] == "Del"
    assert window.preview.space.key().toString() == "Space"


def test_the_video_tab_sets_the_projects_music_with_undo(
    qtbot, studio: Studio, settings: QSettings, small_spec: VideoSpec
):
    window = _window(qtbot, studio, settings)
    window.document.load(small_spec)
    editor = window.properties.video_form.editors["music"]
    box = editor.box  # type: ignore[attr-defined]
    assert {box.itemData(i) for i in range(box.count())} >= {None, "none", "calm", "pulse"}
    box.setCurrentIndex(box.findData("calm"))
    box.activated.emit(box.currentIndex())
    assert window.document.require().music == "calm"
    level = window.properties.video_form.editors["music_level_db"]
    assert label_for("music_level_db") == "Music level (dB)"
    level.set_value(-25.0)
    level.committed.emit()
    assert window.document.require().music_level_db == -25.0
    assert studio.make_request(window.document.require()).options.music == "calm"
    window.actions_["undo"].trigger()
    window.actions_["undo"].trigger()
    assert window.document.require().music is None
