"""The storyboard: one card per scene (thumbnail, number and type, duration, narration excerpt).

Cards follow the :class:`~ui.document.ProjectDocument`. The strip stays smooth at 100 scenes
while thumbnails and durations are computed, because the GUI thread runs almost no Python for
it:

* **The model is Qt's own** (:class:`QStandardItemModel`): the view asks it for rows and data
  thousands of times while it lays out and paints, and none of those calls enters Python (a
  Python model would take the interpreter lock for each, and wait for it while a worker
  thread holds it).
* **Each card is one picture**, composed once when something on it changes (its thumbnail,
  duration, number, excerpt, selection, the theme) and painted by Qt's own delegate as the
  item's icon. Cards on screen are composed first; the others follow in small batches
  between events (:data:`COMPOSE_BUDGET_S` per batch), so the work per event is bounded
  however long the project is.
* **Thumbnails and durations come from the preview helper process** (:mod:`ui.helper` runs
  :func:`pipeline.preview.scene_thumbnail` and :func:`pipeline.preview.scene_duration_s`),
  one at a time per kind: the cards on screen first, then the others in order. Durations use
  the render's voice (the render plan's options), so the strip shows the render's length.

Both are cached by the content of the scene, so reordering, duplicating or undoing draws
nothing again. Reordering by drag and drop, adding, duplicating and deleting all go through the
document's undoable edits.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QMimeData,
    QModelIndex,
    QObject,
    QPoint,
    QRect,
    QSize,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QDropEvent,
    QIcon,
    QImage,
    QPainter,
    QPalette,
    QPixmap,
    QResizeEvent,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pipeline.artifacts import ArtifactStore
from pipeline.models import SCENE_TYPES, VideoSpec
from pipeline.narration import narrate_scene
from pipeline.render.base import RGBFrame
from pipeline.scene_types import REGISTRY
from ui import helper, icons, preview_tasks
from ui.document import ProjectDocument
from ui.helper import StoreRef
from ui.operations import BackgroundOp, duration_pool, thumbnail_pool
from ui.plan import PlanSource, fixed_plan

MIME_SCENE = "application/x-videostudio-scene-index"
CARD_SIZE = QSize(200, 184)
THUMB_HEIGHT = 108
EXCERPT_CHARS = 58
THUMBNAIL_CACHE_SIZE = 400
"""Thumbnails kept in memory (about 250 KB each at 384 px wide)."""
UNDRAWN_FIELDS = frozenset({"scene_id", "narration", "voice", "min_duration_s", "max_duration_s"})
"""Scene fields a thumbnail does not depend on."""
CARDS_CACHED = 400
"""Card pictures kept (about 150 KB each): enough for every card of a long project."""
COMPOSE_BUDGET_S = 0.006
"""Card pictures are composed in batches of at most this long between events, seconds."""
EMPTY_TEXT = (
    "The scenes of the open project appear here as cards: drag to reorder, click to preview "
    "and edit."
)


def rgb_to_image(frame: RGBFrame) -> QImage:
    """An RGB uint8 frame (H, W, 3) as a QImage that owns its pixels."""
    height, width, _ = frame.shape
    image = QImage(frame.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return image.copy()


def scene_label(scene_type: str) -> str:
    """``code_comparison`` → ``Code comparison`` (the descriptor's label)."""
    described = REGISTRY.get(scene_type)
    return described.label if described else scene_type.replace("_", " ").capitalize()


def excerpt_of(text: str) -> str:
    """The start of a narration on one card (whitespace folded, at most
    :data:`EXCERPT_CHARS` characters, "…" when cut)."""
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _digest(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()


class CardLoader(QObject):
    """Computes card contents one at a time on its own thread: urgent requests (cards on
    screen) before background ones (the rest, in order); each key is computed once.

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
        """While held, requests wait (the durations wait for the thumbnails, which show more
        and cost less)."""

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
            self._urgent.move_to_end(key, last=False)  # the newest visible card first
        elif key not in self._urgent:
            self._background[key] = work
        self._next()

    def forget_background(self) -> None:
        """Drop the waiting background requests (the document changed)."""
        self._background.clear()

    def forget(self) -> None:
        """Drop every waiting request (a project was closed or another opened)."""
        self._urgent.clear()
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
    one = spec.model_copy(update={"scenes": [spec.scenes[index]]})

    def work() -> QImage | None:
        frame = helper.call("thumbnails", preview_tasks.thumbnail, one, 0)
        if frame is None:
            return None
        # The format cards are painted in: composing a card then blits it (3x cheaper).
        return rgb_to_image(frame).convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)

    return work


def _excerpts_work(scenes: list[tuple[str, Any]], language: str) -> Callable[[], object]:
    def work() -> dict[str, str]:
        return {
            key: excerpt_of(scene.narration or narrate_scene(scene, language=language))
            for key, scene in scenes
        }

    return work


def compose_card(
    number: int,
    label: str,
    image: QImage | None,
    pending: bool,
    duration_s: float | None,
    excerpt: str,
    *,
    selected: bool,
    palette: QPalette,
    ratio: float,
) -> QPixmap:
    """One card's picture: the thumbnail, ``"<number>. <label>"``, the duration and the
    narration excerpt, framed in the highlight colour when ``selected``.

    Returns a :data:`CARD_SIZE` pixmap at ``ratio`` device pixels per pixel. GUI thread.
    """
    picture = QPixmap(CARD_SIZE * ratio)
    picture.setDevicePixelRatio(ratio)
    picture.fill(Qt.GlobalColor.transparent)
    painter = QPainter(picture)
    rect = QRect(QPoint(0, 0), CARD_SIZE).adjusted(3, 3, -3, -3)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = painter.pen()
    pen.setColor(
        palette.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Mid)
    )
    pen.setWidthF(3.0 if selected else 1.0)
    painter.setPen(pen)
    painter.setBrush(palette.color(QPalette.ColorRole.Base))
    painter.drawRoundedRect(rect, 6, 6)
    thumb_rect = QRect(rect.left() + 6, rect.top() + 6, rect.width() - 12, THUMB_HEIGHT)
    if image is not None and not image.isNull():
        scaled = image.scaled(
            thumb_rect.size() * ratio,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        scaled.setDevicePixelRatio(ratio)
        width, height = round(scaled.width() / ratio), round(scaled.height() / ratio)
        x = thumb_rect.left() + (thumb_rect.width() - width) // 2
        y = thumb_rect.top() + (thumb_rect.height() - height) // 2
        painter.drawImage(QPoint(x, y), scaled)
    else:
        painter.fillRect(thumb_rect, palette.color(QPalette.ColorRole.AlternateBase))
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(
            thumb_rect, Qt.AlignmentFlag.AlignCenter, "Drawing…" if pending else "No preview"
        )
    text_top = thumb_rect.bottom() + 6
    painter.setPen(palette.color(QPalette.ColorRole.Text))
    font = painter.font()
    font.setBold(True)
    painter.setFont(font)
    line = QRect(rect.left() + 8, text_top, rect.width() - 16, 18)
    painter.drawText(
        line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{number}. {label}"
    )
    font.setBold(False)
    painter.setFont(font)
    if duration_s is not None:
        painter.drawText(
            line, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{duration_s:.1f} s"
        )
    font.setPointSizeF(max(7.0, font.pointSizeF() - 1.5))
    painter.setFont(font)
    painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
    excerpt_rect = QRect(
        rect.left() + 8, text_top + 20, rect.width() - 16, rect.bottom() - text_top - 22
    )
    painter.drawText(
        excerpt_rect,
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
        excerpt,
    )
    painter.end()
    return picture


class StoryboardModel(QStandardItemModel):
    """Rows = scenes of the document, as Qt's own item model; each item's icon is its card.

    Roles (besides the icon): :attr:`TypeRole` (the type's label), :attr:`ThumbnailRole`
    (the thumbnail as a QImage, once drawn), :attr:`DurationRole` (seconds, once measured),
    :attr:`ExcerptRole` and :attr:`PendingRole` (the thumbnail is still being drawn).

    Args:
        document: the project being edited.
        store: the content cache in this process (speech for the durations).
        speech_mode: the voices' speech mode when no ``plan`` is given.
        cache_address: the same cache for the helper process (``studio.cache_address()``);
            without it durations are measured in this process.
        plan: the render plan (the durations use the render's voice).

    Signals:
        thumbnails_ready(): every card has its thumbnail (or is known to have none).
        durations_ready(): every card has its duration.
    """

    ThumbnailRole = Qt.ItemDataRole.UserRole + 1
    DurationRole = Qt.ItemDataRole.UserRole + 2
    ExcerptRole = Qt.ItemDataRole.UserRole + 3
    TypeRole = Qt.ItemDataRole.UserRole + 4
    PendingRole = Qt.ItemDataRole.UserRole + 5

    thumbnails_ready = Signal()
    durations_ready = Signal()

    def __init__(
        self,
        document: ProjectDocument,
        store: Callable[[], ArtifactStore],
        speech_mode: str = "offline",
        *,
        cache_address: object | None = None,
        plan: PlanSource | None = None,
    ) -> None:
        super().__init__(document)
        self.setColumnCount(1)
        self.document = document
        self._store = StoreRef(store, cache_address)
        self.plan = plan or fixed_plan(speech_mode)
        self._thumb_keys: list[str] = []
        self._duration_keys: list[str] = []
        self._scene_keys: dict[int, tuple[object, str, str]] = {}
        self._thumbs: OrderedDict[str, QImage | None] = OrderedDict()
        self._durations: dict[str, float | None] = {}
        self._excerpts: dict[str, str] = {}
        self._thumbs_done = self._durations_done = False
        self._selected = -1
        self._palette = QPalette()
        self._ratio = 1.0
        self._cards: OrderedDict[tuple[Any, ...], QIcon] = OrderedDict()
        self._card_shown: list[tuple[Any, ...] | None] = []
        self._dirty: set[int] = set()
        self._visible: Callable[[], range] = lambda: range(0)
        self._composer = QTimer(self)
        self._composer.setSingleShot(True)
        self._composer.setInterval(0)
        self._composer.timeout.connect(self._compose_some)
        self.thumbnail_loader = CardLoader(thumbnail_pool(), self)
        self.duration_loader = CardLoader(duration_pool(), self)
        self.thumbnail_loader.ready.connect(self._on_thumbnail)
        self.duration_loader.ready.connect(self._on_duration)
        document.reset.connect(self._on_structure)
        document.scenes_changed.connect(self._on_structure)
        document.scene_changed.connect(self._on_scene)
        document.video_changed.connect(self._on_structure)

    # -- drag and drop (called by Qt only while dragging) ---------------------------------------

    def mimeTypes(self) -> list[str]:
        """The drag carries the scene index."""
        return [MIME_SCENE]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # type: ignore[override]
        """Encode the dragged scene's index."""
        mime = QMimeData()
        if indexes:
            mime.setData(MIME_SCENE, str(indexes[0].row()).encode())
        return mime

    def supportedDropActions(self) -> Qt.DropAction:
        """Cards move."""
        return Qt.DropAction.MoveAction

    # -- the look ------------------------------------------------------------------------------

    def set_look(self, palette: QPalette, ratio: float) -> None:
        """The palette and device pixel ratio cards are drawn with (all cards are redrawn,
        those on screen first)."""
        if palette.cacheKey() == self._palette.cacheKey() and ratio == self._ratio:
            return
        self._palette = QPalette(palette)
        self._ratio = ratio
        self._cards.clear()
        self._mark_dirty(range(self.rowCount()))

    def set_visible_rows(self, visible: Callable[[], range]) -> None:
        """How to find the rows on screen (composed and computed first)."""
        self._visible = visible

    def set_selected(self, row: int) -> None:
        """Frame card ``row`` as selected (-1: none)."""
        if row == self._selected:
            return
        old, self._selected = self._selected, row
        self._mark_dirty([r for r in (old, row) if 0 <= r < self.rowCount()])

    def set_plan(self, plan: PlanSource, *, refresh: bool = True) -> None:
        """Measure durations with another render plan (the settings or the project's render
        choices changed); scenes are voiced again only if the plan speaks differently.
        ``refresh=False`` when the document is about to be reset anyway."""
        speaks_differently = plan.speech_key != self.plan.speech_key
        self.plan = plan
        if speaks_differently:
            self._scene_keys.clear()
            if refresh:
                self._on_structure()

    # -- document events -------------------------------------------------------------------

    def _keys(self, spec: VideoSpec | None) -> None:
        self._thumb_keys, self._duration_keys = [], []
        if spec is None:
            self._scene_keys.clear()
            return
        look = f"{spec.theme.model_dump_json()}|{spec.format.value}|{spec.fps}"
        voice = f"{spec.language}|{spec.voice}|{spec.fps}|{self.plan.speech_key}"
        known = self._scene_keys
        fresh: dict[int, tuple[object, str, str]] = {}
        for scene in spec.scenes:
            # Scenes are immutable values: an edit replaces the scenes it changes, so the keys
            # of the others are reused (a 100-scene edit hashes one scene, not a hundred).
            entry = known.get(id(scene))
            if entry is None or entry[0] is not scene:
                drawn = scene.model_dump_json(exclude=set(UNDRAWN_FIELDS))
                # A thumbnail shows every item revealed and no captions: what is said, by
                # which voice, and the scene's id do not change it.
                entry = (
                    scene,
                    _digest("card-thumbnail", look, drawn),
                    _digest("card-duration", voice, scene.model_dump_json()),
                )
            fresh[id(scene)] = entry
            self._thumb_keys.append(entry[1])
            self._duration_keys.append(entry[2])
        self._scene_keys = fresh

    def _on_structure(self) -> None:
        spec = self.document.spec
        self._keys(spec)
        count = len(self._thumb_keys)
        if count != self.rowCount():
            self.setRowCount(count)
        flags = (
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        )
        if spec is not None:
            for row, scene in enumerate(spec.scenes):
                item = self.item(row)
                if item is None:
                    item = QStandardItem()
                    item.setFlags(flags)
                    self.setItem(row, item)
                label = scene_label(scene.scene_type)
                if item.data(self.TypeRole) != label:
                    item.setData(label, self.TypeRole)
                    item.setData(f"Scene {row + 1}: {label}", Qt.ItemDataRole.AccessibleTextRole)
                self._set_item_values(row, item)
        self._card_shown = [None] * count
        self._mark_dirty(range(count))
        self._queue_excerpts()
        self.refresh()

    def _on_scene(self, row: int) -> None:
        self._keys(self.document.spec)
        if 0 <= row < self.rowCount():
            item = self.item(row)
            if item is not None:
                self._set_item_values(row, item)
            self._mark_dirty([row])
        self._queue_excerpts()
        self.refresh()

    def _set_item_values(self, row: int, item: QStandardItem) -> None:
        thumb = self._thumbs.get(self._thumb_keys[row])
        item.setData(thumb, self.ThumbnailRole)
        item.setData(self._thumb_keys[row] not in self._thumbs, self.PendingRole)
        item.setData(self._durations.get(self._duration_keys[row]), self.DurationRole)

    def refresh(self) -> None:
        """Queue, in the background, every thumbnail and duration not known yet (cards on
        screen first)."""
        spec = self.document.spec
        self.thumbnail_loader.forget()
        self.duration_loader.forget()
        if spec is None:
            return
        visible = set(self._visible())
        for row, key in enumerate(self._thumb_keys):
            if key not in self._thumbs:
                self.thumbnail_loader.want(key, _thumbnail_work(spec, row), urgent=row in visible)
        if all(key in self._thumbs for key in self._thumb_keys):
            self._queue_durations()
        self._check_ready()

    def visible_rows_changed(self) -> None:
        """The strip scrolled or resized: the cards now on screen go first."""
        spec = self.document.spec
        if spec is None:
            return
        for row in self._visible():
            if 0 <= row < len(self._thumb_keys):
                key = self._thumb_keys[row]
                if key not in self._thumbs:
                    self.thumbnail_loader.want(key, _thumbnail_work(spec, row), urgent=True)
                key = self._duration_keys[row]
                if self._thumbs_done and key not in self._durations:
                    self.duration_loader.want(key, self._duration_work(spec, row), urgent=True)
        if self._dirty:
            self._composer.start()

    def _duration_work(self, spec: VideoSpec, row: int) -> Callable[[], object]:
        store, plan = self._store, self.plan

        def work() -> float:
            render = plan(spec)
            one = render.spec.model_copy(update={"scenes": [render.spec.scenes[row]]})
            return helper.call(
                "durations", preview_tasks.duration, one, 0, render.options, store=store
            )

        return work

    def _queue_durations(self) -> None:
        """Voice every scene not measured yet, in order (cards on screen first) — after the
        thumbnails, which are cheaper and show more."""
        spec = self.document.spec
        if spec is None:
            return
        visible = set(self._visible())
        for row, key in enumerate(self._duration_keys):
            if key not in self._durations:
                self.duration_loader.want(
                    key, self._duration_work(spec, row), urgent=row in visible
                )

    def _rows_of(self, keys: list[str], key: str) -> list[int]:
        return [row for row, k in enumerate(keys) if k == key]

    def _on_thumbnail(self, key: str, image: object) -> None:
        self._thumbs[key] = image if isinstance(image, QImage) else None
        self._thumbs.move_to_end(key)
        while len(self._thumbs) > THUMBNAIL_CACHE_SIZE:
            self._thumbs.popitem(last=False)
        rows = self._rows_of(self._thumb_keys, key)
        for row in rows:
            item = self.item(row)
            if item is not None:
                item.setData(self._thumbs[key], self.ThumbnailRole)
                item.setData(False, self.PendingRole)
        self._mark_dirty(rows)
        self._check_ready()

    def _on_duration(self, key: str, duration: object) -> None:
        self._durations[key] = float(duration) if isinstance(duration, float) else None
        rows = self._rows_of(self._duration_keys, key)
        for row in rows:
            item = self.item(row)
            if item is not None:
                item.setData(self._durations[key], self.DurationRole)
        self._mark_dirty(rows)
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

    # -- card pictures ---------------------------------------------------------------------

    def _mark_dirty(self, rows: Any) -> None:
        self._dirty.update(rows)
        if self._dirty:
            self._composer.start()

    def _excerpt(self, spec: VideoSpec, row: int) -> str:
        """The card's excerpt: the scene's own narration at once; generated narration is
        written on a worker thread (:meth:`_queue_excerpts`), "" until it arrives."""
        key = self._duration_keys[row]  # the scene's whole content and the language
        excerpt = self._excerpts.get(key)
        if excerpt is None:
            narration = spec.scenes[row].narration
            if narration is None:
                return ""
            excerpt = self._excerpts[key] = excerpt_of(narration)
        return excerpt

    def _queue_excerpts(self) -> None:
        """Write the generated narration of the scenes without their own, off the GUI thread
        (about 1 ms each), those on screen first."""
        spec = self.document.spec
        if spec is None:
            return
        if len(self._excerpts) > 4 * CARDS_CACHED:
            self._excerpts.clear()
        visible = set(self._visible())
        rows = sorted(
            (row for row, scene in enumerate(spec.scenes) if scene.narration is None),
            key=lambda row: (row not in visible, row),
        )
        wanted = [
            (self._duration_keys[row], spec.scenes[row])
            for row in rows
            if self._duration_keys[row] not in self._excerpts
        ]
        if not wanted:
            return
        BackgroundOp(_excerpts_work(wanted, spec.language), parent=self).success(
            self._on_excerpts
        ).failure(lambda _error: None).run()

    def _on_excerpts(self, excerpts: object) -> None:
        if not isinstance(excerpts, dict):
            return
        self._excerpts.update(excerpts)
        rows = [row for row, key in enumerate(self._duration_keys) if key in excerpts]
        self._mark_dirty(rows)

    def _compose_some(self) -> None:
        """Compose dirty cards — those on screen first — for at most
        :data:`COMPOSE_BUDGET_S`, then let events through and go on."""
        spec = self.document.spec
        if spec is None or not self._dirty:
            self._dirty.clear()
            return
        count = len(spec.scenes)
        self._dirty = {row for row in self._dirty if row < count}
        visible = [row for row in self._visible() if row in self._dirty]
        order = visible + sorted(self._dirty.difference(visible))
        deadline = time.perf_counter() + COMPOSE_BUDGET_S
        for row in order:
            self._dirty.discard(row)
            self._compose(spec, row)
            if time.perf_counter() > deadline:
                break
        if self._dirty:
            self._composer.start()

    def _compose(self, spec: VideoSpec, row: int) -> None:
        item = self.item(row)
        if item is None:
            return
        thumb_key, duration_key = self._thumb_keys[row], self._duration_keys[row]
        image = self._thumbs.get(thumb_key)
        pending = thumb_key not in self._thumbs
        duration = self._durations.get(duration_key)
        excerpt = self._excerpt(spec, row)
        key = (
            row,
            thumb_key,
            image.cacheKey() if image is not None else None,
            pending,
            duration,
            excerpt,
            row == self._selected,
            self._palette.cacheKey(),
            self._ratio,
        )
        if self._card_shown[row] == key:
            return
        icon = self._cards.get(key)
        if icon is None:
            label = scene_label(spec.scenes[row].scene_type)
            picture = compose_card(
                row + 1,
                label,
                image,
                pending,
                duration,
                excerpt,
                selected=row == self._selected,
                palette=self._palette,
                ratio=self._ratio,
            )
            icon = QIcon()
            icon.addPixmap(picture, QIcon.Mode.Normal)
            icon.addPixmap(picture, QIcon.Mode.Selected)  # the frame shows the selection
            self._cards[key] = icon
            while len(self._cards) > CARDS_CACHED:
                self._cards.popitem(last=False)
        self._card_shown[row] = key
        item.setData(icon, Qt.ItemDataRole.DecorationRole)
        scene = spec.scenes[row]
        item.setData(scene.narration or excerpt, Qt.ItemDataRole.ToolTipRole)
        item.setData(excerpt, self.ExcerptRole)

    def cards_composed(self) -> bool:
        """True when every card shows its current picture."""
        return not self._dirty

    # -- queries ---------------------------------------------------------------------------

    def thumbnail_count(self) -> int:
        """How many cards have their thumbnail drawn."""
        return sum(1 for key in self._thumb_keys if self._thumbs.get(key) is not None)

    def durations_s(self) -> list[float | None]:
        """The known duration of each scene, in order (``None``: not measured yet)."""
        return [self._durations.get(key) for key in self._duration_keys]


class StoryboardView(QListView):
    """A horizontal strip of cards painted by Qt's own delegate; a drop asks for a move
    instead of changing the model.

    Signals:
        move_requested(int, int): move the scene at the first row to the second.
        visible_changed(): the cards on screen changed (scrolled or resized).
    """

    move_requested = Signal(int, int)
    visible_changed = Signal()

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
        self.setIconSize(CARD_SIZE)
        self.setUniformItemSizes(True)  # layout never asks every card for its size
        self.setMinimumHeight(CARD_SIZE.height() + 28)
        self.setSpacing(2)
        self.horizontalScrollBar().valueChanged.connect(lambda _v: self.visible_changed.emit())
        self.horizontalScrollBar().rangeChanged.connect(lambda _a, _b: self.visible_changed.emit())

    def visible_rows(self) -> range:
        """The rows whose cards are (at least partly) on screen."""
        model = self.model()
        count = model.rowCount() if model is not None else 0
        if count == 0:
            return range(0)
        viewport = self.viewport().rect()
        middle = viewport.center().y()
        first = self.indexAt(QPoint(viewport.left() + 1, middle))
        last = self.indexAt(QPoint(viewport.right() - 1, middle))
        start = first.row() if first.isValid() else 0
        if last.isValid():
            end = last.row() + 1
        else:  # past the last card, or between two cards: estimate from the card width
            step = max(1, CARD_SIZE.width())
            end = min(count, start + viewport.width() // step + 2)
        return range(start, min(count, end))

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Cards newly on screen go first."""
        super().resizeEvent(event)
        self.visible_changed.emit()

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
    """The storyboard strip with add / duplicate / delete / move buttons.

    Args:
        document: the project being edited.
        store: the content cache in this process.
        speech_mode: the voices' speech mode when no ``plan`` is given.
        cache_address: the same cache for the helper process (``studio.cache_address()``).
        plan: the render plan (durations use the render's voice).
    """

    def __init__(
        self,
        document: ProjectDocument,
        store: Callable[[], ArtifactStore],
        *,
        speech_mode: str = "offline",
        cache_address: object | None = None,
        plan: PlanSource | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.model = StoryboardModel(
            document, store, speech_mode, cache_address=cache_address, plan=plan
        )
        self.view = StoryboardView(self)
        self.view.setModel(self.model)
        self.view.setObjectName("storyboard")
        self.empty = QLabel(EMPTY_TEXT, self)
        self.empty.setObjectName("storyboard_empty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)  # placeholder colour
        self.empty.setMinimumHeight(CARD_SIZE.height() + 28)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.empty)
        self.pages.addWidget(self.view)
        self.model.set_visible_rows(self.view.visible_rows)
        self.view.visible_changed.connect(self.model.visible_rows_changed)
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
        layout.addWidget(self.pages)
        self.view.move_requested.connect(lambda s, t: self._guarded(document.move_scene, s, t))
        self.view.selectionModel().currentChanged.connect(self._on_view_current)
        document.current_changed.connect(self._on_document_current)
        for signal in (document.reset, document.scenes_changed, document.video_changed):
            signal.connect(lambda: self._on_document_current(document.current))
        for signal in (document.reset, document.scenes_changed, self.model.durations_ready):
            signal.connect(self._update_summary)
        self.model.duration_loader.ready.connect(self._update_summary)
        self._update_look()
        self._update_summary()

    def changeEvent(self, event: QEvent) -> None:
        """Redraw the cards in the new palette (light/dark theme)."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._update_look()

    def _update_look(self) -> None:
        self.model.set_look(self.view.palette(), self.view.devicePixelRatioF())

    def _update_summary(self, *_args: object) -> None:
        spec = self.document.spec
        self.pages.setCurrentIndex(1 if spec is not None and spec.scenes else 0)
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
        index = self.model.index(row, 0) if row >= 0 else QModelIndex()
        self.model.set_selected(row)
        if self.view.currentIndex() != index:
            self.view.setCurrentIndex(index)
        if index.isValid():
            self.view.scrollTo(index)

    def set_plan(self, plan: PlanSource, *, refresh: bool = True) -> None:
        """Measure durations with another render plan (see :meth:`StoryboardModel.set_plan`)."""
        self.model.set_plan(plan, refresh=refresh)

    def card_count(self) -> int:
        """How many cards are shown."""
        return self.model.rowCount()


__all__ = [
    "CARD_SIZE",
    "CardLoader",
    "StoryboardModel",
    "StoryboardPanel",
    "StoryboardView",
    "compose_card",
    "excerpt_of",
    "rgb_to_image",
    "scene_label",
]
