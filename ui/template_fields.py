"""Inputs for a template's fields, by the field's type: one line of text, several lines, an
image file (with Browse…), or a colour (with a colour picker).

Every input has the same small API as a ``QLineEdit`` — :meth:`FieldInput.text`,
:meth:`FieldInput.setText` and the ``edited`` signal — so the wizard's template page and the
template editor's sample values use them alike.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from pipeline.models import parse_color

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp)"


class FieldInput(QWidget):
    """The input of one template field.

    Args:
        field_type: ``text``, ``long_text``, ``image`` or ``colour``.
        value: the value shown first.
        max_chars: the longest value accepted.
        placeholder: shown while empty (e.g. the help text).

    Signals:
        edited(str): the user changed the value.
    """

    edited = Signal(str)

    def __init__(
        self,
        field_type: str = "text",
        value: str = "",
        *,
        max_chars: int = 200,
        placeholder: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.field_type = field_type
        # as tall as it wants to be: a form short of room scrolls instead of squashing it
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.button: QPushButton | None = None
        if field_type == "long_text":
            self.plain: QPlainTextEdit | None = QPlainTextEdit(self)
            self.plain.setTabChangesFocus(True)
            self.plain.setPlaceholderText(placeholder)
            self.plain.setFixedHeight(self.plain.fontMetrics().lineSpacing() * 3 + 14)
            self.plain.textChanged.connect(lambda: self.edited.emit(self.text()))
            self.line: QLineEdit | None = None
            layout.addWidget(self.plain)
        else:
            self.plain = None
            self.line = QLineEdit(self)
            self.line.setMaxLength(max_chars)
            self.line.setPlaceholderText(placeholder)
            self.line.textEdited.connect(self.edited.emit)
            layout.addWidget(self.line, 1)
            if field_type == "image":
                self.button = QPushButton("Browse…", self)
                self.button.clicked.connect(self._browse)
            elif field_type == "colour":
                self.button = QPushButton(self)
                self.button.setFixedWidth(36)
                self.button.setToolTip("Pick a colour")
                self.button.clicked.connect(self._pick)
                self.line.textChanged.connect(self._show_swatch)
            if self.button is not None:
                layout.addWidget(self.button)
        self.setText(value)

    def text(self) -> str:
        """The value."""
        if self.plain is not None:
            return self.plain.toPlainText()
        assert self.line is not None
        return self.line.text()

    def setText(self, value: str) -> None:
        """Show ``value`` (without emitting ``edited``)."""
        if self.plain is not None:
            self.plain.blockSignals(True)
            self.plain.setPlainText(value)
            self.plain.blockSignals(False)
        else:
            assert self.line is not None
            self.line.setText(value)
            self._show_swatch()

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Choose an image", self.text(), IMAGE_FILTER)
        if name:
            self.setText(name)
            self.edited.emit(name)

    def _pick(self) -> None:
        current = QColor(self._colour() or "#3b82f6")
        colour = QColorDialog.getColor(current, self, "Colour")
        if colour.isValid():
            self.setText(colour.name())
            self.edited.emit(colour.name())

    def _colour(self) -> str | None:
        try:
            return parse_color(self.text()) if self.text().strip() else None
        except ValueError:
            return None

    def _show_swatch(self) -> None:
        if self.field_type == "colour" and self.button is not None:
            colour = self._colour()
            style = f"background: {colour}; border: 1px solid #888" if colour else ""
            self.button.setStyleSheet(style)
            self.button.setText("" if colour else "…")
