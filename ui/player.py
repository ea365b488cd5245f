"""The embedded player of finished videos: play/pause, seek, time, volume and mute, close.

``QMediaPlayer`` + ``QVideoWidget`` (QtMultimedia) with controls of our own. The player is
created on first use (QtMultimedia needs its system libraries; without them the panel offers
to open the file instead). It never leaves an empty black box: while nothing is loaded the
whole player is hidden, and at the end of a video it rewinds to the first frame, paused.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QVBoxLayout, QWidget

from ui import icons
from ui.media import sound_enabled
from ui.preview import format_time


class VideoPlayer(QWidget):
    """A video with its transport controls.

    Signals:
        closed(): the user closed the player.
    """

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
        from PySide6.QtMultimediaWidgets import QVideoWidget

        self.setObjectName("player")
        self.video = QVideoWidget(self)
        self.video.setMinimumSize(320, 180)
        self.player = QMediaPlayer(self)
        self.audio: QAudioOutput | None = None
        if sound_enabled():
            self.audio = QAudioOutput(self)
            self.player.setAudioOutput(self.audio)
        self.player.setVideoOutput(self.video)
        self.title = QLabel(self)
        self.title.setObjectName("player_title")
        self.play_button = QToolButton(self)
        self.play_button.setToolTip("Play / pause")
        self.position = QSlider(Qt.Orientation.Horizontal, self)
        self.position.setToolTip("Seek")
        self.position.setRange(0, 0)
        self.time_label = QLabel(f"{format_time(0)} / {format_time(0)}", self)
        self.mute_button = QToolButton(self)
        self.mute_button.setCheckable(True)
        self.mute_button.setToolTip("Mute")
        icons.apply(self.mute_button, "volume")
        self.volume = QSlider(Qt.Orientation.Horizontal, self)
        self.volume.setRange(0, 100)
        self.volume.setValue(80)
        self.volume.setFixedWidth(90)
        self.volume.setToolTip("Volume")
        self.close_button = QToolButton(self)
        self.close_button.setToolTip("Close the player")
        icons.apply(self.close_button, "cancel")
        for control in (self.mute_button, self.volume):
            control.setEnabled(self.audio is not None)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.close_button)
        bar = QHBoxLayout()
        bar.addWidget(self.play_button)
        bar.addWidget(self.position, 1)
        bar.addWidget(self.time_label)
        bar.addWidget(self.mute_button)
        bar.addWidget(self.volume)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.video, 1)
        layout.addLayout(bar)
        self._set_volume(self.volume.value())
        self._show_state()

        self.play_button.clicked.connect(self.toggle)
        self.position.sliderMoved.connect(self.player.setPosition)
        self.position.sliderPressed.connect(lambda: self.player.setPosition(self.position.value()))
        self.volume.valueChanged.connect(self._set_volume)
        self.mute_button.toggled.connect(self._set_muted)
        self.close_button.clicked.connect(self.close_video)
        self.player.durationChanged.connect(self._on_duration)
        self.player.positionChanged.connect(self._on_position)
        self.player.playbackStateChanged.connect(lambda _state: self._show_state())
        self.player.mediaStatusChanged.connect(self._on_status)

    # -- control ---------------------------------------------------------------------------

    def load(self, path: Path, *, autoplay: bool = True) -> None:
        """Show ``path`` (and play it unless ``autoplay`` is false)."""
        self.title.setText(Path(path).name)
        self.title.setToolTip(str(path))
        self.player.setSource(QUrl.fromLocalFile(str(path)))
        self.show()
        if autoplay:
            self.player.play()
        else:
            self.player.pause()  # shows the first frame

    @property
    def playing(self) -> bool:
        """True while the video plays."""
        from PySide6.QtMultimedia import QMediaPlayer

        return self.player.playbackState() is QMediaPlayer.PlaybackState.PlayingState

    def toggle(self) -> None:
        """Play if paused, pause if playing."""
        if self.playing:
            self.player.pause()
        else:
            self.player.play()

    def pause(self) -> None:
        """Pause playback."""
        self.player.pause()

    def stop(self) -> None:
        """Stop playback (before closing the window)."""
        self.player.stop()

    def close_video(self) -> None:
        """Stop, forget the video and hide the player."""
        self.player.stop()
        self.player.setSource(QUrl())
        self.hide()
        self.closed.emit()

    # -- state -----------------------------------------------------------------------------

    def _show_state(self) -> None:
        playing = self.playing
        icons.apply(self.play_button, "pause" if playing else "play")
        self.play_button.setToolTip("Pause" if playing else "Play")

    def _on_duration(self, duration_ms: int) -> None:
        self.position.setRange(0, max(0, duration_ms))
        self._update_time()

    def _on_position(self, position_ms: int) -> None:
        if not self.position.isSliderDown():
            self.position.setValue(position_ms)
        self._update_time()

    def _update_time(self) -> None:
        self.time_label.setText(
            f"{format_time(self.player.position() / 1000)} / "
            f"{format_time(self.player.duration() / 1000)}"
        )

    def _on_status(self, status: object) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if status is QMediaPlayer.MediaStatus.EndOfMedia:  # back to the start, paused
            self.player.setPosition(0)
            self.player.pause()

    def _set_volume(self, value: int) -> None:
        if self.audio is not None:
            self.audio.setVolume(value / 100.0)

    def _set_muted(self, muted: bool) -> None:
        if self.audio is not None:
            self.audio.setMuted(muted)
        icons.apply(self.mute_button, "mute" if muted else "volume")
