"""The New Project wizard: source → style → format → voice → AI options → review → project.

Every page exposes its widgets as attributes (``wizard.source_page.path_edit``, …) so a test
can drive it. Slow work runs off the GUI thread (:mod:`ui.operations`): loading and parsing
the source (a PDF is parsed in a child process), voice samples, measuring narration, and
saving the project. Estimates (cost, length, render time) come from plain functions below.
"""

from __future__ import annotations

import html
import importlib.util
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from pipeline.adapters import SUPPORTED_SUFFIXES, load_document, spec_from_markdown
from pipeline.adapters.builder import VideoBuilder
from pipeline.errors import StudioError
from pipeline.models import NAMED_ACCENTS, VideoFormat, VideoSpec, parse_color
from pipeline.narration import script_stage
from pipeline.speech.base import SpeechAudio, VoiceRef
from pipeline.speech.chain import SpeechEngine
from pipeline.speech.registry import about_providers
from pipeline.speech.voices import NAMED_VOICES
from studio.api import (
    RenderOverrides,
    Studio,
    StudioSettings,
    TemplateLibrary,
    estimate_ai_costs,
    with_setting_defaults,
)
from ui import icons
from ui.media import sound_enabled
from ui.music_picker import MusicPicker
from ui.settings_dialog import error_text, language_choices, run_in_background
from ui.template_fields import FieldInput
from ui.template_gallery import TemplateGallery

# -- messages --------------------------------------------------------------------------------


class Msg:
    """Every user-facing text of the wizard, in one place."""

    title = "New project"
    loading = "Reading {what}…"
    loaded = "{title}: {scenes} scenes"
    no_source = "Choose a file, paste some text or pick a template."
    empty_text = "Paste some text first."
    no_paid_calls = "No paid calls will be made."
    cost = "Estimated cost: ${usd:.4f} ({details}). Nothing is spent before you render."
    cost_none = "Estimated cost: $0.00 (this project has no scenes the chosen AI options use)."
    budget = "Daily budget ${budget:.2f}; prices as of {date} (check them in Settings)."
    length = "Estimated length: {length} ({how})"
    length_words = "from word count; measuring the real voice…"
    length_measured = "measured with the offline voice"
    scenes_condensed = "{shown} scenes, condensed from {scenes} for the {target} target"
    render_time = (
        "Estimated render time: {time} (assumes rendering runs {rtf:g}× faster than "
        "real time, as measured on the reference 2-core machine)"
    )
    sample_failed = "Could not make a sample: {error}"
    saving = "Creating the project…"
    save_failed = "The project was not created: {error}"


WORDS_PER_SECOND = 2.5
"""Speaking rate assumed before the real narration is measured."""
PADDING_PER_SCENE_S = 1.0
"""Lead-in + tail of each scene (pipeline.timeline defaults 0.4 s + 0.6 s)."""
REALTIME_FACTOR = 6.0
"""Seconds of video rendered per wall-clock second on the reference machine (2 cores, x264)."""

SAMPLE_TEXT: dict[str, str] = {
    "en": "Hello! This is how I will sound in your video.",
    "es": "¡Hola! Así sonaré en tu vídeo.",
    "fr": "Bonjour ! Voici ma voix dans votre vidéo.",
    "de": "Hallo! So klinge ich in deinem Video.",
    "it": "Ciao! Ecco come suonerò nel tuo video.",
    "pt": "Olá! É assim que vou soar no seu vídeo.",
}


def estimate_length_s(spec: VideoSpec, durations_s: list[float] | None = None) -> float:
    """Video length: measured narration (or words ÷ :data:`WORDS_PER_SECOND`) plus
    :data:`PADDING_PER_SCENE_S` per scene."""
    if durations_s is None:
        durations_s = [len(text.split()) / WORDS_PER_SECOND for text in script_stage(spec)]
    return sum(durations_s) + PADDING_PER_SCENE_S * len(spec.scenes)


def format_duration(seconds: float) -> str:
    """``75.2`` → ``"1 min 15 s"``."""
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60} s" if whole >= 60 else f"{whole} s"


# -- sources ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateChoice:
    """A template the Source page offers."""

    id: str
    name: str
    kind: str
    fields: tuple[tuple[str, bool, str, str], ...] = ()
    """``(name, required, default, help)`` of each field the template takes."""
    field_types: tuple[str, ...] = ()
    """Each field's type (text, long_text, image, colour), in the order of ``fields``."""


