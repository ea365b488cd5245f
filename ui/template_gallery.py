"""The template gallery: every template as a card — a thumbnail drawn by the encoder's own
renderers, the name, the kind, the format and the length — with search and a kind filter.

Used by the new-project wizard (pick a template) and by the main window's Templates dock
(use, edit, copy, make, import, export, delete). The list is read off the GUI thread
(:meth:`studio.templates.entries <studio.templates.TemplateLibrary.entries>`); thumbnails are
drawn one at a time on a worker thread from each template filled with sample values
(:func:`pipeline.templates.samples.cached_template_thumbnail_png`) and kept in the content
cache, so the second time the gallery opens they appear at once.

The cards are a ``QListWidget`` in icon mode (row ``i`` is the ``i``-th template of
:attr:`TemplateGallery.entries`; filtering hides rows), so code that knows a list widget —
``count()``, ``setCurrentRow()``, ``currentRowChanged`` — can drive it.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from pipeline.templates import KIND_NAMES
from pipeline.templates.samples import (
    GALLERY_THUMBNAIL_WIDTH_PX,
    cached_template_thumbnail_png,
    format_length,
)
from studio.api import Studio, TemplateEntry
from ui.operations import BackgroundOp

log = logging.getLogger(__name__)

CARD_SIZE = QSize(212, 256)
THUMB_BOX = QSize(196, 146)
IdRole = Qt.ItemDataRole.UserRole + 1
EntryRole = Qt.ItemDataRole.UserRole + 2
ThumbRole = Qt.ItemDataRole.UserRole + 3

KIND_FILTERS: tuple[tuple[str, str | None], ...] = (
    ("All templates", None),
    ("Ads", "ad"),
    ("Persona clips", "persona"),
    ("Tutorials", "tutorial"),
    ("My templates", "user"),
)
"""The kind filter's choices: label and the kind (``None``: all; ``user``: your own)."""

_thumbnails: dict[str, QImage] = {}
"""Thumbnails drawn in this process, by the template's thumbnail key (QImage is shareable)."""


class Msg:
    """Every user-facing text of the gallery, in one place."""

    search = "Search templates"
    count = "{shown} of {total} templates"
    loading = "Reading templates…"
    drawing = "drawing…"
    no_match = "No template matches. Clear the search or pick another kind."
    broken = "{n} of your template files could not be read: {names} (see `videostudio templates`)"


def card_meta(entry: TemplateEntry) -> str:
    """``"Ad · 9:16 · 28–33 s"`` — kind, format and length of a card."""
    length = format_length(entry.length_s) if entry.length_s[1] else "?"
    return f"{KIND_NAMES.get(entry.kind, entry.kind)} · {entry.format} · {length}"


class CardDelegate(QStyledItemDelegate):
    """Paints a template card: thumbnail (letterboxed), name, kind · format · length, and a
    badge saying whose it is."""

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
        entry: TemplateEntry | None = index.data(EntryRole)
        if entry is None:
            return
        palette = option.palette
        rect: QRect = option.rect.adjusted(4, 4, -4, -4)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        base = palette.color(QPalette.ColorRole.Base)
        border = palette.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Mid)
        painter.setPen(QPen(border, 3 if selected else 1))
        painter.setBrush(base)
        painter.drawRoundedRect(rect, 8, 8)
        thumb_rect = QRect(rect.left() + 4, rect.top() + 4, rect.width() - 8, THUMB_BOX.height())
        painter.fillRect(thumb_rect, QColor("#1f2430"))
        image: QImage | None = index.data(ThumbRole)
        if image is not None and not image.isNull():
            scaled = image.scaled(
                thumb_rect.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            x = thumb_rect.left() + (thumb_rect.width() - scaled.width()) // 2
            y = thumb_rect.top() + (thumb_rect.height() - scaled.height()) // 2
            painter.drawImage(x, y, scaled)
        else:
            painter.setPen(QColor("#9aa3b2"))
            painter.drawText(thumb_rect, Qt.AlignmentFlag.AlignCenter, Msg.drawing)
        badge = "Yours" if not entry.read_only else "Built-in"
        font = QFont(option.font)
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1.5))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        badge_rect = QRect(0, 0, metrics.horizontalAdvance(badge) + 12, metrics.height() + 4)
        badge_rect.moveTopRight(thumb_rect.topRight() + QRect(0, 0, 0, 0).topLeft())
        badge_rect.translate(-4, 4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#16a34a") if not entry.read_only else QColor(0, 0, 0, 150))
        painter.drawRoundedRect(badge_rect, 6, 6)
        painter.setPen(QColor("white"))
        painter.drawText(badge_rect, Qt.AlignmentFlag.AlignCenter, badge)
        text_rect = QRect(
            rect.left() + 8,
            thumb_rect.bottom() + 6,
            rect.width() - 16,
            rect.bottom() - thumb_rect.bottom() - 8,
        )
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        name = painter.fontMetrics().elidedText(
            entry.name, Qt.TextElideMode.ElideRight, text_rect.width()
        )
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, name)
        painter.setFont(option.font)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        meta_rect = text_rect.adjusted(0, painter.fontMetrics().height() + 4, 0, 0)
        meta = painter.fontMetrics().elidedText(
            card_meta(entry), Qt.TextElideMode.ElideRight, meta_rect.width()
        )
        painter.drawText(meta_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, meta)
        painter.setFont(font)
        line = painter.fontMetrics().height()
        description_rect = meta_rect.adjusted(0, painter.fontMetrics().height() + 6, 0, 0)
        description_rect.setHeight(min(description_rect.height(), 2 * line + 2))
        painter.drawText(
            description_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
            _elide_lines(painter, entry.description, description_rect.width(), 2),
        )
        painter.restore()


