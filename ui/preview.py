"""The scene preview: the render's frame at time t, a scrubber, narration playback, format switch.

Frames come from :func:`pipeline.preview.preview_frame` — the renderers the encoder uses — in
the preview helper process (:mod:`ui.helper`, so drawing never holds the window's interpreter
lock), asked for by a worker thread (:class:`ui.operations.LatestOnly`: while one frame is
being drawn, only the newest request waits; stale ones are dropped). The helper scales the
frame to the widget; the GUI thread only shows it.

**Preview = render.** What is drawn follows the render plan of the open project
(:mod:`ui.plan`: the request the Render button would queue, from the studio's one request
builder): its format, captions, theme and transitions, its speech (speech mode, offline
voice: the preview and the render share every clip through the content cache), the tier of
its clip scenes, and for playback its music bed and loudness. What the preview can only
approximate is said under the frame (:class:`Msg`): the offline voice while Edge TTS cannot be
reached but the render would use it, an LLM's narration or an AI clip that only a paid render
makes, and scenes the render shortens or leaves out to fit a target length.

Selecting a scene shows it at its *representative moment*
(:func:`pipeline.preview.representative_time_s`: after its crossfade and every reveal), not at
0 s where it is still fading in from the previous scene.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

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
from pipeline.models import Scene, VideoFormat
from ui import helper, icons, preview_tasks
from ui.document import ProjectDocument
from ui.helper import StoreRef
from ui.media import sound_enabled
from ui.operations import BackgroundOp, LatestOnly
from ui.plan import PlanSource, RenderPlan, fixed_plan
from ui.storyboard import rgb_to_image

if TYPE_CHECKING:  # imported where sound starts: QtMultimedia may lack its system libraries
    from PySide6.QtMultimedia import QMediaPlayer

PLAYBACK_INTERVAL_MS = 40


class Msg:
    """Every user-facing text of the preview, in one place."""

    empty_title = "No project open"
    empty_body = "Start a new video from a template or a document, or open one from the library."
    new = "New project…"
    open = "Open document…"
    no_scene = "Select a scene in the storyboard to preview it."
    drawing = "Drawing the scene…"
    sketch = "Sketch — the narration is being voiced; the exact frame, timed to it, follows."
    cannot = "This scene cannot be previewed: {error}"
    approximate = "Approximate preview — {details}."
    exact = "This is the frame the render draws."
    voice = (
        "spoken by the offline voice ({provider}) because Edge TTS cannot be reached now; the "
        "render uses {render}"
    )
    render_voices = {
        "auto": "Edge TTS when the network is there",
        "online": "Edge TTS",
    }
    narration = "the render writes the narration with AI; the preview speaks the generated text"
    clip = "the render asks for an AI clip; the preview shows its locally drawn stand-in"
    condensed = "the render condenses the video ({note}); this scene may be shortened or left out"


def format_time(seconds: float) -> str:
    """``65.25`` → ``"1:05.2"``."""
    minutes, rest = divmod(max(0.0, seconds), 60.0)
    return f"{int(minutes)}:{rest:04.1f}"


OFFLINE_PROVIDERS = frozenset({"piper", "espeak"})
"""Speech providers that speak without the network."""


def approximations(scene: Scene, provider: str, plan: RenderPlan) -> list[str]:
    """What differs between the preview of ``scene`` (whose narration ``provider`` spoke) and
    its render under ``plan`` (empty: the preview is the render's frame)."""
    notes: list[str] = []
    mode = plan.options.speech_mode
    if provider in OFFLINE_PROVIDERS and mode != "offline" and not plan.forced_offline:
        render = Msg.render_voices.get(mode, mode)
        notes.append(Msg.voice.format(provider=provider, render=render))
    if plan.llm_narration and scene.narration is None:
        notes.append(Msg.narration)
    if plan.ai_clips and scene.scene_type == "clip":
        notes.append(Msg.clip)
    if plan.condensed:
        notes.append(Msg.condensed.format(note=plan.condensed))
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
        store: the content cache in this process (speech is cached there).
        audio_folder: where scene WAVs for playback are written.
        speech_mode: the speech when no ``plan`` is given.
        plan: the render plan of the open project (:mod:`ui.plan`); see :meth:`set_plan`.
        cache_address: the same cache for the helper process (``studio.cache_address()``);
            without it frames are drawn in this process.

    Signals:
        frame_shown(int, float): a frame of scene ``index`` at ``t_s`` is on screen.
        new_requested(): the empty state's "New project…" was clicked.
        import_requested(): the empty state's "Open document…" was clicked.
    """

    frame_shown = Signal(int, float)
    sketch_shown = Signal(int)
    new_requested = Signal()
    import_requested = Signal()

    def __init__(
        self,
        document: ProjectDocument,
        store: Callable[[], ArtifactStore],
        *,
        audio_folder: Callable[[], Path],
        speech_mode: str = "offline",
        plan: PlanSource | None = None,
        cache_address: object | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self._store = StoreRef(store, cache_address)
        self._audio_folder = audio_folder
        self.plan: PlanSource = plan or fixed_plan(speech_mode)
        self.last_plan: RenderPlan | None = None
        """The plan of the frame shown last (tests, the label)."""
        self._frames = LatestOnly(self)
        self._sketches = LatestOnly(self)
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
        self._player: QMediaPlayer | None = None
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

    def set_plan(self, plan: PlanSource, *, refresh: bool = True) -> None:
        """Follow another render plan (the settings or the project's render choices changed):
        the frame is drawn again (unless ``refresh=False``: a project is about to be loaded)."""
        self.plan = plan
        if refresh and self.document.is_open():
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
        store, plan_source = self._store, self.plan
        size = self.view.size() * self.view.devicePixelRatioF()
        box = (size.width(), size.height())
        generation = self._scene_generation

        def work() -> tuple[int, int, float, float, QImage, list[str], int, RenderPlan]:
            plan = plan_source(spec)
            shown = helper.call(
                "preview",
                preview_tasks.frame,
                plan.spec,
                index,
                t_s,
                plan.options,
                box,
                store=store,
            )
            notes = approximations(plan.spec.scenes[index], shown.provider, plan)
            image = rgb_to_image(shown.frame)
            thread = threading.get_ident()
            return generation, index, shown.t_s, shown.last_s, image, notes, thread, plan

        self._frames.submit(work, self._on_frame, self._on_frame_failed)

    def _on_frame(
        self, result: tuple[int, int, float, float, QImage, list[str], int, RenderPlan]
    ) -> None:
        generation, index, t_s, last_s, image, notes, thread, plan = result
        if index != self.document.current or generation != self._scene_generation:
            return
        self.last_worker_thread = thread
        self.last_plan = plan
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
        QTimer.singleShot(150, self, lambda: self._show_drawing(generation))  # dropped if deleted
        self._request(keep_time=False)

    def _show_drawing(self, generation: int) -> None:
        if generation == self._scene_generation and self._shown_generation != generation:
            if self.document.is_open() and self.document.current >= 0:
                self.view.set_message(Msg.drawing)
                self._request_sketch(generation)

    def _request_sketch(self, generation: int) -> None:
        """The exact frame is slow to come (its narration is being voiced, e.g. by Piper,
        seconds for a long paragraph): draw the scene as it looks once everything is on
        screen, without its speech, on the helper's own lane. It stands in until the exact
        frame arrives and is never shown after it."""
        spec, index = self.document.spec, self.document.current
        if spec is None or index < 0:
            return
        size = self.view.size() * self.view.devicePixelRatioF()
        box = (size.width(), size.height())

        def work() -> tuple[int, int, QImage | None]:
            drawn = helper.call("sketch", preview_tasks.sketch, spec, index, box)
            return generation, index, None if drawn is None else rgb_to_image(drawn)

        self._sketches.submit(work, self._on_sketch, lambda _error: None)

    def _on_sketch(self, result: tuple[int, int, QImage | None]) -> None:
        generation, index, image = result
        if (
            image is None
            or generation != self._scene_generation
            or self._shown_generation == generation  # the exact frame came first
            or index != self.document.current
        ):
            return
        self.view.set_image(image)
        self.note_label.setText(Msg.sketch)
        self.sketch_shown.emit(index)

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
        store, folder, plan_source = self._store, self._audio_folder(), self.plan
        start_ms = self.scrubber.value()

        def work() -> Path:
            plan = plan_source(spec)
            return helper.call(
                "preview", preview_tasks.sound, plan.spec, index, folder, plan.options, store=store
            )

        BackgroundOp(work, parent=self).success(
            lambda path: self._start_audio(path, start_ms)
        ).failure(lambda _e: None).run()

    def _start_audio(self, path: Path, start_ms: int) -> None:
        if not self._timer.isActive() or not sound_enabled():
            return
        try:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
        except ImportError:  # QtMultimedia missing its system libraries: play silently
            return
        player = self._player
        if player is None:
            player = QMediaPlayer(self)
            output = QAudioOutput(self)
            player.setAudioOutput(output)
            self._player = player
        player.setSource(QUrl.fromLocalFile(str(path)))
        elapsed = self._clock.elapsed() if self._clock.isValid() else 0
        player.setPosition(start_ms + elapsed)
        player.play()

    def _stop(self) -> None:
        self._timer.stop()
        if self._player is not None:
            self._player.stop()
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
