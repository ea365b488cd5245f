"""The template editor's preview: any beat (or alternate hook) filled with sample values and
drawn by the encoder's own renderers, and a "Test render" of the whole template.

The frame is computed off the GUI thread (:class:`ui.operations.LatestOnly`: only the newest
request is drawn): the template is filled with the sample values exactly as a render fills
it (:func:`pipeline.templates.samples.sample_spec`), then :func:`pipeline.preview.preview_renderer`
gives the renderer the encoder uses for that scene. A template whose pacing is still off can
be previewed (the draft is parsed without the template rules); one with a broken slot cannot,
and the preview says what to fix.

"Test render" goes through the studio's one render request: ``studio.make_request`` with the
template's own render choices (:func:`studio.api.template_overrides`), then the job queue.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from pipeline.errors import StudioError
from pipeline.models import VideoSpec
from pipeline.preview import preview_renderer
from pipeline.templates import AdTemplate, Template, template_variants
from pipeline.templates.samples import sample_spec, sample_values
from studio.api import RenderOverrides, RenderRequest, Studio, template_overrides
from ui.operations import BackgroundOp, LatestOnly
from ui.preview import FrameView
from ui.storyboard import rgb_to_image
from ui.template_document import TemplateDocument
from ui.template_fields import FieldInput

Enqueue = Callable[[RenderRequest, Callable[[int], None]], None]
"""Queues a render request and calls back with the job id (the main window's job list)."""

DEBOUNCE_MS = 250
DEFAULT_MOMENT = 0.8
"""Where in the scene the preview opens (a fraction of its length): after the reveals."""


class Msg:
    """Every user-facing text of the preview, in one place."""

    invalid = "The template cannot be drawn yet: {problem}"
    drawing = "Drawing…"
    scene = "Scene {n} of {total}: {what} · {t:.1f} s of {length:.1f} s"
    hook = "Alternate hook {n}: the ad's first beat · {t:.1f} s of {length:.1f} s"
    failed = "This beat cannot be previewed: {error}"
    fix_first = (
        "Fix the problems listed below first; a template that does not validate cannot be rendered."
    )
    queued = "Test render queued as job {job}: watch it in the Jobs panel. It is written to {path}."
    queueing = "Queueing the test render…"


class TemplatePreview(QWidget):
    """Sample values, the preview frame of the selected beat, and Test render.

    Args:
        document: the template being edited.
        studio: the cache (speech clips of the preview), the render request and the queue.
        enqueue: queues a request (default: ``studio.enqueue`` off the GUI thread).
        output_folder: where test renders go when the settings name no output folder.

    Signals:
        frame_shown(int): a frame of scene ``index`` is on screen.
        render_queued(int): the test render was queued (the job id).
    """

    frame_shown = Signal(int)
    render_queued = Signal(int)

    def __init__(
        self,
        document: TemplateDocument,
        studio: Studio,
        *,
        enqueue: Enqueue | None = None,
        output_folder: Callable[[], Path] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.studio = studio
        self._enqueue = enqueue
        self._output_folder = output_folder or (lambda: Path.home() / "Videos" / "Video Studio")
        self.scene_index = 0
        self.hook_index = -1
        self.samples: dict[str, str] = {}
        self.sample_inputs: dict[str, FieldInput] = {}
        self._field_key: tuple[Any, ...] | None = None
        self.last_spec: VideoSpec | None = None
        self.samples_box = QGroupBox("Sample values", self)
        self.samples_form = QFormLayout(self.samples_box)
        self.samples_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.view = FrameView(self)
        self.view.setMinimumSize(QSize(240, 240))
        self.view.set_message(Msg.drawing)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, 100)
        self.slider.setValue(round(DEFAULT_MOMENT * 100))
        self.slider.setToolTip("Moment of the scene to show")
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.test_button = QPushButton("Test render", self)
        self.test_button.setToolTip("Render the whole template with the sample values (Ctrl+R)")
        row = QHBoxLayout()
        row.addWidget(QLabel("Moment"))
        row.addWidget(self.slider, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.samples_box)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)
        layout.addWidget(self.caption)
        layout.addWidget(self.test_button)
        layout.addWidget(self.status)
        self._jobs = LatestOnly(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)
        self.slider.valueChanged.connect(lambda _v: self._timer.start())
        self.test_button.clicked.connect(self.test_render)
        document.changed.connect(self._on_changed)
        self._on_changed()

    # -- sample values --------------------------------------------------------------------------

    def _on_changed(self) -> None:
        self._build_samples()
        self._timer.start()

    def _build_samples(self) -> None:
        draft = self.document.draft()
        fields = list(draft.fields) if draft is not None else []
        key = tuple((f.name, f.type, f.required, f.default, f.help, f.max_chars) for f in fields)
        if key == self._field_key or draft is None:
            return
        self._field_key = key
        defaults = sample_values(draft)
        while self.samples_form.rowCount():
            self.samples_form.removeRow(0)
        inputs: dict[str, FieldInput] = {}
        for field in fields:
            value = self.samples.get(field.name, defaults.get(field.name, ""))
            edit = FieldInput(field.type, value, max_chars=field.max_chars, placeholder=field.help)
            edit.setObjectName(f"sample_{field.name}")
            edit.edited.connect(lambda text, n=field.name: self._set_sample(n, text))
            label = field.display_label + (" *" if field.required else "")
            self.samples_form.addRow(label, edit)
            inputs[field.name] = edit
            self.samples[field.name] = value
        self.sample_inputs = inputs
        self.samples_box.setVisible(bool(fields))

    def _set_sample(self, name: str, value: str) -> None:
        self.samples[name] = value
        self._timer.start()

    def set_sample(self, name: str, value: str) -> None:
        """Use ``value`` for field ``name`` in the preview and the test render."""
        if name in self.sample_inputs:
            self.sample_inputs[name].setText(value)
        self._set_sample(name, value)

    # -- what to show -----------------------------------------------------------------------------

    def show_scene(self, index: int) -> None:
        """Preview scene ``index`` of the video."""
        self.scene_index, self.hook_index = max(0, index), -1
        self._timer.start()

    def show_hook(self, index: int) -> None:
        """Preview alternate hook ``index`` (the ad's first beat with that hook's lines)."""
        if index < 0:
            return
        self.hook_index = index
        self._timer.start()

    @staticmethod
    def preview_spec(
        template: Template, samples: dict[str, str], scene_index: int, hook_index: int = -1
    ) -> tuple[VideoSpec, int]:
        """The spec a preview draws and the scene's index in it (worker thread): the template
        filled with ``samples``; for ``hook_index >= 0`` the ad's variant with that alternate
        hook (its first beat).

        Raises:
            InputError: the samples do not fit the template.
        """
        values = {k: v for k, v in samples.items() if v}
        if hook_index >= 0 and isinstance(template, AdTemplate):
            full = {**sample_values(template), **values}
            n = min(hook_index + 1, len(template.hooks))
            return template_variants(template, full, n_hooks=n)[n - 1], 0
        spec = sample_spec(template, values)
        return spec, max(0, min(scene_index, len(spec.scenes) - 1))

    def refresh(self) -> None:
        """Draw the selected scene again (off the GUI thread; stale requests are dropped)."""
        draft = self.document.draft()
        if draft is None:
            first = self.document.problems[0] if self.document.problems else None
            self.view.set_message(Msg.invalid.format(problem=first or "it is incomplete"))
            self.caption.clear()
            return
        store = self.studio.cache
        fraction = self.slider.value() / 100.0
        size = self.view.size()
        hook, scene_index, samples = self.hook_index, self.scene_index, dict(self.samples)

        def work() -> tuple[QImage, VideoSpec, int, float, float]:
            spec, index = self.preview_spec(draft, samples, scene_index, hook)
            renderer, timing = preview_renderer(spec, index, store, speech_mode="offline")
            last_s = (timing.n_frames - 1) / timing.fps
            t_s = fraction * last_s
            frame = renderer.frame_at(t_s)
            return _fit(frame, size), spec, index, t_s, timing.duration_s

        def done(result: tuple[QImage, VideoSpec, int, float, float]) -> None:
            image, spec, index, t_s, length = result
            self.last_spec = spec
            self.view.set_image(image)
            if hook >= 0:
                self.caption.setText(Msg.hook.format(n=hook + 1, t=t_s, length=length))
            else:
                scene = spec.scenes[index]
                what = getattr(scene, "role", None) or scene.scene_type.replace("_", " ")
                self.caption.setText(
                    Msg.scene.format(
                        n=index + 1, total=len(spec.scenes), what=what, t=t_s, length=length
                    )
                )
            self.frame_shown.emit(index)

        def failed(error: BaseException) -> None:
            text = error.message if isinstance(error, StudioError) else str(error)
            if isinstance(error, KeyError):
                text = f"the slot {{{error.args[0]}}} names no field"
            self.view.set_message(Msg.failed.format(error=text))
            self.caption.clear()

        self._jobs.submit(work, done, failed)

    # -- test render ------------------------------------------------------------------------------

    def test_render(self) -> None:
        """Render the whole template with the sample values, through the studio's one render
        request and the job queue. Refused (with what to fix) while the template has problems."""
        template = self.document.template
        if template is None:
            first = self.document.problems[0] if self.document.problems else None
            self.status.setText(Msg.fix_first + (f" First: {first}" if first else ""))
            return
        values = {k: v for k, v in self.samples.items() if v}
        try:
            spec = sample_spec(template, values)
            request = self.studio.make_request(
                spec,
                overrides=RenderOverrides.model_validate(template_overrides(template)),
                default_output_dir=self._output_folder(),
            )
        except (StudioError, ValueError) as error:
            self.status.setText(str(error))
            return
        self.status.setText(Msg.queueing)
        self.test_button.setEnabled(False)

        def queued(job_id: int) -> None:
            self.test_button.setEnabled(True)
            self.status.setText(Msg.queued.format(job=job_id, path=request.output))
            self.render_queued.emit(job_id)

        if self._enqueue is not None:
            self._enqueue(request, queued)
        else:
            studio = self.studio

            def failed(error: BaseException) -> None:
                self.test_button.setEnabled(True)
                self.status.setText(str(error))

            BackgroundOp(lambda: studio.enqueue(request), parent=self).success(queued).failure(
                failed
            ).run()


def _fit(frame: np.ndarray, size: QSize) -> QImage:
    """Worker thread: ``frame`` (H, W, 3 uint8) scaled down to fit ``size``, as a QImage."""
    height, width = frame.shape[:2]
    scale = min(1.0, max(1, size.width()) / width, max(1, size.height()) / height)
    if scale < 1.0:
        image = Image.fromarray(frame).resize(
            (max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.LANCZOS
        )
        frame = np.asarray(image)
    return rgb_to_image(np.ascontiguousarray(frame))
