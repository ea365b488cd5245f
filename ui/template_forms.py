"""The template editor's forms: each input is bound to a path of the template's data, and
shows the problems found at that path right under it.

A :class:`Binder` connects widgets to paths of a :class:`~ui.template_document.TemplateDocument`:
a user's edit becomes one undoable ``set_value``; after every change (edits, undo, redo) the
widgets show the data again, and each input's error line shows the problems of the one set
of template rules (:mod:`pipeline.templates.rules`) found at its path. Paths may depend on the
selection (the selected beat's text is ``("scenes", i, "text")``), so they are functions.

:class:`ListSection` shows one list of the data (fields, beats, scenes, hooks) with Add,
Duplicate, Remove, Up and Down, all undoable; an entry with a problem is marked.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pipeline.templates import Problem
from ui.template_document import TemplateDocument

Path = tuple[str | int, ...]
PathFn = Callable[[], Path | None]

ERROR_COLOUR = "#dc2626"
INVALID_STYLE = f"border: 1px solid {ERROR_COLOUR}; border-radius: 3px;"


def problem_text(problems: Sequence[Problem]) -> str:
    """The lines an error label shows: each message, then what to change."""
    return "\n".join(f"{p.message} — {p.hint}" if p.hint else p.message for p in problems)


class ErrorLabel(QLabel):
    """A red line under an input, hidden while there is no problem."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setObjectName("template_error")
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.WindowText, QColor(ERROR_COLOUR))
        self.setPalette(palette)
        self.hide()

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """Show ``problems`` (hide when there are none)."""
        self.setText(problem_text(problems))
        self.setVisible(bool(problems))


@dataclass
class Binding:
    """One input bound to a path of the data."""

    path: PathFn
    widget: QWidget
    get: Callable[[], Any]
    put: Callable[[Any], None]
    error: ErrorLabel
    container: QWidget
    exact: bool = False


