"""The template editor, driven as a user would (offscreen): every part is edited through its
inputs, each edit is undone and redone, problems appear under the input at fault and block
saving, the preview draws the selected beat with the encoder's renderers, a saved template
lands in the library and a test render is queued through the studio's render request."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QPlainTextEdit,
)

from pipeline.templates import load_template
from pipeline.templates.edit import blank_template_data, duplicate_data
from studio.service import Studio
from ui.template_editor import TemplateEditor
from ui.template_forms import Binding

TIMEOUT_MS = 20_000


@pytest.fixture
def studio():
    studio = Studio()
    yield studio
    studio.close()


def _editor(qtbot, studio, data, **kwargs) -> TemplateEditor:
    editor = TemplateEditor(studio, data, taken_ids=studio.templates.ids(), **kwargs)
    # closing with unsaved edits asks first: tests close without asking
    qtbot.addWidget(editor, before_close_func=lambda w: w.document.undo_stack.setClean())
    editor.show()
    return editor


@pytest.fixture
def ad_editor(qtbot, studio):
    data = duplicate_data(load_template("problem_solution"), taken=studio.templates.ids())
    editor = _editor(qtbot, studio, data, based_on="problem_solution")
    editor.document.undo_stack.setClean()
    return editor


def _type(binding: Binding, text: str) -> None:
    widget = binding.widget
    if isinstance(widget, QLineEdit):
        widget.selectAll()
        widget.insert(text)  # as typing: textEdited fires
    elif isinstance(widget, QPlainTextEdit):
        widget.setPlainText(text)
    else:
        raise AssertionError(f"not a text input: {widget}")


def _undo_redo(editor: TemplateEditor, path, before, after) -> None:
    doc = editor.document
    assert doc.value(path) == after
    doc.undo_stack.undo()
    assert doc.value(path) == before
    doc.undo_stack.redo()
    assert doc.value(path) == after


def _choose(binding: Binding, value) -> None:
    box = binding.widget
    assert isinstance(box, QComboBox)
    box.setCurrentIndex(box.findData(value))
    box.activated.emit(box.currentIndex())


def test_general_and_look_edits_are_undoable(qtbot, ad_editor):
    editor, doc = ad_editor, ad_editor.document
    general = editor.general
    name = general.binder.find(("name",))
    _type(name, "My coffee ad")
    _undo_redo(editor, ("name",), "Problem → Solution (copy)", "My coffee ad")
    assert "My coffee ad" in editor.windowTitle() and "•" in editor.windowTitle()
    _choose(general.binder.find(("format",)), "1:1")
    _undo_redo(editor, ("format",), "9:16", "1:1")
    spin = general.binder.find(("transition_s",)).widget
    assert isinstance(spin, QDoubleSpinBox)
    spin.setValue(0.5)
    _undo_redo(editor, ("transition_s",), 0.0, 0.5)
    _type(general.kind_binder.find(("tone",)), "warm")
    _undo_redo(editor, ("tone",), "relatable, then relieved", "warm")

    look = editor.look
    own = look.own_look.widget
    assert isinstance(own, QCheckBox) and not own.isChecked()
    own.click()
    assert doc.value(("theme",)) == {
        "accent_color": "#3b82f6",
        "font_family": "sans",
        "dark": False,
    }
    _choose(look.binder.find(("theme", "dark")), True)
    _choose(look.binder.find(("theme", "font_family")), "serif")
    accent = look.binder.find(("theme", "accent_color")).widget
    accent.setCurrentIndex(accent.findData("#10b981"))
    accent.activated.emit(accent.currentIndex())
    assert doc.value(("theme",)) == {
        "accent_color": "#10b981",
        "font_family": "serif",
        "dark": True,
    }
    doc.undo_stack.undo()
    assert doc.value(("theme", "accent_color")) == "#3b82f6"
    _choose(look.binder.find(("voice",)), "female")
    _undo_redo(editor, ("voice",), "", "female")
    _choose(look.binder.find(("music",)), "calm")
    _choose(look.binder.find(("caption_style",)), "plain")
    assert (doc.value(("music",)), doc.value(("caption_style",))) == ("calm", "plain")
    assert doc.template is not None
    assert doc.template.theme.dark and doc.template.music == "calm"


def test_fields_add_edit_reorder_remove_with_undo(qtbot, ad_editor):
    editor, doc = ad_editor, ad_editor.document
    page = editor.fields_page
    count = len(doc.items(("fields",)))
    page.section.set_current(count - 1)
    page.section.add_button.click()
    assert len(doc.items(("fields",))) == count + 1
    assert page.section.current() == count
    b = page.binder
    _type(b.find(("fields", count, "name")), "flavour")
    _type(b.find(("fields", count, "label")), "Flavour")
    _choose(b.find(("fields", count, "type")), "long_text")
    b.find(("fields", count, "required")).widget.click()
    _type(b.find(("fields", count, "default")), "vanilla")
    _type(b.find(("fields", count, "help")), "e.g. hazelnut")
    b.find(("fields", count, "max_chars")).widget.setValue(40)
    assert doc.items(("fields",))[count] == {
        "name": "flavour",
        "label": "Flavour",
        "required": True,
        "default": "vanilla",
        "help": "e.g. hazelnut",
        "max_chars": 40,
        "type": "long_text",
    }
    assert doc.template is not None
    page.section.up_button.click()
    assert doc.items(("fields",))[count - 1]["name"] == "flavour"
    doc.undo_stack.undo()
    assert doc.items(("fields",))[count]["name"] == "flavour"
    page.section.set_current(count)
    page.section.remove_button.click()
    assert len(doc.items(("fields",))) == count
    doc.undo_stack.undo()
    assert doc.items(("fields",))[count]["name"] == "flavour"
    doc.undo_stack.redo()
    assert len(doc.items(("fields",))) == count


def test_beats_edit_reorder_add_remove_and_validation_at_the_field(qtbot, ad_editor):
    editor, doc = ad_editor, ad_editor.document
    editor.tabs.setCurrentWidget(editor.scenes)
    scenes = editor.scenes
    scenes.select(3)
    b = scenes.detail_binder
    _type(b.find(("scenes", 3, "text")), "It never {works}")
    problem = editor.error_text(("scenes", 3, "text"))
    assert "{works} names no field" in problem
    assert not editor.save_action.isEnabled()
    assert editor.error_text(("scenes", 3, "narration")) == ""
    _type(b.find(("scenes", 3, "text")), "It never works")
    assert editor.error_text(("scenes", 3, "text")) == "" and editor.save_action.isEnabled()
    _type(b.find(("scenes", 3, "narration")), "It never works. Ever.")
    _type(b.find(("scenes", 3, "body")), "{product}")
    b.find(("scenes", 3, "product")).widget.click()
    _choose(b.find(("scenes", 3, "role")), "proof")
    beat = doc.value(("scenes", 3))
    assert (beat["text"], beat["body"], beat["product"], beat["role"]) == (
        "It never works",
        "{product}",
        False,
        "proof",
    )
    high = b.find(("scenes", 3, "duration_s")).widget.findChild(QDoubleSpinBox, "span_high")
    high.setValue(3.6)
    assert doc.value(("scenes", 3, "duration_s")) == [2.4, 3.6]
    assert "outside the 2–3 s of an ad beat" in editor.error_text(("scenes", 3, "duration_s"))
    assert "30 ± 3 s" in scenes.section.error.text() and scenes.section.error.isVisibleTo(scenes)
    assert editor.problems_list.count() == 2 and not editor.save_action.isEnabled()
    doc.undo_stack.undo()
    assert doc.value(("scenes", 3, "duration_s")) == [2.4, 2.8]
    assert editor.error_text(("scenes", 3, "duration_s")) == "" and doc.template is not None
    # the hook: at most 1.8 s, first, with the product
    scenes.select(0)
    hook_high = scenes.detail_binder.find(("scenes", 0, "duration_s")).widget.findChild(
        QDoubleSpinBox, "span_high"
    )
    hook_high.setValue(2.0)
    assert "at most 1.8 s" in editor.error_text(("scenes", 0, "duration_s"))
    doc.undo_stack.undo()
    # reorder, add and remove beats
    first_texts = [beat["text"] for beat in doc.items(("scenes",))]
    scenes.select(4)
    scenes.section.up_button.click()
    texts = [beat["text"] for beat in doc.items(("scenes",))]
    assert texts[3] == first_texts[4] and texts[4] == first_texts[3]
    doc.undo_stack.undo()
    assert [beat["text"] for beat in doc.items(("scenes",))] == first_texts
    scenes.section.duplicate_button.click()
    assert len(doc.items(("scenes",))) == 13
    assert any("30 ± 3 s" in p.message for p in doc.problems)  # 13 beats are too long
    scenes.section.remove_button.click()
    assert len(doc.items(("scenes",))) == 12 and doc.template is not None


def test_hooks_and_their_preview(qtbot, ad_editor):
    editor, doc = ad_editor, ad_editor.document
    editor.tabs.setCurrentWidget(editor.hooks)
    page = editor.hooks
    page.section.set_current(2)
    _type(page.binder.find(("hooks", 2, "text")), "Espresso in {benefit_1}")
    _type(page.binder.find(("hooks", 2, "angle")), "speed")
    _undo_redo(editor, ("hooks", 2, "angle"), "benefit", "speed")
    page.section.down_button.click()
    assert doc.value(("hooks", 3, "text")) == "Espresso in {benefit_1}"
    page.section.remove_button.click()
    assert [p.path for p in doc.problems] == [("hooks",)]
    assert "at least 5" in page.section.error.text() and not page.section.error.isHidden()
    doc.undo_stack.undo()
    assert len(doc.items(("hooks",))) == 5 and doc.template is not None
    page.section.set_current(3)
    with qtbot.waitSignal(editor.preview.frame_shown, timeout=TIMEOUT_MS):
        editor.preview.refresh()
    assert "Alternate hook 4" in editor.preview.caption.text()
    spec = editor.preview.last_spec
    assert spec is not None and spec.scenes[0].headline == "Espresso in Cleans in 30 seconds"


def test_preview_draws_the_selected_beat_with_sample_values(qtbot, ad_editor):
    editor = ad_editor
    editor.tabs.setCurrentWidget(editor.scenes)
    editor.scenes.select(4)  # "Meet {product}"
    editor.preview.set_sample("product", "BrewMate")
    with qtbot.waitSignal(editor.preview.frame_shown, timeout=TIMEOUT_MS) as shown:
        editor.preview.refresh()
    assert shown.args == [4]
    spec = editor.preview.last_spec
    assert spec.scenes[4].headline == "Meet BrewMate" and spec.format.value == "9:16"
    image = editor.preview.view.image
    assert not image.isNull() and image.height() > image.width()  # a 9:16 frame
    # a slot that names no field cannot be drawn, and the preview says why
    _type(editor.scenes.detail_binder.find(("scenes", 4, "text")), "Meet {prodct}")
    editor.preview.refresh()
    qtbot.waitUntil(lambda: "prodct" in editor.preview.view.message, timeout=TIMEOUT_MS)


def test_persona_clip_prompt_and_id_follow_the_topic(qtbot, studio):
    data = duplicate_data(
        load_template("savings_builder.goal_setting"), taken=studio.templates.ids()
    )
    editor = _editor(qtbot, studio, data)
    doc = editor.document
    assert editor.general.id_input.widget.isReadOnly()
    _type(editor.general.kind_binder.find(("topic",)), "jar_goals")
    assert doc.value(("id",)) == "savings_builder.jar_goals"
    doc.undo_stack.undo()
    assert doc.value(("id",)) == "savings_builder.goal_setting_copy"
    editor.tabs.setCurrentWidget(editor.scenes)
    editor.scenes.select(1)
    prompt = editor.scenes.detail_binder.find(("prompt",))
    _type(prompt, "A glass jar fills with coins. Warm light, hopeful.")
    _undo_redo(editor, ("prompt",), load_template("savings_builder.goal_setting").prompt,
               "A glass jar fills with coins. Warm light, hopeful.")  # fmt: skip
    _type(prompt, "A jar for {persona_name}")
    assert "cannot depend on their fields" in editor.error_text(("prompt",))
    doc.undo_stack.undo()
    values = editor.scenes.detail_binder.find(("infographic", "values"))
    _type(values, "0.25")
    assert doc.value(("infographic", "values")) == [0.25]
    editor.scenes.select(2)
    _type(editor.scenes.detail_binder.find(("outro", "main_text")), "Start today")
    _undo_redo(editor, ("outro", "main_text"), "Small steps add up", "Start today")
    assert doc.template is not None


def test_tutorial_scenes_types_and_kind_change(qtbot, studio):
    editor = _editor(qtbot, studio, blank_template_data("tutorial", template_id="lesson"))
    doc = editor.document
    editor.tabs.setCurrentWidget(editor.scenes)
    scenes = editor.scenes
    scenes.select(1)
    _choose(scenes.detail_binder.find(("scenes", 1, "scene_type")), "quiz")
    assert doc.value(("scenes", 1, "scene_type")) == "quiz"
    assert doc.value(("scenes", 1, "narration")) == "{point_1}. {point_2}."  # kept
    question = scenes.detail_binder.find(("scenes", 1, "question"))
    question.widget.setPlainText("What is {topic}?")
    # the generated editors (ui.fields) commit when the focus leaves them
    QApplication.sendEvent(question.widget, QFocusEvent(QEvent.Type.FocusOut))
    assert doc.value(("scenes", 1, "question")) == "What is {topic}?"
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.value(("scenes", 1, "scene_type")) == "list"
    assert doc.value(("scenes", 1, "items")) == ["{point_1}", "{point_2}"]
    menu = scenes.section.add_button.menu()
    checkpoint = next(a for a in menu.actions() if a.text() == "Checkpoint")
    checkpoint.trigger()
    assert doc.value(("scenes", 2, "scene_type")) == "checkpoint"
    assert doc.template is not None
    # a different kind keeps name and fields, takes the new kind's structure, and is undoable
    _choose(editor.general.kind_input, "ad")
    assert doc.kind == "ad" and editor.tabs.isTabVisible(4)
    assert "topic" in [f["name"] for f in doc.items(("fields",))]
    doc.undo_stack.undo()
    assert doc.kind == "tutorial" and not editor.tabs.isTabVisible(4)


def test_save_refused_with_problems_then_saved_to_the_library(qtbot, ad_editor, studio):
    editor, doc = ad_editor, ad_editor.document
    _type(editor.general.binder.find(("id",)), "problem_solution")  # a built-in's id
    assert "already has the id" in editor.error_text(("id",))
    editor.save()
    assert "Not saved" in editor.summary.text() and "already has the id" in editor.summary.text()
    _type(editor.general.binder.find(("id",)), "coffee_ad")
    _type(editor.general.binder.find(("name",)), "Coffee ad")
    with qtbot.waitSignal(editor.saved, timeout=TIMEOUT_MS) as saved:
        editor.save_action.trigger()
    assert saved.args == ["coffee_ad"] and doc.undo_stack.isClean()
    entry = studio.templates.entry("coffee_ad")
    assert (
        entry.name == "Coffee ad"
        and entry.origin == "user"
        and entry.based_on == "problem_solution"
    )
    assert (studio.data_dir / "templates" / "coffee_ad.yaml").is_file()
    # renamed on the next save: the old file goes
    _type(editor.general.binder.find(("id",)), "coffee_ad_v2")
    with qtbot.waitSignal(editor.saved, timeout=TIMEOUT_MS):
        editor.save()
    assert [e.id for e in studio.templates.entries("user")] == ["coffee_ad_v2"]


def test_problem_list_takes_you_to_the_field(qtbot, ad_editor):
    editor, doc = ad_editor, ad_editor.document
    doc.set_value(("scenes", 7, "narration"), "{nope}")
    assert editor.problems_list.count() == 1
    item = editor.problems_list.item(0)
    assert item.text().startswith("Beat 8 (benefit) · narration: the slot {nope} names no field")
    editor.problems_list.itemClicked.emit(item)
    assert editor.tabs.currentWidget() is editor.scenes
    assert editor.scenes.current_index() == 7
    binding = editor.scenes.detail_binder.find(("scenes", 7, "narration"))
    assert "names no field" in binding.error.text() and not binding.error.isHidden()


def test_test_render_goes_through_the_render_request_and_the_queue(
    qtbot, ad_editor, studio, tmp_path
):
    editor = ad_editor
    editor.preview.set_sample("product", "BrewMate")
    calls = []

    def enqueue(request, on_queued):
        calls.append(request)
        on_queued(studio.enqueue(request))

    editor.preview._enqueue = enqueue
    editor.preview._output_folder = lambda: tmp_path
    with qtbot.waitSignal(editor.preview.render_queued, timeout=TIMEOUT_MS) as queued:
        editor.test_action.trigger()
    (request,) = calls
    job = studio.jobs.get_job(queued.args[0])
    assert job is not None and job.input["spec"]["title"] == request.spec.title
    assert request.paid.template_id == editor.document.value(("id",))
    assert request.output.parent == tmp_path and request.spec.format.value == "9:16"
    assert request.spec.scenes[4].headline == "Meet BrewMate"
    # a template with a problem is not rendered: the message says what to fix
    editor.document.set_value(("scenes", 0, "duration_s"), [1.5, 2.5])
    editor.preview.test_render()
    assert "cannot be rendered" in editor.preview.status.text() and len(calls) == 1
