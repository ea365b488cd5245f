"""The Settings dialog: defaults for new projects, encoder, output folder, cache, paid AI.

Everything slow runs off the GUI thread (:mod:`ui.operations`): loading the
settings and asking the keyring, probing the encoders, cache statistics and cleaning, and
saving (settings file + keyring) when OK is pressed. The dialog closes only once the save
has succeeded; a failure is shown in the dialog.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pipeline.avio import available_encoders
from pipeline.errors import StudioError
from pipeline.models import VideoFormat
from pipeline.speech.voices import NAMED_VOICES, VOICE_TABLE, list_voices
from studio.api import (
    PROVIDER_PRESETS,
    AISettings,
    ApiKeyName,
    SecretStore,
    Studio,
    StudioSettings,
    apply_preset,
    install_voice_pack,
    mask_secret,
    matching_preset,
    piper_voice_status,
    with_video_price,
)
from ui.music_picker import MusicPicker
from ui.operations import BackgroundOp


def run_in_background(
    owner: QObject,
    fn: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_failed: Callable[[BaseException], None],
) -> None:
    """Run ``fn()`` off the GUI thread (:class:`ui.operations.BackgroundOp`); the callbacks
    run on the GUI thread, and not at all once ``owner`` is gone. ``fn`` must not capture a
    widget (dropping a widget's last reference on a worker thread would delete it there)."""
    BackgroundOp(fn, parent=owner).success(on_done).failure(on_failed).run()


def error_text(error: BaseException) -> str:
    """Plain words for an error: a StudioError's message and hint, else a generic line."""
    if isinstance(error, StudioError):
        return f"{error.message}. {error.hint}" if error.hint else error.message
    return f"Something went wrong: {error}"


# -- messages --------------------------------------------------------------------------------


class Msg:
    """Every user-facing text of this dialog, in one place."""

    title = "Settings"
    probing = "Checking which encoders work on this computer…"
    encoders_found = "Works here: {names}"
    encoder_missing = "{label}: not available ({reason})"
    cache_usage = "{entries} items, {size} of {quota} GB used"
    cache_reading = "Reading cache size…"
    cache_cleared = "Freed {size} ({entries} items removed)"
    cache_clearing = "Clearing the cache…"
    key_stored = "stored ({masked})"
    key_from_env = "from ${var} ({masked})"
    key_none = "not set"
    saving = "Saving…"
    save_failed = "Settings were not saved: {error}"
    load_warning = "{warning}"
    prices_note = "Prices as of {date} — check them with your provider ({source})."
    auto_encoder = "Automatic (best that works)"
    voice_pack_reading = "Looking for the Piper voice…"
    voice_pack_button = "Install voice pack…"
    voice_pack_choose = "Install a Piper voice pack"
    voice_pack_filter = "Voice packs (videostudio-voice-*.tar.gz);;All files (*)"
    voice_pack_installing = "Checking and installing the voice pack…"
    voice_pack_installed = "Installed voice {voice} {version} ({size}); it speaks from now on."
    voice_pack_failed = "The voice pack was not installed: {error}"
    captions_auto = "Automatic (on for 9:16)"


ENCODER_LABELS: dict[str, str] = {
    "auto": Msg.auto_encoder,
    "nvenc": "NVIDIA NVENC (GPU)",
    "qsv": "Intel Quick Sync (GPU)",
    "amf": "AMD AMF (GPU)",
    "videotoolbox": "Apple VideoToolbox",
    "x264": "x264 (CPU)",
}
ENCODER_CODECS: dict[str, str] = {
    "nvenc": "h264_nvenc",
    "qsv": "h264_qsv",
    "amf": "h264_amf",
    "videotoolbox": "h264_videotoolbox",
    "x264": "libx264",
}


def format_bytes(size: int) -> str:
    """``1536`` → ``"1.5 KB"`` (decimal units, as the quota)."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def language_choices() -> list[tuple[str, str]]:
    """``(code, label)`` of every language with voices, in table order."""
    codes = dict.fromkeys(voice.language for voice in list_voices())
    return [(code, f"{VOICE_TABLE[code].label} ({code})") for code in codes]


@dataclass(frozen=True)
class _Loaded:
    settings: StudioSettings
    key_sources: Mapping[ApiKeyName, tuple[str, str]]  # name → (source, masked)
    persistent: bool
    keyring_message: str


KEY_NAMES: tuple[ApiKeyName, ...] = ("openai", "anthropic", "video", "image")


def _load(settings: StudioSettings, secrets: SecretStore | None) -> _Loaded:
    """Worker thread: ask the keyring where each key comes from."""
    store = secrets or SecretStore()
    sources = {
        name: (store.key_source(name), mask_secret(store.get_api_key(name))) for name in KEY_NAMES
    }
    return _Loaded(settings, sources, store.persistent, store.message)


class SettingsDialog(QDialog):
    """Edit :class:`~studio.settings.StudioSettings` and the API keys.

    Args:
        studio: the open studio (its cache is shown, cleaned and given the new quota).
        parent: parent widget.
        settings: start from these instead of the studio's settings in effect.
        secrets: the key store (default: the system keyring or memory).

    Signals:
        ready: the settings are loaded into the widgets.
        encoders_probed: the encoder probe finished (widgets updated).
        cache_cleaned(int): bytes freed by "Clear cache".
        voice_pack_done(bool): "Install voice pack…" finished (installed or refused).
    """

    ready = Signal()
    encoders_probed = Signal()
    cache_cleaned = Signal(int)
    voice_pack_done = Signal(bool)

    def __init__(
        self,
        studio: Studio,
        parent: QWidget | None = None,
        *,
        settings: StudioSettings | None = None,
        secrets: SecretStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(Msg.title)
        self.studio = studio
        self.secrets = secrets
        self.settings: StudioSettings | None = None
        self.saved_settings: StudioSettings | None = None
        self._build()
        self._set_enabled(False)
        # Worker callables never capture a widget: dropping the last reference to a widget on
        # a worker thread would delete it there.
        secrets_store = secrets
        shown = settings if settings is not None else studio.settings.current
        run_in_background(
            self, lambda: _load(shown, secrets_store), self._on_loaded, self._on_error
        )
        run_in_background(self, available_encoders, self._on_encoders, self._on_error)
        self._refresh_cache_usage()
        run_in_background(self, piper_voice_status, self.voice_pack_label.setText, self._on_error)

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        self.voice_combo = QComboBox()
        for name in NAMED_VOICES:
            self.voice_combo.addItem(name.replace("_", " ").capitalize(), name)
        self.language_combo = QComboBox()
        for code, label in language_choices():
            self.language_combo.addItem(label, code)
        self.format_combo = QComboBox()
        for fmt in VideoFormat:
            width, height = fmt.size_px
            self.format_combo.addItem(f"{fmt.value} ({width}×{height})", fmt.value)
        self.captions_combo = QComboBox()
        for label, value in ((Msg.captions_auto, None), ("On", True), ("Off", False)):
            self.captions_combo.addItem(label, value)
        self.theme_combo = QComboBox()
        self.theme_combo.addItem("Light", "light")
        self.theme_combo.addItem("Dark", "dark")
        self.encoder_combo = QComboBox()
        for key, label in ENCODER_LABELS.items():
            self.encoder_combo.addItem(label, key)
        self.encoder_status = QLabel(Msg.probing)
        self.encoder_status.setWordWrap(True)
        self.output_edit = QLineEdit()
        self.output_button = QPushButton("Choose…")
        self.output_button.clicked.connect(self._choose_output)
        self.quota_spin = QDoubleSpinBox()
        self.quota_spin.setRange(0.5, 1000.0)
        self.quota_spin.setSuffix(" GB")
        self.cache_label = QLabel(Msg.cache_reading)
        self.clear_cache_button = QPushButton("Clear cache")
        self.clear_cache_button.clicked.connect(self.clear_cache)

        self.offline_voice_combo = QComboBox()
        for label, engine in (
            ("Automatic (Piper for English, else eSpeak NG)", None),
            ("Piper (neural, English)", "piper"),
            ("eSpeak NG (every language, robotic, light on the CPU)", "espeak"),
        ):
            self.offline_voice_combo.addItem(label, engine)
        self.voice_pack_label = QLabel(Msg.voice_pack_reading)
        self.voice_pack_label.setWordWrap(True)
        self.voice_pack_button = QPushButton(Msg.voice_pack_button)
        self.voice_pack_button.clicked.connect(lambda: self.install_voice_pack())
        self.caption_style_combo = QComboBox()
        self.caption_style_combo.addItem("Highlight the spoken word", "highlight")
        self.caption_style_combo.addItem("Plain", "plain")
        self.loudness_combo = QComboBox()
        for label, lufs in (
            ("−14 LUFS (YouTube, TikTok, Spotify)", -14.0),
            ("−16 LUFS (podcasts, streaming speech)", -16.0),
            ("−23 LUFS (EBU R 128 broadcast)", -23.0),
        ):
            self.loudness_combo.addItem(label, lufs)
        self.music_picker = MusicPicker()
        self.length_spin = QSpinBox()
        self.length_spin.setRange(0, 36_000)
        self.length_spin.setSingleStep(30)
        self.length_spin.setSuffix(" s")
        self.length_spin.setSpecialValueText("Whole document")
        self.skip_check = QCheckBox("Leave out changelog, licence, contributor and badge sections")

        general = QGroupBox("New projects and rendering")
        form = QFormLayout(general)
        form.addRow("Voice", self.voice_combo)
        form.addRow("Language", self.language_combo)
        form.addRow("Format", self.format_combo)
        form.addRow("Offline voice", self.offline_voice_combo)
        form.addRow("Piper voice", _row(self.voice_pack_label, self.voice_pack_button))
        form.addRow("Captions", self.captions_combo)
        form.addRow("Caption style", self.caption_style_combo)
        form.addRow("Loudness", self.loudness_combo)
        form.addRow("Music", self.music_picker)
        form.addRow("Target length", self.length_spin)
        form.addRow(self.skip_check)
        form.addRow("Encoder", self.encoder_combo)
        form.addRow("", self.encoder_status)
        form.addRow("Output folder", _row(self.output_edit, self.output_button))
        form.addRow("Cache size limit", self.quota_spin)
        form.addRow(self.cache_label, self.clear_cache_button)
        form.addRow("App theme", self.theme_combo)

        # Both groups scroll inside a dialog wide enough that no label or note is clipped.
        content = QWidget()
        inner = QVBoxLayout(content)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(general)
        inner.addWidget(self._build_ai())
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        for form in content.findChildren(QFormLayout):
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        layout.addWidget(self.message_label)
        self.setMinimumWidth(640)
        self.resize(700, 820)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _build_ai(self) -> QGroupBox:
        box = QGroupBox("Paid AI (optional; off by default)")
        form = QFormLayout(box)
        self.preset_combo = QComboBox()
        self.preset_combo.addItem("Custom", None)
        for preset in PROVIDER_PRESETS:
            self.preset_combo.addItem(preset.label, preset.id)
        self.preset_combo.activated.connect(self._apply_preset)
        self.preset_label = QLabel()
        self.preset_label.setWordWrap(True)
        self._preset_ai: AISettings | None = None
        self.images_check = QCheckBox(
            "Make AI scene images (clip scenes without a clip; backgrounds of other scenes)"
        )
        self.image_url_edit = QLineEdit()
        self.image_url_edit.setPlaceholderText("default (OpenAI)")
        self.image_model_edit = QLineEdit()
        self.llm_check = QCheckBox("Write narration with an AI model")
        self.llm_provider_combo = QComboBox()
        self.llm_provider_combo.addItem("Anthropic", "anthropic")
        self.llm_provider_combo.addItem("OpenAI", "openai")
        self.llm_model_edit = QLineEdit()
        self.key_edits: dict[ApiKeyName, QLineEdit] = {}
        for name in KEY_NAMES:
            edit = QLineEdit()
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            self.key_edits[name] = edit
        self.keyring_label = QLabel()
        self.keyring_label.setWordWrap(True)
        self.openai_url_edit = QLineEdit()
        self.anthropic_url_edit = QLineEdit()
        for edit in (self.openai_url_edit, self.anthropic_url_edit):
            edit.setPlaceholderText("default (or the SDK's environment variable)")
        self.clips_check = QCheckBox("Make AI video clips for clip scenes")
        self.video_url_edit = QLineEdit()
        self.video_model_edit = QLineEdit()
        self.budget_spin = QDoubleSpinBox()
        self.budget_spin.setRange(0.0, 10_000.0)
        self.budget_spin.setPrefix("$ ")
        self.video_price_spin = QDoubleSpinBox()
        self.video_price_spin.setRange(0.0, 100.0)
        self.video_price_spin.setDecimals(3)
        self.video_price_spin.setPrefix("$ ")
        self.video_price_spin.setSuffix(" per second")
        self.prices_label = QLabel()
        self.prices_label.setWordWrap(True)
        form.addRow("Preset", self.preset_combo)
        form.addRow("", self.preset_label)
        form.addRow(self.llm_check)
        form.addRow("Provider", self.llm_provider_combo)
        form.addRow("Model", self.llm_model_edit)
        form.addRow("Anthropic API key", self.key_edits["anthropic"])
        form.addRow("Anthropic base URL", self.anthropic_url_edit)
        form.addRow("OpenAI API key", self.key_edits["openai"])
        form.addRow("OpenAI base URL", self.openai_url_edit)
        form.addRow(self.clips_check)
        form.addRow("Video API base URL", self.video_url_edit)
        form.addRow("Video model", self.video_model_edit)
        form.addRow("Video API key", self.key_edits["video"])
        form.addRow(self.images_check)
        form.addRow("Image API base URL", self.image_url_edit)
        form.addRow("Image model", self.image_model_edit)
        form.addRow("Image API key", self.key_edits["image"])
        form.addRow("", self.keyring_label)
        form.addRow("Daily budget", self.budget_spin)
        form.addRow("Video clip price", self.video_price_spin)
        form.addRow(self.prices_label)
        return box

    def _apply_preset(self, index: int) -> None:
        """Fill the AI fields from the chosen preset (the user can still edit them)."""
        preset_id = self.preset_combo.itemData(index)
        if preset_id is None:
            self._preset_ai = None
            self.preset_label.setText("")
            return
        ai = apply_preset(self.edited_settings().ai, preset_id)
        self._preset_ai = ai
        self._show_ai_fields(ai)
        preset = next(p for p in PROVIDER_PRESETS if p.id == preset_id)
        self.preset_label.setText(preset.description)

    def _show_ai_fields(self, ai: AISettings) -> None:
        _select(self.llm_provider_combo, ai.llm_provider)
        self.llm_model_edit.setText(ai.llm_model)
        self.openai_url_edit.setText(ai.openai_base_url or "")
        self.anthropic_url_edit.setText(ai.anthropic_base_url or "")
        self.video_url_edit.setText(ai.video_base_url or "")
        self.video_model_edit.setText(ai.video_model)
        self.image_url_edit.setText(ai.image_base_url or "")
        self.image_model_edit.setText(ai.image_model)

    def _set_enabled(self, enabled: bool) -> None:
        for child in self.findChildren(QGroupBox):
            child.setEnabled(enabled)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(enabled)

    # -- loading -------------------------------------------------------------------------

    def _on_loaded(self, loaded: _Loaded) -> None:
        s = self.settings = loaded.settings
        _select(self.voice_combo, s.default_voice)
        _select(self.language_combo, s.default_language)
        _select(self.format_combo, s.default_format.value)
        _select(self.captions_combo, s.captions)
        _select(self.theme_combo, s.theme)
        _select(self.encoder_combo, s.encoder)
        _select(self.offline_voice_combo, s.offline_voice)
        _select(self.caption_style_combo, s.caption_style)
        if self.loudness_combo.findData(s.loudness_lufs) < 0:  # a value set in the file
            self.loudness_combo.addItem(f"{s.loudness_lufs:g} LUFS", s.loudness_lufs)
        _select(self.loudness_combo, s.loudness_lufs)
        self.music_picker.set_value(s.music)
        self.music_picker.set_level_db(s.music_level_db)
        self.length_spin.setValue(round(s.target_duration_s or 0))
        self.skip_check.setChecked(s.skip_boilerplate)
        self.output_edit.setText(str(s.resolved_output_dir()))
        self.quota_spin.setValue(s.cache_quota_gb)
        ai = s.ai
        self.llm_check.setChecked(ai.llm_enabled)
        self.clips_check.setChecked(ai.video_clips_enabled)
        self.images_check.setChecked(ai.image_enabled)
        self._show_ai_fields(ai)
        _select(self.preset_combo, matching_preset(ai))
        self.budget_spin.setValue(ai.daily_budget_usd)
        video_price = ai.prices.video_price(ai.video_model)
        self.video_price_spin.setValue(video_price.usd_per_s)
        self.prices_label.setText(
            Msg.prices_note.format(date=video_price.as_of.isoformat(), source=video_price.source)
        )
        for name, (source, masked) in loaded.key_sources.items():
            if source == "env":
                var = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}.get(name, "")
                text = Msg.key_from_env.format(var=var, masked=masked)
            else:
                text = Msg.key_stored.format(masked=masked) if source else Msg.key_none
            self.key_edits[name].setPlaceholderText(text)
        self.keyring_label.setText(loaded.keyring_message)
        self.keyring_label.setVisible(bool(loaded.keyring_message))
        self.message_label.setText("\n".join(s.load_warnings))
        self._set_enabled(True)
        self.ready.emit()

    def _on_encoders(self, found: dict[str, str | None]) -> None:
        usable = [
            ENCODER_LABELS[k] for k, codec in ENCODER_CODECS.items() if found.get(codec) is None
        ]
        lines = [Msg.encoders_found.format(names=", ".join(usable) or "none")]
        model = self.encoder_combo.model()
        for row in range(self.encoder_combo.count()):
            key = self.encoder_combo.itemData(row)
            reason = found.get(ENCODER_CODECS.get(key, ""))
            if key != "auto" and (key not in ENCODER_CODECS or reason is not None):
                item = model.item(row)  # type: ignore[attr-defined]
                item.setEnabled(False)
                item.setToolTip(
                    Msg.encoder_missing.format(label=ENCODER_LABELS[key], reason=reason)
                )
        self.encoder_status.setText("\n".join(lines))
        self.encoders_probed.emit()

    def _on_error(self, error: BaseException) -> None:
        self.message_label.setText(error_text(error))

    # -- cache ---------------------------------------------------------------------------

    def _refresh_cache_usage(self) -> None:
        def done(stats: Any) -> None:
            self.cache_label.setText(
                Msg.cache_usage.format(
                    entries=stats.entries,
                    size=format_bytes(stats.bytes),
                    quota=f"{stats.quota_bytes / 1e9:g}",
                )
            )

        run_in_background(self, self.studio.cache.stats, done, self._on_error)

    def install_voice_pack(self, path: str | None = None) -> None:
        """Ask for a voice pack file (``path``: that file instead) and install it off the GUI
        thread (:func:`studio.api.install_voice_pack`); the result shows beside the button
        and :attr:`voice_pack_done` is emitted."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, Msg.voice_pack_choose, "", Msg.voice_pack_filter
            )
            if not path:
                return
        archive, data_dir = Path(path), self.studio.data_dir
        self.voice_pack_button.setEnabled(False)
        self.voice_pack_label.setText(Msg.voice_pack_installing)

        def done(installed: Any) -> None:
            self.voice_pack_button.setEnabled(True)
            self.voice_pack_label.setText(
                Msg.voice_pack_installed.format(
                    voice=installed.voice_id,
                    version=installed.version,
                    size=format_bytes(installed.size_bytes),
                )
            )
            self.voice_pack_done.emit(True)

        def failed(error: BaseException) -> None:
            self.voice_pack_button.setEnabled(True)
            self.voice_pack_label.setText(Msg.voice_pack_failed.format(error=error_text(error)))
            self.voice_pack_done.emit(False)

        run_in_background(self, lambda: install_voice_pack(archive, data_dir), done, failed)

    def clear_cache(self) -> None:
        """Remove every cache entry not in use by a running job (off the GUI thread)."""
        cache = self.studio.cache
        self.clear_cache_button.setEnabled(False)
        self.cache_label.setText(Msg.cache_clearing)

        def work() -> tuple[int, int]:
            before = cache.stats().bytes
            removed = cache.clean(all=True)
            return before - cache.stats().bytes, len(removed)

        def done(result: tuple[int, int]) -> None:
            freed, count = result
            self.clear_cache_button.setEnabled(True)
            self.cache_label.setText(
                Msg.cache_cleared.format(size=format_bytes(freed), entries=count)
            )
            self.cache_cleaned.emit(freed)

        def failed(error: BaseException) -> None:
            self.clear_cache_button.setEnabled(True)
            self._on_error(error)

        run_in_background(self, work, done, failed)

    def _choose_output(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Output folder", self.output_edit.text())
        if folder:
            self.output_edit.setText(folder)

    # -- saving --------------------------------------------------------------------------

    def edited_settings(self) -> StudioSettings:
        """The settings as the widgets show them now (keys excepted).

        Raises:
            ValueError: a field is invalid (the message names it).
        """
        base = self.settings or StudioSettings()
        ai = (self._preset_ai or base.ai).model_copy(
            update={
                "llm_enabled": self.llm_check.isChecked(),
                "llm_provider": self.llm_provider_combo.currentData(),
                "llm_model": self.llm_model_edit.text().strip() or AISettings().llm_model,
                "openai_base_url": self.openai_url_edit.text().strip() or None,
                "anthropic_base_url": self.anthropic_url_edit.text().strip() or None,
                "video_clips_enabled": self.clips_check.isChecked(),
                "video_base_url": self.video_url_edit.text().strip() or None,
                "video_model": self.video_model_edit.text().strip() or AISettings().video_model,
                "image_enabled": self.images_check.isChecked(),
                "image_base_url": self.image_url_edit.text().strip() or None,
                "image_model": self.image_model_edit.text().strip() or AISettings().image_model,
                "daily_budget_usd": self.budget_spin.value(),
            }
        )
        ai = with_video_price(ai, self.video_price_spin.value())
        output = self.output_edit.text().strip()
        data = base.model_dump()
        data.update(
            default_voice=self.voice_combo.currentData(),
            default_language=self.language_combo.currentData(),
            default_format=self.format_combo.currentData(),
            captions=self.captions_combo.currentData(),
            theme=self.theme_combo.currentData(),
            encoder=self.encoder_combo.currentData(),
            output_dir=output or None,
            cache_quota_gb=self.quota_spin.value(),
            offline_voice=self.offline_voice_combo.currentData(),
            caption_style=self.caption_style_combo.currentData(),
            loudness_lufs=self.loudness_combo.currentData(),
            music=self.music_picker.value(),
            music_level_db=self.music_picker.level_db(),
            target_duration_s=float(self.length_spin.value()) or None,
            skip_boilerplate=self.skip_check.isChecked(),
            ai=ai.model_dump(),
        )
        return StudioSettings.model_validate(data)

    def save(self) -> None:
        """Save settings and typed keys off the GUI thread; close when done."""
        try:
            settings = self.edited_settings()
        except ValueError as error:
            self.message_label.setText(Msg.save_failed.format(error=error))
            return
        keys = {name: edit.text() for name, edit in self.key_edits.items() if edit.text().strip()}
        secrets = self.secrets
        store = self.studio.settings
        self._set_enabled(False)
        self.message_label.setText(Msg.saving)

        def work() -> StudioSettings:
            # The studio's settings tell every listener (cache quota, theme, …).
            saved = store.update(settings)
            key_store = secrets or SecretStore()
            for name, value in keys.items():
                key_store.set_api_key(name, value)
            return saved

        def done(saved: StudioSettings) -> None:
            self.saved_settings = saved
            for edit in self.key_edits.values():
                edit.clear()
            self.accept()

        def failed(error: BaseException) -> None:
            self._set_enabled(True)
            self.message_label.setText(Msg.save_failed.format(error=error_text(error)))

        run_in_background(self, work, done, failed)


def _row(*widgets: QWidget) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return holder


def _select(combo: QComboBox, value: object) -> None:
    """Select the item whose data equals ``value`` (unchanged if none does)."""
    for row in range(combo.count()):
        if combo.itemData(row) == value:
            combo.setCurrentIndex(row)
            return
