"""Editors generated from pydantic model fields (used by the properties panel).

:func:`describe_field` reads a field's annotation and constraints (``Optional``, ``Annotated``
string lengths, ``ge``/``le`` bounds, ``Literal`` choices, lists, nested models) into a
:class:`FieldShape`; :func:`make_editor` builds the matching :class:`FieldEditor`. Any scene
type, including new ones such as ``clip`` and ``ad``, gets a form with no code of its own.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

SHORT_TEXT_MAX = 200
RECORD_SEPARATOR = " | "


@dataclass(frozen=True)
class FieldShape:
    """What kind of editor a field needs.

    Attributes:
        kind: ``text``, ``multiline``, ``code``, ``int``, ``float``, ``bool``, ``choice``,
            ``lines`` (list of strings), ``records`` (list of flat models, one per line),
            ``yaml`` (anything else, edited as YAML).
        optional: ``None`` is allowed (an empty editor means ``None``).
        choices: the values of a ``Literal``.
        minimum / maximum: numeric bounds.
        max_length: longest string.
        record_fields: field names of a ``records`` item model, in order.
    """

    kind: str
    optional: bool = False
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    record_fields: tuple[str, ...] = ()
    record_model: type[BaseModel] | None = None


def _unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, bool, list[Any]]:
    optional = False
    meta = list(metadata)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        annotation = args[0] if len(args) == 1 else annotation
    while typing.get_origin(annotation) is typing.Annotated:
        annotation, *extra = typing.get_args(annotation)
        for item in extra:
            meta += item.metadata if isinstance(item, FieldInfo) else [item]
    return annotation, optional, meta


def describe_field(name: str, info: FieldInfo) -> FieldShape:
    """The :class:`FieldShape` of model field ``name``."""
    annotation, optional, meta = _unwrap(info.annotation, list(info.metadata))
    minimum = next((float(m.ge) for m in meta if hasattr(m, "ge") and m.ge is not None), None)
    maximum = next((float(m.le) for m in meta if hasattr(m, "le") and m.le is not None), None)
    max_length = next(
        (int(m.max_length) for m in meta if getattr(m, "max_length", None) is not None), None
    )
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return FieldShape("choice", optional, choices=typing.get_args(annotation))
    if annotation is bool:
        return FieldShape("bool", optional)
    if annotation is int:
        return FieldShape("int", optional, minimum=minimum, maximum=maximum)
    if annotation is float:
        return FieldShape("float", optional, minimum=minimum, maximum=maximum)
    if annotation is str:
        if "code" in name:
            return FieldShape("code", optional, max_length=max_length)
        if max_length is not None and max_length > SHORT_TEXT_MAX:
            return FieldShape("multiline", optional, max_length=max_length)
        return FieldShape("text", optional, max_length=max_length)
    if origin is list:
        (item,) = typing.get_args(annotation)
        item, _, _ = _unwrap(item, [])
        if item is str:
            return FieldShape("lines", optional)
        if isinstance(item, type) and issubclass(item, BaseModel):
            names = tuple(item.model_fields)
            return FieldShape("records", optional, record_fields=names, record_model=item)
    if isinstance(annotation, type) and issubclass(annotation, str):  # StrEnum
        return FieldShape("choice", optional, choices=tuple(annotation))  # type: ignore[arg-type]
    return FieldShape("yaml", optional)


class FieldEditor(QObject):
    """One field's widget. ``committed`` fires when the user finished an edit."""

    committed = Signal()

    def __init__(self, name: str, shape: FieldShape, widget: QWidget) -> None:
        super().__init__(widget)
        self.name = name
        self.shape = shape
        self.widget = widget
        widget.setObjectName(f"field_{name}")

    def set_value(self, value: Any) -> None:
        """Show ``value`` (without emitting ``committed``)."""
        raise NotImplementedError

    def value(self) -> Any:
        """The value as the model expects it (``None`` for an empty optional field)."""
        raise NotImplementedError


class _TextEditor(FieldEditor):
    def __init__(self, name: str, shape: FieldShape) -> None:
        edit = QLineEdit()
        if shape.max_length:
            edit.setMaxLength(shape.max_length)
        super().__init__(name, shape, edit)
        self.edit = edit
        edit.editingFinished.connect(self._maybe_commit)
        self._shown = ""

    def _maybe_commit(self) -> None:
        if self.edit.text() != self._shown:
            self._shown = self.edit.text()
            self.committed.emit()

    def set_value(self, value: Any) -> None:
        self._shown = "" if value is None else str(value)
        self.edit.setText(self._shown)

    def value(self) -> Any:
        text = self.edit.text()
        return None if self.shape.optional and not text.strip() else text