def _builtin_templates() -> dict[str, tuple[str, Any]]:
    def cli() -> VideoSpec:
        return (
            VideoBuilder(title="Getting started with a command-line tool")
            .add_title("Getting started", subtitle="A command-line tool in two minutes")
            .add_command("Install it", ["pip install mytool"], "One command installs it.")
            .add_command("Run it", ["mytool --help"], "Every option is listed.")
            .add_list("What you get", ["Fast", "Works offline", "Plain text output"])
            .add_outro("Thanks for watching", sub_text="Read the docs for more")
            .build()
        )

    def python_lesson() -> VideoSpec:
        return (
            VideoBuilder(title="Python lists in five minutes")
            .add_learning_objectives("Python lists", ["Create a list", "Add items", "Loop"])
            .add_solution("Make a list", code="fruits = ['apple', 'pear']\nfruits.append('fig')")
            .add_quiz("What does len([1, 2, 3]) return?", ["3", "2", "6"], correct_index=0)
            .add_outro("Well done", sub_text="Try it in your own code")
            .build()
        )

    def explainer() -> VideoSpec:
        return (
            VideoBuilder(title="An idea in five scenes")
            .add_title("The big idea", subtitle="Explained simply")
            .add_problem("The problem", "Most people never start because it feels hard.")
            .add_list("Three steps", ["Start small", "Repeat daily", "Review weekly"])
            .add_quote("Well begun is half done.", attribution="Aristotle")
            .add_outro("Now it's your turn")
            .build()
        )

    return {
        "builtin-cli": ("Tutorial: command-line tool", cli),
        "builtin-python": ("Tutorial: Python lesson with a quiz", python_lesson),
        "builtin-explainer": ("Tutorial: explainer in five scenes", explainer),
    }


def _templates_module() -> Any:
    if importlib.util.find_spec("pipeline.templates") is None:
        return None
    import pipeline.templates

    return pipeline.templates


def template_choices() -> list[TemplateChoice]:
    """``pipeline.templates`` when present, else the three built-in tutorials."""
    module = _templates_module()
    if module is not None:
        return [
            TemplateChoice(
                t.id,
                t.name,
                t.kind,
                tuple((f.name, f.required, f.default, f.help) for f in t.fields),
            )
            for t in module.list_templates()
        ]
    return [TemplateChoice(k, name, "tutorial") for k, (name, _) in _builtin_templates().items()]


@dataclass(frozen=True)
class LoadedSource:
    """A source turned into a spec, and what to record about where it came from."""

    spec: VideoSpec
    source_path: Path | None
    source_kind: str
    template_id: str | None = None


_KINDS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".rst": "restructuredtext",
    ".rest": "restructuredtext",
    ".txt": "text",
    ".pdf": "pdf",
}


def load_source(
    kind: str,
    value: str,
    fields: dict[str, str] | None = None,
    *,
    skip_boilerplate: bool = True,
    templates: TemplateLibrary | None = None,
) -> LoadedSource:
    """Worker thread: ``kind`` is ``"file"`` (a path), ``"text"`` (pasted) or ``"template"``
    (``value`` is its id, ``fields`` the user's answers; ``templates``: the studio's library,
    so the user's own templates work too). ``skip_boilerplate``: leave out a document's
    changelog, licence, contributor and badge sections (the setting).

    Raises:
        InputError: the source is unusable (message + hint say why and what to do).
    """
    if kind == "file":
        path = Path(value).expanduser()
        suffix = path.suffix.lower()
        spec = load_document(path, skip_boilerplate=skip_boilerplate)
        return LoadedSource(spec, path, _KINDS.get(suffix, suffix.lstrip(".")))
    if kind == "text":
        spec = spec_from_markdown(value, source="pasted text", skip_boilerplate=skip_boilerplate)
        return LoadedSource(spec, None, "pasted")
    module = _templates_module()
    if templates is not None:  # template gallery hook: built-in and user templates
        spec = module.instantiate_template(templates.get(value), dict(fields or {}))
        return LoadedSource(spec, None, "template", template_id=value)
    if module is not None:
        spec = module.instantiate(value, dict(fields or {}))
        return LoadedSource(spec, None, "template", template_id=value)
    return LoadedSource(_builtin_templates()[value][1](), None, "template", template_id=value)


# -- pages -----------------------------------------------------------------------------------


