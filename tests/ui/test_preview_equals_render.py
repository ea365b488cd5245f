"""Preview = render: the studio's preview of a scene is the frame the Render button's video
shows at the same time (within the encoder's error), for an ordinary project and for one whose
render choices differ from the defaults (9:16, burned captions, the Piper voice). Both go
through the real window: the project opens, the scene is selected, the preview panel draws
it through the helper process; then the Render button queues the studio's request, the runner
renders it and the frame is decoded from the MP4."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from pipeline import preview
from pipeline.avio import extract_frame
from pipeline.models import VideoSpec
from pipeline.render_job import RenderOptions
from studio.service import Studio
from tests.support.qt_images import image_pixels
from ui.main_window import MainWindow
from ui.preview import Msg

pytestmark = pytest.mark.slow
MAX_MEAN_ABS_DIFF = 3.0  # H.264 at the default CRF, on 0–255 (measured 0.5–1.2)


def _spec() -> VideoSpec:
    return VideoSpec.model_validate(
        {
            "title": "Preview equals render",
            "scenes": [
                {"scene_type": "title", "title": "Hello", "narration": "Hello there."},
                {
                    "scene_type": "list",
                    "header": "Three steps",
                    "items": ["Write", "Speak", "Show"],
                    "narration": (
                        "First write it down in your own words. Then speak it aloud, slowly "
                        "and clearly. Finally, show it to someone who has never seen it."
                    ),
                },
            ],
        }
    )


def _preview_then_render(
    qtbot, studio: Studio, tmp_path: Path, overrides: dict[str, Any], size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, float, float, MainWindow]:
    """The preview of scene 2 at its representative moment, the rendered frame at the same
    time, that time, and the scene's narration length in the render (s)."""
    studio.settings.update(
        studio.settings.current.model_copy(
            update={"output_dir": tmp_path / "videos", "encoder": "x264"}
        )
    )
    project_id = studio.projects.save_project(_spec(), overrides=overrides)
    runner = studio.make_runner()
    window = MainWindow(
        studio, runner, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    window.preview.view.setFixedSize(*size)  # the full frame, unscaled
    window.show()
    runner.start()
    with qtbot.waitSignal(window.project_loaded, timeout=10_000):
        window.open_project(project_id)

    def scene_two(index: int, _t: float) -> bool:
        return index == 1

    with qtbot.waitSignal(
        window.preview.frame_shown, timeout=120_000, check_params_cb=scene_two
    ) as shown:
        window.document.set_current(1)
    t_s = float(shown.args[1])
    previewed = image_pixels(window.preview.view.image)
    assert window.preview.note_label.text() == Msg.exact
    last_frame_s = window.preview.scrubber.maximum() / 1000  # the scene's last frame

    with qtbot.waitSignal(runner.job_finished, timeout=240_000) as finished:
        window.render_current()
    job_id, state, error = finished.args
    assert (state, error) == ("SUCCEEDED", "")
    job = studio.jobs.get_job(job_id)
    assert job is not None and job.output is not None
    output = Path(job.output["output"])
    meta = json.loads(Path(job.output["metadata"]).read_text(encoding="utf-8"))
    start_s = meta["scenes"][1]["start_s"]
    rendered = extract_frame(output, start_s + t_s + 1e-4)
    runner.shutdown()
    duration_s = float(meta["scenes"][1]["duration_s"])
    assert meta["scenes"][1]["speech_provider"] == overrides.get("offline_voice", "espeak")
    # The preview's scene is as long as the render's (same voice, same timing).
    assert abs(last_frame_s + 1 / 30 - duration_s) < 2e-3
    narration_s = float(meta["scenes"][1]["narration_duration_s"])
    return previewed, rendered, t_s, narration_s, window


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def test_an_ordinary_scene_previews_as_it_renders(qtbot, studio: Studio, tmp_path: Path):
    previewed, rendered, _t, _duration, _window = _preview_then_render(
        qtbot, studio, tmp_path, {}, (1920, 1080)
    )
    assert previewed.shape == (1080, 1920, 3)
    assert _diff(previewed, rendered) < MAX_MEAN_ABS_DIFF


def test_a_portrait_captioned_piper_scene_previews_as_it_renders(
    qtbot, studio: Studio, tmp_path: Path
):
    overrides = {"format": "9:16", "captions": True, "offline_voice": "piper"}
    previewed, rendered, t_s, narration_s, window = _preview_then_render(
        qtbot, studio, tmp_path, overrides, (1080, 1920)
    )
    assert previewed.shape == (1920, 1080, 3)
    plan = window.preview.last_plan
    assert plan is not None and plan.options.offline_voice == "piper"
    assert plan.spec.captions_burned_in
    error = _diff(previewed, rendered)
    assert error < MAX_MEAN_ABS_DIFF
    # The test can tell: the other offline voice (eSpeak, the suite's default) times the
    # scene differently, and the frame without the project's captions is further off.
    spoken = preview.scene_speech(plan.spec, 1, studio.cache, options=plan.options)
    espeak = RenderOptions(speech_mode="offline", offline_voice="espeak")
    other = preview.scene_speech(plan.spec, 1, studio.cache, options=espeak)
    assert abs(spoken.duration_s - narration_s) < 1e-3  # the render's own narration
    assert (spoken.provider, other.provider) == ("piper", "espeak")  # the plan's voice, not
    # the suite's default (their lengths may happen to be close: compare who spoke)
    no_captions = plan.spec.model_copy(update={"captions": False})
    uncaptioned = preview.preview_frame(no_captions, 1, t_s, studio.cache, options=plan.options)
    assert _diff(uncaptioned, rendered) > 2 * error
