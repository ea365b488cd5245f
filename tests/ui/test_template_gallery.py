"""The template gallery (cards with thumbnails drawn by the encoder's renderers, search, kind
filter), in the main window's Templates dock and in the new-project wizard."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox, QWizard

from pipeline.templates import load_template
from pipeline.templates.edit import blank_template_data, duplicate_data
from pipeline.templates.samples import template_thumbnail
from studio.service import Studio
from ui.main_window import MainWindow
from ui.template_editor import TemplateEditor
from ui.template_gallery import TemplateGallery, card_meta
from ui.wizard import NewProjectWizard

TIMEOUT_MS = 60_000


@pytest.fixture
def studio():
    studio = Studio()
    data = duplicate_data(load_template("testimonial"), taken=studio.templates.ids())
    data.update(id="coffee_story", name="Coffee story", description="A barista's testimonial")
    studio.templates.save(data, based_on="testimonial")
    yield studio
    studio.close()


def _pixels(image: QImage) -> np.ndarray:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # lossless
    return np.asarray(Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGB"))


def test_cards_thumbnails_search_and_kind_filter(qtbot, studio, tmp_path):
    gallery = TemplateGallery(studio)
    qtbot.addWidget(gallery)
    with qtbot.waitSignal(gallery.thumbnails_done, timeout=TIMEOUT_MS):
        gallery.show()
    ids = [e.id for e in gallery.entries]
    assert len(ids) == 32 and ids[-1] == "coffee_story"  # 31 built-in, then the user's
    assert gallery.count_label.text() == "32 of 32 templates"
    entry = gallery.entries[ids.index("coffee_story")]
    assert card_meta(entry) == "Ad · 9:16 · 28–33 s" and not entry.read_only
    # the thumbnail is the encoder's renderer drawing the hook with sample values
    qtbot.waitUntil(lambda: gallery.thumbnail("coffee_story") is not None, timeout=TIMEOUT_MS)
    thumb = gallery.thumbnail("coffee_story")
    assert thumb is not None and (thumb.width(), thumb.height()) == (240, 427)
    expected = template_thumbnail(entry.template)
    assert np.array_equal(_pixels(thumb), expected)
    persona = gallery.thumbnail("savings_builder.goal_setting")
    assert persona is not None and (persona.width(), persona.height()) == (240, 135)

    gallery.search.setText("barista")
    assert gallery.visible_ids() == ["coffee_story"]
    gallery.search.setText("")
    gallery.set_kind("user")
    assert gallery.visible_ids() == ["coffee_story"]
    gallery.set_kind("persona")
    assert len(gallery.visible_ids()) == 20
    gallery.search.setText("savings goal")
    assert gallery.visible_ids() == ["savings_builder.goal_setting"]
    gallery.search.setText("no such words")
    assert gallery.visible_ids() == [] and "No template matches" in gallery.count_label.text()
    assert gallery.select("coffee_story")  # clears the filter to show it
    assert gallery.current_id() == "coffee_story" and gallery.kind() is None


def test_wizard_offers_user_templates_with_typed_fields(qtbot, studio):
    wizard = NewProjectWizard(studio)
    wizard.voice_page.play_samples = False
    qtbot.addWidget(wizard)
    wizard.show()
    page = wizard.source_page
    qtbot.waitUntil(lambda: len(page.templates) == 32, timeout=TIMEOUT_MS)
    page.choose_template("coffee_story")
    assert page.template_radio.isChecked()
    row = [t.id for t in page.templates].index("coffee_story")
    assert page.template_list.currentRow() == row
    image = page.template_fields["image_path"]
    assert image.field_type == "image" and image.button is not None  # Browse…
    for name, value in {
        "product": "BrewMate",
        "problem": "bitter coffee",
        "benefit_1": "Fresh in 40 s",
        "benefit_2": "Fits any desk",
    }.items():
        page.template_fields[name].setText(value)
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        page.use_template_button.click()
    spec = page.result.spec
    assert page.result.template_id == "coffee_story"
    assert spec.format.value == "9:16" and spec.scenes[0].role == "hook"
    assert "BrewMate" in spec.title
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_main_window_templates_dock(qtbot, studio, settings, monkeypatch):
    window = MainWindow(studio, None, settings)
    qtbot.addWidget(window)
    window.show()
    panel = window.templates_panel
    assert "templates" in window.docks
    assert any(a.text() == "&Templates" for a in window.menuBar().actions())
    gallery = panel.gallery
    qtbot.waitUntil(lambda: len(gallery.entries) == 32, timeout=TIMEOUT_MS)

    gallery.select("problem_solution")
    assert not panel.delete_action.isEnabled()  # built-ins cannot be deleted
    editor = panel.edit(gallery.current_entry())  # a built-in: its copy opens
    assert isinstance(editor, TemplateEditor)
    qtbot.addWidget(editor, before_close_func=lambda w: w.document.undo_stack.setClean())
    assert editor.document.value(("id",)) == "problem_solution_copy"
    assert editor.document.based_on == "problem_solution"
    with qtbot.waitSignal(editor.saved, timeout=TIMEOUT_MS):
        editor.save()
    qtbot.waitUntil(lambda: gallery.current_id() == "problem_solution_copy", timeout=TIMEOUT_MS)

    blank = panel.new_template("tutorial")
    qtbot.addWidget(blank, before_close_func=lambda w: w.document.undo_stack.setClean())
    assert blank.document.value(("id",)) == "my_tutorial" and blank.document.template is not None

    gallery.select("coffee_story")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert panel.delete_action.isEnabled()
    panel.delete_action.trigger()
    qtbot.waitUntil(
        lambda: "coffee_story" not in [e.id for e in gallery.entries], timeout=TIMEOUT_MS
    )
    assert "coffee_story" not in studio.templates.ids()

    gallery.select("quick_feature_tour")
    panel.use_button.click()
    wizards = window.findChildren(NewProjectWizard)
    assert wizards
    wizard = wizards[-1]
    qtbot.waitUntil(
        lambda: wizard.source_page.gallery.current_id() == "quick_feature_tour", timeout=TIMEOUT_MS
    )
    assert wizard.source_page.template_radio.isChecked()
    assert "product" in wizard.source_page.template_fields
    wizard.reject()


def test_blank_user_template_made_in_the_editor_is_listed(qtbot, studio):
    data = blank_template_data("persona")
    editor = TemplateEditor(studio, data, taken_ids=studio.templates.ids())
    qtbot.addWidget(editor, before_close_func=lambda w: w.document.undo_stack.setClean())
    with qtbot.waitSignal(editor.saved, timeout=TIMEOUT_MS):
        editor.save()
    entries = {e.id: e for e in studio.templates.entries("user")}
    assert "my_persona.my_topic" in entries and entries["my_persona.my_topic"].kind == "persona"


def test_import_with_a_clash_asks_then_keeps_both_or_replaces(qtbot, studio, settings, tmp_path):
    window = MainWindow(studio, None, settings)
    qtbot.addWidget(window)
    panel = window.templates_panel
    gallery = panel.gallery
    qtbot.waitUntil(lambda: len(gallery.entries) == 32, timeout=TIMEOUT_MS)
    exported = studio.templates.export("coffee_story", tmp_path / "coffee.yaml")
    answers: list[tuple[str, bool]] = []

    def answer(choice: str):
        def ask(message: str, *, can_replace: bool) -> str:
            answers.append((message, can_replace))
            return choice

        return ask

    panel.ask_clash = answer("new")
    panel.import_file(exported)
    qtbot.waitUntil(lambda: "coffee_story_2" in [e.id for e in gallery.entries], timeout=TIMEOUT_MS)
    assert answers == [("a template 'coffee_story' already exists", True)]
    assert (
        studio.templates.get("coffee_story_2").scenes == studio.templates.get("coffee_story").scenes
    )
    edited = exported.read_text().replace("name: Coffee story", "name: Coffee story v2")
    exported.write_text(edited)
    panel.ask_clash = answer("replace")
    panel.import_file(exported)
    qtbot.waitUntil(
        lambda: studio.templates.entry("coffee_story").name == "Coffee story v2", timeout=TIMEOUT_MS
    )
    builtin = studio.templates.export("problem_solution", tmp_path / "ps.yaml")
    panel.ask_clash = answer("cancel")
    panel.import_file(builtin)
    qtbot.waitUntil(lambda: len(answers) == 3, timeout=TIMEOUT_MS)
    assert answers[-1][1] is False  # a built-in cannot be replaced: only "new" is offered
    assert len(studio.templates.entries("user")) == 2
