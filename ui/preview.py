"""The scene preview: the real frame at time t, a scrubber, narration playback, format switch.

Frames come from :func:`pipeline.preview.preview_frame`, i.e. the renderers the encoder uses,
computed on a worker thread (:class:`ui.operations.LatestOnly`: while one frame is being drawn,
only the newest request waits; stale ones are dropped). Scaling to the widget also happens off
the GUI thread. Playback plays the scene's narration (a WAV written to the cache folder) with
``QMediaPlayer`` and moves the playhead by the wall clock, requesting frames as it goes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QImage, QKeySequence, QPainter, QPalette, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pipeline.artifacts import ArtifactStore
from pipeline.errors import StudioError
from pipeline.models import VideoFormat
from pipeline.preview import preview_frame, scene_timings, write_scene_wav
from ui.document import ProjectDocument
from ui.media import sound_enabled
from ui.operations import BackgroundOp, LatestOnly
from ui.storyboard import rgb_to_image

PLAYBACK_INTERVAL_MS = 40


class FrameView(QWidget):
    """Shows one image, letterboxed, scaled to fit (the image arrives already scaled)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image = QImage()
        self._message = "Open a project to preview its scenes"
        self.setMinimumSize(QSize(320, 180))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_image(self, image: QImage) -> None:
        """Show ``image``."""
        self._image = image
        self._message = ""
        self.update()

    def set_message(self, text: str) -> None:
        """Show ``text`` instead of a frame."""
        self._image = QImage()
        self._message = text
        self.update()

    @property
    def image(self) -> QImage:
        """The image shown now (null when a message is shown)."""
        return self._image

    @property
    def message(self) -> str:
        """The message shown now ("" when a frame is shown)."""
        return self._message

    def paintEvent(self, _event: object) -> None:
        """Draw the frame centred on a dark backdrop."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Dark))
        if not self._image.isNull():
            image = self._image
            if image.width() > self.width() or image.height() > self.height():
                image = image.scaled(
                    self.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.FastTransformation,
                )
            x = (self.width() - image.width()) // 2
            y = (self.height() - image.height()) // 2
            painter.drawImage(x, y, image)
        elif self._message:
            painter.setPen(self.palette().color(QPalette.ColorRole.BrightText))
            painter.drawText(
                self.rect().adjusted(16, 16, -16, -16),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self._message,
            )
        painter.end()


class PreviewPanel(QWidget):
    """Preview of the selected scene.

    Signals:
        frame_shown(int, float): a frame of scene ``index`` at ``t_s`` is on screen.
    """

    frame_shown = Signal(int, float)

    def __init__(
        self,
        document: ProjectDocument,
        store: Callable[[], ArtifactStore],
        *,
        audio_folder: Callable[[], Path],
        speech_mode: str = "offline",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self._store = store
        self._audio_folder = audio_folder
        self._speech_mode = speech_mode
        self._frames = LatestOnly(self)
        self._durations = LatestOnly(self)
        self._duration_s = 0.0
        self.last_worker_thread: int | None = None
        self.gui_thread = threading.get_ident()

        self.view = FrameView(self)
        self.scrubber = QSlider(Qt.Orientation.Horizontal, self)
        self.scrubber.setRange(0, 0)
        self.scrubber.setSingleStep(33)
        self.scrubber.setPageStep(500)
        self.time_label = QLabel("0.0 / 0.0 s", self)
        self.play_button = QToolButton(self)
        self.play_button.setText("▶ Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play the scene with its narration (Space)")
        self.format_box = QComboBox(self)
        for fmt in VideoFormat:
            self.format_box.addItem(fmt.value, fmt.value)
        self.format_box.setToolTip("Aspect ratio of the video (undoable)")

        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.scrubber, 1)
        controls.addWidget(self.time_label)
        controls.addWidget(QLabel("Format", self))
        controls.addWidget(self.format_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.view, 1)
        layout.addLayout(controls)

        self._clock = QElapsedTimer()
        self._clock_origin_ms = 0
        self._timer = QTimer(self)
        self._timer.setInterval(PLAYBACK_INTERVAL_MS)
        self._timer.timeout.connect(self._on_tick)
        self._player: object | None = None
        self.space = QShortcut(QKeySequence(Qt.Key.Key_Space), self)
        self.space.setContext(Qt.ShortcutContext.WindowShortcut)
        self.space.activated.connect(self.play_button.click)

        self.scrubber.valueChanged.connect(self._on_scrub)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.format_box.activated.connect(self._on_format_chosen)
        document.current_changed.connect(lambda _i: self._on_scene_switched())
        document.spec_changed.connect(self._on_spec_changed)
        document.reset.connect(self._on_scene_switched)
        if document.is_open():
            self._on_scene_switched()

    # -- requests --------------------------------------------------------------------------

    @property
    def t_s(self) -> float:
        """The playhead, seconds into the scene."""
        return self.scrubber.value() / 1000.0

    def request_frame(self) -> None:
        """Ask for the frame at the playhead of the current scene (off the GUI thread)."""
        spec, index = self.document.spec, self.document.current
        if spec is None or index < 0:
            self.view.set_message("Open a project to preview its scenes")
            return
        t_s = self.t_s
        store = self._store()
        mode = self._speech_mode
        size = self.view.size() * self.view.devicePixelRatioF()

        def work() -> tuple[int, float, QImage, int]:
            frame = preview_frame(spec, index, t_s, store, speech_mode=mode)  # type: ignore[arg-type]
            image = rgb_to_image(frame)
            if size.width() > 8 and size.height() > 8:
                image = image.scaled(
                    size,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            return index, t_s, image, threading.get_ident()

        self._frames.submit(work, self._on_frame, self._on_frame_failed)

    def _on_frame(self, result: tuple[int, float, QImage, int]) -> None:
        index, t_s, image, thread = result
        self.last_worker_thread = thread
        self.view.set_image(image)
        self.frame_shown.emit(index, t_s)

    def _on_frame_failed(self, error: BaseException) -> None:
        if isinstance(error, StudioError):
            self.view.set_message(f"{error.message}\n{error.hint}")
        else:
            self.view.set_message(f"This scene cannot be previewed: {error}")

    def _request_duration(self) -> None:
        spec, index = self.document.spec, self.document.current
        if spec is None or index < 0:
            return
        store = self._store()
        mode = self._speech_mode

        def work() -> tuple[int, float]:
            timings = scene_timings(spec, store, speech_mode=mode)  # type: ignore[arg-type]
            return index, timings[index].duration_s - 1.0 / timings[index].fps

        self._durations.submit(work, self._on_duration, lambda _e: None)

    def _on_duration(self, result: tuple[int, float]) -> None:
        index, last_s = result
        if index != self.document.current:
            return
        self._duration_s = last_s
        self.scrubber.blockSignals(True)
        self.scrubber.setRange(0, max(0, round(last_s * 1000)))
        self.scrubber.blockSignals(False)
        self._update_label()

    # -- events ----------------------------------------------------------------------------

    def _on_scene_switched(self) -> None:
        self._stop()
        self.scrubber.blockSignals(True)
        self.scrubber.setValue(0)
        self.scrubber.blockSignals(False)
        self._sync_format()
        self._request_duration()
        self.request_frame()

    def _on_spec_changed(self) -> None:
        self._sync_format()
        self._request_duration()
        self.request_frame()

    def _sync_format(self) -> None:
        spec = self.document.spec
        if spec is not None:
            self.format_box.setCurrentIndex(self.format_box.findData(spec.format.value))

    def _on_format_chosen(self, row: int) -> None:
        if self.document.spec is not None:
            self.document.set_format(str(self.format_box.itemData(row)))

    def _on_scrub(self, _value: int) -> None:
        self._update_label()
        self.request_frame()

    def _update_label(self) -> None:
        self.time_label.setText(f"{self.t_s:.1f} / {self._duration_s:.1f} s")

    def resizeEvent(self, event: object) -> None:
        """Re-request the frame at the new size."""
        super().resizeEvent(event)  # type: ignore[arg-type]
        if self.document.spec is not None:
            self.request_frame()

    # -- playback --------------------------------------------------------------------------

    def _on_play_toggled(self, playing: bool) -> None:
        if playing:
            self._play()
        else:
            self._stop()

    def _play(self) -> None:
        spec, index = self.document.spec, self.document.current
        if spec is None or index < 0:
            self.play_button.setChecked(False)
            return
        if self.scrubber.value() >= self.scrubber.maximum():
            self.scrubber.setValue(0)
        self.play_button.setText("⏸ Pause")
        self._clock_origin_ms = self.scrubber.value()
        self._clock.start()
        self._timer.start()
        store, folder, mode = self._store(), self._audio_folder(), self._speech_mode
        start_ms = self.scrubber.value()
        BackgroundOp(
            lambda: write_scene_wav(spec, index, store, folder, speech_mode=mode),  # type: ignore[arg-type]
            parent=self,
        ).success(lambda path: self._start_audio(path, start_ms)).failure(lambda _e: None).run()

    def _start_audio(self, path: Path, start_ms: int) -> None:
        if not self._timer.isActive() or not sound_enabled():
            return
        try:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
        except ImportError:  # QtMultimedia missing its system libraries: play silently
            return
        if self._player is None:
            player = QMediaPlayer(self)
            output = QAudioOutput(self)
            player.setAudioOutput(output)
            self._player = player
        player = self._player
        assert isinstance(player, QMediaPlayer)
        player.setSource(QUrl.fromLocalFile(str(path)))
        elapsed = self._clock.elapsed() if self._clock.isValid() else 0
        player.setPosition(start_ms + elapsed)
        player.play()

    def _stop(self) -> None:
        self._timer.stop()
        if self._player is not None:
            self._player.stop()  # type: ignore[attr-defined]
        if self.play_button.isChecked():
            self.play_button.blockSignals(True)
            self.play_button.setChecked(False)
            self.play_button.blockSignals(False)
        self.play_button.setText("▶ Play")

    def _on_tick(self) -> None:
        position = self._clock_origin_ms + self._clock.elapsed()
        if position >= self.scrubber.maximum():
            self.scrubber.setValue(self.scrubber.maximum())
            self._stop()
            return
        self.scrubber.setValue(position)

    @property
    def playing(self) -> bool:
        """True while the scene plays."""
        return self._timer.isActive()
