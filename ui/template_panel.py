"""The main window's Templates dock and menu: the gallery with what you can do with a
template — start a project from it, edit your own (a built-in is copied first: built-ins are
read-only), start a blank one, import, export, delete — and the template editor windows.

:func:`install_templates` is the one hook the main window calls; everything else about
templates in the main window lives here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pipeline.errors import StudioError
from pipeline.templates import KIND_NAMES
from pipeline.templates.edit import blank_template_data, duplicate_data, suggest_id
from studio.api import Studio, TemplateEntry
from ui.errors import show_error
from ui.operations import BackgroundOp
from ui.template_editor import TemplateEditor
from ui.template_gallery import TemplateGallery
from ui.template_preview import Enqueue

if TYPE_CHECKING:
    from ui.main_window import MainWindow

TEMPLATE_FILTER = "Video Studio templates (*.yaml *.yml)"


class TemplatesPanel(QWidget):
    """The gallery with its buttons.

    Args:
        studio: the template library and the cache.
        enqueue / output_folder: passed to the editors (test renders).

    Signals:
        use_requested(str): start a new project from this template.
        editor_opened(object): a :class:`TemplateEditor` was opened.
    """

    use_requested = Signal(str)
    editor_opened = Signal(object)

    def __init__(
        self,
        studio: Studio,
        *,
        enqueue: Enqueue | None = None,
        output_folder: Any = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.studio = studio
        self._enqueue = enqueue
        self._output_folder = output_folder
        self.editors: list[TemplateEditor] = []
        self.gallery = TemplateGallery(studio, self)
        self.use_button = QPushButton("Use…", self)
        self.use_button.setToolTip("Start a new project from this template")
        self.edit_button = QPushButton("Edit", self)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setToolTip("Make your own editable copy")
        self.new_button = QToolButton(self)
        self.new_button.setText("New")
        self.new_button.setToolTip("Start a blank template")
        self.new_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.new_menu = QMenu(self.new_button)
        for kind, label in KIND_NAMES.items():
            self.new_menu.addAction(f"{label}…", self._maker(kind))
        self.new_button.setMenu(self.new_menu)
        self.more_button = QToolButton(self)
        self.more_button.setText("More")
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        more = QMenu(self.more_button)
        self.import_action = more.addAction("Import…", self.import_dialog)
        self.export_action = more.addAction("Export…", self.export_dialog)
        more.addSeparator()
        self.delete_action = more.addAction("Delete", self.delete_current)
        self.more_button.setMenu(more)
        buttons = QHBoxLayout()
        for widget in (
            self.use_button,
            self.edit_button,
            self.copy_button,
            self.new_button,
            self.more_button,
        ):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.gallery, 1)
        layout.addLayout(buttons)
        self.use_button.clicked.connect(self._use)
        self.edit_button.clicked.connect(lambda: self.edit(self.gallery.current_entry()))
        self.copy_button.clicked.connect(lambda: self.copy(self.gallery.current_entry()))
        self.gallery.activated.connect(lambda _id: self._use())
        self.gallery.current_changed.connect(lambda _id: self._update_buttons())
        self._update_buttons()

    def _maker(self, kind: str) -> Callable[[], None]:
        return lambda: None if self.new_template(kind) is None else None

    def _update_buttons(self) -> None:
        entry = self.gallery.current_entry()
        for widget in (self.use_button, self.copy_button):
            widget.setEnabled(entry is not None)
        self.edit_button.setEnabled(entry is not None)
        self.edit_button.setToolTip(
            "Built-in templates are read-only: Edit makes your own copy"
            if entry is not None and entry.read_only
            else "Edit your template"
        )
        self.export_action.setEnabled(entry is not None)
        self.delete_action.setEnabled(entry is not None and not entry.read_only)

    def _use(self) -> None:
        template_id = self.gallery.current_id()
        if template_id:
            self.use_requested.emit(template_id)

    # -- editors ---------------------------------------------------------------------------------

    def open_editor(
        self, data: dict[str, Any], *, previous_id: str | None = None, based_on: str | None = None
    ) -> TemplateEditor:
        """Open a template editor on ``data`` (a window of its own)."""
        taken = {entry.id for entry in self.gallery.entries}
        editor = TemplateEditor(
            self.studio,
            data,
            previous_id=previous_id,
            based_on=based_on,
            taken_ids=taken,
            enqueue=self._enqueue,
            output_folder=self._output_folder,
            parent=self.window(),
        )
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.saved.connect(lambda template_id: self.gallery.reload(select=template_id))
        editor.destroyed.connect(lambda _obj=None, e=editor: self._forget(e))
        self.editors.append(editor)
        editor.show()
        self.editor_opened.emit(editor)
        return editor

    def _forget(self, editor: TemplateEditor) -> None:
        if editor in self.editors:
            self.editors.remove(editor)

    def edit(self, entry: TemplateEntry | None) -> TemplateEditor | None:
        """Edit ``entry``: your own template as it is; a built-in as a new copy."""
        if entry is None:
            return None
        if entry.read_only:
            return self.copy(entry)
        from pipeline.templates import template_data

        return self.open_editor(
            template_data(entry.template), previous_id=entry.id, based_on=entry.based_on
        )

    def copy(self, entry: TemplateEntry | None) -> TemplateEditor | None:
        """Open an editor on a copy of ``entry`` (saved as a new template of yours)."""
        if entry is None:
            return None
        taken = {e.id for e in self.gallery.entries}
        return self.open_editor(duplicate_data(entry.template, taken=taken), based_on=entry.id)

    def new_template(self, kind: str) -> TemplateEditor:
        """Open an editor on a blank template of ``kind``."""
        taken = {e.id for e in self.gallery.entries}
        name = f"My {KIND_NAMES[kind].lower()}"
        data = blank_template_data(kind, template_id=suggest_id(name, taken), name=name)
        return self.open_editor(data)

    # -- files ------------------------------------------------------------------------------------

    def import_dialog(self) -> None:
        """Pick a template file and import it (asks what to do when its id is taken)."""
        name, _ = QFileDialog.getOpenFileName(self, "Import a template", "", TEMPLATE_FILTER)
        if name:
            self.import_file(Path(name))

    def import_file(self, path: Path, *, replace: bool = False, new_id: str | None = None) -> None:
        """Import ``path`` off the GUI thread; a clash of ids asks to replace or keep both."""
        from studio.api import ReadOnlyTemplateError, TemplateClashError

        library = self.studio.templates

        def failed(error: BaseException) -> None:
            if isinstance(error, TemplateClashError | ReadOnlyTemplateError):
                self._resolve_clash(path, error)
            else:
                show_error(error, self)

        BackgroundOp(
            lambda: library.import_file(path, replace=replace, new_id=new_id), parent=self
        ).success(lambda entry: self.gallery.reload(select=entry.id)).failure(failed).run()

    def _resolve_clash(self, path: Path, error: BaseException) -> None:
        from pipeline.templates.edit import unique_id
        from studio.api import TemplateClashError

        taken = {e.id for e in self.gallery.entries}
        message = str(getattr(error, "message", error))
        answer = self.ask_clash(message, can_replace=isinstance(error, TemplateClashError))
        if answer == "new":
            self._import_as_new(path, taken, unique_id)
        elif answer == "replace":
            self.import_file(path, replace=True)

    def ask_clash(self, message: str, *, can_replace: bool) -> str:
        """Ask what to do with an imported template whose id is taken: ``"new"`` (import it
        under a new id), ``"replace"`` (overwrite yours; only when ``can_replace``) or
        ``"cancel"``."""
        box = QMessageBox(self)
        box.setWindowTitle("Import a template")
        box.setText(message)
        keep = box.addButton("Import as a new template", QMessageBox.ButtonRole.AcceptRole)
        replace = None
        if can_replace:
            replace = box.addButton("Replace mine", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is keep:
            return "new"
        if replace is not None and box.clickedButton() is replace:
            return "replace"
        return "cancel"

    def _import_as_new(self, path: Path, taken: set[str], unique_id: Any) -> None:
        from studio.api import read_template_data

        try:
            data = read_template_data(path)
        except StudioError as error:
            show_error(error, self)
            return
        old = str(data.get("id", "template")) if isinstance(data, dict) else "template"
        if isinstance(data, dict) and data.get("kind") == "persona":
            persona, _, topic = old.partition(".")
            new_id = f"{persona}.{unique_id(topic, {t.partition('.')[2] for t in taken})}"
        else:
            new_id = unique_id(old, taken)
        self.import_file(path, new_id=new_id)

    def export_dialog(self) -> None:
        """Export the selected template to a YAML file."""
        entry = self.gallery.current_entry()
        if entry is None:
            return
        name, _ = QFileDialog.getSaveFileName(
            self, "Export a template", f"{entry.id}.yaml", TEMPLATE_FILTER
        )
        if name:
            library = self.studio.templates
            BackgroundOp(lambda: library.export(entry.id, Path(name)), parent=self).run()

    def delete_current(self) -> None:
        """Delete the selected template (yours only), after asking."""
        entry = self.gallery.current_entry()
        if entry is None or entry.read_only:
            return
        answer = QMessageBox.question(
            self, "Delete template", f"Delete your template “{entry.name}” ({entry.id})?"
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        library = self.studio.templates
        BackgroundOp(lambda: library.delete(entry.id), parent=self).success(
            lambda _r: self.gallery.reload()
        ).run()


def install_templates(window: MainWindow) -> TemplatesPanel:
    """Add the Templates dock (tabbed with the library) and the Templates menu to the main
    window; test renders go through its job list. Returns the panel."""
    panel = TemplatesPanel(
        window.studio,
        enqueue=lambda request, on_queued: window.jobs.jobs.enqueue(request, on_queued=on_queued),
        output_folder=window.output_folder,
    )
    dock = QDockWidget("Templates", window)
    dock.setObjectName("dock_templates")
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    library_dock = window.docks.get("library")
    if library_dock is not None:
        window.tabifyDockWidget(library_dock, dock)
        library_dock.raise_()
    window.docks["templates"] = dock
    panel.use_requested.connect(lambda template_id: _new_project_from(window, template_id))
    panel.editor_opened.connect(lambda editor: _connect_editor(window, editor))
    menu = window.menuBar().addMenu("&Templates")
    gallery = dock.toggleViewAction()
    gallery.setText("Template &gallery")
    menu.addAction(gallery)
    new = menu.addMenu("&New template")
    for kind, label in KIND_NAMES.items():
        action = QAction(f"{label}…", window)
        action.triggered.connect(_new_in(dock, panel, kind))
        new.addAction(action)
    menu.addAction("&Import template…", panel.import_dialog)
    window.templates_panel = panel  # type: ignore[attr-defined]
    return panel


def _new_in(dock: QDockWidget, panel: TemplatesPanel, kind: str) -> Callable[[], None]:
    def new() -> None:
        _show(dock)
        panel.new_template(kind)

    return new


def _show(dock: QDockWidget) -> None:
    dock.show()
    dock.raise_()


def _connect_editor(window: MainWindow, editor: TemplateEditor) -> None:
    editor.preview.render_queued.connect(lambda _job: _show(window.docks["jobs"]))


def _new_project_from(window: MainWindow, template_id: str) -> None:
    """Open the new-project wizard with ``template_id`` chosen on its source page."""
    from ui.wizard import NewProjectWizard

    window.new_project()
    wizards = window.findChildren(NewProjectWizard)
    if wizards:
        wizards[-1].source_page.choose_template(template_id)