class SourcePage(QWizardPage):
    """Pick a file, paste text, or start from a template. Next stays disabled until a source
    has been loaded without error; errors are shown here in plain words."""

    loaded = Signal()
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, studio: Studio | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Source")
        self.setSubTitle(Msg.no_source)
        self.result: LoadedSource | None = None
        self._busy = False
        self._generation = 0
        self.file_radio = QRadioButton("A document")
        self.text_radio = QRadioButton("Pasted text")
        self.template_radio = QRadioButton("A template")
        self.mode_group = QButtonGroup(self)
        for button in (self.file_radio, self.text_radio, self.template_radio):
            self.mode_group.addButton(button)
        self.file_radio.setChecked(True)
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("Markdown, text, PDF, DOCX or YAML file")
        self.path_edit.returnPressed.connect(lambda: self.load_file())
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        self.load_button = QPushButton("Load")
        self.load_button.clicked.connect(lambda: self.load_file())
        self.paste_edit = QPlainTextEdit()
        self.paste_edit.setPlaceholderText("Paste Markdown or plain text here")
        self.use_text_button = QPushButton("Use this text")
        self.use_text_button.clicked.connect(lambda: self.load_text())
        # -- template gallery hook (ui.template_gallery): cards of built-in and user templates
        self.gallery: TemplateGallery | None = None
        self._library: TemplateLibrary | None = None
        if studio is not None:
            self.gallery = TemplateGallery(studio)
            self._library = studio.templates
            self.templates: list[TemplateChoice] = []
            self.template_list: QListWidget = self.gallery.cards
            self.gallery.loaded.connect(self._gallery_loaded)
            self.gallery.search.setPlaceholderText("Search templates (ads, persona clips, …)")
        else:
            self.templates = template_choices()
            self.template_list = QListWidget()
            for choice in self.templates:
                self.template_list.addItem(QListWidgetItem(f"{choice.name} ({choice.kind})"))
        # -- end of the gallery hook
        self.template_list.currentRowChanged.connect(self._show_template_fields)
        self.template_fields: dict[str, FieldInput] = {}
        self.fields_box = QWidget()
        self.fields_form = QFormLayout(self.fields_box)
        self.use_template_button = QPushButton("Use this template")
        self.use_template_button.clicked.connect(lambda: self.load_template())
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setObjectName("wizard_error")
        pal = self.error_label.palette()
        pal.setColor(QPalette.ColorRole.WindowText, pal.color(QPalette.ColorRole.BrightText))
        self.error_label.setPalette(pal)
        # One choice at a time: the radio buttons pick the page below, so each source gets
        # the whole height (the template's fields are never squashed).
        choices = QHBoxLayout()
        for button, name in (
            (self.file_radio, "document"),
            (self.text_radio, "text"),
            (self.template_radio, "template"),
        ):
            icons.apply(button, name)
            choices.addWidget(button)
        choices.addStretch(1)
        self.pages = QStackedWidget()
        file_page = QWidget()
        file_layout = QVBoxLayout(file_page)
        file_layout.setContentsMargins(0, 0, 0, 0)
        file_layout.addWidget(_row(self.path_edit, self.browse_button, self.load_button))
        hint = QLabel("You can also drop a document on the main window.")
        hint.setWordWrap(True)
        file_layout.addWidget(hint)
        file_layout.addStretch(1)
        text_page = QWidget()
        text_layout = QVBoxLayout(text_page)
        text_layout.setContentsMargins(0, 0, 0, 0)
        text_layout.addWidget(self.paste_edit, 1)
        text_layout.addWidget(self.use_text_button, 0, Qt.AlignmentFlag.AlignRight)
        template_page = QWidget()
        template_layout = QHBoxLayout(template_page)
        template_layout.setContentsMargins(0, 0, 0, 0)
        # the gallery (search, kind filter, cards) where there is one; else the plain list
        template_layout.addWidget(
            self.gallery if self.gallery is not None else self.template_list, 2
        )
        fields_scroll = QScrollArea()
        fields_scroll.setWidgetResizable(True)
        fields_scroll.setFrameShape(QFrame.Shape.NoFrame)
        fields_scroll.setWidget(self.fields_box)
        self.fields_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        right = QVBoxLayout()
        right.addWidget(fields_scroll, 1)
        right.addWidget(self.use_template_button, 0, Qt.AlignmentFlag.AlignRight)
        template_layout.addLayout(right, 1)
        for page in (file_page, text_page, template_page):
            self.pages.addWidget(page)
        self.file_radio.toggled.connect(lambda on: self._show_page(0, on))
        self.text_radio.toggled.connect(lambda on: self._show_page(1, on))
        self.template_radio.toggled.connect(lambda on: self._show_page(2, on))
        layout = QVBoxLayout(self)
        layout.addLayout(choices)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)

    def isComplete(self) -> bool:
        """Next is enabled only with a loaded source and nothing loading."""
        return self.result is not None and not self._busy

    def load_file(self, path: Path | str | None = None) -> None:
        """Load ``path`` (default: the path field) off the GUI thread."""
        if path is not None:
            self.path_edit.setText(str(path))
        self.file_radio.setChecked(True)
        value = self.path_edit.text().strip()
        if not value:
            self._show_error(Msg.no_source)
            return
        self._start("file", value, Path(value).name)

    def load_text(self) -> None:
        """Use the pasted text."""
        self.text_radio.setChecked(True)
        text = self.paste_edit.toPlainText()
        if not text.strip():
            self._show_error(Msg.empty_text)
            return
        self._start("text", text, "the pasted text")

    def _show_page(self, index: int, on: bool) -> None:
        """Show page ``index`` of the source pages when its radio button turns on."""
        if on:
            self.pages.setCurrentIndex(index)

    def _show_template_fields(self, row: int) -> None:
        while self.fields_form.rowCount():
            self.fields_form.removeRow(0)
        self.template_fields = {}
        if row < 0:
            return
        self.template_radio.setChecked(True)
        choice = self.templates[row]
        types = choice.field_types or ("text",) * len(choice.fields)
        for (name, required, default, help_text), kind in zip(choice.fields, types, strict=True):
            edit = FieldInput(kind, default, placeholder=help_text)
            edit.setToolTip(help_text)
            label = name.replace("_", " ").capitalize() + (" *" if required else "")
            self.template_fields[name] = edit
            self.fields_form.addRow(label, edit)

    def load_template(self) -> None:
        """Use the selected template with the fields typed in."""
        row = self.template_list.currentRow()
        if row < 0:
            self._show_error(Msg.no_source)
            return
        self.template_radio.setChecked(True)
        fields = {k: e.text().strip() for k, e in self.template_fields.items() if e.text().strip()}
        self._start("template", self.templates[row].id, self.templates[row].name, fields)

    def _gallery_loaded(self) -> None:
        """The gallery (re)read the templates: rows of ``template_list`` follow them."""
        assert self.gallery is not None
        self.templates = [
            TemplateChoice(
                e.id,
                e.name,
                e.kind,
                tuple((f.name, f.required, f.default, f.help) for f in e.fields),
                tuple(f.type for f in e.fields),
            )
            for e in self.gallery.entries
        ]

    def choose_template(self, template_id: str) -> None:
        """Show the template source with ``template_id`` selected (once the list is read)."""
        self.template_radio.setChecked(True)
        if self.gallery is not None:
            self.gallery.select(template_id)

    def _start(
        self, kind: str, value: str, what: str, fields: dict[str, str] | None = None
    ) -> None:
        self._generation += 1
        generation = self._generation
        self.result = None
        self._busy = True
        self.error_label.clear()
        self.status_label.setText(Msg.loading.format(what=what))
        self.completeChanged.emit()

        def done(result: LoadedSource) -> None:
            if generation != self._generation:
                return
            self._busy = False
            self.result = result
            spec = result.spec
            self.status_label.setText(Msg.loaded.format(title=spec.title, scenes=len(spec.scenes)))
            self.completeChanged.emit()
            self.loaded.emit()

        def failed(error: BaseException) -> None:
            if generation == self._generation:
                self._busy = False
                self._show_error(error_text(error))

        wizard = self.wizard()
        skip = wizard.settings.skip_boilerplate if isinstance(wizard, NewProjectWizard) else True
        library = self._library
        run_in_background(
            self,
            lambda: load_source(kind, value, fields, skip_boilerplate=skip, templates=library),
            done,
            failed,
        )

    def _show_error(self, text: str) -> None:
        self.result = None
        self.status_label.clear()
        self.error_label.setText(text)
        self.completeChanged.emit()
        self.failed.emit(text)

    def _browse(self) -> None:
        patterns = " ".join(f"*{suffix}" for suffix in SUPPORTED_SUFFIXES)
        name, _ = QFileDialog.getOpenFileName(self, "Choose a document", "", f"({patterns})")
        if name:
            self.load_file(name)


