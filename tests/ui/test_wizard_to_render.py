"""The whole desktop flow: the wizard makes a project from a corpus Markdown file, the main
window opens it, the Render button queues it, the runner renders it, and the job panel shows
it finished; the MP4 passes the output validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWizard

from pipeline.validate import validate_output
from studio.service import Studio
from ui.main_window import MainWindow
from ui.wizard import NewProjectWizard

pytestmark = pytest.mark.slow
TIMEOUT_MS = 30_000


def _next(qtbot, wizard: NewProjectWizard) -> None:
    qtbot.waitUntil(lambda: wizard.button(QWizard.WizardButton.NextButton).isEnabled())
    wizard.next()


def test_wizard_to_finished_render(
    qtbot, studio: Studio, settings: QSettings, corpus_dir: Path, tmp_path: Path
):
    chosen = studio.settings.current.model_copy(
        update={"output_dir": tmp_path / "videos", "encoder": "x264"}
    )
    studio.settings.update(chosen)
    runner = studio.make_runner()
    window = MainWindow(studio, runner, settings)
    qtbot.addWidget(window)
    window.show()
    runner.start()

    window.new_project()
    qtbot.waitUntil(
        lambda: (
            isinstance(QApplication.activeModalWidget(), NewProjectWizard)
            or any(
                isinstance(w, NewProjectWizard) and w.isVisible()
                for w in QApplication.topLevelWidgets()
            )
        ),
        timeout=5000,
    )
    wizard = next(
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, NewProjectWizard) and w.isVisible()
    )
    wizard.voice_page.play_samples = False
    page = wizard.source_page
    page.path_edit.setText(str(corpus_dir / "video_gen-Internet_Guide_README.md"))
    page.load_button.click()
    qtbot.waitUntil(lambda: page.result is not None, timeout=TIMEOUT_MS)
    _next(qtbot, wizard)  # style
    _next(qtbot, wizard)  # format
    wizard.format_page.set_format("1:1")
    _next(qtbot, wizard)  # voice
    _next(qtbot, wizard)  # AI options (off)
    _next(qtbot, wizard)  # review
    with qtbot.waitSignal(window.project_loaded, timeout=TIMEOUT_MS):
        wizard.button(QWizard.WizardButton.FinishButton).click()
    assert window.document.spec is not None
    scenes = len(window.document.spec.scenes)

    with qtbot.waitSignal(runner.job_finished, timeout=240_000) as finished:
        window.jobs.render_button.click()
    job_id, state, error = finished.args
    assert (state, error) == ("SUCCEEDED", "")
    job = studio.jobs.get_job(job_id)
    assert job is not None and job.output is not None
    output = Path(job.output["output"])
    assert output.parent == tmp_path / "videos"  # the output folder setting
    meta = json.loads(output.with_name(output.stem + ".metadata.json").read_text(encoding="utf-8"))
    assert len(meta["scenes"]) == scenes
    assert meta["encoder"] == "x264 (CPU)"  # the encoder setting
    assert job.input["options"]["encoder"] == "x264"
    assert {scene["speech_provider"] for scene in meta["scenes"]} <= {"espeak", "silence"}
    report = validate_output(
        output,
        expected_width_px=1080,
        expected_height_px=1080,
        expected_fps=30,
        expected_duration_s=meta["duration_s"],
    )
    assert report.passed, [c for c in report.checks if not c.passed]
    qtbot.waitUntil(lambda: "Succeeded" in window.jobs.tree.topLevelItem(0).text(1), timeout=10_000)
    runner.shutdown()
