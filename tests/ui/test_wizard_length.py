"""The wizard's target length (Short ≈ 60 s / Medium ≈ 3 min / Full) is a render choice of the
project, so the Render button condenses to it; and the wizard follows the skip_boilerplate
setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QWizard

from pipeline.condense import estimate_duration_s
from studio.api import RenderOverrides
from studio.service import Studio
from studio.settings import StudioSettings
from ui.operations import wait_for_operations
from ui.wizard import NewProjectWizard

TIMEOUT_MS = 30_000
GUIDE = "video_gen-Internet_Guide_Vol1_Core_Infrastructure.md"  # ~2700 words, ~17 minutes


@pytest.fixture
def studio():
    studio = Studio()
    yield studio
    wait_for_operations()
    studio.close()


def _wizard(qtbot, studio: Studio, settings: StudioSettings) -> NewProjectWizard:
    wizard = NewProjectWizard(studio, settings=settings)
    wizard.voice_page.play_samples = False
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def _load(qtbot, wizard: NewProjectWizard, path: Path) -> None:
    with qtbot.waitSignal(wizard.source_page.loaded, timeout=TIMEOUT_MS):
        wizard.source_page.load_file(path)


def _to_review(qtbot, wizard: NewProjectWizard) -> None:
    while wizard.currentPage() is not wizard.review_page:
        qtbot.waitUntil(lambda: wizard.button(QWizard.WizardButton.NextButton).isEnabled())
        wizard.next()


def _finish(qtbot, wizard: NewProjectWizard) -> int:
    with qtbot.waitSignal(wizard.project_created, timeout=TIMEOUT_MS) as created:
        wizard.button(QWizard.WizardButton.FinishButton).click()
    return int(created.args[0])


def test_short_is_kept_with_the_project_and_the_render_condenses_to_it(
    qtbot, studio: Studio, corpus_dir: Path
):
    wizard = _wizard(qtbot, studio, StudioSettings())
    _load(qtbot, wizard, corpus_dir / GUIDE)
    source = wizard.build_spec()
    scenes = len(source.scenes)
    # Full by default: every scene, about a quarter of an hour.
    assert wizard.format_page.target_duration_s() is None
    assert len(wizard.render_spec(source).scenes) == scenes
    assert estimate_duration_s(source.scenes) > 600

    wizard.format_page.length_combo.setCurrentIndex(wizard.format_page.length_combo.findData(60.0))
    _to_review(qtbot, wizard)
    review = wizard.review_page
    condensed = review.scenes_label.text()
    assert "condensed from" in condensed and "1 min 0 s target" in condensed
    assert review.length_s < 60 * 1.3  # the words of the condensed storyboard
    with qtbot.waitSignal(review.measured, timeout=60_000) as measured:
        pass
    assert abs(measured.args[0] - 60) <= 60 * 0.2  # spoken by the offline voice

    project = studio.projects.load_project(_finish(qtbot, wizard))
    assert project.overrides == {"duration_s": 60.0}
    assert len(project.spec.scenes) == scenes  # the project keeps the whole document
    # What the Render button queues: the studio's request with the project's choices.
    request = studio.make_request(
        project.spec, overrides=RenderOverrides.model_validate(project.overrides)
    )
    assert len(request.spec.scenes) < scenes
    assert any("condensed" in note for note in request.notes)
    assert abs(estimate_duration_s(request.spec.scenes) - 60) <= 60 * 0.15


def test_full_overrides_a_target_length_setting(qtbot, studio: Studio, corpus_dir: Path):
    # pyav's README: about three minutes, longer than the 90 s the setting asks for.
    wizard = _wizard(qtbot, studio, StudioSettings(target_duration_s=90))
    # The setting's own length is offered and chosen; left as it is, it is not a choice
    # of the project (the setting applies).
    page = wizard.format_page
    assert page.target_duration_s() == 90
    assert "your setting" in page.length_combo.currentText()
    assert "duration_s" not in wizard.render_overrides()

    _load(qtbot, wizard, corpus_dir / "pyav-README.md")
    page.length_combo.setCurrentIndex(page.length_combo.findData(None))
    _to_review(qtbot, wizard)
    scenes = len(wizard.source_spec().scenes)
    assert wizard.review_page.scenes_label.text() == f"{scenes} scenes"
    project = studio.projects.load_project(_finish(qtbot, wizard))
    assert project.overrides == {"full_length": True}
    settings = studio.settings.current.model_copy(update={"target_duration_s": 90.0})
    studio.settings.update(settings)
    overrides = RenderOverrides.model_validate(project.overrides)
    full = studio.make_request(project.spec, overrides=overrides)
    assert full.spec.scenes == project.spec.scenes and not full.notes
    assert estimate_duration_s(full.spec.scenes) > 90 * 1.15
    alone = studio.make_request(project.spec)  # without the project's choice: the setting
    assert estimate_duration_s(alone.spec.scenes) <= 90 * 1.15


def test_the_wizard_follows_the_skip_boilerplate_setting(qtbot, studio: Studio, tmp_path: Path):
    document = tmp_path / "tool.md"
    document.write_text(
        "# Tool\n\nThe tool sorts your photos by date.\n\n"
        "## Changelog\n\nVersion two fixed the zebra importer.\n",
        encoding="utf-8",
    )

    def said(settings: StudioSettings) -> str:
        wizard = _wizard(qtbot, studio, settings)
        _load(qtbot, wizard, document)
        text = " ".join(s.model_dump_json() for s in wizard.source_spec().scenes)
        wizard.close()
        return text

    assert "zebra" not in said(StudioSettings())
    assert "zebra" in said(StudioSettings(skip_boilerplate=False))
