"""The New Project wizard, driven page by page as a user would (offscreen, no sleeps)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtWidgets import QWizard

from pipeline.models import NAMED_ACCENTS, VideoFormat
from studio.service import Studio
from studio.settings import StudioSettings
from ui.operations import wait_for_operations
from ui.wizard import Msg, NewProjectWizard

TIMEOUT_MS = 20_000


@pytest.fixture
def studio():
    studio = Studio()
    yield studio
    wait_for_operations()
    studio.close()


@pytest.fixture
def wizard(qtbot, studio):
    wizard = NewProjectWizard(studio, settings=StudioSettings())
    wizard.voice_page.play_samples = False
    qtbot.addWidget(wizard)
    wizard.show()
    yield wizard
    wait_for_operations()


def _next(qtbot, wizard):
    qtbot.waitUntil(lambda: wizard.button(QWizard.WizardButton.NextButton).isEnabled())
    before = wizard.currentId()
    wizard.next()
    assert wizard.currentId() != before


def _load_file(qtbot, wizard, path):
    page = wizard.source_page
    page.path_edit.setText(str(path))
    page.load_button.click()
    assert not page.isComplete()  # Next stays off while the file is read off-thread
    qtbot.waitUntil(
        lambda: page.result is not None or bool(page.error_label.text()), timeout=TIMEOUT_MS
    )


def test_corpus_markdown_through_every_page_to_a_project(qtbot, wizard, studio, corpus_dir):
    _load_file(qtbot, wizard, corpus_dir / "pyav-README.md")
    assert wizard.source_page.error_label.text() == ""
    scenes = len(wizard.source_spec().scenes)
    assert scenes > 3
    _next(qtbot, wizard)

    assert wizard.currentPage() is wizard.style_page
    wizard.style_page.accent_combo.setCurrentIndex(
        wizard.style_page.accent_combo.findData(NAMED_ACCENTS["purple"])
    )
    wizard.style_page.font_combo.setCurrentIndex(1)
    _next(qtbot, wizard)

    assert wizard.currentPage() is wizard.format_page
    wizard.format_page.set_format("9:16")
    assert wizard.format_page.captions_check.isChecked()
    assert "1080 × 1920" in wizard.format_page.resolution_label.text()
    _next(qtbot, wizard)

    assert wizard.currentPage() is wizard.voice_page
    wizard.voice_page.voice_buttons["female"].click()
    _next(qtbot, wizard)

    assert wizard.currentPage() is wizard.ai_page
    assert wizard.ai_page.estimate_label.text() == Msg.no_paid_calls
    _next(qtbot, wizard)

    review = wizard.review_page
    assert wizard.currentPage() is review
    assert review.scenes_label.text() == f"{scenes} scenes"
    assert "Estimated length" in review.length_label.text()
    assert "6× faster than real time" in review.render_label.text()
    with qtbot.waitSignal(review.measured, timeout=TIMEOUT_MS) as measured:
        pass
    assert measured.args[0] > scenes  # at least the padding of every scene
    assert "measured" in review.length_label.text()

    with qtbot.waitSignal(wizard.project_created, timeout=TIMEOUT_MS) as created:
        wizard.button(QWizard.WizardButton.FinishButton).click()
    project = studio.projects.load_project(created.args[0])
    assert len(project.spec.scenes) == scenes
    assert project.spec.format is VideoFormat.PORTRAIT and project.spec.captions is True
    assert project.spec.voice == "female"
    assert project.spec.theme.accent_color == NAMED_ACCENTS["purple"]
    assert project.spec.theme.font_family == "serif"
    assert project.source_kind == "markdown"
    assert project.source_path == corpus_dir / "pyav-README.md"
    assert wizard.result() == QWizard.DialogCode.Accepted


def test_initial_path_loads_straight_away(qtbot, studio, corpus_dir):
    wizard = NewProjectWizard(studio, initial_path=corpus_dir / "pyav-README.md")
    qtbot.addWidget(wizard)
    with qtbot.waitSignal(wizard.source_page.loaded, timeout=TIMEOUT_MS):
        pass
    assert wizard.source_page.isComplete()
    wait_for_operations()


def test_pasted_text_makes_a_project(qtbot, wizard, studio):
    page = wizard.source_page
    page.paste_edit.setPlainText(
        "# Saving money\n\nPut a little aside every week.\n\n- Plan\n- Save"
    )
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        page.use_text_button.click()
    assert page.result.source_kind == "pasted"
    for _ in range(5):
        _next(qtbot, wizard)
    with qtbot.waitSignal(wizard.project_created, timeout=TIMEOUT_MS) as created:
        wizard.accept()
    project = studio.projects.load_project(created.args[0])
    assert project.spec.title == "Saving money"
    # Nothing was changed on the pages: captions keep the format's default (off for 16:9).
    assert project.spec.format is VideoFormat.LANDSCAPE and project.spec.captions is None
    assert not project.spec.captions_burned_in


def test_template_source_with_its_fields(qtbot, wizard):
    page = wizard.source_page
    qtbot.waitUntil(lambda: page.template_list.count() >= 3, timeout=TIMEOUT_MS)  # read off-thread
    page.template_list.setCurrentRow(0)
    required = [name for name, req, _, _ in page.templates[0].fields if req]
    if required:  # a required field left empty is explained on the page
        with qtbot.waitSignal(page.failed, timeout=TIMEOUT_MS):
            page.use_template_button.click()
        assert not page.isComplete()
    for name in required:
        page.template_fields[name].setText(f"Sample {name}")
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        page.use_template_button.click()
    assert page.result.source_kind == "template" and page.isComplete()


def test_bad_file_shows_the_error_and_keeps_next_disabled(qtbot, wizard, tmp_path):
    empty = tmp_path / "empty.md"
    empty.write_text("")
    with qtbot.waitSignal(wizard.source_page.failed, timeout=TIMEOUT_MS) as failed:
        wizard.source_page.load_file(empty)
    text = wizard.source_page.error_label.text()
    assert text and text == failed.args[0]
    assert "empty.md" in text and "Something went wrong" not in text
    assert not wizard.source_page.isComplete()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_ai_page_shows_a_cost_only_when_enabled(qtbot, wizard, corpus_dir):
    _load_file(qtbot, wizard, corpus_dir / "pyav-README.md")
    for _ in range(4):
        _next(qtbot, wizard)
    page = wizard.ai_page
    assert wizard.currentPage() is page
    assert not page.llm_check.isChecked() and not page.clips_check.isChecked()
    assert page.estimate_label.text() == "No paid calls will be made."
    page.llm_check.setChecked(True)
    assert page.estimate_usd > 0
    assert page.estimate_label.text().startswith("Estimated cost: $")
    assert wizard.ai_choice()["llm"] is True
    page.llm_check.setChecked(False)
    assert page.estimate_label.text() == Msg.no_paid_calls and page.estimate_usd == 0


def test_listen_produces_sample_audio_off_the_gui_thread(qtbot, wizard, monkeypatch):
    import ui.wizard as wizard_module

    threads: list[threading.Thread] = []
    real_engine = wizard_module.SpeechEngine

    def spy_engine(*args, **kwargs):
        threads.append(threading.current_thread())
        return real_engine(*args, **kwargs)

    monkeypatch.setattr(wizard_module, "SpeechEngine", spy_engine)
    page = wizard.voice_page
    with qtbot.waitSignal(page.sample_ready, timeout=TIMEOUT_MS) as ready:
        page.listen_buttons["female"].click()
    name, audio = ready.args
    assert name == "female"
    assert audio.duration_s > 0.5 and np.abs(audio.samples).max() > 0.01
    assert page.last_sample_path is not None and page.last_sample_path.stat().st_size > 1000
    assert threads and threads[0] is not threading.main_thread()


def test_the_template_fields_fit_at_the_default_size(qtbot, studio: Studio):
    wizard = NewProjectWizard(studio, settings=StudioSettings())
    qtbot.addWidget(wizard)
    wizard.show()
    page = wizard.source_page
    qtbot.waitUntil(lambda: bool(page.templates), timeout=TIMEOUT_MS)  # the gallery reads them
    rows = [i for i, t in enumerate(page.templates) if t.fields]
    assert rows, "no template with fields to check"
    page.template_list.setCurrentRow(rows[0])
    qtbot.waitUntil(lambda: page.fields_box.isVisible(), timeout=2000)
    qtbot.wait(50)
    assert page.template_radio.isChecked()
    assert page.template_fields
    for edit in page.template_fields.values():
        assert edit.height() >= edit.sizeHint().height()  # never squashed to a sliver
    assert page.template_list.height() >= 150


def test_music_chosen_in_the_wizard_reaches_the_project_and_its_render(qtbot, wizard, studio):
    page = wizard.source_page
    page.paste_edit.setPlainText("# Music\n\nA bed under the voice.")
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        page.use_text_button.click()
    for _ in range(3):
        _next(qtbot, wizard)
    assert wizard.currentPage() is wizard.voice_page
    picker = wizard.voice_page.music_picker
    assert picker.value() is None  # "Default (settings)" until the user picks
    picker.set_value("bright")
    picker.set_level_db(-22.0)
    for _ in range(2):
        _next(qtbot, wizard)
    with qtbot.waitSignal(wizard.project_created, timeout=TIMEOUT_MS) as created:
        wizard.accept()
    project = studio.projects.load_project(created.args[0])
    assert project.spec.music == "bright" and project.spec.music_level_db == -22.0
    request = studio.make_request(project.spec)
    assert request.options.music == "bright" and request.options.music_level_db == -22.0
