"""The project document: the :class:`VideoSpec` being edited, its selection and its undo stack.

Every edit is a :class:`QUndoCommand` pushed on :attr:`ProjectDocument.undo_stack`, so undo and
redo cover everything: a field of a scene, its narration, reordering, adding, duplicating and
deleting scenes, the format, the theme and the video's own fields. Each command keeps the spec
before and after (specs are immutable values: an edit builds a new, validated spec), so undo
restores the previous spec exactly.

Views subscribe to the signals; they never hold a copy of the spec as their own state.
Invalid values raise :class:`~pipeline.errors.InputError` *before* anything is pushed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from pipeline.errors import InputError
from pipeline.models import MAX_SCENES, Scene, VideoFormat, VideoSpec, spec_error
from pipeline.scene_types import REGISTRY

_SCENE = TypeAdapter(Scene)

DEFAULT_SCENES: dict[str, dict[str, Any]] = {
    name: dict(described.default_content) for name, described in REGISTRY.items()
}
"""The content a newly added scene of each type starts with (valid, ready to edit); each
scene type's descriptor declares it (:mod:`pipeline.scene_types`)."""


def new_scene(scene_type: str) -> Any:
    """A new scene of ``scene_type`` with the default content of :data:`DEFAULT_SCENES`.

    Raises:
        InputError: unknown scene type.
    """
    if scene_type not in DEFAULT_SCENES:
        raise InputError(
            f"there is no scene type {scene_type!r}",
            hint="pick one of: " + ", ".join(DEFAULT_SCENES),
        )
    return _SCENE.validate_python({"scene_type": scene_type, **DEFAULT_SCENES[scene_type]})


def _validated(data: Mapping[str, Any], what: str) -> VideoSpec:
    try:
        return VideoSpec.model_validate(dict(data))
    except PydanticValidationError as error:
        raise spec_error(error, source=what) from error


