"""The scene preview: the real frame at time t, a scrubber, narration playback, format switch.

Frames come from :func:`pipeline.preview.preview_frame`, i.e. the renderers the encoder uses,
computed on a worker thread (:class:`ui.operations.LatestOnly`: while one frame is being drawn,
only the newest request waits; stale ones are dropped). Scaling to the widget also happens off
the GUI thread. Playback plays the scene's narration (a WAV written to the cache folder) with
``QMediaPlayer`` and moves the playhead by the wall clock, requesting frames as it goes.

Selecting a scene shows it at its *representative moment*
(:func:`pipeline.preview.representative_time_s`: after its crossfade and every reveal), not at
0 s where it is still fading in from the previous scene. What the preview can only
approximate is said under the frame (:class:`Msg`): a different voice than the render's, an
AI-written narration or an AI clip that only the render makes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QImage, QKeySequence, QPainter, QPalette, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QStackedLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pipeline.artifacts import ArtifactStore
from pipeline.errors import StudioError
from pipeline.models import VideoFormat, VideoSpec
from pipeline.preview import (
    preview_frame,
    preview_renderer,
    representative_time_s,
    scene_speech,
    write_scene_wav,
)
from ui import icons
from ui.document import ProjectDocument
from ui.media import sound_enabled
from ui.operations import BackgroundOp, LatestOnly
from ui.storyboard import rgb_to_image

PLAYBACK_INTERVAL_MS = 40


class Msg:
    """Every user-facing text of the preview, in one place."""

    empty_title = "No project open"
    empty_body = "Start a new video from a template or a document, or open one from the library."
    new = "New project…"
    open = "Open document…"
    no_scene = "Select a scene in the storyboard to preview it."
    drawing = "Drawing the scene…"
    cannot = "This scene cannot be previewed: {error}"
    approximate = "Approximate preview — {details}."
    exact = "This is the frame the render draws."
    voice = "spoken by the offline voice ({provider}); the render uses {render}"
    render_voices = {
        "auto": "online voices when the network is there",
        "online": "online voices",
        "offline": "the offline voice",
    }
    narration = "the render writes the narration with AI; the preview speaks the generated text"
    clip = "the render asks for an AI clip; the preview shows its locally drawn stand-in"


def format_time(seconds: float) -> str:
    """``65.25`` → ``"1:05.2"``."""
    minutes, rest = divmod(max(0.0, seconds), 60.0)
    return f"{int(minutes)}:{rest:04.1f}"


@dataclass(frozen=True)
class RenderPlan:
    """What the render will use that the preview may not (to label approximations).

    Attributes:
        speech_mode: the render's speech (``auto``, ``online``, ``offline``).
        llm_narration: narration is written by an AI model at render time.
        ai_clips: clip scenes ask a paid Videos API at render time.
    """

    speech_mode: str = "auto"
    llm_narration: bool = False
    ai_clips: bool = False


def approximations(
    spec: VideoSpec, index: int, provider: str, preview_mode: str, plan: RenderPlan
) -> list[str]:
    """What differs between the preview of scene ``index`` and its render (empty: nothing)."""
    scene = spec.scenes[index]
    notes: list[str] = []
    if plan.speech_mode != preview_mode and provider not in ("edge", ""):
        render = Msg.render_voices.get(plan.speech_mode, plan.speech_mode)
        notes.append(Msg.voice.format(provider=provider, render=render))
    if plan.llm_narration and scene.narration is None:
        notes.append(Msg.narration)
    if plan.ai_clips and scene.scene_type == "clip":
        notes.append(Msg.clip)
    return notes


class FrameView(QWidget):
    """Shows one image, letterboxed, scaled to fit (the image arrives already scaled)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image = QImage()
        self._message = Msg.no_scene
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
        """Draw the frame centred on a quiet backdrop, or the message."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.AlternateBase))
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
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(
                self.rect().adjusted(16, 16, -16, -16),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self._message,
            )
        painter.end()


class EmptyState(QWidget):
    """What the preview area shows with no project open: what to do next, as buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("preview_empty")
        title = QLabel(Msg.empty_title, self)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        title.setFont(font)
        body = QLabel(Msg.empty_body, self)
        body.setWordWrap(True)
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.new_button = QPushButton(Msg.new, self)
        self.open_button = QPushButton(Msg.open, self)
        icons.apply(self.new_button, "new")
        icons.apply(self.open_button, "open")
        self.new_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(title, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(body)
        layout.addSpacing(8)
        layout.addLayout(buttons)
        layout.addStretch(2)


class PreviewPanel(QWidget):
    """Preview of the selected scene.

    Args:
        document: the project being edited.
        store: the artifact store speech is cached in.
        audio_folder: where scene WAVs for playback are written.
        speech_mode: the preview's speech (``offline`` unless online is forced).
        render_plan: what the render will use (labels approximations); see
            :meth:`set_render_plan`.

    Signals:
        frame_shown(int, float): a frame of scene ``index`` at ``t_s`` is on screen.
        new_requested(): the empty state's "New project…" was clicked.
        import_requested(): the empty state's "Open document…" was clicked.
    """

    frame_shown = Signal(int, float)
    new_requested = Signal()
    import_requested = Signal()

    def __init__(
        self,
        document: ProjectDocument,
        store: Callable[[], ArtifactStore],
        *,
        audio_folder: Callable[[], Path],
        speech_mode: str = "offline",
        render_plan: RenderPlan | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self._store = store
        self._audio_folder = audio_folder
        self._speech_mode = speech_mode
        self.render_plan = render_plan or RenderPlan(speech_mode=speech_mode)
        self._frames = LatestOnly(self)
        self._duration_s = 0.0
        self._scene_generation = 0
        self._shown_generation = -1
        self.last_worker_thread: int | None = None
        self.gui_thread = threading.get_ident()

        self.view = FrameView(self)
        self.empty = EmptyState(self)
        self.empty.new_button.clicked.connect(self.new_requested.emit)
        self.empty.open_button.clicked.connect(self.import_requested.emit)
        self.scrubber = QSlider(Qt.Orientation.Horizontal, self)
        self.scrubber.setRange(0, 0)
        self.scrubber.setSingleStep(33)
        self.scrubber.setPageStep(500)
        self.scrubber.setToolTip("Move through the scene")
        self.time_label = QLabel(f"{format_time(0)} / {format_time(0)}", self)
        self.play_button = QToolButton(self)
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play the scene with its narration (Space)")
        self.play_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.format_box = QComboBox(self)
        for fmt in VideoFormat:
            self.format_box.addItem(fmt.value, fmt.value)
        self.format_box.setToolTip("Aspect ratio of the video (undoable)")
        self.note_label = QLabel("", self)
        self.note_label.setObjectName("preview_note")
        self.note_label.setWordWrap(True)
        self.note_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._set_playing_look(False)

        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.scrubber, 1)
        controls.addWidget(self.time_label)
        controls.addSpacing(8)
        controls.addWidget(QLabel("Format", self))
        controls.addWidget(self.format_box)
        self.controls = QWidget(self)
        controls.setContentsMargins(0, 0, 0, 0)
        self.controls.setLayout(controls)
        editor = QWidget(self)
        editor_layout = QVBoxLayout(editor)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        editor_layout.addWidget(self.view, 1)
        editor_layout.addWidget(self.note_label)
        editor_layout.addWidget(self.controls)
        self.pages = QStackedLayout()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(editor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self.pages)

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
        self._on_scene_switched()

    # -- state -----------------------------------------------------------------------------

    @property
    def t_s(self) -> float:
        """The playhead, seconds into the scene."""
        return self.scrubber.value() / 1000.0

    def set_render_plan(self, plan: RenderPlan) -> None:
        """What the render will use (after the settings changed): relabel the preview."""
        self.render_plan = plan
        if self.document.is_open():
            self._request(keep_time=True)

    def _show_page(self) -> None:
        self.pages.setCurrentIndex(1 if self.document.is_open() else 0)
        self.controls.setEnabled(self.document.is_open() and self.document.current >= 0)

    # -- requests --------------------------------------------------------------------------

    def request_frame(self) -> None:
        """Ask for the frame at the playhead of the current scene (off the GUI thread)."""
        self._request(keep_time=True)

    def _request(self, *, keep_time: bool) -> None:
        """Ask for the current scene's frame: at the playhead, or (``keep_time=False``, a
        newly selected scene) at its representative moment; the scene's length, the moment
        and the labels come back with it."""
        self._show_page()
        spec, index = self.document.spec, self.document.current
        if spec is None:
            return
        if index < 0:
            self.view.set_message(Msg.no_scene)
            self.note_label.clear()
            return
        t_s = self.t_s if keep_time else None
        store = self._store()
        mode = self._speech_mode
        plan = self.render_plan
        size = self.view.size() * self.view.devicePixelRatioF()
        generation = self._scene_generation

        def work() -> tuple[int, int, float, float, QImage, list[str], int]:
            renderer, timing = preview_renderer(spec, index, store, speech_mode=mode)  # type: ignore[arg-type]
            last_s = (timing.n_frames - 1) / timing.fps
            moment = representative_time_s(spec, index, store, speech_mode=mode)  # type: ignore[arg-type]
            at = moment if t_s is None else min(t_s, last_s)
            frame = preview_frame(spec, index, at, store, speech_mode=mode)  # type: ignore[arg-type]
            provider = scene_speech(spec, index, store, speech_mode=mode).provider  # type: ignore[arg-type]
            notes = approximations(spec, index, provider, mode, plan)
            image = rgb_to_image(frame)
            if size.width() > 8 and size.height() > 8:
                image = image.scaled(
                    size,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            return generation, index, at, last_s, image, notes, threading.get_ident()

        self._frames.submit(work, self._on_frame, self._on_frame_failed)

    def _on_frame(self, result: tuple[int, int, float, float, QImage, list[str], int]) -> None:
        generation, index, t_s, last_s, image, notes, thread = result
        if index != self.document.current or generation != self._scene_generation:
            return
        self.last_worker_thread = thread
        self._duration_s = last_s
        self.scrubber.blockSignals(True)
        self.scrubber.setRange(0, max(0, round(last_s * 1000)))
        if not self.playing:
            self.scrubber.setValue(round(t_s * 1000))
        self.scrubber.blockSignals(False)
        self._update_label()
        self.view.set_image(image)
        self._shown_generation = generation
        self.note_label.setText(
            Msg.approximate.format(details="; ".join(notes)) if notes else Msg.exact
        )
        self.frame_shown.emit(index, t_s)

    def _on_frame_failed(self, error: BaseException) -> None:
        if isinstance(error, StudioError):
            self.view.set_message(f"{error.message}\n{error.hint}")
        else:
            self.view.set_message(Msg.cannot.format(error=error))
        self.note_label.clear()

    # -- events ----------------------------------------------------------------------------

    def _on_scene_switched(self) -> None:
        self._stop()
        self._scene_generation += 1
        self._sync_format()
        generation = self._scene_generation
        # Keep the old frame briefly (no flash while clicking through cards), then say why
        # nothing is shown yet: the other scene's frame must not pass for this one's.
        QTimer.singleShot(150, lambda: self._show_drawing(generation))
        self._request(keep_time=False)

    def _show_drawing(self, generation: int) -> None:
        if generation == self._scene_generation and self._shown_generation != generation:
            if self.document.is_open() and self.document.current >= 0:
                self.view.set_message(Msg.drawing)

    def _on_spec_changed(self) -> None:
        self._sync_format()
        self._request(keep_time=True)

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
        self.time_label.setText(f"{format_time(self.t_s)} / {format_time(self._duration_s)}")

    def resizeEvent(self, event: object) -> None:
        """Re-request the frame at the new size."""
        super().resizeEvent(event)  # type: ignore[arg-type]
        if self.document.spec is not None and self.document.current >= 0:
            self.request_frame()

    # -- playback --------------------------------------------------------------------------

    def _set_playing_look(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        icons.apply(self.play_button, "pause" if playing else "play")

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
        self._set_playing_look(True)
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
        self._set_playing_look(False)

    def stop(self) -> None:
        """Stop playback (before closing)."""
        self._stop()

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