class _PlainEditor(FieldEditor):
    """Multi-line text; commits when focus leaves it. Subclasses convert to/from text."""

    def __init__(self, name: str, shape: FieldShape, *, mono: bool = False, rows: int = 4) -> None:
        edit = QPlainTextEdit()
        edit.setTabChangesFocus(True)
        if mono:
            edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        line = edit.fontMetrics().lineSpacing()
        edit.setFixedHeight(line * rows + 12)
        super().__init__(name, shape, edit)
        self.edit = edit
        self._shown = ""
        edit.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.FocusOut:
            self.commit_if_changed()
        return False

    def commit_if_changed(self) -> None:
        """Commit if the text differs from what was last shown."""
        if self.edit.toPlainText() != self._shown:
            self._shown = self.edit.toPlainText()
            self.committed.emit()

    def to_text(self, value: Any) -> str:
        return "" if value is None else str(value)

    def from_text(self, text: str) -> Any:
        return None if self.shape.optional and not text.strip() else text

    def set_value(self, value: Any) -> None:
        self._shown = self.to_text(value)
        self.edit.setPlainText(self._shown)

    def value(self) -> Any:
        return self.from_text(self.edit.toPlainText())


class _LinesEditor(_PlainEditor):
    def to_text(self, value: Any) -> str:
        return "\n".join(value or [])

    def from_text(self, text: str) -> Any:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return None if self.shape.optional and not lines else lines


class _RecordsEditor(_PlainEditor):
    """A list of flat models, one per line, fields separated by ``" | "``."""

    def to_text(self, value: Any) -> str:
        rows = []
        for item in value or []:
            data = item.model_dump() if isinstance(item, BaseModel) else dict(item)
            parts = [str(data.get(f, "") or "") for f in self.shape.record_fields]
            while len(parts) > 1 and not parts[-1]:
                parts.pop()
            rows.append(RECORD_SEPARATOR.join(parts))
        return "\n".join(rows)

    def from_text(self, text: str) -> Any:
        items = []
        for line in text.splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            items.append(dict(zip(self.shape.record_fields, parts, strict=False)))
        return items


class _YamlEditor(_PlainEditor):
    def to_text(self, value: Any) -> str:
        if value is None:
            return ""
        data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).strip()

    def from_text(self, text: str) -> Any:
        if not text.strip():
            return None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError:
            return text  # validation reports it in the user's terms


class _NumberEditor(FieldEditor):
    """A spin box for an int or float field; an optional field's lowest value means "auto"."""

    def __init__(self, name: str, shape: FieldShape, *, floating: bool) -> None:
        self._convert: type[int] | type[float] = float if floating else int
        spin: QSpinBox | QDoubleSpinBox
        if floating:
            spin = QDoubleSpinBox()
            spin.setDecimals(2)
            spin.setSingleStep(0.1)
            low = shape.minimum if shape.minimum is not None else -1e6
            high = shape.maximum if shape.maximum is not None else 1e6
            if shape.optional:
                low = 0.0 if low > 0.0 else low - 1.0
        else:
            spin = QSpinBox()
            low = int(shape.minimum) if shape.minimum is not None else -1_000_000
            high = int(shape.maximum) if shape.maximum is not None else 1_000_000
            if shape.optional:
                low -= 1
        if shape.optional:
            spin.setSpecialValueText("auto")
        spin.setRange(low, high)  # type: ignore[arg-type]
        spin.setKeyboardTracking(False)
        super().__init__(name, shape, spin)
        self.spin = spin
        spin.valueChanged.connect(lambda _v: self.committed.emit())

    def set_value(self, value: Any) -> None:
        self.spin.blockSignals(True)
        self.spin.setValue(self.spin.minimum() if value is None else self._convert(value))  # type: ignore[arg-type]
        self.spin.blockSignals(False)

    def value(self) -> Any:
        if self.shape.optional and self.spin.value() == self.spin.minimum():
            return None
        return self.spin.value()


