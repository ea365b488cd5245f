"""Undo and redo of every kind of edit: undo restores the exact previous spec, redo re-applies."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pipeline.errors import InputError
from pipeline.models import VideoSpec
from ui.document import DEFAULT_SCENES, ProjectDocument, new_scene

EDITS: dict[str, Callable[[ProjectDocument], None]] = {
    "field": lambda d: d.set_scene_field(0, "title", "New title"),
    "list field": lambda d: d.set_scene_field(1, "items", [{"title": "A"}, {"title": "B"}]),
    "duration override": lambda d: d.set_scene_field(2, "min_duration_s", 4.0),
    "voice": lambda d: d.set_scene_field(1, "voice", "female"),
    "narration": lambda d: d.set_narration(1, "Something else entirely."),
    "narration cleared": lambda d: d.set_narration(0, None),
    "reorder": lambda d: d.move_scene(0, 2),
    "add": lambda d: d.add_scene("quiz", 1),
    "add clip": lambda d: d.add_scene("clip"),
    "add ad": lambda d: d.add_scene("ad", 3),
    "duplicate": lambda d: d.duplicate_scene(1),
    "delete": lambda d: d.delete_scene(0),
    "format": lambda d: d.set_format("9:16"),
    "accent": lambda d: d.set_theme(accent_color="green"),
    "theme": lambda d: d.set_theme(dark=True, font_family="serif"),
    "video field": lambda d: d.set_video_field("title", "Renamed"),
}


@pytest.mark.parametrize("kind", list(EDITS))
def test_undo_restores_exactly_and_redo_reapplies(qtbot, small_spec: VideoSpec, kind: str):
    document = ProjectDocument(small_spec)
    before = document.require().model_dump()
    with qtbot.waitSignal(document.spec_changed, timeout=1000):
        EDITS[kind](document)
    after = document.require().model_dump()
    assert after != before
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert document.require().model_dump() == before
    document.undo_stack.redo()
    assert document.require().model_dump() == after
    document.undo_stack.undo()
    assert document.require().model_dump() == before


def test_a_sequence_of_edits_unwinds_step_by_step(small_spec: VideoSpec):
    document = ProjectDocument(small_spec)
    states = [document.require().model_dump()]
    for edit in EDITS.values():
        edit(document)
        states.append(document.require().model_dump())
    for expected in reversed(states[:-1]):
        document.undo_stack.undo()
        assert document.require().model_dump() == expected
    for expected in states[1:]:
        document.undo_stack.redo()
        assert document.require().model_dump() == expected


def test_signals_name_what_changed(qtbot, small_spec: VideoSpec):
    document = ProjectDocument(small_spec)
    with qtbot.waitSignal(document.scene_changed, timeout=1000) as changed:
        document.set_scene_field(2, "main_text", "Later")
    assert changed.args == [2]
    with qtbot.waitSignal(document.scenes_changed, timeout=1000):
        document.duplicate_scene(0)
    assert document.current == 1
    with qtbot.waitSignal(document.video_changed, timeout=1000):
        document.set_format("1:1")


def test_typing_in_one_field_merges_into_one_step(small_spec: VideoSpec):
    document = ProjectDocument(small_spec)
    document.set_narration(0, "H")
    document.set_narration(0, "Hi")
    document.set_narration(0, "Hi there.")
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert document.require().scenes[0].narration == "Hello."


def test_invalid_edits_raise_and_push_nothing(small_spec: VideoSpec):
    document = ProjectDocument(small_spec)
    with pytest.raises(InputError, match="title"):
        document.set_scene_field(0, "title", "")
    with pytest.raises(InputError):
        document.set_scene_field(0, "no_such_field", 1)
    with pytest.raises(InputError, match="accent"):
        document.set_theme(accent_color="not a colour")
    only = ProjectDocument(small_spec.model_copy(update={"scenes": small_spec.scenes[:1]}))
    with pytest.raises(InputError, match="at least one scene"):
        only.delete_scene(0)
    assert document.undo_stack.count() == 0
    assert document.require() == small_spec


def test_an_edit_that_changes_nothing_is_not_a_step(small_spec: VideoSpec):
    document = ProjectDocument(small_spec)
    document.set_scene_field(0, "title", "Hello")
    document.set_format("16:9")
    assert document.undo_stack.count() == 0


@pytest.mark.parametrize("scene_type", list(DEFAULT_SCENES))
def test_every_scene_type_can_be_added(scene_type: str):
    assert new_scene(scene_type).scene_type == scene_type