class Binder(QObject):
    """Binds inputs to paths of ``document`` (see the module docstring).

    Bindings live as long as the binder: a form that is rebuilt (another scene type, another
    kind) makes a new binder as a child of the rebuilt widget.
    """

    def __init__(self, document: TemplateDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.bindings: list[Binding] = []
        document.changed.connect(self.refresh)
        document.problems_changed.connect(self.show_problems)

    # -- generic -----------------------------------------------------------------------------

    def bind(
        self,
        widget: QWidget,
        path: PathFn | Path,
        get: Callable[[], Any],
        put: Callable[[Any], None],
        *,
        exact: bool = False,
    ) -> Binding:
        """Bind ``widget`` to ``path``; returns the binding (its ``container`` holds the
        widget and its error line, ready for a form)."""
        path_fn: PathFn = path if callable(path) else (lambda p=path: p)  # type: ignore[misc]
        container = QWidget()
        layout = QVBoxLayout(container)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(widget)
        error = ErrorLabel(container)
        layout.addWidget(error)
        binding = Binding(path_fn, widget, get, put, error, container, exact)
        self.bindings.append(binding)
        self._refresh_one(binding)
        self._show_one(binding)
        return binding

    def commit(self, binding: Binding, value: Any) -> None:
        """The user changed ``binding``'s input to ``value``."""
        path = binding.path()
        if path is not None:
            self.document.set_value(path, value)

    def refresh(self) -> None:
        """Show the data in every input (inputs that already show it are left alone)."""
        for binding in self.bindings:
            self._refresh_one(binding)

    def _refresh_one(self, binding: Binding) -> None:
        path = binding.path()
        binding.container.setEnabled(path is not None)
        if path is None:
            return
        value = self.document.value(path)
        if binding.get() != value:
            binding.widget.blockSignals(True)
            try:
                binding.put(value)
            finally:
                binding.widget.blockSignals(False)

    def show_problems(self) -> None:
        """Show each input's problems under it."""
        for binding in self.bindings:
            self._show_one(binding)

    def _problems(self, binding: Binding) -> list[Problem]:
        path = binding.path()
        if path is None:
            return []
        if binding.exact:
            return [p for p in self.document.problems if p.path == path]
        return self.document.problems_at(path)

    def _show_one(self, binding: Binding) -> None:
        problems = self._problems(binding)
        binding.error.show_problems(problems)
        if isinstance(binding.widget, QLineEdit | QPlainTextEdit):  # text inputs get a red frame
            binding.widget.setStyleSheet(INVALID_STYLE if problems else "")
        binding.widget.setToolTip(problem_text(problems))

    def find(self, path: Sequence[str | int]) -> Binding | None:
        """The binding whose path is ``path`` or the longest prefix of it."""
        target = tuple(path)
        best: Binding | None = None
        best_len = -1
        for binding in self.bindings:
            own = binding.path()
            if own is not None and target[: len(own)] == own and len(own) > best_len:
                best, best_len = binding, len(own)
        return best

    def error_text(self, path: Sequence[str | int]) -> str:
        """The error line shown under the input bound to exactly ``path`` (``""``: none
        shown, or no such input)."""
        for binding in self.bindings:
            if binding.path() == tuple(path):
                return binding.error.text() if not binding.error.isHidden() else ""
        return ""

    # -- inputs -----------------------------------------------------------------------------

    def line(
        self, path: PathFn | Path, *, placeholder: str = "", read_only: bool = False
    ) -> Binding:
        """A one-line text input."""
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setReadOnly(read_only)
        binding = self.bind(
            edit, path, edit.text, lambda v: edit.setText("" if v is None else str(v))
        )
        edit.textEdited.connect(lambda text: self.commit(binding, text))
        return binding

    def plain(self, path: PathFn | Path, *, rows: int = 3, placeholder: str = "") -> Binding:
        """A several-line text input."""
        edit = QPlainTextEdit()
        edit.setTabChangesFocus(True)
        edit.setPlaceholderText(placeholder)
        edit.setFixedHeight(edit.fontMetrics().lineSpacing() * rows + 14)

        def put(value: Any) -> None:
            edit.setPlainText("" if value is None else str(value))

        binding = self.bind(edit, path, edit.toPlainText, put)
        edit.textChanged.connect(lambda: self.commit(binding, edit.toPlainText()))
        return binding

    def check(self, path: PathFn | Path, text: str) -> Binding:
        """A check box."""
        box = QCheckBox(text)
        binding = self.bind(box, path, box.isChecked, lambda v: box.setChecked(bool(v)))
        box.toggled.connect(lambda on: self.commit(binding, on))
        return binding

    def combo(
        self,
        path: PathFn | Path,
        choices: Sequence[tuple[str, Any]],
        *,
        editable: bool = False,
        on_commit: Callable[[Any], None] | None = None,
    ) -> Binding:
        """A choice among ``(label, value)`` pairs (editable: any text is a value too)."""
        box = QComboBox()
        box.setEditable(editable)
        for label, value in choices:
            box.addItem(label, value)

        def get() -> Any:
            if editable:
                row = box.findText(box.currentText())
                return box.itemData(row) if row >= 0 else box.currentText()
            return box.currentData()

        def put(value: Any) -> None:
            row = box.findData(value)
            if row < 0 and editable:
                box.setEditText("" if value is None else str(value))
            else:
                box.setCurrentIndex(max(row, 0))

        binding = self.bind(box, path, get, put)

        def commit(_arg: object = None) -> None:
            value = get()
            if on_commit is not None:
                on_commit(value)
            else:
                self.commit(binding, value)

        box.activated.connect(commit)
        line = box.lineEdit() if editable else None
        if line is not None:
            line.editingFinished.connect(commit)
        return binding

    def number(
        self,
        path: PathFn | Path,
        *,
        minimum: float,
        maximum: float,
        step: float = 0.1,
        decimals: int = 1,
        suffix: str = "",
        special: str = "",
    ) -> Binding:
        """A number input (``decimals == 0``: whole numbers)."""
        spin: QSpinBox | QDoubleSpinBox
        if decimals == 0:
            spin = QSpinBox()
            spin.setRange(int(minimum), int(maximum))
            spin.setSingleStep(max(1, int(step)))
        else:
            spin = QDoubleSpinBox()
            spin.setDecimals(decimals)
            spin.setRange(minimum, maximum)
            spin.setSingleStep(step)
        spin.setSuffix(suffix)
        spin.setSpecialValueText(special)
        spin.setKeyboardTracking(False)
        convert = int if decimals == 0 else float

        def put(value: Any) -> None:
            if isinstance(value, int | float) and not isinstance(value, bool):
                spin.setValue(value)  # type: ignore[arg-type]

        binding = self.bind(spin, path, lambda: convert(spin.value()), put)
        spin.valueChanged.connect(lambda value: self.commit(binding, convert(value)))
        return binding

    def span(self, path: PathFn | Path, *, minimum: float = 0.5, maximum: float = 10.0) -> Binding:
        """A ``[shortest, longest]`` duration range in seconds (two number inputs)."""
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        low, high = QDoubleSpinBox(), QDoubleSpinBox()
        for spin in (low, high):
            spin.setDecimals(1)
            spin.setSingleStep(0.1)
            spin.setRange(0.0, maximum)
            spin.setSuffix(" s")
            spin.setKeyboardTracking(False)
        low.setObjectName("span_low")
        high.setObjectName("span_high")
        row.addWidget(QLabel("from"))
        row.addWidget(low)
        row.addWidget(QLabel("to"))
        row.addWidget(high)
        row.addStretch(1)

        def get() -> list[float]:
            return [round(low.value(), 1), round(high.value(), 1)]

        def put(value: Any) -> None:
            if isinstance(value, list | tuple) and len(value) == 2:
                for spin, v in zip((low, high), value, strict=True):
                    spin.blockSignals(True)
                    spin.setValue(float(v))
                    spin.blockSignals(False)

        binding = self.bind(holder, path, get, put)
        low.valueChanged.connect(lambda _v: self.commit(binding, get()))
        high.valueChanged.connect(lambda _v: self.commit(binding, get()))
        return binding

    def csv(self, path: PathFn | Path, *, numbers: bool = False, placeholder: str = "") -> Binding:
        """A comma-separated list in one line (of numbers, or of texts)."""
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)

        def parse(text: str) -> list[Any] | str:
            parts = [part.strip() for part in text.split(",") if part.strip()]
            if not numbers:
                return parts
            try:
                return [float(part) for part in parts]
            except ValueError:
                return text  # the models report it at this path

        def show(value: Any) -> str:
            if isinstance(value, list):
                return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
            return "" if value is None else str(value)

        binding = self.bind(edit, path, lambda: parse(edit.text()), lambda v: edit.setText(show(v)))
        edit.textEdited.connect(lambda text: self.commit(binding, parse(text)))
        return binding


