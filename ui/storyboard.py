"""The storyboard: one card per scene (thumbnail, type, duration, narration excerpt).

Cards follow the :class:`~ui.document.ProjectDocument`. Thumbnails are drawn lazily, off the
GUI thread and in a helper process (:mod:`ui.thumbnailer` runs
:func:`pipeline.preview.scene_thumbnail`: the scene renderers at a small size, no speech
needed), one at a time: cards on screen first, then the others in order, so a 100-scene
project has every thumbnail within seconds. Durations
come the same way from :func:`pipeline.preview.scene_duration_s` (each scene's own speech) on
another thread. Both are cached by the content of the scene, so reordering, duplicating or
undoing draws nothing again. Reordering by drag and drop, adding, duplicating and deleting
all go through the document's undoable edits.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QDropEvent, QImage, QPainter, QPaintEvent, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pipeline.artifacts import ArtifactStore, content_key
from pipeline.models import SCENE_TYPES, VideoSpec
from pipeline.narration import narrate_scene
from pipeline.preview import scene_duration_s
from pipeline.render.base import RGBFrame
from pipeline.scene_types import REGISTRY
from ui import icons
from ui.document import ProjectDocument
from ui.operations import BackgroundOp, duration_pool, thumbnail_pool
from ui.thumbnailer import draw_thumbnail

MIME_SCENE = "application/x-videostudio-scene-index"
CARD_SIZE = QSize(200, 184)
THUMB_HEIGHT = 108
EXCERPT_CHARS = 58
THUMBNAIL_CACHE_SIZE = 400
"""Thumbnails kept in memory (about 250 KB each at 384 px wide)."""
UNDRAWN_FIELDS = frozenset({"scene_id", "narration", "voice", "min_duration_s", "max_duration_s"})
"""Scene fields a thumbnail does not depend on."""
CARDS_CACHED = 100
"""Card pictures kept for repainting (about 150 KB each); four times this at most."""


def rgb_to_image(frame: RGBFrame) -> QImage:
    """An RGB uint8 frame (H, W, 3) as a QImage that owns its pixels."""
    height, width, _ = frame.shape
    image = QImage(frame.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return image.copy()


def scene_label(scene_type: str) -> str:
    """``code_comparison`` → ``Code comparison`` (the descriptor's label)."""
    described = REGISTRY.get(scene_type)
    return described.label if described else scene_type.replace("_", " ").capitalize()


class CardLoader(QObject):
    """Computes card contents one at a time on its own thread: urgent requests (cards being
    painted) before background ones (the rest, in order); each key is computed once.

    Signals:
        ready(str, object): the value for a key (``None`` when it cannot be computed).
    """

    ready = Signal(str, object)

    def __init__(self, pool: QThreadPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = pool
        self._urgent: OrderedDict[str, Callable[[], object]] = OrderedDict()
        self._background: OrderedDict[str, Callable[[], object]] = OrderedDict()
        self._busy: str | None = None
        self.held = False
        """While held, requests wait (the durations wait for the thumbnails: one busy
        worker at a time keeps the GUI thread's share of the interpreter large)."""

    def hold(self, held: bool) -> None:
        """Hold back (or release) the waiting requests."""
        self.held = held
        self._next()

    def want(self, key: str, work: Callable[[], object], *, urgent: bool) -> None:
        """Ask for ``work()`` under ``key`` (ignored if it is being computed)."""
        if key == self._busy:
            return
        if urgent:
            self._background.pop(key, None)
            self._urgent[key] = work
            self._urgent.move_to_end(key, last=False)  # the newest painted card first
        elif key not in self._urgent:
            self._background[key] = work
        self._next()

    def forget_background(self) -> None:
        """Drop the waiting background requests (the document changed)."""
        self._background.clear()

    @property
    def idle(self) -> bool:
        """True when nothing is being computed or waiting."""
        return self._busy is None and not self._urgent and not self._background

    def _next(self) -> None:
        if self._busy is not None or self.held:
            return
        queue = self._urgent or self._background
        if not queue:
            return
        key, work = queue.popitem(last=False)
        self._busy = key

        def done(value: object) -> None:
            self._busy = None
            self.ready.emit(key, value)
            self._next()

        def failed(_error: BaseException) -> None:
            done(None)

        BackgroundOp(work, parent=self, pool=self._pool).success(done).failure(failed).run()


def _thumbnail_work(spec: VideoSpec, index: int) -> Callable[[], object]:
    def work() -> QImage | None:
        frame = draw_thumbnail(spec, index)
        return rgb_to_image(frame) if frame is not None else None

    return work


class StoryboardModel(QAbstractListModel):
    """Rows = scenes of the document. Thumbnails and durations arrive from the background."""

    ThumbnailRole = Qt.ItemDataRole.UserRole + 1
    DurationRole = Qt.ItemDataRole.UserRole + 2
    ExcerptRole = Qt.ItemDataRole.UserRole + 3
    TypeRole = Qt.ItemDataRole.UserRole + 4
    PendingRole = Qt.ItemDataRole.UserRole + 5
    CardRole = Qt.ItemDataRole.UserRole + 6
    """Everything a card shows, in one call: ``(type label, thumbnail or None, pending,
    duration or None, excerpt)``."""

    thumbnails_ready = Signal()
    """Every card has its thumbnail (or is known to have none)."""
    durations_ready = Signal()
    """Every card has its duration."""

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
        self._thumb_keys: list[str] = []
        self._duration_keys: list[str] = []
        self._excerpts: list[str | None] = []
        self._thumbs: OrderedDict[str, QImage | None] = OrderedDict()
        self._durations: dict[str, float | None] = {}
        self._thumbs_done = self._durations_done = False
        self.thumbnail_loader = CardLoader(thumbnail_pool(), self)
        self.duration_loader = CardLoader(duration_pool(), self)
        self.thumbnail_loader.ready.connect(self._on_thumbnail)
        self.duration_loader.ready.connect(self._on_duration)
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
        """Card content by role (asking for a missing thumbnail draws it, cards on screen first)."""
        spec = self.document.spec
        if spec is None or not index.isValid() or index.row() >= len(spec.scenes):
            return None
        row = index.row()
        scene = spec.scenes[row]
        if role == self.CardRole:
            return (
                scene_label(scene.scene_type),
                self.data(index, self.ThumbnailRole),
                self.data(index, self.PendingRole),
                self.data(index, self.DurationRole),
                self.data(index, self.ExcerptRole),
            )
        if role in (Qt.ItemDataRole.DisplayRole, self.TypeRole):
            return scene_label(scene.scene_type)
        if role == self.ThumbnailRole:
            key = self._thumb_keys[row]
            if key in self._thumbs:
                return self._thumbs[key]
            self.thumbnail_loader.want(key, _thumbnail_work(spec, row), urgent=True)
            return None
        if role == self.PendingRole:
            return self._thumb_keys[row] not in self._thumbs
        if role == self.DurationRole:
            key = self._duration_keys[row]
            if key in self._durations:
                return self._durations[key]
            self.duration_loader.want(key, self._duration_work(spec, row), urgent=True)
            return None
        if role == self.ExcerptRole:
            excerpt = self._excerpts[row]
            if excerpt is None:
                text = " ".join(
                    (scene.narration or narrate_scene(scene, language=spec.language)).split()
                )
                excerpt = text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
                self._excerpts[row] = excerpt
            return excerpt
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

    def _keys(self, spec: VideoSpec | None) -> None:
        self._thumb_keys, self._duration_keys = [], []
        if spec is None:
            self._excerpts = []
            return
        look = {
            "theme": spec.theme.model_dump(mode="json"),
            "format": spec.format.value,
            "fps": spec.fps,
        }
        voice = {"language": spec.language, "voice": spec.voice, "mode": self._speech_mode}
        for scene in spec.scenes:
            data = scene.model_dump(mode="json")
            # A thumbnail shows every item revealed and no captions: what is said, by which
            # voice, and the scene's id do not change it (a duplicate or a new narration
            # draws nothing again).
            drawn = {k: v for k, v in data.items() if k not in UNDRAWN_FIELDS}
            self._thumb_keys.append(content_key("card-thumbnail", {"scene": drawn, **look}))
            self._duration_keys.append(
                content_key("card-duration", {"scene": data, **voice, "fps": spec.fps})
            )
        self._excerpts = [None] * len(spec.scenes)

    def _on_structure(self) -> None:
        self.beginResetModel()
        self._keys(self.document.spec)
        self.endResetModel()
        self.refresh()

    def _on_scene(self, row: int) -> None:
        self._keys(self.document.spec)
        index = self.index(row)
        self.dataChanged.emit(index, index)
        self.refresh()

    def refresh(self) -> None:
        """Queue, in the background, every thumbnail and duration not known yet (cards being
        painted go first whenever they ask)."""
        spec = self.document.spec
        self.thumbnail_loader.forget_background()
        self.duration_loader.forget_background()
        if spec is None:
            return
        for row, key in enumerate(self._thumb_keys):
            if key not in self._thumbs:
                self.thumbnail_loader.want(key, _thumbnail_work(spec, row), urgent=False)
        if all(key in self._thumbs for key in self._thumb_keys):
            self._queue_durations()
        self._check_ready()

    def _duration_work(self, spec: VideoSpec, row: int) -> Callable[[], object]:
        store, mode = self._store(), self._speech_mode

        def work() -> float:
            return scene_duration_s(spec, row, store, speech_mode=mode)  # type: ignore[arg-type]

        return work

    def _queue_durations(self) -> None:
        """Voice every scene not measured yet, in order — after the thumbnails, which are
        cheaper and show more (cards on screen ask for theirs at once)."""
        spec = self.document.spec
        if spec is None:
            return
        for row, key in enumerate(self._duration_keys):
            if key not in self._durations:
                self.duration_loader.want(key, self._duration_work(spec, row), urgent=False)

    def _rows_of(self, keys: list[str], key: str) -> list[int]:
        return [row for row, k in enumerate(keys) if k == key]

    def _on_thumbnail(self, key: str, image: object) -> None:
        self._thumbs[key] = image if isinstance(image, QImage) else None
        self._thumbs.move_to_end(key)
        while len(self._thumbs) > THUMBNAIL_CACHE_SIZE:
            self._thumbs.popitem(last=False)
        for row in self._rows_of(self._thumb_keys, key):
            self.dataChanged.emit(self.index(row), self.index(row))
        self._check_ready()

    def _on_duration(self, key: str, duration: object) -> None:
        self._durations[key] = float(duration) if isinstance(duration, float) else None
        for row in self._rows_of(self._duration_keys, key):
            self.dataChanged.emit(self.index(row), self.index(row))
        self._check_ready()

    def _check_ready(self) -> None:
        """Emit ``thumbnails_ready`` / ``durations_ready`` once each time a set completes."""
        thumbs = bool(self._thumb_keys) and all(k in self._thumbs for k in self._thumb_keys)
        durations = bool(self._duration_keys) and all(
            k in self._durations for k in self._duration_keys
        )
        self.duration_loader.hold(not thumbs)
        if thumbs and not self._thumbs_done:
            self._thumbs_done = True
            self._queue_durations()
            self.thumbnails_ready.emit()
        if durations and not self._durations_done:
            self.durations_ready.emit()
        self._thumbs_done, self._durations_done = thumbs, durations

    def thumbnail_count(self) -> int:
        """How many cards have their thumbnail drawn."""
        return sum(1 for key in self._thumb_keys if self._thumbs.get(key) is not None)

    def durations_s(self) -> list[float | None]:
        """The known duration of each scene, in order (``None``: not measured yet)."""
        return [self._durations.get(key) for key in self._duration_keys]


class CardDelegate(QStyledItemDelegate):
    """Paints a scene card: thumbnail, number and type, duration, narration excerpt.

    Scaled thumbnails are kept (by image and size) so repainting a card scales nothing.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pixmaps: OrderedDict[tuple[int, int, int], QPixmap] = OrderedDict()
        self._cards: OrderedDict[tuple[Any, ...], QPixmap] = OrderedDict()

    def _scaled(self, image: QImage, size: QSize) -> QPixmap:
        key = (image.cacheKey(), size.width(), size.height())
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            pixmap = QPixmap.fromImage(image).scaled(
                size,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            self._pixmaps[key] = pixmap
            while len(self._pixmaps) > THUMBNAIL_CACHE_SIZE:
                self._pixmaps.popitem(last=False)
        return pixmap

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
        """Draw one card from its cached picture (drawn again only when something on it
        changed: few calls per paint keep scrolling smooth while workers are busy)."""
        card = index.data(StoryboardModel.CardRole)
        if card is None:
            return
        rect: QRect = option.rect  # type: ignore[attr-defined]
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        pal: QPalette = option.palette  # type: ignore[attr-defined]
        ratio = painter.device().devicePixelRatioF()
        image = card[1]
        key = (
            index.row(),
            card[0],
            image.cacheKey() if isinstance(image, QImage) else None,
            *card[2:],
            selected,
            rect.width(),
            rect.height(),
            pal.cacheKey(),
            ratio,
        )
        picture = self._cards.get(key)
        if picture is None:
            picture = self._draw_card(index.row(), card, rect.size(), selected, pal, ratio)
            self._cards[key] = picture
            while len(self._cards) > 4 * CARDS_CACHED:
                self._cards.popitem(last=False)
        painter.drawPixmap(rect.topLeft(), picture)

    def _draw_card(
        self,
        row: int,
        card: tuple[Any, ...],
        size: QSize,
        selected: bool,
        pal: QPalette,
        ratio: float,
    ) -> QPixmap:
        label, image, pending, duration, excerpt_text = card
        picture = QPixmap(size * ratio)
        picture.setDevicePixelRatio(ratio)
        picture.fill(Qt.GlobalColor.transparent)
        painter = QPainter(picture)
        rect = QRect(QPoint(0, 0), size).adjusted(4, 4, -4, -4)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(
            pal.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Mid)
        )
        painter.setBrush(pal.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(rect, 6, 6)
        thumb_rect = QRect(rect.left() + 6, rect.top() + 6, rect.width() - 12, THUMB_HEIGHT)
        if isinstance(image, QImage) and not image.isNull():
            scaled = self._scaled(image, thumb_rect.size())
            x = thumb_rect.left() + (thumb_rect.width() - scaled.width()) // 2
            y = thumb_rect.top() + (thumb_rect.height() - scaled.height()) // 2
            painter.drawPixmap(QPoint(x, y), scaled)
        else:
            painter.fillRect(thumb_rect, pal.color(QPalette.ColorRole.AlternateBase))
            painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(
                thumb_rect, Qt.AlignmentFlag.AlignCenter, "Drawing…" if pending else "No preview"
            )
        text_top = thumb_rect.bottom() + 6
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        line = QRect(rect.left() + 8, text_top, rect.width() - 16, 18)
        painter.drawText(
            line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{row + 1}. {label}"
        )
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
            excerpt_text,
        )
        painter.end()
        return picture


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
        self.setUniformItemSizes(True)  # layout never asks every card for its size
        self.setMinimumHeight(CARD_SIZE.height() + 24)
        self.setSpacing(2)

    def paintEvent(self, event: QPaintEvent) -> None:
        """The cards, or what to do when there are none."""
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(
                self.viewport().rect().adjusted(12, 12, -12, -12),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                "The scenes of the open project appear here as cards: drag to reorder, "
                "click to preview and edit.",
            )
            painter.end()

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
        add.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        icons.apply(add, "add")
        self.buttons: dict[str, QToolButton] = {"add": add}
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(add)
        for key, label, tip, slot in (
            (
                "duplicate",
                "Duplicate",
                "Duplicate the selected scene (Ctrl+D)",
                lambda: self._guarded(document.duplicate_scene, document.current),
            ),
            (
                "delete",
                "Delete",
                "Delete the selected scene (Del)",
                lambda: self._guarded(document.delete_scene, document.current),
            ),
            ("left", "Move left", "Move the selected scene earlier", lambda: self._move(-1)),
            ("right", "Move right", "Move the selected scene later", lambda: self._move(1)),
        ):
            button = QToolButton(self)
            button.setText(label)
            button.setToolTip(tip)
            button.setToolButtonStyle(
                Qt.ToolButtonStyle.ToolButtonIconOnly
                if key in ("left", "right")
                else Qt.ToolButtonStyle.ToolButtonTextBesideIcon
            )
            icons.apply(button, key)
            button.clicked.connect(slot)
            bar.addWidget(button)
            self.buttons[key] = button
        bar.addStretch(1)
        self.summary = QLabel(self)
        self.summary.setObjectName("storyboard_summary")
        bar.addWidget(self.summary)
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
        for signal in (
            document.reset,
            document.scenes_changed,
            self.model.durations_ready,
            self.model.dataChanged,
        ):
            signal.connect(self._update_summary)
        self._update_summary()

    def _update_summary(self, *_args: object) -> None:
        spec = self.document.spec
        if spec is None:
            self.summary.setText("")
            return
        durations = self.model.durations_s()
        count = f"{len(spec.scenes)} scene{'s' if len(spec.scenes) != 1 else ''}"
        if durations and all(d is not None for d in durations):
            total = sum(d for d in durations if d is not None)
            minutes, seconds = divmod(round(total), 60)
            self.summary.setText(f"{count} · {minutes}:{seconds:02d}")
        else:
            self.summary.setText(count)

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
