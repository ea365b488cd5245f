"""The template being edited: its data (the layout of its YAML file), the undo stack, and its
problems under the one set of template rules.

The data may be invalid while the user edits — a hook of 2 s, a slot that names no field —
so the document holds plain data, not a parsed template. After every change it runs
:func:`pipeline.templates.check_template` (about a millisecond) and publishes the problems,
each at its path; the editor shows them beside the field at fault, and :attr:`template` is the
parsed template only when there are none (only then can it be saved).

Every edit is a :class:`QUndoCommand` that swaps the whole data (before → after), like
:class:`ui.document.ProjectDocument` does for projects: setting a value, inserting, removing
or moving an entry of a list (fields, beats, scenes, hooks), changing the kind. Typing into
one text field merges into one undo step.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from pipeline.templates import Problem, Template, check_template, problems_at
from pipeline.templates.edit import convert_kind
from pipeline.templates.library import MODELS

Path = tuple[str | int, ...]

_MERGE_ID = 0x7E57


def get_path(data: Any, path: Sequence[str | int]) -> Any:
    """The value at ``path`` in ``data`` (``None`` where the path does not exist)."""
    for key in path:
        if isinstance(key, int):
            if not isinstance(data, list) or not 0 <= key < len(data):
                return None
        elif not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def set_path(data: Any, path: Sequence[str | int], value: Any) -> None:
    """Set the value at ``path`` in ``data`` (missing mappings on the way are created;
    ``None`` removes a mapping's key)."""
    *parents, last = path
    for key in parents:
        if (
            isinstance(key, str)
            and isinstance(data, dict)
            and not isinstance(data.get(key), dict | list)
        ):
            data[key] = {}
        data = data[key]
    if value is None and isinstance(data, dict):
        data.pop(last, None)
    else:
        data[last] = value


class TemplateDocument(QObject):
    """A template being edited.

    Args:
        data: the template's data (copied).
        previous_id: the id it is saved under (``None``: not saved yet).
        based_on: the template it was copied from, if any.

    Signals:
        changed(): the data changed (after every edit, undo and redo).
        structure_changed(): a list was reordered, grown or shrunk, or the kind changed
            (views rebuild their lists).
        problems_changed(): the problems were recomputed (after every change).
    """

    changed = Signal()
    structure_changed = Signal()
    problems_changed = Signal()

    def __init__(
        self,
        data: dict[str, Any],
        *,
        previous_id: str | None = None,
        based_on: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._data = copy.deepcopy(data)
        self.previous_id = previous_id
        self.based_on = based_on
        self.undo_stack = QUndoStack(self)
        self._problems: tuple[Problem, ...] = ()
        self._template: Template | None = None
        self._extra_rules: Callable[[dict[str, Any]], list[Problem]] | None = None
        self._check()

    # -- reading ---------------------------------------------------------------------------

    @property
    def data(self) -> dict[str, Any]:
        """A copy of the data."""
        return copy.deepcopy(self._data)

    @property
    def kind(self) -> str:
        """``ad``, ``persona`` or ``tutorial``."""
        return str(self._data.get("kind", ""))

    def value(self, path: Sequence[str | int]) -> Any:
        """The value at ``path`` (a copy; ``None`` if there is none)."""
        return copy.deepcopy(get_path(self._data, path))

    def items(self, path: Sequence[str | int]) -> list[Any]:
        """The list at ``path`` (a copy; ``[]`` if there is none)."""
        value = get_path(self._data, path)
        return copy.deepcopy(value) if isinstance(value, list) else []

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem of the data now (empty: it can be saved)."""
        return self._problems

    def problems_at(self, path: Sequence[str | int]) -> list[Problem]:
        """The problems at ``path`` or inside it."""
        return problems_at(self._problems, path)

    @property
    def template(self) -> Template | None:
        """The parsed template when there are no problems, else ``None``."""
        return self._template

    def draft(self) -> Template | None:
        """The data parsed with the models' types and limits but without the template rules
        (so a beat can be previewed while the pacing is still off); ``None`` if even that
        fails."""
        if self._template is not None:
            return self._template
        model = MODELS.get(self.kind)
        if model is None:
            return None
        try:
            return model.model_validate(self._data, context={"skip_rules": True})
        except ValidationError:
            return None

    # -- edits -----------------------------------------------------------------------------

    def set_value(self, path: Sequence[str | int], value: Any, *, text: str | None = None) -> None:
        """Set the value at ``path`` (one undo step; typing into the same text merges)."""
        path = tuple(path)
        if get_path(self._data, path) == value:
            return
        after = copy.deepcopy(self._data)
        set_path(after, path, copy.deepcopy(value))
        if self.kind == "persona" and path in (("persona",), ("topic",)):
            after["id"] = f"{after.get('persona', '')}.{after.get('topic', '')}"
        label = text or f"Change {_label(path)}"
        self._push(
            _DataCommand(self, after, label, merge_path=path if isinstance(value, str) else None)
        )

    def insert_item(
        self, path: Sequence[str | int], index: int, item: Any, *, text: str = ""
    ) -> None:
        """Insert ``item`` at ``index`` of the list at ``path``."""
        after = copy.deepcopy(self._data)
        items = get_path(after, path)
        if not isinstance(items, list):
            items = []
            set_path(after, path, items)
        index = max(0, min(index, len(items)))
        items.insert(index, copy.deepcopy(item))
        self._push(_DataCommand(self, after, text or f"Add to {_label(path)}", structure=True))

    def remove_item(self, path: Sequence[str | int], index: int, *, text: str = "") -> None:
        """Remove entry ``index`` of the list at ``path``."""
        after = copy.deepcopy(self._data)
        items = get_path(after, path)
        if not isinstance(items, list) or not 0 <= index < len(items):
            return
        del items[index]
        self._push(_DataCommand(self, after, text or f"Remove from {_label(path)}", structure=True))

    def move_item(
        self, path: Sequence[str | int], source: int, target: int, *, text: str = ""
    ) -> None:
        """Move entry ``source`` of the list at ``path`` to position ``target``."""
        after = copy.deepcopy(self._data)
        items = get_path(after, path)
        if not isinstance(items, list) or not 0 <= source < len(items):
            return
        target = max(0, min(target, len(items) - 1))
        if source == target:
            return
        items.insert(target, items.pop(source))
        self._push(_DataCommand(self, after, text or f"Reorder {_label(path)}", structure=True))

    def replace_item(self, path: Sequence[str | int], value: Any, *, text: str = "") -> None:
        """Replace the entry at ``path`` wholesale (e.g. a scene that changed its type)."""
        after = copy.deepcopy(self._data)
        set_path(after, path, copy.deepcopy(value))
        self._push(_DataCommand(self, after, text or f"Replace {_label(path)}", structure=True))

    def set_kind(self, kind: str) -> None:
        """Turn the template into one of ``kind`` (its name, look, sound and fields stay)."""
        if kind == self.kind:
            return
        after = convert_kind(self._data, kind)
        self._push(_DataCommand(self, after, f"Make it a {kind} template", structure=True))

    def mark_saved(self, template_id: str) -> None:
        """Record that the data was saved under ``template_id``."""
        self.previous_id = template_id
        self.undo_stack.setClean()

    def _push(self, command: _DataCommand) -> None:
        if command.after != command.before:
            self.undo_stack.push(command)

    # -- used by the commands ----------------------------------------------------------------

    def _apply(self, data: dict[str, Any], structure: bool) -> None:
        self._data = copy.deepcopy(data)
        self._check()
        if structure:
            self.structure_changed.emit()
        self.changed.emit()
        self.problems_changed.emit()

    def set_extra_rules(self, rules: Callable[[dict[str, Any]], list[Problem]] | None) -> None:
        """Problems the template rules cannot know (e.g. an id another template already
        uses), checked with them after every change."""
        self._extra_rules = rules
        self._check()
        self.problems_changed.emit()

    def _check(self) -> None:
        check = check_template(self._data)
        extra = self._extra_rules(self._data) if self._extra_rules is not None else []
        self._problems = (*extra, *check.problems)
        self._template = check.template if not extra else None


class _DataCommand(QUndoCommand):
    """Swaps the whole data; undo puts back the exact data before."""

    def __init__(
        self,
        document: TemplateDocument,
        after: dict[str, Any],
        text: str,
        *,
        structure: bool = False,
        merge_path: Path | None = None,
    ) -> None:
        super().__init__(text)
        self.document = document
        self.before = copy.deepcopy(document._data)
        self.after = after
        self.structure = structure or after.get("kind") != self.before.get("kind")
        self.merge_path = merge_path

    def id(self) -> int:
        """Text edits of one field merge (one undo step per field typed into)."""
        return _MERGE_ID if self.merge_path is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        """Merge a following edit of the same text field."""
        if not isinstance(other, _DataCommand) or other.merge_path != self.merge_path:
            return False
        self.after = other.after
        self.setObsolete(self.after == self.before)
        return True

    def redo(self) -> None:
        """Apply the edit."""
        self.document._apply(self.after, self.structure)

    def undo(self) -> None:
        """Put the data before the edit back."""
        self.document._apply(self.before, self.structure)


def _label(path: Sequence[str | int]) -> str:
    names = [str(p) for p in path if isinstance(p, str)]
    return names[-1].replace("_", " ") if names else "template"
