"""The library: saved projects, most recent first, with a search box.

The list is read off the GUI thread; typing in the search box filters it in place.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.api import ProjectSummary, Studio
from ui.operations import BackgroundOp

ProjectIdRole = Qt.ItemDataRole.UserRole + 1


class PlaceholderListView(QListView):
    """A list that says what to do when it is empty (``placeholder``)."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.placeholder = placeholder

    def paintEvent(self, event: QPaintEvent) -> None:
        """The rows, or the placeholder text when there are none."""
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0 and self.placeholder:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(
                self.viewport().rect().adjusted(12, 12, -12, -12),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.placeholder,
            )
            painter.end()


def when(moment: datetime) -> str:
    """A short local date and time."""
    return moment.astimezone().strftime("%d %b %Y, %H:%M")


class LibraryPanel(QWidget):
    """Project list with search, new, open document and delete.

    Signals:
        project_activated(int): the user opened a project (its id).
        new_requested(): "New project…" was clicked.
        import_requested(): "Open document…" was clicked.
        loaded(): the list was (re)read.
    """

    project_activated = Signal(int)
    new_requested = Signal()
    import_requested = Signal()
    loaded = Signal()

    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search projects")
        self.search.setClearButtonEnabled(True)
        self.model = QStandardItemModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.view = PlaceholderListView(
            "No projects yet. Click New… for a template, or Open document… to start from "
            "a file (you can also drop one on the window).",
            self,
        )
        self.view.setObjectName("library")
        self.view.setModel(self.proxy)
        self.view.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setSpacing(1)
        new = QPushButton("New…", self)
        new.setToolTip("New project (Ctrl+N)")
        open_doc = QPushButton("Open document…", self)
        open_doc.setToolTip("Start a project from a document (Ctrl+O)")
        self.delete_button = QPushButton("Delete", self)
        buttons = QHBoxLayout()
        buttons.addWidget(new)
        buttons.addWidget(open_doc)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.view.activated.connect(self._on_activated)
        self.view.clicked.connect(self._on_activated)
        new.clicked.connect(self.new_requested.emit)
        open_doc.clicked.connect(self.import_requested.emit)
        self.delete_button.clicked.connect(self._delete_selected)
        self.reload()

    def reload(self) -> None:
        """Read the project list again (off the GUI thread)."""
        projects = self.studio.projects
        BackgroundOp(projects.list_projects, parent=self).success(self._on_loaded).run()

    def _on_loaded(self, summaries: list[ProjectSummary]) -> None:
        self.model.clear()
        for summary in summaries:
            item = QStandardItem(
                f"{summary.name}\n{summary.source_kind or 'project'} · {when(summary.updated_at)}"
            )
            item.setData(summary.id, ProjectIdRole)
            item.setToolTip(summary.name)
            self.model.appendRow(item)
        self.loaded.emit()

    def project_ids(self) -> list[int]:
        """Ids of the projects shown (after the search filter), in order."""
        return [
            int(self.proxy.index(row, 0).data(ProjectIdRole))
            for row in range(self.proxy.rowCount())
        ]

    def select_project(self, project_id: int) -> None:
        """Highlight ``project_id`` in the list (without opening it)."""
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(ProjectIdRole) == project_id:
                self.view.setCurrentIndex(index)
                return

    def _on_activated(self, index: object) -> None:
        project_id = self.proxy.data(index, ProjectIdRole)  # type: ignore[arg-type]
        if project_id is not None:
            self.project_activated.emit(int(project_id))

    def _delete_selected(self) -> None:
        index = self.view.currentIndex()
        project_id = index.data(ProjectIdRole)
        if project_id is None:
            return
        name = str(index.data()).splitlines()[0]
        answer = QMessageBox.question(
            self,
            "Delete project",
            f"Delete the project “{name}”? Rendered videos stay where they are.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        projects = self.studio.projects
        BackgroundOp(lambda: projects.delete_project(int(project_id)), parent=self).success(
            lambda _deleted: self.reload()
        ).run()
