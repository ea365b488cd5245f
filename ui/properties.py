"""The properties panel: every field of the selected scene, and the video's own fields.

The scene form is generated from the pydantic fields of the selected scene's class
(:mod:`ui.fields`), so every scene type — ``clip`` and ``ad`` included — is editable. Narration,
voice and the duration bounds come first; the generated narration is shown as the placeholder
of an empty narration. Each finished edit becomes one undoable document command; a value the
model rejects is not applied and the message says what is wrong.

Each scene type's form is built once and kept (a stack of forms): selecting another scene only
fills in values, so clicking through a storyboard never rebuilds widgets on the GUI thread. The
forms of the types not shown yet are built one per idle moment after the panel opens.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pipeline.errors import StudioError
from pipeline.models import Theme, VideoSpec
from pipeline.narration import narrate_scene
from pipeline.scene_types import REGISTRY
from ui.document import ProjectDocument
from ui.fields import FieldEditor, label_for, make_editor

FIRST_SCENE_FIELDS = ("narration", "voice", "min_duration_s", "max_duration_s")
LAST_SCENE_FIELDS = ("scene_id",)
VIDEO_FIELDS = (
    "title",
    "description",
    "format",
    "voice",
    "language",
    "captions",
    "transition_s",
    "fps",
    "music",
    "music_level_db",
)


def scene_field_order(model: type[Any]) -> list[str]:
    """Field names of a scene class in form order (common fields first, ``scene_id`` last)."""
    names = [n for n in model.model_fields if n != "scene_type"]
    middle = [n for n in names if n not in FIRST_SCENE_FIELDS + LAST_SCENE_FIELDS]
    return [*FIRST_SCENE_FIELDS, *middle, *LAST_SCENE_FIELDS]


class _Form(QWidget):
    """A form of field editors plus a line for the last validation error."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(6, 6, 6, 6)
        self.heading = QLabel(self)
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() + 1)
        self.heading.setFont(font)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setObjectName("validation_error")
        pal = self.error.palette()
        pal.setColor(QPalette.ColorRole.WindowText, pal.color(QPalette.ColorRole.BrightText))
        self.error.setPalette(pal)
        self.error.hide()
        self.layout_.addWidget(self.heading)
        self.layout_.addWidget(self.error)
        self.layout_.addStretch(1)
        self.editors: dict[str, FieldEditor] = {}
        self._groups: list[QWidget] = []
        self.scene_index = -1
        """The scene whose values the form shows (a scene form's edits go to it)."""

    def clear(self) -> None:
        for group in self._groups:
            group.setParent(None)
            group.deleteLater()
        self._groups.clear()
        self.editors.clear()

    def add_group(self, title: str, model: type[Any], names: list[str], prefix: str = "") -> None:
        box = QGroupBox(title, self)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name in names:
            editor = make_editor(name, model.model_fields[name])
            editor.widget.setParent(box)
            description = model.model_fields[name].description
            if description:
                editor.widget.setToolTip(description)
            form.addRow(label_for(name), editor.widget)
            self.editors[prefix + name] = editor
        self.layout_.insertWidget(self.layout_.count() - 1, box)
        self._groups.append(box)

    def show_error(self, error: StudioError | None) -> None:
        if error is None:
            self.error.hide()
            self.error.clear()
        else:
            self.error.setText(f"{error.message} — {error.hint}" if error.hint else error.message)
            self.error.show()