def _elide_lines(painter: QPainter, text: str, width: int, lines: int) -> str:
    """``text`` cut to fit ``lines`` lines of ``width`` pixels (ending with "…")."""
    metrics = painter.fontMetrics()
    words, out, current = text.split(), [], ""
    for word in words:
        trial = f"{current} {word}".strip()
        if metrics.horizontalAdvance(trial) <= width or not current:
            current = trial
            continue
        out.append(current)
        current = word
        if len(out) == lines:
            break
    if len(out) < lines and current:
        out.append(current)
        current = ""
    if len(out) == lines and (current or len(" ".join(out).split()) < len(words)):
        out[-1] = metrics.elidedText(out[-1] + " …", Qt.TextElideMode.ElideRight, width)
    return "\n".join(out)


class TemplateCards(QListWidget):
    """The cards (a list widget in icon mode; see the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("template_cards")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setGridSize(CARD_SIZE)
        self.setSelectionMode(QListWidget.SelectionMode.SingleSelection)
        self.setWrapping(True)
        self.setItemDelegate(CardDelegate(self))
        self.setMinimumSize(CARD_SIZE.width() + 24, CARD_SIZE.height() + 12)


class TemplateGallery(QWidget):
    """Search, a kind filter and the template cards.

    Args:
        studio: the templates (``studio.templates``) and the cache thumbnails are kept in.

    Signals:
        loaded(): the list was (re)read; :attr:`entries` is current.
        current_changed(str): the selected template's id (``""``: none).
        activated(str): a card was double-clicked or Enter was pressed on it.
        thumbnails_done(): every card has its thumbnail.
    """

    loaded = Signal()
    current_changed = Signal(str)
    activated = Signal(str)
    thumbnails_done = Signal()

    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.entries: list[TemplateEntry] = []
        self._queue: list[int] = []
        self._drawing = False
        self._generation = 0
        self._pending_select: str | None = None
        # ignore_cleanup_errors: the gallery can be destroyed while a worker still writes a
        # thumbnail here (the window closed mid-drawing); rmtree must not raise in Qt's loop.
        self._staging = tempfile.TemporaryDirectory(
            prefix="videostudio-thumbs-", ignore_cleanup_errors=True
        )
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(Msg.search)
        self.search.setClearButtonEnabled(True)
        self.kind_combo = QComboBox(self)
        for label, kind in KIND_FILTERS:
            self.kind_combo.addItem(label, kind)
        self.count_label = QLabel(Msg.loading, self)
        self.broken_label = QLabel(self)
        self.broken_label.setWordWrap(True)
        self.broken_label.hide()
        self.cards = TemplateCards(self)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.kind_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.cards, 1)
        layout.addWidget(self.count_label)
        layout.addWidget(self.broken_label)
        self.search.textChanged.connect(lambda _text: self.apply_filter())
        self.kind_combo.currentIndexChanged.connect(lambda _row: self.apply_filter())
        self.cards.currentRowChanged.connect(self._on_row)
        self.cards.itemActivated.connect(lambda item: self.activated.emit(str(item.data(IdRole))))
        self.destroyed.connect(self._staging.cleanup)
        self.reload()

    # -- reading ---------------------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        """Read the templates again (off the GUI thread), then select ``select`` if given
        (else keep the selection)."""
        self._pending_select = select or self.current_id() or self._pending_select
        library = self.studio.templates
        BackgroundOp(lambda: (library.entries(), library.broken()), parent=self).success(
            self._on_loaded
        ).run()

    def _on_loaded(self, result: tuple[list[TemplateEntry], list[object]]) -> None:
        entries, broken = result
        self._generation += 1
        self.entries = entries
        self.cards.blockSignals(True)
        self.cards.clear()
        for entry in entries:
            item = QListWidgetItem(entry.name)
            item.setData(IdRole, entry.id)
            item.setData(EntryRole, entry)
            item.setToolTip(f"{entry.name}\n{card_meta(entry)}\n\n{entry.description}".strip())
            item.setSizeHint(CARD_SIZE)
            key = _thumb_key(entry)
            if key in _thumbnails:
                item.setData(ThumbRole, _thumbnails[key])
            self.cards.addItem(item)
        self.cards.blockSignals(False)
        names = [Path(str(getattr(b, "path", ""))).name for b in broken]
        self.broken_label.setText(Msg.broken.format(n=len(names), names=", ".join(names)))
        self.broken_label.setVisible(bool(names))
        self.apply_filter()
        self.loaded.emit()  # before selecting: listeners map rows to the new entries
        if self._pending_select:
            self.select(self._pending_select)
        self._queue = [row for row, e in enumerate(entries) if _thumb_key(e) not in _thumbnails]
        self._draw_next(self._generation)
        if not self._queue:
            self.thumbnails_done.emit()

    def _draw_next(self, generation: int) -> None:
        if self._drawing or generation != self._generation:
            return
        if not self._queue:
            return
        row = self._queue.pop(0)
        entry = self.entries[row]
        store = self.studio.cache
        staging = Path(self._staging.name)
        self._drawing = True

        def work() -> QImage | None:
            path = cached_template_thumbnail_png(entry.template, store, staging)
            return QImage(str(path)) if path is not None else None

        def done(image: QImage | None) -> None:
            self._drawing = False
            if image is None or image.isNull():
                log.warning("thumbnail of template %s came back empty", entry.id)
            else:
                _thumbnails[_thumb_key(entry)] = image
                if generation == self._generation and row < self.cards.count():
                    self.cards.item(row).setData(ThumbRole, image)
            self._continue(generation)

        def failed(error: BaseException) -> None:  # a card without a picture is still usable
            log.warning("thumbnail of template %s not drawn: %s", entry.id, error)
            self._drawing = False
            self._continue(generation)

        BackgroundOp(work, parent=self).success(done).failure(failed).run()

    def _continue(self, generation: int) -> None:
        if generation != self._generation:
            self._draw_next(self._generation)
        elif self._queue:
            self._draw_next(generation)
        else:
            self.thumbnails_done.emit()

    # -- filtering and selection -------------------------------------------------------------

    def kind(self) -> str | None:
        """The kind filter's value (``None``: all)."""
        return self.kind_combo.currentData()

    def set_kind(self, kind: str | None) -> None:
        """Show only ``kind`` (``ad``, ``persona``, ``tutorial``, ``user``; ``None``: all)."""
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(kind)))

    def apply_filter(self) -> None:
        """Hide the cards that do not match the search text and the kind."""
        words = self.search.text().lower().split()
        kind = self.kind()
        shown = 0
        for row, entry in enumerate(self.entries):
            haystack = " ".join(
                (
                    entry.id,
                    entry.name,
                    entry.description,
                    card_meta(entry),
                    "yours" if not entry.read_only else "built-in",
                )
            ).lower()
            visible = entry.matches(kind) and all(word in haystack for word in words)
            self.cards.item(row).setHidden(not visible)
            shown += visible
        if self.entries and not shown:
            self.count_label.setText(Msg.no_match)
        else:
            self.count_label.setText(Msg.count.format(shown=shown, total=len(self.entries)))
        current = self.cards.currentItem()
        if current is not None and current.isHidden():
            self.cards.setCurrentRow(-1)

    def visible_ids(self) -> list[str]:
        """Ids of the cards shown, in order."""
        return [
            self.entries[row].id
            for row in range(self.cards.count())
            if not self.cards.item(row).isHidden()
        ]

    def current_id(self) -> str | None:
        """The selected template's id."""
        item = self.cards.currentItem()
        return str(item.data(IdRole)) if item is not None else None

    def current_entry(self) -> TemplateEntry | None:
        """The selected template."""
        item = self.cards.currentItem()
        return item.data(EntryRole) if item is not None else None

    def select(self, template_id: str) -> bool:
        """Select ``template_id`` (after the list has loaded, if it has not yet)."""
        for row, entry in enumerate(self.entries):
            if entry.id == template_id:
                if self.cards.item(row).isHidden():
                    self.search.clear()
                    self.set_kind(None)
                self.cards.setCurrentRow(row)
                self.cards.scrollToItem(self.cards.item(row))
                self._pending_select = None
                return True
        self._pending_select = template_id
        return False

    def _on_row(self, row: int) -> None:
        self.current_changed.emit(self.entries[row].id if 0 <= row < len(self.entries) else "")

    def thumbnail(self, template_id: str) -> QImage | None:
        """The thumbnail shown on ``template_id``'s card (``None`` while it is drawn)."""
        for row, entry in enumerate(self.entries):
            if entry.id == template_id:
                return self.cards.item(row).data(ThumbRole)
        return None


def _thumb_key(entry: TemplateEntry) -> str:
    from pipeline.templates.samples import thumbnail_key

    return thumbnail_key(entry.template, GALLERY_THUMBNAIL_WIDTH_PX)
