"""The template editor's tabs: General, Look & sound, Fields, Scenes (beats of an ad, the
clip of a persona template, the scenes of a tutorial) and Hooks (the 5 alternate hooks of an
ad). Each input is bound to its path of the template's data (:mod:`ui.template_forms`), so
every edit is undoable and every problem appears under the input at fault.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from pipeline.models import NAMED_ACCENTS, SCENE_TYPES, InfographicKind, Theme
from pipeline.templates import KIND_NAMES
from pipeline.templates.edit import AD_ROLES, new_beat, new_field, new_hook
from pipeline.templates.rules import COMMON_FIELD_NAMES, FIELD_TYPES
from studio.api import RenderOverrides
from ui.document import DEFAULT_SCENES
from ui.fields import FieldEditor, label_for, make_editor
from ui.template_document import TemplateDocument
from ui.template_forms import Binder, Binding, ListSection

FORMATS = (
    ("16:9 landscape", "16:9"),
    ("9:16 portrait (Shorts, Reels)", "9:16"),
    ("1:1 square", "1:1"),
)
FIELD_TYPE_LABELS = {
    "text": "Text (one line)",
    "long_text": "Long text",
    "image": "Image file",
    "colour": "Colour",
}
MUSIC_BEDS = ("calm", "bright", "pulse")
"""The bundled music beds (audio helper's names); any audio file works too."""
PERSONA_PARTS = ("Intro card", "AI clip", "Outro card")


def scroll(widget: QWidget) -> QScrollArea:
    """``widget`` in a scroll area that resizes it."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(widget)
    return area


def top_form(widget: QWidget) -> QFormLayout:
    """A form at the top of ``widget`` (extra height goes below it, not between its rows)."""
    outer = QVBoxLayout(widget)
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    outer.addLayout(form)
    outer.addStretch(1)
    return form


def slots_hint(document: TemplateDocument) -> str:
    """``"Slots you can use: {product} {problem} … {title}"``."""
    names = [str(f.get("name")) for f in document.items(("fields",)) if isinstance(f, dict)]
    return "Slots you can use: " + " ".join(f"{{{n}}}" for n in [*names, *COMMON_FIELD_NAMES])


class GeneralPage(QWidget):
    """Id, name, description, kind, format, transitions, and the kind's own settings."""

    def __init__(self, document: TemplateDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.binder = Binder(document, self)
        b = self.binder
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.id_input = b.line(("id",), placeholder="lower-case letters, digits, _ and .")
        form.addRow("Id", self.id_input.container)
        form.addRow("Name", b.line(("name",)).container)
        form.addRow("Description", b.plain(("description",), rows=3).container)
        kinds = [(label, kind) for kind, label in KIND_NAMES.items()]
        self.kind_input = b.combo(
            ("kind",), kinds, on_commit=lambda kind: document.set_kind(str(kind))
        )
        form.addRow("Kind", self.kind_input.container)
        form.addRow("Format", b.combo(("format",), FORMATS).container)
        form.addRow(
            "Transitions",
            b.number(
                ("transition_s",), minimum=0.0, maximum=2.0, step=0.1, suffix=" s crossfade",
                special="Hard cuts",
            ).container,
        )  # fmt: skip
        self.kind_box = QGroupBox(self)
        self._kind_form: QWidget | None = None
        self._kind_shown = ""
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.kind_box)
        layout.addStretch(1)
        QVBoxLayout(self.kind_box)
        document.structure_changed.connect(self._build_kind_form)
        self._build_kind_form()

    def _build_kind_form(self) -> None:
        kind = self.document.kind
        id_edit = self.id_input.widget
        assert isinstance(id_edit, QLineEdit)
        id_edit.setReadOnly(kind == "persona")
        self.id_input.widget.setToolTip(
            "A persona clip's id is persona.topic: change the persona or the topic"
            if kind == "persona"
            else ""
        )
        if kind == self._kind_shown:
            return
        self._kind_shown = kind
        if self._kind_form is not None:
            self._kind_form.setParent(None)
            self._kind_form.deleteLater()
        holder = QWidget()
        binder = Binder(self.document, holder)
        form = top_form(holder)
        self.kind_box.setTitle(f"{KIND_NAMES.get(kind, kind)} settings")
        if kind == "ad":
            form.addRow("Video title", binder.line(("title",), placeholder="{product}").container)
            form.addRow("Tone", binder.line(("tone",)).container)
            form.addRow("Target emotion", binder.line(("target_emotion",)).container)
            form.addRow("Hook format", binder.line(("hook_format",)).container)
            pacing = QLabel(
                "Pacing (fixed for ads): the hook lasts at most 1.8 s, every other beat 2–3 s, "
                "the whole ad 30 s ± 3 s; on-screen text 0.3 s before the voice."
            )
            pacing.setWordWrap(True)
            form.addRow(pacing)
        elif kind == "persona":
            form.addRow(
                "Persona", binder.line(("persona",), placeholder="savings_builder").container
            )
            form.addRow("Persona name", binder.line(("persona_name",)).container)
            form.addRow("Topic", binder.line(("topic",), placeholder="goal_setting").container)
            form.addRow("Tone", binder.line(("tone",)).container)
        else:
            form.addRow("Video title", binder.line(("title",)).container)
        box_layout = self.kind_box.layout()
        assert box_layout is not None
        box_layout.addWidget(holder)
        self._kind_form = holder
        self.kind_binder = binder


class LookPage(QWidget):
    """Theme (accent, font, background), voice, music and caption style."""

    def __init__(self, document: TemplateDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.binder = Binder(document, self)
        b = self.binder
        form = top_form(self)

        box = QCheckBox("Give videos of this template their own look")
        self.own_look = b.bind(
            box,
            ("theme",),
            lambda: box.isChecked() or None,
            lambda value: box.setChecked(value is not None),
            exact=True,
        )
        box.toggled.connect(
            lambda on: document.set_value(("theme",), Theme().model_dump() if on else None)
        )
        form.addRow(self.own_look.container)
        accents = [(f"{name.capitalize()} {value}", value) for name, value in NAMED_ACCENTS.items()]
        theme = self._theme_path
        form.addRow(
            "Accent colour", b.combo(theme("accent_color"), accents, editable=True).container
        )
        fonts = [("Sans serif", "sans"), ("Serif", "serif")]
        form.addRow("Font", b.combo(theme("font_family"), fonts).container)
        backgrounds = [("Light", False), ("Dark", True)]
        form.addRow("Background", b.combo(theme("dark"), backgrounds).container)
        voices = [("Your default voice", ""), ("Male", "male"), ("Female", "female")]
        form.addRow("Voice", b.combo(("voice",), voices, editable=True).container)
        music_row = QWidget()
        row = QHBoxLayout(music_row)
        row.setContentsMargins(0, 0, 0, 0)
        beds = [("No music (or your setting)", "")] + [(f"Bundled bed: {n}", n) for n in MUSIC_BEDS]
        self.music = b.combo(("music",), beds, editable=True)
        browse = QPushButton("Audio file…")
        browse.clicked.connect(self._pick_music)
        row.addWidget(self.music.container, 1)
        row.addWidget(browse)
        form.addRow("Music", music_row)
        styles = [
            ("Your setting", ""),
            ("Highlight the spoken word", "highlight"),
            ("Plain", "plain"),
        ]
        form.addRow("Caption style", b.combo(("caption_style",), styles).container)
        missing = [
            name
            for name, label in (("music", "music"), ("caption_style", "caption style"))
            if name not in RenderOverrides.model_fields
        ]
        note = QLabel(
            "Kept with the template; "
            + " and ".join(missing)
            + " will apply to renders once this Video Studio offers "
            + ("them." if len(missing) > 1 else "it.")
            if missing
            else "Music and caption style apply to every render of this template."
        )
        note.setWordWrap(True)
        form.addRow(note)

    def _theme_path(self, key: str) -> Callable[[], tuple[str, ...] | None]:
        def path() -> tuple[str, ...] | None:
            return ("theme", key) if self.document.value(("theme",)) is not None else None

        return path

    def _pick_music(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Music for this template", "", "Audio (*.mp3 *.wav *.m4a *.ogg *.flac)"
        )
        if name:
            self.document.set_value(("music",), name)


class FieldsPage(QWidget):
    """The fields (slots) the user fills: name, label, type, required, default, help, length."""

    def __init__(self, document: TemplateDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document

        def describe(_i: int, field: Any) -> str:
            if not isinstance(field, dict):
                return "?"
            parts = [f"{{{field.get('name', '')}}}" + (" *" if field.get("required") else "")]
            if field.get("label"):
                parts.append(str(field["label"]))
            parts.append(FIELD_TYPE_LABELS.get(str(field.get("type", "text")), ""))
            return " · ".join(parts)

        def add() -> dict[str, Any]:
            names = [str(f.get("name")) for f in document.items(("fields",)) if isinstance(f, dict)]
            return new_field(names)

        self.section = ListSection(document, ("fields",), describe, [("field", add)], noun="field")
        self.binder = Binder(document, self)
        b = self.binder
        at = self._at
        detail = QWidget()
        form = top_form(detail)
        form.addRow("Name (the {slot})", b.line(at("name"), placeholder="product").container)
        form.addRow("Label", b.line(at("label"), placeholder="what the wizard calls it").container)
        types = [(FIELD_TYPE_LABELS[t], t) for t in FIELD_TYPES]
        form.addRow("Type", b.combo(at("type"), types).container)
        form.addRow(b.check(at("required"), "Required").container)
        form.addRow("Default", b.line(at("default")).container)
        form.addRow(
            "Help",
            b.line(at("help"), placeholder="one line; e.g. … gives a sample value").container,
        )
        form.addRow(
            "Max length",
            b.number(at("max_chars"), minimum=1, maximum=8000, step=10, decimals=0, suffix=" characters").container,
        )  # fmt: skip
        splitter = QSplitter(self)
        splitter.addWidget(self.section)
        splitter.addWidget(scroll(detail))
        splitter.setSizes([260, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.section.selected.connect(self._on_selected)

    def _on_selected(self, _row: int) -> None:
        self.binder.refresh()
        self.binder.show_problems()

    def _at(self, key: str) -> Callable[[], tuple[str | int, ...] | None]:
        def path() -> tuple[str | int, ...] | None:
            row = self.section.current()
            return ("fields", row, key) if row >= 0 else None

        return path


class ScenesPage(QWidget):
    """The beats of an ad, the intro/clip/outro of a persona clip, or the scenes of a
    tutorial — with the form of the selected one.

    Signals:
        scene_selected(int): the selected scene's index in the video (-1: none).
    """

    scene_selected = Signal(int)

    def __init__(self, document: TemplateDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.stack = QStackedWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self._kind = ""
        self._page: QWidget | None = None
        self.section: ListSection | None = None
        self.persona_list: QListWidget | None = None
        self.binder: Binder | None = None
        self.detail_binder: Binder | None = None
        self._detail_key: tuple[Any, ...] = ()
        self._detail_holder: QWidget | None = None
        self.total_label = QLabel()
        document.structure_changed.connect(self._on_structure)
        document.changed.connect(self._update_total)
        self._on_structure()

    # -- building ------------------------------------------------------------------------------

    def _on_structure(self) -> None:
        kind = self.document.kind
        if kind != self._kind:
            self._kind = kind
            self._build(kind)
        self._show_detail()

    def _build(self, kind: str) -> None:
        if self._page is not None:
            self.stack.removeWidget(self._page)
            self._page.setParent(None)
            self._page.deleteLater()
        self.section, self.persona_list, self._detail_key = None, None, ()
        page = QWidget()
        splitter = QSplitter(page)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        if kind == "persona":
            self.persona_list = QListWidget()
            self.persona_list.setObjectName("list_persona_parts")
            self.persona_list.addItems(list(PERSONA_PARTS))
            self.persona_list.currentRowChanged.connect(lambda _r: self._show_detail())
            left_layout.addWidget(
                QLabel("A persona clip is an intro card, the AI clip and an outro card.")
            )
            left_layout.addWidget(self.persona_list, 1)
        else:
            if kind == "ad":
                choices = [(role.capitalize(), lambda r=role: new_beat(r)) for role in AD_ROLES]
                noun = "beat"
                describe: Callable[[int, Any], str] = self._describe_beat
            else:
                choices = [
                    (
                        t.replace("_", " ").capitalize(),
                        lambda t=t: {"scene_type": t, **DEFAULT_SCENES[t]},
                    )
                    for t in SCENE_TYPES
                    if t in DEFAULT_SCENES
                ]
                noun, describe = "scene", self._describe_scene
            self.section = ListSection(self.document, ("scenes",), describe, choices, noun=noun)
            self.section.selected.connect(lambda _r: self._show_detail())
            left_layout.addWidget(self.section, 1)
            if kind == "ad":
                left_layout.addWidget(self.total_label)
        self.detail_area = QScrollArea()
        self.detail_area.setWidgetResizable(True)
        splitter.addWidget(left)
        splitter.addWidget(self.detail_area)
        splitter.setSizes([300, 420])
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(splitter)
        self.stack.addWidget(page)
        self.stack.setCurrentWidget(page)
        self._page = page
        if self.persona_list is not None:
            self.persona_list.setCurrentRow(1)
        self._update_total()

    @staticmethod
    def _describe_beat(i: int, beat: Any) -> str:
        if not isinstance(beat, dict):
            return "?"
        span = beat.get("duration_s") or ["?", "?"]
        try:
            times = f"{float(span[0]):g}–{float(span[1]):g} s"
        except (TypeError, ValueError, IndexError):
            times = "? s"
        product = "" if beat.get("product", True) else "  (no product)"
        return f"{i + 1}. {beat.get('role', '?')} · {times} · {beat.get('text', '')}{product}"

    @staticmethod
    def _describe_scene(i: int, scene: Any) -> str:
        if not isinstance(scene, dict):
            return "?"
        kind = str(scene.get("scene_type", "?"))
        text = next(
            (
                str(scene[k])
                for k in (
                    "title",
                    "header",
                    "main_text",
                    "headline",
                    "question",
                    "quote_text",
                    "lesson_title",
                )
                if isinstance(scene.get(k), str) and scene.get(k)
            ),
            "",
        )
        return f"{i + 1}. {kind.replace('_', ' ').capitalize()} · {text}"

    def _update_total(self) -> None:
        if self.document.kind != "ad":
            return
        spans = [
            b.get("duration_s") for b in self.document.items(("scenes",)) if isinstance(b, dict)
        ]
        try:
            low = sum(float(s[0]) for s in spans if s)
            high = sum(float(s[1]) for s in spans if s)
            self.total_label.setText(
                f"{len(spans)} beats, {low:.1f}–{high:.1f} s in all (an ad lasts 30 s ± 3 s)"
            )
        except (TypeError, ValueError, IndexError):
            self.total_label.setText("")

    # -- the selected scene's form --------------------------------------------------------------

    def current_index(self) -> int:
        """The selected scene's index in the video (persona: 0 intro, 1 clip, 2 outro)."""
        if self.persona_list is not None:
            return self.persona_list.currentRow()
        return self.section.current() if self.section is not None else -1

    def select(self, index: int) -> None:
        """Select scene ``index``."""
        if self.persona_list is not None:
            self.persona_list.setCurrentRow(index)
        elif self.section is not None:
            self.section.set_current(index)

    def _show_detail(self) -> None:
        index = self.current_index()
        kind = self.document.kind
        scene_type = ""
        if kind == "tutorial" and index >= 0:
            scene_type = str(self.document.value(("scenes", index, "scene_type")) or "")
        key = (kind, scene_type, index if kind == "persona" else index >= 0)
        if key != self._detail_key:
            self._detail_key = key
            holder = QWidget()
            self.detail_binder = Binder(self.document, holder)
            form = top_form(holder)
            if index >= 0:
                if kind == "ad":
                    self._ad_form(form, self.detail_binder)
                elif kind == "persona":
                    self._persona_form(form, self.detail_binder, index)
                elif kind == "tutorial":
                    self._tutorial_form(form, self.detail_binder, scene_type)
                hint = QLabel(slots_hint(self.document))
                hint.setWordWrap(True)
                hint.setObjectName("slots_hint")
                form.addRow(hint)
            self._detail_holder = holder
            self.detail_area.setWidget(holder)
        elif self.detail_binder is not None:
            self.detail_binder.refresh()
            self.detail_binder.show_problems()
        self.scene_selected.emit(index)

    def _at(self, *keys: str) -> Callable[[], tuple[str | int, ...] | None]:
        def path() -> tuple[str | int, ...] | None:
            index = self.current_index()
            return ("scenes", index, *keys) if index >= 0 else None

        return path

    def _ad_form(self, form: QFormLayout, b: Binder) -> None:
        at = self._at
        form.addRow("Role", b.combo(at("role"), [(r.capitalize(), r) for r in AD_ROLES]).container)
        form.addRow("Duration", b.span(at("duration_s")).container)
        form.addRow("On-screen text", b.line(at("text")).container)
        form.addRow("Smaller line", b.line(at("body")).container)
        form.addRow("Narration", b.plain(at("narration"), rows=2).container)
        form.addRow(b.check(at("product"), "Show the product image").container)

    def _persona_form(self, form: QFormLayout, b: Binder, index: int) -> None:
        if index == 0:
            form.addRow("Title", b.line(("intro", "title")).container)
            form.addRow("Subtitle", b.line(("intro", "subtitle")).container)
            form.addRow("Narration", b.plain(("intro", "narration"), rows=2).container)
        elif index == 2:
            form.addRow("Main line", b.line(("outro", "main_text")).container)
            form.addRow("Smaller line", b.line(("outro", "sub_text")).container)
            form.addRow("Narration", b.plain(("outro", "narration"), rows=2).container)
        else:
            form.addRow(
                "AI prompt",
                b.plain(("prompt",), rows=4, placeholder="what the AI clip shows").container,
            )
            form.addRow("Visual metaphor", b.line(("visual_metaphor",)).container)
            form.addRow(
                "Duration",
                b.number(("duration_s",), minimum=4, maximum=60, step=1, suffix=" s").container,
            )
            form.addRow("Headline", b.line(("headline",)).container)
            form.addRow("Smaller text", b.plain(("body",), rows=2).container)
            form.addRow("Narration", b.plain(("narration",), rows=3).container)
            kinds = [(k.value.capitalize(), k.value) for k in InfographicKind]
            box = QGroupBox("Animated infographic (shown when there is no AI clip)")
            inner = QFormLayout(box)
            inner.addRow("Kind", b.combo(("infographic", "kind"), kinds).container)
            inner.addRow("Title", b.line(("infographic", "title")).container)
            inner.addRow(
                "Values",
                b.csv(
                    ("infographic", "values"), numbers=True, placeholder="0.6  or  120, 80, 40"
                ).container,
            )
            inner.addRow(
                "Labels", b.csv(("infographic", "labels"), placeholder="Rent, Food, Fun").container
            )
            inner.addRow(
                "Unit", b.line(("infographic", "unit"), placeholder="$, %, days").container
            )
            form.addRow(box)

    def _tutorial_form(self, form: QFormLayout, b: Binder, scene_type: str) -> None:
        at = self._at
        types = [(t.replace("_", " ").capitalize(), t) for t in SCENE_TYPES if t in DEFAULT_SCENES]

        def change_type(new_type: Any) -> None:
            index = self.current_index()
            if index < 0 or new_type == scene_type:
                return
            old = self.document.value(("scenes", index)) or {}
            scene = {"scene_type": new_type, **DEFAULT_SCENES[str(new_type)]}
            if isinstance(old, dict) and old.get("narration"):
                scene["narration"] = old["narration"]
            self.document.replace_item(("scenes", index), scene, text="Change scene type")

        form.addRow("Scene type", b.combo(at("scene_type"), types, on_commit=change_type).container)
        model = _scene_model(scene_type)
        if model is None:
            return
        names = [n for n in model.model_fields if n not in ("scene_type", "scene_id", "voice")]
        first = ["narration", "min_duration_s", "max_duration_s"]
        for name in [*[n for n in names if n not in first], *first]:
            info = model.model_fields[name]
            editor = make_editor(name, info)
            default = None if info.is_required() else info.get_default(call_default_factory=True)
            binding = _bind_editor(b, editor, at(name), default)
            form.addRow(label_for(name), binding.container)


def _scene_model(scene_type: str) -> type[BaseModel] | None:
    from pydantic import TypeAdapter

    from pipeline.models import Scene

    try:
        scene = TypeAdapter(Scene).validate_python(
            {"scene_type": scene_type, **DEFAULT_SCENES[scene_type]}
        )
    except (KeyError, ValueError):
        return None
    return type(scene)


def _bind_editor(
    binder: Binder, editor: FieldEditor, path: Callable[[], Any], default: Any = None
) -> Binding:
    """Bind a generated field editor (``ui.fields``); a key the scene leaves out shows the
    scene type's ``default``; list items that are plain strings in the template
    (``items: ["{point_1}"]``) stay strings."""
    records = editor.shape.kind == "records"

    def to_editor(value: Any) -> Any:
        if value is None:
            value = default
        if records and isinstance(value, list):
            return [{"title": v} if isinstance(v, str) else v for v in value]
        return value

    def from_editor(value: Any) -> Any:
        if records and isinstance(value, list):
            return [
                v.get("title", "") if isinstance(v, dict) and not v.get("description") else v
                for v in value
            ]
        return value

    binding = binder.bind(
        editor.widget,
        path,
        lambda: from_editor(editor.value()),
        lambda v: editor.set_value(to_editor(v)),
    )
    editor.committed.connect(lambda: binder.commit(binding, from_editor(editor.value())))
    return binding


class HooksPage(QWidget):
    """The 5 alternate hooks of an ad (A/B tests): angle, on-screen text, narration.

    Signals:
        hook_selected(int): the selected hook (-1: none).
    """

    hook_selected = Signal(int)

    def __init__(self, document: TemplateDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document

        def describe(i: int, hook: Any) -> str:
            if not isinstance(hook, dict):
                return "?"
            angle = f"{hook.get('angle')} — " if hook.get("angle") else ""
            return f"{i + 1}. {angle}{hook.get('text', '')}"

        intro = QLabel(
            "An ad has 5 alternate hooks: `render --hooks` makes one video per hook, the rest "
            "of the ad unchanged (for A/B tests)."
        )
        intro.setWordWrap(True)
        self.section = ListSection(
            document, ("hooks",), describe, [("hook", new_hook)], noun="hook"
        )
        self.binder = Binder(document, self)
        b = self.binder
        detail = QWidget()
        form = top_form(detail)
        form.addRow(
            "Angle", b.line(self._at("angle"), placeholder="pain, curiosity, benefit…").container
        )
        form.addRow("On-screen text", b.line(self._at("text")).container)
        form.addRow("Narration", b.plain(self._at("narration"), rows=2).container)
        self.hint = QLabel(slots_hint(document))
        self.hint.setWordWrap(True)
        form.addRow(self.hint)
        splitter = QSplitter(self)
        splitter.addWidget(self.section)
        splitter.addWidget(scroll(detail))
        splitter.setSizes([300, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(intro)
        layout.addWidget(splitter, 1)
        self.section.selected.connect(self._on_selected)
        document.structure_changed.connect(lambda: self.hint.setText(slots_hint(document)))

    def _on_selected(self, row: int) -> None:
        self.binder.refresh()
        self.binder.show_problems()
        self.hook_selected.emit(row)

    def _at(self, key: str) -> Callable[[], tuple[str | int, ...] | None]:
        def path() -> tuple[str | int, ...] | None:
            row = self.section.current()
            return ("hooks", row, key) if row >= 0 else None

        return path


__all__ = [
    "FieldsPage",
    "GeneralPage",
    "HooksPage",
    "LookPage",
    "ScenesPage",
    "slots_hint",
]