class PropertiesPanel(QTabWidget):
    """Scene and video properties of the document."""

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._empty_form = _Form()
        self._scene_forms: dict[str, _Form] = {}
        self.scene_stack = QStackedWidget()
        self.scene_stack.addWidget(self._empty_form)
        self.video_form = _Form()
        for form, title in ((self.scene_stack, "Scene"), (self.video_form, "Video")):
            scroll = QScrollArea(self)
            scroll.setWidgetResizable(True)
            scroll.setWidget(form)
            self.addTab(scroll, title)
        self._build_video_form()
        self._prebuild = [name for name in REGISTRY if name not in self._scene_forms]
        self._prebuilder = QTimer(self)
        self._prebuilder.setInterval(50)
        self._prebuilder.timeout.connect(self._prebuild_one)
        self._prebuilder.start()
        document.current_changed.connect(lambda _i: self._refresh_scene())
        document.spec_changed.connect(self._refresh_scene)
        document.spec_changed.connect(self._refresh_video)
        document.reset.connect(self._refresh_scene)
        self._refresh_scene()
        self._refresh_video()

    # -- scene -----------------------------------------------------------------------------

    @property
    def scene_form(self) -> _Form:
        """The scene form shown now (the selected scene's type; a heading only without one)."""
        widget = self.scene_stack.currentWidget()
        assert isinstance(widget, _Form)
        return widget

    def _form_for(self, scene_type: str, model: type[Any]) -> _Form:
        """The form of ``scene_type`` (built the first time it is needed)."""
        form = self._scene_forms.get(scene_type)
        if form is None:
            form = _Form()
            form.add_group("Narration and timing", model, list(FIRST_SCENE_FIELDS))
            middle = [n for n in scene_field_order(model) if n not in FIRST_SCENE_FIELDS]
            form.add_group("Content", model, middle)
            for name, editor in form.editors.items():
                editor.committed.connect(lambda f=form, n=name: self._commit_scene(f, n))
            self._scene_forms[scene_type] = form
            self.scene_stack.addWidget(form)
        return form

    def _prebuild_one(self) -> None:
        """Build one more scene type's form while the window is idle."""
        while self._prebuild:
            name = self._prebuild.pop(0)
            if name not in self._scene_forms:
                self._form_for(name, REGISTRY[name].model)
                return
        self._prebuilder.stop()

    def _refresh_scene(self) -> None:
        spec, index = self.document.spec, self.document.current
        if spec is None or not 0 <= index < len(spec.scenes):
            form = self._empty_form
            form.heading.setText(
                "No project open" if spec is None else "Select a scene in the storyboard"
            )
            self.scene_stack.setCurrentWidget(form)
            return
        scene = spec.scenes[index]
        form = self._form_for(scene.scene_type, type(scene))
        if index != form.scene_index or self.scene_stack.currentWidget() is not form:
            form.show_error(None)  # a message about another scene does not belong here
        form.scene_index = index
        form.heading.setText(f"Scene {index + 1}: {scene.scene_type.replace('_', ' ')}")
        for name, editor in form.editors.items():
            editor.set_value(getattr(scene, name))
        narration = form.editors.get("narration")
        if narration is not None and isinstance(narration.widget, QPlainTextEdit):
            narration.widget.setPlaceholderText(
                "Generated: " + narrate_scene(scene, language=spec.language)
            )
        self.scene_stack.setCurrentWidget(form)

    def _commit_scene(self, form: _Form, name: str) -> None:
        """An edit finished in ``form``: it goes to the scene the form shows (which is no
        longer the selected one when the edit ends because another scene was clicked)."""
        index = form.scene_index
        spec = self.document.spec
        if spec is None or not 0 <= index < len(spec.scenes):
            return
        scene = spec.scenes[index]
        if self._scene_forms.get(scene.scene_type) is not form:
            return  # the scene changed type (undo, delete) since the form showed it
        editor = form.editors[name]
        value = editor.value()
        if value == getattr(scene, name):
            return
        try:
            if name == "narration":
                self.document.set_narration(index, value)
            else:
                self.document.set_scene_field(index, name, value)
        except StudioError as error:
            form.show_error(error)
            return
        form.show_error(None)

    # -- video -------------------------------------------------------------------------------

    def _build_video_form(self) -> None:
        form = self.video_form
        form.add_group("Video", VideoSpec, list(VIDEO_FIELDS))
        form.add_group("Theme", Theme, list(Theme.model_fields), prefix="theme.")
        for name, editor in form.editors.items():
            editor.committed.connect(lambda n=name: self._commit_video(n))

    def _refresh_video(self) -> None:
        spec = self.video_form
        doc_spec = self.document.spec
        self.setTabEnabled(1, doc_spec is not None)
        if doc_spec is None:
            spec.heading.setText("No project open")
            return
        spec.heading.setText(doc_spec.title)
        for name, editor in spec.editors.items():
            if name.startswith("theme."):
                editor.set_value(getattr(doc_spec.theme, name.removeprefix("theme.")))
            else:
                editor.set_value(getattr(doc_spec, name))

    def _commit_video(self, name: str) -> None:
        spec = self.document.spec
        if spec is None:
            return
        value = self.video_form.editors[name].value()
        try:
            if name.startswith("theme."):
                field = name.removeprefix("theme.")
                if value == getattr(spec.theme, field):
                    return
                self.document.set_theme(**{field: value})
            elif name == "format":
                self.document.set_format(value)
            else:
                if value == getattr(spec, name):
                    return
                self.document.set_video_field(name, value)
        except StudioError as error:
            self.video_form.show_error(error)
            return
        self.video_form.show_error(None)
