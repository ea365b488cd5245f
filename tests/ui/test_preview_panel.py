"""The preview widget draws its frames off the GUI thread and shows only the newest request."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from pipeline.models import VideoSpec
from pipeline.preview import preview_frame, preview_renderer, representative_time_s
from pipeline.render_job import RenderOptions
from studio.service import Studio
from tests.support.qt_images import image_pixels
from ui import preview_tasks
from ui.document import ProjectDocument
from ui.plan import RenderPlan
from ui.preview import Msg, PreviewPanel, approximations


class StaticPlan:
    """A plan source that applies fixed render choices to any spec."""

    def __init__(self, **choices: object) -> None:
        self.choices = choices
        self.speech_key = repr(sorted(choices.items()))

    def __call__(self, spec: VideoSpec) -> RenderPlan:
        return RenderPlan(spec, **self.choices)  # type: ignore[arg-type]


def _panel(qtbot, studio: Studio, tmp_path: Path, spec: VideoSpec) -> PreviewPanel:
    document = ProjectDocument(spec)
    panel = PreviewPanel(
        document,
        lambda: studio.cache,
        audio_folder=lambda: tmp_path / "audio",
        speech_mode="offline",
    )
    qtbot.addWidget(panel)
    panel.resize(640, 420)
    panel.show()
    return panel


def test_frames_are_drawn_off_the_gui_thread(qtbot, studio: Studio, tmp_path: Path, small_spec):
    panel = _panel(qtbot, studio, tmp_path, small_spec)
    gui = threading.get_ident()
    with qtbot.waitSignal(panel.frame_shown, timeout=10_000):
        panel.document.set_current(1)
    assert panel.last_worker_thread is not None
    assert panel.last_worker_thread != gui
    assert not panel.view.image.isNull()


def test_the_image_is_the_pipeline_frame(qtbot, studio: Studio, tmp_path: Path, small_spec):
    panel = _panel(qtbot, studio, tmp_path, small_spec)
    panel.view.setFixedSize(1920, 1080)  # no scaling: compare pixels
    with qtbot.waitSignal(panel.frame_shown, timeout=10_000):
        panel.request_frame()
    qtbot.waitUntil(lambda: panel.scrubber.maximum() > 0, timeout=10_000)
    with qtbot.waitSignal(panel.frame_shown, timeout=10_000) as shown:
        panel.scrubber.setValue(1200)
    assert shown.args == [0, 1.2]
    pixels = image_pixels(panel.view.image)
    expected = preview_frame(small_spec, 0, 1.2, studio.cache)
    assert pixels.shape == expected.shape
    assert np.array_equal(pixels, expected)


def test_stale_requests_are_dropped(qtbot, studio: Studio, tmp_path: Path, small_spec):
    panel = _panel(qtbot, studio, tmp_path, small_spec)
    with qtbot.waitSignal(panel.frame_shown, timeout=10_000):
        panel.request_frame()
    qtbot.waitUntil(lambda: panel.scrubber.maximum() > 0, timeout=10_000)
    shown: list[tuple[int, float]] = []
    panel.frame_shown.connect(lambda i, t: shown.append((i, t)))
    for value in range(100, 1100, 100):  # ten requests while the first is in flight
        panel.scrubber.setValue(value)
    qtbot.waitUntil(lambda: bool(shown) and shown[-1] == (0, 1.0), timeout=10_000)
    qtbot.wait(100)
    assert len(shown) <= 2  # at most the one in flight, then the newest
    assert shown[-1] == (0, 1.0)


def test_format_switch_is_an_undoable_edit(qtbot, studio: Studio, tmp_path: Path, small_spec):
    panel = _panel(qtbot, studio, tmp_path, small_spec)
    row = panel.format_box.findData("9:16")
    panel.format_box.setCurrentIndex(row)
    panel.format_box.activated.emit(row)
    assert panel.document.require().format.value == "9:16"
    with qtbot.waitSignal(panel.frame_shown, timeout=10_000):
        pass
    assert panel.view.image.height() > panel.view.image.width()
    panel.document.undo_stack.undo()
    assert panel.format_box.currentData() == "16:9"


def test_play_advances_the_playhead_and_stops(qtbot, studio: Studio, tmp_path: Path, small_spec):
    panel = _panel(qtbot, studio, tmp_path, small_spec)
    qtbot.waitUntil(lambda: panel.scrubber.maximum() > 0, timeout=10_000)
    panel.play_button.click()
    assert panel.playing
    qtbot.waitUntil(lambda: panel.scrubber.value() > 300, timeout=5000)
    panel.space.activated.emit()
    assert not panel.playing
    assert list((tmp_path / "audio").glob("*.wav"))


def test_a_selected_scene_opens_at_its_representative_moment(
    qtbot, studio: Studio, tmp_path: Path, small_spec
):
    panel = _panel(qtbot, studio, tmp_path, small_spec)
    with qtbot.waitSignal(panel.frame_shown, timeout=10_000) as shown:
        panel.document.set_current(1)  # a list: two items revealed as the narration names them
    index, t_s = shown.args
    renderer, timing = preview_renderer(small_spec, 1, studio.cache)
    assert index == 1
    assert t_s == representative_time_s(small_spec, 1, studio.cache) == renderer.settled_s()
    assert t_s > max(timing.transition_in_s, *timing.item_reveal_s)
    assert panel.scrubber.value() == round(t_s * 1000)
    # Not the crossfade from scene 1 that 0 s shows.
    at_moment = preview_frame(small_spec, 1, t_s, studio.cache)
    at_zero = preview_frame(small_spec, 1, 0.0, studio.cache)
    assert float(np.abs(at_moment.astype(int) - at_zero.astype(int)).mean()) > 1.0


def test_what_the_preview_approximates_is_labelled(
    qtbot, studio: Studio, tmp_path: Path, small_spec
):
    spec = small_spec.model_copy(
        update={"scenes": [small_spec.scenes[0].model_copy(update={"narration": None})]}
    )
    panel = _panel(qtbot, studio, tmp_path, spec)
    offline = RenderOptions(speech_mode="offline", offline_voice="espeak")
    with qtbot.waitSignal(panel.frame_shown, timeout=10_000):
        panel.set_plan(StaticPlan(options=offline, forced_offline=True))
    assert panel.note_label.text() == Msg.exact
    auto = RenderOptions(speech_mode="auto", offline_voice="espeak")
    with qtbot.waitSignal(panel.frame_shown, timeout=10_000):
        panel.set_plan(StaticPlan(options=auto, llm_narration=True))
    text = panel.note_label.text()
    assert text.startswith("Approximate preview")
    assert "offline voice (espeak)" in text and "Edge TTS when the network is there" in text
    assert "writes the narration with AI" in text
    online = RenderPlan(spec, RenderOptions(speech_mode="online"))
    assert approximations(spec.scenes[0], "edge", online) == []
    condensed = RenderPlan(spec, offline, forced_offline=True, condensed="to about 60 s")
    assert approximations(spec.scenes[0], "espeak", condensed) == [
        Msg.condensed.format(note="to about 60 s")
    ]


def test_no_project_shows_what_to_do_next(qtbot, studio: Studio, tmp_path: Path, small_spec):
    document = ProjectDocument()
    panel = PreviewPanel(document, lambda: studio.cache, audio_folder=lambda: tmp_path / "audio")
    qtbot.addWidget(panel)
    panel.show()
    assert panel.pages.currentWidget() is panel.empty
    with qtbot.waitSignal(panel.new_requested, timeout=1000):
        panel.empty.new_button.click()
    with qtbot.waitSignal(panel.frame_shown, timeout=10_000):
        document.load(small_spec)
    assert panel.pages.currentWidget() is not panel.empty
    assert panel.view.message == "" and not panel.view.image.isNull()


def test_a_sketch_stands_in_while_the_exact_frame_is_slow(
    qtbot, studio: Studio, tmp_path: Path, small_spec
):
    panel = _panel(qtbot, studio, tmp_path, small_spec)
    with qtbot.waitSignal(panel.frame_shown, timeout=10_000):
        panel.request_frame()
    # The exact frame is held up (as while Piper voices a long paragraph): the frame request
    # queue is busy until `voiced` is set.
    voiced = threading.Event()
    panel._frames.submit(lambda: voiced.wait(30), lambda _r: None)
    sketches: list[int] = []
    panel.sketch_shown.connect(sketches.append)
    with qtbot.waitSignal(panel.sketch_shown, timeout=10_000):
        panel.document.set_current(1)
    assert panel.note_label.text() == Msg.sketch
    size = panel.view.size() * panel.view.devicePixelRatioF()
    expected = preview_tasks.sketch(small_spec, 1, (size.width(), size.height()))
    assert expected is not None
    assert np.array_equal(image_pixels(panel.view.image), expected)  # the scene, fully revealed
    # The exact frame replaces it, and no sketch comes after it.
    with qtbot.waitSignal(panel.frame_shown, timeout=20_000) as shown:
        voiced.set()
    assert shown.args[0] == 1
    assert panel.note_label.text() != Msg.sketch
    panel._request_sketch(panel._scene_generation)  # a late sketch for the same scene
    qtbot.wait(500)
    assert panel.note_label.text() != Msg.sketch
    assert sketches == [1]
