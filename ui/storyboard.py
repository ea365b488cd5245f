"""The storyboard: one card per scene (thumbnail, type, duration, narration excerpt).

Cards follow the :class:`~ui.document.ProjectDocument`; thumbnails and durations are drawn off
the GUI thread by :func:`pipeline.preview.scene_thumbnails` (the scene renderers at a small
size) and only the newest request is shown. Reordering by drag and drop, adding, duplicating
and deleting all go through the document's undoable edits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QDropEvent, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pipeline.artifacts import ArtifactStore
from pipeline.models import SCENE_TYPES
from pipeline.narration import narrate_scene
from pipeline.preview import scene_thumbnails
from pipeline.render.base import RGBFrame
from pipeline.scene_types import REGISTRY
from pipeline.timeline import SceneTiming
from ui.document import ProjectDocument
from ui.operations import LatestOnly

MIME_SCENE = "application/x-videostudio-scene-index"
CARD_SIZE = QSize(200, 184)
THUMB_HEIGHT = 108
EXCERPT_CHARS = 58


def rgb_to_image(frame: RGBFrame) -> QImage:
    """An RGB uint8 frame (H, W, 3) as a QImage that owns its pixels."""
    height, width, _ = frame.shape
    image = QImage(frame.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return image.copy()


def scene_label(scene_type: str) -> str:
    """``code_comparison`` → ``Code comparison`` (the descriptor's label)."""
    described = REGISTRY.get(scene_type)
    return described.label if described else scene_type.replace("_", " ").capitalize()


class StoryboardModel(QAbstractListModel):
    """Rows = scenes of the document. Thumbnails and timings arrive from the background."""

    ThumbnailRole = Qt.ItemDataRole.UserRole + 1
    DurationRole = Qt.ItemDataRole.UserRole + 2
    ExcerptRole = Qt.ItemDataRole.UserRole + 3
    TypeRole = Qt.ItemDataRole.UserRole + 4

    thumbnails_ready = Signal()

    def __init__(
        self,
        document: ProjectDocument,
        store: Callable[[], ArtifactStore],
        speech_mode: str = "offline",
    ) -> None:
        super().__init__(document)
        self.document = document
        self._store = store
        self._speech_mode = speech_mode
        self._timings: tuple[SceneTiming, ...] = ()
        self._thumbs: list[QImage | None] = []
        self._jobs = LatestOnly(self)
        document.reset.connect(self._on_structure)
        document.scenes_changed.connect(self._on_structure)
        document.scene_changed.connect(self._on_scene)
        document.video_changed.connect(self._on_structure)

    # -- Qt model ------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        """Number of scenes."""
        spec = self.document.spec
        return 0 if parent.isValid() or spec is None else len(spec.scenes)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        """Card content by role."""
        spec = self.document.spec
        if spec is None or not index.isValid() or index.row() >= len(spec.scenes):
            return None
        row = index.row()
        scene = spec.scenes[row]
        if role in (Qt.ItemDataRole.DisplayRole, self.TypeRole):
            return scene_label(scene.scene_type)
        if role == self.ThumbnailRole:
            return self._thumbs[row] if row < len(self._thumbs) else None
        if role == self.DurationRole:
            return self._timings[row].duration_s if row < len(self._timings) else None
        if role == self.ExcerptRole:
            text = scene.narration or narrate_scene(scene, language=spec.language)
            text = " ".join(text.split())
            return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
        if role == Qt.ItemDataRole.ToolTipRole:
            return scene.narration or narrate_scene(scene, language=spec.language)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        """Cards are selectable and draggable; the view accepts drops between them."""
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid():
            return base | Qt.ItemFlag.ItemIsDragEnabled
        return base | Qt.ItemFlag.ItemIsDropEnabled

    def mimeTypes(self) -> list[str]:
        """The drag carries the scene index."""
        return [MIME_SCENE]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:
        """Encode the dragged scene's index."""
        mime = QMimeData()
        if indexes:
            mime.setData(MIME_SCENE, str(indexes[0].row()).encode())
        return mime

    def supportedDropActions(self) -> Qt.DropAction:
        """Cards move."""
        return Qt.DropAction.MoveAction

    # -- document events -----------------------------------------------------------------

    def _on_structure(self) -> None:
        self.beginResetModel()
        count = len(self.document.spec.scenes) if self.document.spec else 0
        self._thumbs = self._thumbs[:count] + [None] * max(0, count - len(self._thumbs))
        self.endResetModel()
        self.refresh()

    def _on_scene(self, row: int) -> None:
        index = self.index(row)
        self.dataChanged.emit(index, index)
        self.refresh()

    def refresh(self) -> None:
        """Ask for new thumbnails and timings (off the GUI thread; newest request wins)."""
        spec = self.document.spec
        if spec is None:
            return
        store = self._store()
        mode = self._speech_mode

        def work() -> tuple[tuple[SceneTiming, ...], list[QImage | None]]:
            timings, frames = scene_thumbnails(spec, store, speech_mode=mode)  # type: ignore[arg-type]
            return timings, [rgb_to_image(f) if f is not None else None for f in frames]

        self._jobs.submit(work, self._on_thumbnails, lambda _error: None)

    def _on_thumbnails(self, result: tuple[tuple[SceneTiming, ...], list[QImage | None]]) -> None:
        timings, thumbs = result
        if self.document.spec is None or len(thumbs) != len(self.document.spec.scenes):
            return
        self._timings, self._thumbs = timings, thumbs
        if thumbs:
            self.dataChanged.emit(self.index(0), self.index(len(thumbs) - 1))
        self.thumbnails_ready.emit()

    @property
    def timings(self) -> tuple[SceneTiming, ...]:
        """The last known timing of each scene."""
        return self._timings


class CardDelegate(QStyledItemDelegate):
    """Paints a scene card: thumbnail, number and type, duration, narration excerpt."""

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        """Every card has the same size."""
        return CARD_SIZE

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """Draw one card."""
        painter.save()
        pal = option.palette  # type: ignore[attr-defined]
        rect: QRect = option.rect.adjusted(4, 4, -4, -4)  # type: ignore[attr-defined]
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(
            pal.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Mid)
        )
        painter.setBrush(pal.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(rect, 6, 6)
        thumb_rect = QRect(rect.left() + 6, rect.top() + 6, rect.width() - 12, THUMB_HEIGHT)
        image = index.data(StoryboardModel.ThumbnailRole)
        if isinstance(image, QImage) and not image.isNull():
            scaled = QPixmap.fromImage(image).scaled(
                thumb_rect.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            x = thumb_rect.left() + (thumb_rect.width() - scaled.width()) // 2
            y = thumb_rect.top() + (thumb_rect.height() - scaled.height()) // 2
            painter.drawPixmap(QPoint(x, y), scaled)
        else:
            painter.fillRect(thumb_rect, pal.color(QPalette.ColorRole.AlternateBase))
            painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            known = index.data(StoryboardModel.DurationRole) is not None
            painter.drawText(
                thumb_rect, Qt.AlignmentFlag.AlignCenter, "no preview" if known else "drawing…"
            )
        text_top = thumb_rect.bottom() + 6
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        title = f"{index.row() + 1}. {index.data(StoryboardModel.TypeRole)}"
        line = QRect(rect.left() + 8, text_top, rect.width() - 16, 18)
        painter.drawText(line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        duration = index.data(StoryboardModel.DurationRole)
        font.setBold(False)
        painter.setFont(font)
        if isinstance(duration, float):
            painter.drawText(
                line,
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{duration:.1f} s",
            )
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1.5))
        painter.setFont(font)
        painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
        excerpt = QRect(
            rect.left() + 8, text_top + 20, rect.width() - 16, rect.bottom() - text_top - 22
        )
        painter.drawText(
            excerpt,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
            str(index.data(StoryboardModel.ExcerptRole) or ""),
        )
        painter.restore()


class StoryboardView(QListView):
    """A horizontal strip of cards; a drop asks for a move instead of changing the model."""

    move_requested = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDropIndicatorShown(True)
        self.setItemDelegate(CardDelegate(self))
        self.setMinimumHeight(CARD_SIZE.height() + 24)
        self.setSpacing(2)

    def dropEvent(self, event: QDropEvent) -> None:
        """Turn the drop into a ``move_requested(source, target)``."""
        data = event.mimeData().data(MIME_SCENE)
        if data.isEmpty():
            event.ignore()
            return
        source = int(bytes(data.data()).decode())
        target_index = self.indexAt(event.position().toPoint())
        count = self.model().rowCount()
        if target_index.isValid():
            target = target_index.row()
            rect = self.visualRect(target_index)
            if event.position().x() > rect.center().x() and target < source:
                target += 1
            elif event.position().x() < rect.center().x() and target > source:
                target -= 1
        else:
            target = count - 1
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
        if target != source:
            self.move_requested.emit(source, target)


class StoryboardPanel(QWidget):
    """The storyboard strip with add / duplicate / delete / move buttons."""

    def __init__(
        self,
        document: ProjectDocument,
        store: Callable[[], ArtifactStore],
        *,
        speech_mode: str = "offline",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.model = StoryboardModel(document, store, speech_mode)
        self.view = StoryboardView(self)
        self.view.setModel(self.model)
        self.view.setObjectName("storyboard")
        self.add_menu = QMenu("Add scene", self)
        for scene_type in SCENE_TYPES:
            action = self.add_menu.addAction(scene_label(scene_type))
            action.setData(scene_type)
        self.add_menu.triggered.connect(
            lambda action: self._guarded(document.add_scene, action.data())
        )
        add = QToolButton(self)
        add.setText("Add scene")
        add.setMenu(self.add_menu)
        add.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.buttons: dict[str, QToolButton] = {"add": add}
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(add)
        for key, label, slot in (
            (
                "duplicate",
                "Duplicate",
                lambda: self._guarded(document.duplicate_scene, document.current),
            ),
            ("delete", "Delete", lambda: self._guarded(document.delete_scene, document.current)),
            ("left", "◀ Move", lambda: self._move(-1)),
            ("right", "Move ▶", lambda: self._move(1)),
        ):
            button = QToolButton(self)
            button.setText(label)
            button.clicked.connect(slot)
            bar.addWidget(button)
            self.buttons[key] = button
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.view)
        self.view.move_requested.connect(lambda s, t: self._guarded(document.move_scene, s, t))
        self.view.selectionModel().currentChanged.connect(self._on_view_current)
        document.current_changed.connect(self._on_document_current)
        document.reset.connect(lambda: self._on_document_current(document.current))
        document.scenes_changed.connect(lambda: self._on_document_current(document.current))
        document.video_changed.connect(lambda: self._on_document_current(document.current))

    def _guarded(self, fn: Callable[..., None], *args: Any) -> None:
        from pipeline.errors import StudioError
        from ui.errors import show_error

        try:
            fn(*args)
        except StudioError as error:
            show_error(error, self)

    def _move(self, step: int) -> None:
        current = self.document.current
        spec = self.document.spec
        if spec is not None and 0 <= current + step < len(spec.scenes):
            self._guarded(self.document.move_scene, current, current + step)

    def _on_view_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.document.set_current(current.row())

    def _on_document_current(self, row: int) -> None:
        index = self.model.index(row) if row >= 0 else QModelIndex()
        if self.view.currentIndex() != index:
            self.view.setCurrentIndex(index)
        if index.isValid():
            self.view.scrollTo(index)

    def card_count(self) -> int:
        """How many cards are shown."""
        return self.model.rowCount()