class _BoolEditor(FieldEditor):
    def __init__(self, name: str, shape: FieldShape) -> None:
        if shape.optional:
            box: QWidget = QComboBox()
            for label, data in (("default", None), ("on", True), ("off", False)):
                box.addItem(label, data)  # type: ignore[attr-defined]
            box.activated.connect(lambda _i: self.committed.emit())  # type: ignore[attr-defined]
        else:
            box = QCheckBox()
            box.toggled.connect(lambda _v: self.committed.emit())  # type: ignore[attr-defined]
        super().__init__(name, shape, box)

    def set_value(self, value: Any) -> None:
        self.widget.blockSignals(True)
        if isinstance(self.widget, QComboBox):
            self.widget.setCurrentIndex({None: 0, True: 1, False: 2}[value])
        else:
            assert isinstance(self.widget, QCheckBox)
            self.widget.setChecked(bool(value))
        self.widget.blockSignals(False)

    def value(self) -> Any:
        if isinstance(self.widget, QComboBox):
            return self.widget.currentData()
        assert isinstance(self.widget, QCheckBox)
        return self.widget.isChecked()


class _ChoiceEditor(FieldEditor):
    def __init__(self, name: str, shape: FieldShape, *, editable: bool = False) -> None:
        box = QComboBox()
        box.setEditable(editable)
        if shape.optional:
            box.addItem("(default)", None)
        for choice in shape.choices:
            box.addItem(str(getattr(choice, "value", choice)), choice)
        super().__init__(name, shape, box)
        self.box = box
        box.activated.connect(lambda _i: self.committed.emit())
        if editable and box.lineEdit() is not None:
            box.lineEdit().editingFinished.connect(self.committed.emit)

    def set_value(self, value: Any) -> None:
        self.box.blockSignals(True)
        row = self.box.findData(value)
        if row < 0 and value is not None and self.box.isEditable():
            self.box.addItem(str(value), value)
            row = self.box.count() - 1
        self.box.setCurrentIndex(max(row, 0))
        self.box.blockSignals(False)

    def value(self) -> Any:
        if self.box.isEditable():
            text = self.box.currentText().strip()
            row = self.box.findText(text)
            if row >= 0 and self.box.itemData(row) is None and self.shape.optional:
                return None
            return text or None if self.shape.optional else text
        return self.box.currentData()


VOICE_CHOICES = ("male", "female")


def make_editor(name: str, info: FieldInfo) -> FieldEditor:
    """The editor of model field ``name``."""
    shape = describe_field(name, info)
    if name == "voice":
        voice = FieldShape("choice", shape.optional, choices=VOICE_CHOICES)
        return _ChoiceEditor(name, voice, editable=True)
    if name == "music":  # a bundled bed, "none", or an audio file's path (typed)
        from pipeline.audio.music import BUNDLED_BEDS

        beds = FieldShape("choice", True, choices=("none", *BUNDLED_BEDS))
        return _ChoiceEditor(name, beds, editable=True)
    if name == "accent_color":
        from pipeline.models import NAMED_ACCENTS

        accents = FieldShape("choice", False, choices=tuple(NAMED_ACCENTS.values()))
        editor = _ChoiceEditor(name, accents, editable=True)
        for row, accent in enumerate(NAMED_ACCENTS):
            editor.box.setItemText(row, NAMED_ACCENTS[accent])
            editor.box.setItemData(row, f"{accent}", role=3)  # tooltip
        return editor
    match shape.kind:
        case "text":
            return _TextEditor(name, shape)
        case "multiline":
            rows = 5 if name == "narration" else 3
            return _PlainEditor(name, shape, rows=rows)
        case "code":
            return _PlainEditor(name, shape, mono=True, rows=6)
        case "int":
            return _NumberEditor(name, shape, floating=False)
        case "float":
            return _NumberEditor(name, shape, floating=True)
        case "bool":
            return _BoolEditor(name, shape)
        case "choice":
            return _ChoiceEditor(name, shape)
        case "lines":
            return _LinesEditor(name, shape, rows=4)
        case "records":
            editor = _RecordsEditor(name, shape, rows=5)
            editor.edit.setPlaceholderText(RECORD_SEPARATOR.join(shape.record_fields))
            return editor
        case _:
            editor = _YamlEditor(name, shape, mono=True, rows=5)
            editor.edit.setPlaceholderText("YAML, e.g. kind: bars")
            return editor


def label_for(name: str) -> str:
    """``min_duration_s`` → ``Min duration (s)``."""
    text = name
    unit = ""
    for suffix, shown in (("_s", "s"), ("_px", "px"), ("_min", "min"), ("_db", "dB")):
        if text.endswith(suffix):
            text, unit = text[: -len(suffix)], shown
    label = text.replace("_", " ").capitalize()
    return f"{label} ({unit})" if unit else label


def mono_font() -> QFont:
    """The fixed-width system font."""
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