class ListSection(QWidget):
    """One list of the template (fields, beats, scenes or hooks) with its buttons.

    Args:
        document: the template.
        path: the list's path, e.g. ``("scenes",)``.
        describe: the text of entry ``i`` (``describe(i, entry)``).
        add_choices: ``(label, factory)`` pairs for the Add button (one: a button; several:
            a menu).

    Signals:
        selected(int): the selected entry (-1: none).
    """

    selected = Signal(int)

    def __init__(
        self,
        document: TemplateDocument,
        path: Path,
        describe: Callable[[int, Any], str],
        add_choices: Sequence[tuple[str, Callable[[], Any]]],
        *,
        noun: str = "entry",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.path = path
        self.describe = describe
        self.noun = noun
        self.list = QListWidget(self)
        self.list.setObjectName(f"list_{'_'.join(str(p) for p in path)}")
        self.error = ErrorLabel(self)
        self.add_button = QToolButton(self)
        self.add_button.setText(f"Add {noun}")
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        if len(add_choices) == 1:
            factory = add_choices[0][1]
            self.add_button.clicked.connect(lambda: self.add(factory()))
        else:
            menu = QMenu(self.add_button)
            for label, factory in add_choices:
                menu.addAction(label, self._adder(factory))
            self.add_button.setMenu(menu)
            self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.duplicate_button = QPushButton("Duplicate", self)
        self.remove_button = QPushButton("Remove", self)
        self.up_button = QPushButton("Up", self)
        self.down_button = QPushButton("Down", self)
        self.duplicate_button.clicked.connect(self.duplicate)
        self.remove_button.clicked.connect(self.remove)
        self.up_button.clicked.connect(lambda: self.move_current(-1))
        self.down_button.clicked.connect(lambda: self.move_current(+1))
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (
            self.add_button,
            self.duplicate_button,
            self.remove_button,
            self.up_button,
            self.down_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.list.currentRowChanged.connect(self._on_row)
        document.structure_changed.connect(self.rebuild)
        document.changed.connect(self.update_texts)
        document.problems_changed.connect(self.show_problems)
        self.rebuild()

    def _adder(self, factory: Callable[[], Any]) -> Callable[[], None]:
        return lambda: self.add(factory())

    def current(self) -> int:
        """The selected entry's index (-1: none)."""
        return self.list.currentRow()

    def set_current(self, index: int) -> None:
        """Select entry ``index``."""
        self.list.setCurrentRow(index)

    def rebuild(self) -> None:
        """Show the list again (after entries were added, removed or moved)."""
        keep = self.list.currentRow()
        items = self.document.items(self.path)
        self.list.blockSignals(True)
        self.list.clear()
        for i, entry in enumerate(items):
            self.list.addItem(QListWidgetItem(self.describe(i, entry)))
        self.list.blockSignals(False)
        if items:
            self.list.setCurrentRow(max(0, min(keep, len(items) - 1)))
        self._on_row(self.list.currentRow())
        self.show_problems()

    def update_texts(self) -> None:
        """Refresh each entry's text (its content changed)."""
        items = self.document.items(self.path)
        if len(items) != self.list.count():
            self.rebuild()
            return
        for i, entry in enumerate(items):
            text = self.describe(i, entry)
            if self.list.item(i).text() != text:
                self.list.item(i).setText(text)

    def show_problems(self) -> None:
        """Mark entries that have a problem; show the list's own problems under it."""
        default = self.list.palette().color(QPalette.ColorRole.Text)
        for i in range(self.list.count()):
            bad = bool(self.document.problems_at((*self.path, i)))
            item = self.list.item(i)
            item.setForeground(QColor(ERROR_COLOUR) if bad else default)
            item.setToolTip(problem_text(self.document.problems_at((*self.path, i))))
        own = [p for p in self.document.problems if p.path == self.path]
        self.error.show_problems(own)

    def _on_row(self, row: int) -> None:
        count = self.list.count()
        self.remove_button.setEnabled(row >= 0)
        self.duplicate_button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < count - 1)
        self.selected.emit(row)

    # -- edits (undoable) ---------------------------------------------------------------------

    def add(self, entry: Any) -> None:
        """Insert ``entry`` after the selected one (or at the end) and select it."""
        row = self.current()
        index = row + 1 if row >= 0 else self.list.count()
        self.document.insert_item(self.path, index, entry, text=f"Add {self.noun}")
        self.set_current(index)

    def duplicate(self) -> None:
        """Insert a copy of the selected entry after it."""
        row = self.current()
        if row < 0:
            return
        entry = copy.deepcopy(self.document.items(self.path)[row])
        self.document.insert_item(self.path, row + 1, entry, text=f"Duplicate {self.noun}")
        self.set_current(row + 1)

    def remove(self) -> None:
        """Remove the selected entry."""
        row = self.current()
        if row >= 0:
            self.document.remove_item(self.path, row, text=f"Remove {self.noun}")

    def move_current(self, delta: int) -> None:
        """Move the selected entry up (-1) or down (+1)."""
        row = self.current()
        target = row + delta
        if row < 0 or not 0 <= target < self.list.count():
            return
        self.document.move_item(self.path, row, target, text=f"Move {self.noun}")
        self.set_current(target)