class StylePage(QWizardPage):
    """Scene style (light/dark cards, crossfades or cuts), accent colour, font family."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Style")
        self.look_combo = QComboBox()
        self.look_combo.addItem("Light cards", False)
        self.look_combo.addItem("Dark cards", True)
        self.transition_combo = QComboBox()
        self.transition_combo.addItem("Crossfade between scenes", 0.5)
        self.transition_combo.addItem("Hard cuts (short-form style)", 0.0)
        self.accent_combo = QComboBox()
        for name, value in NAMED_ACCENTS.items():
            self.accent_combo.addItem(name.capitalize(), value)
        self.accent_combo.setCurrentIndex(self.accent_combo.findData(NAMED_ACCENTS["blue"]))
        self.accent_combo.currentIndexChanged.connect(self._show_swatch)
        self.custom_accent_button = QPushButton("Other colour…")
        self.custom_accent_button.clicked.connect(self._pick_colour)
        self.swatch = QLabel()
        self.swatch.setFixedSize(32, 20)
        self.font_combo = QComboBox()
        self.font_combo.addItem("Sans serif", "sans")
        self.font_combo.addItem("Serif", "serif")
        form = QFormLayout(self)
        form.addRow("Scenes", self.look_combo)
        form.addRow("Transitions", self.transition_combo)
        form.addRow(
            "Accent colour", _row(self.accent_combo, self.custom_accent_button, self.swatch)
        )
        form.addRow("Font", self.font_combo)
        self._show_swatch()

    def accent(self) -> str:
        """The chosen accent, ``#rrggbb``."""
        return str(self.accent_combo.currentData())

    def set_accent(self, colour: str) -> None:
        """Choose ``colour`` (``#rrggbb``, ``#rgb`` or a named accent); adds it if new."""
        value = parse_color(colour)
        row = self.accent_combo.findData(value)
        if row < 0:
            self.accent_combo.addItem(value, value)
            row = self.accent_combo.count() - 1
        self.accent_combo.setCurrentIndex(row)

    def _pick_colour(self) -> None:
        colour = QColorDialog.getColor(QColor(self.accent()), self, "Accent colour")
        if colour.isValid():
            self.set_accent(colour.name())

    def _show_swatch(self) -> None:
        self.swatch.setStyleSheet(f"background: {self.accent()}; border: 1px solid #888")