class ProjectDocument(QObject):
    """The video being edited.

    Signals:
        reset(): a different spec was loaded (everything changed).
        spec_changed(): the spec changed in any way (after every command, undo and redo).
        scenes_changed(): scenes were added, removed or reordered.
        scene_changed(int): the content of one scene changed (its index).
        video_changed(): a video-wide field (format, theme, title, voice, …) changed.
        current_changed(int): the selected scene changed (-1: none).
        project_changed(): the project id or name changed (after saving, loading).
    """

    reset = Signal()
    spec_changed = Signal()
    scenes_changed = Signal()
    scene_changed = Signal(int)
    video_changed = Signal()
    current_changed = Signal(int)
    project_changed = Signal()

    def __init__(self, spec: VideoSpec | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._spec: VideoSpec | None = spec
        self._current = 0 if spec is not None else -1
        self.project_id: int | None = None
        self.name = spec.title if spec is not None else ""
        self.source_path: Path | None = None
        self.source_kind = ""
        self.undo_stack = QUndoStack(self)

    # -- reading -------------------------------------------------------------------------

    @property
    def spec(self) -> VideoSpec | None:
        """The spec being edited (``None`` when no project is open)."""
        return self._spec

    @property
    def current(self) -> int:
        """Index of the selected scene, or -1."""
        return self._current

    def is_open(self) -> bool:
        """True when a project is open."""
        return self._spec is not None

    def require(self) -> VideoSpec:
        """The spec; raises :class:`InputError` if no project is open."""
        if self._spec is None:
            raise InputError("no project is open", hint="open or create a project first")
        return self._spec

    # -- loading / selection -------------------------------------------------------------

    def load(
        self,
        spec: VideoSpec,
        *,
        project_id: int | None = None,
        name: str | None = None,
        source_path: Path | None = None,
        source_kind: str = "",
    ) -> None:
        """Start editing ``spec`` (clears the undo history)."""
        self.undo_stack.clear()
        self._spec = spec
        self.project_id = project_id
        self.name = name or spec.title
        self.source_path = source_path
        self.source_kind = source_kind
        self._current = 0
        self.undo_stack.setClean()
        self.reset.emit()
        self.project_changed.emit()
        self.spec_changed.emit()
        self.current_changed.emit(self._current)

    def mark_saved(self, project_id: int) -> None:
        """Record that the spec was saved as project ``project_id``."""
        self.project_id = project_id
        self.undo_stack.setClean()
        self.project_changed.emit()

    def set_current(self, index: int) -> None:
        """Select scene ``index`` (clamped; -1 for none)."""
        count = len(self._spec.scenes) if self._spec is not None else 0
        index = -1 if count == 0 else max(-1, min(index, count - 1))
        if index != self._current:
            self._current = index
            self.current_changed.emit(index)

    # -- edits (each pushes one command) ------------------------------------------------

    def set_scene_field(self, index: int, field: str, value: Any) -> None:
        """Change one field of scene ``index`` (narration, voice and durations included)."""
        self._push(SetSceneFieldCommand(self, index, field, value))

    def set_narration(self, index: int, text: str | None) -> None:
        """Change the narration of scene ``index`` (``None``/empty: generated)."""
        self._push(SetNarrationCommand(self, index, text or None))

    def move_scene(self, source: int, target: int) -> None:
        """Move scene ``source`` to position ``target``."""
        if source != target:
            self._push(MoveSceneCommand(self, source, target))

    def add_scene(self, scene_type: str, index: int | None = None) -> None:
        """Insert a new scene of ``scene_type`` at ``index`` (default: after the current)."""
        self._push(AddSceneCommand(self, scene_type, index))

    def duplicate_scene(self, index: int) -> None:
        """Insert a copy of scene ``index`` right after it."""
        self._push(DuplicateSceneCommand(self, index))

    def delete_scene(self, index: int) -> None:
        """Delete scene ``index`` (the last scene cannot be deleted)."""
        self._push(DeleteSceneCommand(self, index))

    def set_format(self, video_format: VideoFormat | str) -> None:
        """Switch the aspect ratio (16:9, 9:16, 1:1)."""
        fmt = VideoFormat(video_format)
        if self.require().format is not fmt:
            self._push(SetFormatCommand(self, fmt))

    def set_theme(self, **changes: Any) -> None:
        """Change theme fields (``accent_color``, ``font_family``, ``dark``)."""
        self._push(SetThemeCommand(self, changes))

    def set_video_field(self, field: str, value: Any) -> None:
        """Change a video-wide field (``title``, ``voice``, ``language``, ``captions``, …)."""
        self._push(SetVideoFieldCommand(self, field, value))

    def replace_spec(self, spec: VideoSpec, text: str = "Apply suggested edits") -> None:
        """Replace the whole spec in one undoable step (e.g. a critique's edits)."""
        self._push(ReplaceSpecCommand(self, spec, text))

    def _push(self, command: _SpecCommand) -> None:
        if command.after != command.before:  # an edit that changes nothing is not a step
            self.undo_stack.push(command)

    # -- used by the commands ------------------------------------------------------------

    def _apply(self, spec: VideoSpec, kind: str, index: int, current: int | None) -> None:
        self._spec = spec
        if kind == "scene":
            self.scene_changed.emit(index)
        elif kind == "scenes":
            self.scenes_changed.emit()
        else:
            self.video_changed.emit()
        self.spec_changed.emit()
        if current is not None:
            self._current = -1  # force the signal: the scene at this index may be another one
            self.set_current(current)


class _SpecCommand(QUndoCommand):
    """Replaces the whole spec; undo puts the exact previous spec back.

    Subclasses compute ``after`` (validated) in their constructor, so an invalid edit raises
    :class:`InputError` and is never pushed.
    """

    kind = "video"

    def __init__(self, document: ProjectDocument, text: str) -> None:
        super().__init__(text)
        self.document = document
        self.before = document.require()
        self.after = self.before
        self.index = -1
        self.current_before = document.current
        self.current_after: int | None = None

    def redo(self) -> None:
        """Apply the edit."""
        self.document._apply(self.after, self.kind, self.index, self.current_after)

    def undo(self) -> None:
        """Restore the spec as it was before the edit."""
        current = self.current_before if self.current_after is not None else None
        self.document._apply(self.before, self.kind, self.index, current)

    def _with_scenes(self, scenes: list[Any], what: str) -> VideoSpec:
        data = self.before.model_dump()
        data["scenes"] = [scene.model_dump() for scene in scenes]
        return _validated(data, what)

    def _check_index(self, index: int) -> None:
        if not 0 <= index < len(self.before.scenes):
            raise InputError(
                f"there is no scene {index + 1}", hint="select a scene in the storyboard"
            )


class SetSceneFieldCommand(_SpecCommand):
    """Set one field of one scene."""

    kind = "scene"
    _merge_id = 1

    def __init__(self, document: ProjectDocument, index: int, field: str, value: Any) -> None:
        super().__init__(document, f"Change {field.replace('_', ' ')}")
        self._check_index(index)
        self.index = index
        self.field = field
        scene = self.before.scenes[index]
        if field == "scene_type" or field not in type(scene).model_fields:
            raise InputError(
                f"a {scene.scene_type} scene has no field {field!r}",
                hint="edit one of the fields shown in the properties panel",
            )
        data = scene.model_dump()
        data[field] = value
        try:
            new = _SCENE.validate_python(data)
        except PydanticValidationError as error:
            raise spec_error(error, source=f"scene {index + 1}") from error
        scenes = list(self.before.scenes)
        scenes[index] = new
        self.after = self._with_scenes(scenes, f"scene {index + 1}")

    def id(self) -> int:
        """Consecutive edits of the same text field merge into one undo step."""
        return self._merge_id

    def mergeWith(self, other: QUndoCommand) -> bool:
        """Merge a following edit of the same field of the same scene (typing)."""
        if (
            not isinstance(other, SetSceneFieldCommand)
            or type(other) is not type(self)
            or other.index != self.index
            or other.field != self.field
            or not isinstance(other.after.scenes[other.index].model_dump().get(self.field), str)
        ):
            return False
        self.after = other.after
        return True


class SetNarrationCommand(SetSceneFieldCommand):
    """Set the narration of one scene (``None`` means "generate it")."""

    _merge_id = 2

    def __init__(self, document: ProjectDocument, index: int, text: str | None) -> None:
        super().__init__(document, index, "narration", text)
        self.setText("Edit narration")


class MoveSceneCommand(_SpecCommand):
    """Move a scene to another position (drag and drop in the storyboard)."""

    kind = "scenes"

    def __init__(self, document: ProjectDocument, source: int, target: int) -> None:
        super().__init__(document, "Move scene")
        self._check_index(source)
        self._check_index(target)
        scenes = list(self.before.scenes)
        scenes.insert(target, scenes.pop(source))
        self.after = self._with_scenes(scenes, "reorder")
        self.current_after = target


class AddSceneCommand(_SpecCommand):
    """Insert a new scene of a chosen type."""

    kind = "scenes"

    def __init__(self, document: ProjectDocument, scene_type: str, index: int | None) -> None:
        super().__init__(document, f"Add {scene_type.replace('_', ' ')} scene")
        count = len(self.before.scenes)
        if count >= MAX_SCENES:
            raise InputError(
                f"a video holds at most {MAX_SCENES} scenes",
                hint="delete a scene first, or split the video in two",
            )
        at = document.current + 1 if index is None else index
        at = max(0, min(at, count))
        scenes = list(self.before.scenes)
        scenes.insert(at, new_scene(scene_type))
        self.after = self._with_scenes(scenes, "add scene")
        self.current_after = at


class DuplicateSceneCommand(_SpecCommand):
    """Insert a copy of a scene right after it."""

    kind = "scenes"

    def __init__(self, document: ProjectDocument, index: int) -> None:
        super().__init__(document, "Duplicate scene")
        self._check_index(index)
        if len(self.before.scenes) >= MAX_SCENES:
            raise InputError(
                f"a video holds at most {MAX_SCENES} scenes",
                hint="delete a scene first, or split the video in two",
            )
        scenes = list(self.before.scenes)
        copy = scenes[index].model_copy(deep=True)
        if copy.scene_id:
            copy = copy.model_copy(update={"scene_id": None})
        scenes.insert(index + 1, copy)
        self.after = self._with_scenes(scenes, "duplicate scene")
        self.current_after = index + 1


class DeleteSceneCommand(_SpecCommand):
    """Delete a scene (a video keeps at least one)."""

    kind = "scenes"

    def __init__(self, document: ProjectDocument, index: int) -> None:
        super().__init__(document, "Delete scene")
        self._check_index(index)
        if len(self.before.scenes) <= 1:
            raise InputError(
                "a video needs at least one scene",
                hint="add another scene before deleting this one",
            )
        scenes = list(self.before.scenes)
        del scenes[index]
        self.after = self._with_scenes(scenes, "delete scene")
        self.current_after = min(index, len(scenes) - 1)


class SetFormatCommand(_SpecCommand):
    """Switch the aspect ratio."""

    def __init__(self, document: ProjectDocument, video_format: VideoFormat) -> None:
        super().__init__(document, f"Format {video_format.value}")
        data = self.before.model_dump()
        data["format"] = video_format
        self.after = _validated(data, "format")


class SetThemeCommand(_SpecCommand):
    """Change the theme: accent colour, font family, light/dark."""

    def __init__(self, document: ProjectDocument, changes: Mapping[str, Any]) -> None:
        super().__init__(document, "Change theme")
        data = self.before.model_dump()
        unknown = set(changes) - set(data["theme"])
        if unknown:
            raise InputError(
                f"the theme has no field {sorted(unknown)[0]!r}",
                hint="use accent_color, font_family or dark",
            )
        data["theme"] = {**data["theme"], **changes}
        self.after = _validated(data, "theme")


class SetVideoFieldCommand(_SpecCommand):
    """Change a video-wide field (title, voice, language, captions, transition, …)."""

    def __init__(self, document: ProjectDocument, field: str, value: Any) -> None:
        super().__init__(document, f"Change {field.replace('_', ' ')}")
        if field == "scenes" or field not in VideoSpec.model_fields:
            raise InputError(
                f"a video has no field {field!r}", hint="edit one of the video's fields"
            )
        data = self.before.model_dump()
        data[field] = value
        self.after = _validated(data, field)


class ReplaceSpecCommand(_SpecCommand):
    """Replace the spec with another (validated) one: several changes as one undo step."""

    kind = "scenes"

    def __init__(self, document: ProjectDocument, spec: VideoSpec, text: str) -> None:
        super().__init__(document, text)
        self.after = _validated(spec.model_dump(), "edits")
        self.current_after = min(document.current, len(self.after.scenes) - 1)
