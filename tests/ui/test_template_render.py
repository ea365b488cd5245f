"""A template edited in the template editor renders with its changes: a real (short) render
through `videostudio render --template ID`, reopened and checked."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from PySide6.QtWidgets import QComboBox, QLineEdit

from pipeline.templates.edit import blank_template_data
from studio.cli import main
from studio.service import Studio
from ui.template_editor import TemplateEditor

pytestmark = pytest.mark.slow
GREEN = np.array([0x10, 0xB9, 0x81])


def _choose(box: QComboBox, value: object) -> None:
    box.setCurrentIndex(box.findData(value))
    box.activated.emit(box.currentIndex())


def _frame_at(path: Path, t_s: float) -> np.ndarray:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.time is not None and frame.time >= t_s:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"no frame at {t_s} s")


def test_an_edited_template_renders_with_its_changes(qtbot, tmp_path):
    with Studio() as studio:
        data = blank_template_data("tutorial", template_id="short_lesson", name="Short lesson")
        editor = TemplateEditor(studio, data, taken_ids=studio.templates.ids())
        qtbot.addWidget(editor, before_close_func=lambda w: w.document.undo_stack.setClean())
        doc = editor.document
        _choose(editor.general.binder.find(("format",)).widget, "1:1")
        editor.look.own_look.widget.click()
        _choose(editor.look.binder.find(("theme", "dark")).widget, True)
        accent = editor.look.binder.find(("theme", "accent_color")).widget
        _choose(accent, "#10b981")
        editor.tabs.setCurrentWidget(editor.scenes)
        editor.scenes.select(1)  # the list scene goes: title → outro
        editor.scenes.section.remove_button.click()
        editor.scenes.select(0)
        subtitle = editor.scenes.detail_binder.find(("scenes", 0, "subtitle")).widget
        assert isinstance(subtitle, QLineEdit)
        subtitle.selectAll()
        subtitle.insert("Edited in the template editor")
        subtitle.editingFinished.emit()  # the generated editors commit when editing ends
        assert doc.value(("scenes", 0, "subtitle")) == "Edited in the template editor"
        assert doc.template is not None and len(doc.template.scenes) == 2
        with qtbot.waitSignal(editor.saved, timeout=20_000):
            editor.save()
    out = tmp_path / "lesson.mp4"
    args = ["render", "--template", "short_lesson", "--set", "topic=Lists", "-o", str(out)]
    assert main([*args, "--set", "point_1=Append", "--offline"]) == 0
    metadata = json.loads(out.with_name("lesson.metadata.json").read_text())
    assert metadata["title"] == "Lists" and len(metadata["scenes"]) == 2
    with av.open(str(out)) as container:
        video = container.streams.video[0].codec_context
        assert (video.width, video.height) == (1080, 1080)
        duration_s = float(container.duration) / av.time_base
    assert abs(duration_s - metadata["duration_s"]) < 0.1 and 2.0 < duration_s < 15.0
    frame = _frame_at(out, 1.2)  # the title scene, settled
    assert frame.mean() < 90  # the dark background the template chose (the default is light)
    green = np.abs(frame.astype(int) - GREEN).sum(axis=2) < 40
    assert green.sum() > 500  # its green accent is on screen
