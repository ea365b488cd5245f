"""A music-bed picker (no music, a bundled bed, or an audio file) with the music's level under
the voice, used by Settings and the New Project wizard."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QWidget,
)

from pipeline.audio.music import BUNDLED_BEDS

NO_MUSIC = "none"
"""The value that turns music off, also where the settings choose a bed."""

AUDIO_FILTER = "Audio files (*.mp3 *.wav *.m4a *.aac *.ogg *.opus *.flac);;All files (*)"


class MusicPicker(QWidget):
    """Combo of music choices, a Choose… button for a file, and the level spin box (dB).

    Args:
        with_default: offer "Default (settings)" (value ``None``) as the first choice;
            without it the first choice is "No music" (value ``None``).
        level_db: the initial music level under the voice, dB (−40..0).
    """

    changed = Signal()

    def __init__(
        self, *, with_default: bool = False, level_db: float = -15.0, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        # the beds' descriptions are long: the row keeps room for the button and the level
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMinimumContentsLength(14)
        if with_default:
            self.combo.addItem("Default (settings)", None)
            self.combo.addItem("No music", NO_MUSIC)
        else:
            self.combo.addItem("No music", None)
        for name, description in BUNDLED_BEDS.items():
            self.combo.addItem(f"{name.capitalize()} — {description}", name)
        self.choose_button = QPushButton("Choose file…")
        self.choose_button.clicked.connect(self._choose_file)
        self.level_spin = QDoubleSpinBox()
        self.level_spin.setRange(-40.0, 0.0)
        self.level_spin.setSingleStep(1.0)
        self.level_spin.setDecimals(0)
        self.level_spin.setSuffix(" dB under the voice")
        self.level_spin.setValue(level_db)
        self.level_spin.setToolTip("how loud the music is while the voice speaks (−15 dB: soft)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.choose_button)
        layout.addWidget(self.level_spin)
        self.combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.level_spin.valueChanged.connect(lambda _v: self.changed.emit())

    def value(self) -> str | None:
        """The chosen music: ``None`` (default or none, see the class), ``"none"``, a bed's
        name, or a file's path."""
        data = self.combo.currentData()
        return None if data is None else str(data)

    def set_value(self, music: str | None) -> None:
        """Show ``music`` (a bed's name, ``"none"``, a path, or ``None``); a path not listed
        yet is added as a choice."""
        row = self.combo.findData(music)
        if row < 0 and music is not None:
            self.combo.addItem(Path(music).name, music)
            row = self.combo.count() - 1
            self.combo.setItemData(row, music, 3)  # tooltip: the whole path
        self.combo.setCurrentIndex(max(row, 0))

    def level_db(self) -> float:
        """The music level under the voice, dB."""
        return float(self.level_spin.value())

    def set_level_db(self, level_db: float) -> None:
        """Show ``level_db`` (clamped to −40..0)."""
        self.level_spin.setValue(level_db)

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Music under the voice", "", AUDIO_FILTER)
        if path:
            self.set_value(path)