TARGET_LENGTHS: tuple[tuple[str, float | None], ...] = (
    ("Full — every scene of the source", None),
    ("Short — about 1 minute", 60.0),
    ("Medium — about 3 minutes", 180.0),
)
"""The wizard's target lengths (seconds; ``None``: no condensing). The render condenses the
storyboard to the chosen length, ±15 % (:func:`pipeline.condense.condense_spec`)."""


class FormatPage(QWizardPage):
    """Aspect ratio (resolution shown), burned-in captions (default on for 9:16) and the
    target length (:data:`TARGET_LENGTHS`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Format")
        self.format_combo = QComboBox()
        names = {"16:9": "Landscape", "9:16": "Portrait (Shorts, Reels)", "1:1": "Square"}
        for fmt in VideoFormat:
            self.format_combo.addItem(f"{fmt.value} {names[fmt.value]}", fmt.value)
        self.resolution_label = QLabel()
        self.captions_check = QCheckBox("Burn captions into the video")
        self.format_combo.currentIndexChanged.connect(self._format_changed)
        form = QFormLayout(self)
        form.addRow("Aspect ratio", self.format_combo)
        form.addRow("Resolution", self.resolution_label)
        form.addRow(self.captions_check)
        self.length_combo = QComboBox()
        for label, seconds in TARGET_LENGTHS:
            self.length_combo.addItem(label, seconds)
        self.length_combo.setToolTip(
            "The render condenses the video to about this length, keeping each section's "
            "heading and first sentences, lists and key code"
        )
        form.addRow("Length", self.length_combo)
        self._format_changed()

    def target_duration_s(self) -> float | None:
        """The chosen target length in seconds (``None``: every scene)."""
        value = self.length_combo.currentData()
        return float(value) if value is not None else None

    def set_target_duration_s(self, seconds: float | None) -> None:
        """Choose a target length (a length not offered is added, e.g. the settings' own)."""
        row = self.length_combo.findData(seconds)
        if row < 0 and seconds is not None:
            self.length_combo.addItem(f"About {format_duration(seconds)} (your setting)", seconds)
            row = self.length_combo.count() - 1
        self.length_combo.setCurrentIndex(max(row, 0))

    def video_format(self) -> VideoFormat:
        """The chosen format."""
        return VideoFormat(self.format_combo.currentData())

    def set_format(self, fmt: VideoFormat | str) -> None:
        """Choose ``fmt`` (captions follow its default)."""
        self.format_combo.setCurrentIndex(self.format_combo.findData(VideoFormat(fmt).value))

    def _format_changed(self) -> None:
        fmt = self.video_format()
        width, height = fmt.size_px
        self.resolution_label.setText(f"{width} × {height} px, 30 fps")
        self.captions_check.setChecked(fmt is VideoFormat.PORTRAIT)


class VoicePage(QWizardPage):
    """Language and voice, with a Listen button per voice (offline sample, off-thread)."""

    sample_ready = Signal(str, object)  # voice name, SpeechAudio
    sample_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Voice and language")
        self.language_combo = QComboBox()
        for code, label in language_choices():
            self.language_combo.addItem(label, code)
        self.voice_group = QButtonGroup(self)
        self.voice_buttons: dict[str, QRadioButton] = {}
        self.listen_buttons: dict[str, QPushButton] = {}
        self.status_label = QLabel()
        self.play_samples = sound_enabled()
        """Play samples aloud (tests may turn it off; the audio is produced either way)."""
        self.last_sample: SpeechAudio | None = None
        self.last_sample_path: Path | None = None
        self._player: Any = None
        self._sample_dir = tempfile.TemporaryDirectory(prefix="videostudio-voice-")
        form = QFormLayout(self)
        form.addRow("Language", self.language_combo)
        for name in NAMED_VOICES:
            radio = QRadioButton(name.replace("_", " ").capitalize())  # "Male warm"
            listen = QPushButton("Listen")
            listen.clicked.connect(lambda _=False, n=name: self.listen(n))
            self.voice_group.addButton(radio)
            self.voice_buttons[name] = radio
            self.listen_buttons[name] = listen
            form.addRow(_row(radio, listen))
        form.addRow(self.status_label)
        self.music_picker = MusicPicker(with_default=True)
        """Music under the voice for this project (default: the settings' choice)."""
        form.addRow("Music", self.music_picker)
        self.voice_notes = QLabel(offline_voice_note())
        """Where the offline voices come from and their limits (the Piper voice's base
        voice restricts commercial use); the whole text is in Help → About."""
        self.voice_notes.setWordWrap(True)
        self.voice_notes.setTextFormat(Qt.TextFormat.RichText)
        form.addRow(self.voice_notes)
        self.voice_buttons[NAMED_VOICES[0]].setChecked(True)
        self.destroyed.connect(self._sample_dir.cleanup)

    def voice(self) -> str:
        """The chosen voice name."""
        return next(n for n, b in self.voice_buttons.items() if b.isChecked())

    def language(self) -> str:
        """The chosen language code."""
        return str(self.language_combo.currentData())

    def set_voice(self, name: str, language: str | None = None) -> None:
        """Choose a voice (``"male"``/``"female"``) and optionally a language."""
        if name in self.voice_buttons:
            self.voice_buttons[name].setChecked(True)
        if language is not None and self.language_combo.findData(language) >= 0:
            self.language_combo.setCurrentIndex(self.language_combo.findData(language))

    def listen(self, name: str) -> None:
        """Synthesise a short sample with the offline voice (off-thread), then play it."""
        language = self.language()
        text = SAMPLE_TEXT.get(language, SAMPLE_TEXT["en"])
        target = Path(self._sample_dir.name) / f"{language}-{name}.wav"
        self.listen_buttons[name].setEnabled(False)

        def work() -> SpeechAudio:
            audio = SpeechEngine(mode="offline").synthesize(text, VoiceRef(language, name))
            write_wav(target, audio)
            return audio

        def done(audio: SpeechAudio) -> None:
            self.listen_buttons[name].setEnabled(True)
            self.last_sample, self.last_sample_path = audio, target
            self.status_label.clear()
            if self.play_samples:
                self._play(target)
            self.sample_ready.emit(name, audio)

        def failed(error: BaseException) -> None:
            self.listen_buttons[name].setEnabled(True)
            message = Msg.sample_failed.format(error=error_text(error))
            self.status_label.setText(message)
            self.sample_failed.emit(message)

        run_in_background(self, work, done, failed)

    def _play(self, path: Path) -> None:
        from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

        if self._player is None:
            self._player = QMediaPlayer(self)
            self._player.setAudioOutput(QAudioOutput(self._player))
        self._player.stop()
        self._player.setSource(QUrl.fromLocalFile(str(path)))
        self._player.play()


def write_wav(path: Path, audio: SpeechAudio) -> None:
    """Write mono float32 audio as a 16-bit PCM WAV file."""
    pcm = (np.clip(audio.samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(audio.sample_rate_hz)
        out.writeframes(pcm.tobytes())


class AIPage(QWizardPage):
    """Paid AI options, off by default; the estimated cost is shown before anything is spent."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("AI options")
        self.llm_check = QCheckBox("Write the narration with an AI model")
        self.clips_check = QCheckBox("Make AI video clips for clip scenes")
        self.estimate_label = QLabel()
        self.estimate_label.setWordWrap(True)
        self.budget_label = QLabel()
        self.budget_label.setWordWrap(True)
        self.estimate_usd = 0.0
        for check in (self.llm_check, self.clips_check):
            check.toggled.connect(self.update_estimate)
        layout = QVBoxLayout(self)
        for widget in (self.llm_check, self.clips_check, self.estimate_label, self.budget_label):
            layout.addWidget(widget)

    def initializePage(self) -> None:
        """Refresh the estimate for the current spec."""
        self.update_estimate()

    def update_estimate(self) -> None:
        """Show what the ticked options would cost (the price settings × this project)."""
        wizard = self.wizard()
        spec = wizard.source_spec() if isinstance(wizard, NewProjectWizard) else None
        settings = wizard.settings if isinstance(wizard, NewProjectWizard) else StudioSettings()
        llm, clips = self.llm_check.isChecked(), self.clips_check.isChecked()
        ai = settings.ai
        self.budget_label.setText(
            Msg.budget.format(budget=ai.daily_budget_usd, date=ai.prices.as_of.isoformat())
        )
        if not (llm or clips) or spec is None:
            self.estimate_usd = 0.0
            self.estimate_label.setText(Msg.no_paid_calls)
            return
        estimates = estimate_ai_costs(spec, ai, llm=llm, clips=clips)
        self.estimate_usd = sum(e.usd for e in estimates)
        if not estimates:
            self.estimate_label.setText(Msg.cost_none)
            return
        details = "; ".join(f"{e.description}: ${e.usd:.4f}" for e in estimates)
        self.estimate_label.setText(Msg.cost.format(usd=self.estimate_usd, details=details))


class ReviewPage(QWizardPage):
    """Summary: scenes, estimated length (words first, then the measured voice), render time."""

    measured = Signal(float)  # measured length, seconds

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Review")
        self.summary_label = QLabel()
        self.scenes_label = QLabel()
        self.length_label = QLabel()
        self.render_label = QLabel()
        self.cost_label = QLabel()
        self.message_label = QLabel()
        self.length_s = 0.0
        self._generation = 0
        layout = QVBoxLayout(self)
        for label in (
            self.summary_label,
            self.scenes_label,
            self.length_label,
            self.render_label,
            self.cost_label,
            self.message_label,
        ):
            label.setWordWrap(True)
            layout.addWidget(label)

    def initializePage(self) -> None:
        """Show the word-count estimate now and measure the real voice off-thread."""
        wizard = self.wizard()
        assert isinstance(wizard, NewProjectWizard)
        source = wizard.build_spec()
        spec, target_s = wizard.render_spec(source), wizard.format_page.target_duration_s()
        self.summary_label.setText(
            f"“{spec.title}” — {spec.format.value}, {spec.voice} voice ({spec.language}), "
            f"accent {spec.theme.accent_color}, captions {'on' if spec.captions else 'off'}"
        )
        if target_s is not None and len(spec.scenes) != len(source.scenes):
            self.scenes_label.setText(
                Msg.scenes_condensed.format(
                    shown=len(spec.scenes),
                    scenes=len(source.scenes),
                    target=format_duration(target_s),
                )
            )
        else:
            self.scenes_label.setText(f"{len(spec.scenes)} scenes")
        self.cost_label.setText(wizard.ai_page.estimate_label.text())
        self.message_label.clear()
        self._show_length(estimate_length_s(spec), Msg.length_words)
        self._generation += 1
        generation = self._generation

        def done(length_s: float) -> None:
            if generation == self._generation:
                self._show_length(length_s, Msg.length_measured)
                self.measured.emit(length_s)

        run_in_background(self, lambda: measure_length_s(spec), done, lambda _error: None)

    def _show_length(self, length_s: float, how: str) -> None:
        self.length_s = length_s
        self.length_label.setText(Msg.length.format(length=format_duration(length_s), how=how))
        self.render_label.setText(
            Msg.render_time.format(
                time=format_duration(length_s / REALTIME_FACTOR), rtf=REALTIME_FACTOR
            )
        )


def measure_length_s(spec: VideoSpec) -> float:
    """Worker thread: the video length with the narration spoken by the offline voice."""
    engine = SpeechEngine(mode="offline")
    voice = VoiceRef(spec.language, spec.voice)
    durations = [engine.synthesize(text, voice).duration_s for text in script_stage(spec)]
    return estimate_length_s(spec, durations)


# -- the wizard ------------------------------------------------------------------------------


class NewProjectWizard(QWizard):
    """Make a project from a document, pasted text or a template.

    Args:
        studio: where the project is saved (``studio.projects``).
        parent: parent widget.
        initial_path: a document to load straight away.
        settings: defaults for the pages (default: the studio's settings in effect).

    The pages start from what the source says itself — a template's 9:16 and hard cuts, a
    YAML file's voice and theme — with the settings' defaults only where the source is
    silent (:func:`studio.request.with_setting_defaults`); only what the user changes on a
    page overrides the source. The AI page's choices are kept with the project (its render
    overrides) when they differ from the settings.

    Signals:
        project_created(int): the new project's id, after it was saved.
    """

    project_created = Signal(int)

    def __init__(
        self,
        studio: Studio,
        parent: QWidget | None = None,
        *,
        initial_path: Path | None = None,
        settings: StudioSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(Msg.title)
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setMinimumSize(QSize(720, 560))
        self.resize(QSize(820, 620))
        self.studio = studio
        self.settings = settings or studio.settings.current
        self.project_id: int | None = None
        self._base: VideoSpec | None = None
        self._shown: dict[str, Any] = {}
        self._saving = False
        self.source_page = SourcePage(studio=studio)
        self.style_page = StylePage()
        self.format_page = FormatPage()
        self.voice_page = VoicePage()
        self.ai_page = AIPage()
        self.review_page = ReviewPage()
        for page in (
            self.source_page,
            self.style_page,
            self.format_page,
            self.voice_page,
            self.ai_page,
            self.review_page,
        ):
            self.addPage(page)
        self._apply_settings(self.settings)
        self.source_page.loaded.connect(self._apply_source)
        if initial_path is not None:
            self.source_page.load_file(initial_path)

    def _apply_settings(self, settings: StudioSettings) -> None:
        self.settings = settings
        self.format_page.set_format(settings.default_format)
        if settings.captions is not None:
            self.format_page.captions_check.setChecked(settings.captions)
        self.voice_page.set_voice(settings.default_voice, settings.default_language)
        self.format_page.set_target_duration_s(settings.target_duration_s)
        self.ai_page.llm_check.setChecked(settings.ai.llm_enabled)
        self.ai_page.clips_check.setChecked(settings.ai.video_clips_enabled)
        self.voice_page.music_picker.set_value(None)
        self.voice_page.music_picker.set_level_db(settings.music_level_db)

    def _apply_source(self) -> None:
        """A source was loaded: its own options (settings' defaults where it is silent)
        become what the pages show."""
        spec = self.source_spec()
        if spec is None:
            return
        base = with_setting_defaults(self.settings, spec)
        self._base = base
        self.format_page.set_format(base.format)
        self.format_page.captions_check.setChecked(base.captions_burned_in)
        self.voice_page.set_voice(base.voice, base.language)
        style = self.style_page
        row = style.transition_combo.findData(base.transition_s)
        if row < 0:
            style.transition_combo.addItem(
                f"Crossfade of {base.transition_s:g} s", base.transition_s
            )
            row = style.transition_combo.count() - 1
        style.transition_combo.setCurrentIndex(row)
        style.set_accent(base.theme.accent_color)
        style.font_combo.setCurrentIndex(style.font_combo.findData(base.theme.font_family))
        style.look_combo.setCurrentIndex(1 if base.theme.dark else 0)
        music = self.voice_page.music_picker
        music.set_value(base.music)
        music.set_level_db(
            base.music_level_db if base.music_level_db is not None else self.settings.music_level_db
        )
        self._shown = self._page_values()

    def _page_values(self) -> dict[str, Any]:
        style = self.style_page
        return {
            "format": self.format_page.video_format().value,
            "captions": self.format_page.captions_check.isChecked(),
            "voice": self.voice_page.voice(),
            "language": self.voice_page.language(),
            "transition_s": style.transition_combo.currentData(),
            "accent_color": style.accent(),
            "font_family": style.font_combo.currentData(),
            "dark": style.look_combo.currentData(),
            "music": self.voice_page.music_picker.value(),
            "music_level_db": self.voice_page.music_picker.level_db(),
        }

    def render_overrides(self) -> dict[str, Any]:
        """The project's own render choices: the target length and the AI page's where they
        differ from the settings, and the template it came from."""
        choices: dict[str, Any] = {}
        target_s = self.format_page.target_duration_s()
        if target_s != self.settings.target_duration_s:
            if target_s is None:
                choices["full_length"] = True
            else:
                choices["duration_s"] = target_s
        ai = self.settings.ai
        if self.ai_page.llm_check.isChecked() != ai.llm_enabled:
            choices["llm"] = self.ai_page.llm_check.isChecked()
        if self.ai_page.clips_check.isChecked() != ai.video_clips_enabled:
            choices["ai_clips"] = self.ai_page.clips_check.isChecked()
        result = self.source_page.result
        if result is not None and result.template_id:
            choices["template_id"] = result.template_id
        return choices

    def render_spec(self, spec: VideoSpec) -> VideoSpec:
        """What the Render button will draw of ``spec``: the studio's render request with
        this project's render choices (condensed to the chosen length)."""
        overrides = RenderOverrides.model_validate(self.render_overrides())
        try:
            return self.studio.make_request(spec, overrides=overrides).spec
        except (StudioError, ValueError):
            return spec

    def source_spec(self) -> VideoSpec | None:
        """The spec as loaded from the source, before the wizard's choices."""
        result = self.source_page.result
        return result.spec if result is not None else None

    def ai_choice(self) -> dict[str, Any]:
        """The AI options chosen: ``{"llm": bool, "clips": bool, "estimate_usd": float}``."""
        page = self.ai_page
        return {
            "llm": page.llm_check.isChecked(),
            "clips": page.clips_check.isChecked(),
            "estimate_usd": page.estimate_usd,
        }

    def build_spec(self) -> VideoSpec:
        """The source's spec (settings' defaults where it is silent) with what the user
        changed on the style, format and voice pages.

        Raises:
            RuntimeError: no source has been loaded yet.
        """
        spec = self.source_spec()
        if spec is None:
            raise RuntimeError("no source loaded")
        base = self._base or with_setting_defaults(self.settings, spec)
        data = base.model_dump()
        shown = self._shown
        theme_keys = ("accent_color", "font_family", "dark")
        for key, value in self._page_values().items():
            if shown and shown.get(key) == value:
                continue  # not changed by the user: the source's own value stays
            if key in theme_keys:
                data["theme"] = {**data["theme"], key: value}
            else:
                data[key] = value
        return VideoSpec.model_validate(data)

    def accept(self) -> None:
        """Finish: save the project off the GUI thread, emit ``project_created``, close."""
        if self._saving:
            return
        result = self.source_page.result
        if result is None:
            return
        spec = self.build_spec()
        overrides = self.render_overrides()
        projects = self.studio.projects
        self._saving = True
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        self.review_page.message_label.setText(Msg.saving)

        def work() -> int:
            return projects.save_project(
                spec,
                source_path=result.source_path,
                source_kind=result.source_kind,
                overrides=overrides,
            )

        def done(project_id: int) -> None:
            self._saving = False
            self.project_id = project_id
            self.project_created.emit(project_id)
            super(NewProjectWizard, self).accept()

        def failed(error: BaseException) -> None:
            self._saving = False
            self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
            text = Msg.save_failed.format(error=error_text(error))
            self.review_page.message_label.setText(text)

        run_in_background(self, work, done, failed)


def offline_voice_note() -> str:
    """The voice picker's note (HTML): each offline provider's voices and licence notes from
    the speech registry, e.g. that Piper's English voice derives from lessac, whose data
    restricts commercial use."""
    parts = []
    for about in about_providers():
        if about.online:
            continue
        notes = " ".join(about.notes)
        parts.append(f"<b>{html.escape(about.label)}</b>: {html.escape(notes or about.licence)}")
    return "<small>" + "<br>".join(parts) + "<br>Details: Help → About.</small>"


def _row(*widgets: QWidget) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return holder


__all__ = [
    "AIPage",
    "FormatPage",
    "LoadedSource",
    "NewProjectWizard",
    "ReviewPage",
    "SourcePage",
    "StylePage",
    "VoicePage",
    "estimate_length_s",
    "load_source",
    "measure_length_s",
    "template_choices",
]
