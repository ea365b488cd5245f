"""The critique dialog: edits listed with reasons, chosen ones applied in one step, failures
shown in plain words."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from pipeline.ai.base import PaidWorkBlocked, ProviderError
from pipeline.ai.script import Edit
from pipeline.models import VideoSpec
from ui.critique_dialog import CritiqueDialog

TRIM = Edit(scene_index=1, kind="trim", delta_s=-0.5, reason="scene 2 drags")
OUTRO = Edit(
    scene_index=2,
    kind="rewrite_field",
    field="main_text",
    new_value="Start saving today",
    reason="the close is vague",
)


def _open(qtbot, spec: VideoSpec, critic, **kwargs: object) -> CritiqueDialog:
    dialog = CritiqueDialog(spec, critic, **kwargs)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.retry_button.isEnabled(), timeout=10_000)
    return dialog


def test_both_edits_listed_and_only_the_ticked_one_applied(qtbot, small_spec: VideoSpec):
    threads: list[threading.Thread] = []

    def critic(spec: VideoSpec) -> list[Edit]:
        threads.append(threading.current_thread())
        return [TRIM, OUTRO]

    dialog = _open(qtbot, small_spec, critic, durations_s=[2.0, 3.0, 2.0])
    assert threads and threads[0] is not threading.main_thread()
    texts = [dialog.edits_list.item(i).text() for i in range(dialog.edits_list.count())]
    assert texts[0].startswith("Scene 2 (list): cut 0.5 s") and "scene 2 drags" in texts[0]
    assert "main_text → “Start saving today”" in texts[1] and "the close is vague" in texts[1]
    assert dialog.apply_button.isEnabled()

    dialog.edits_list.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert dialog.chosen_edits() == [OUTRO]
    with qtbot.waitSignal(dialog.apply_requested, timeout=1000) as applied:
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    new_spec = applied.args[0]
    assert isinstance(new_spec, VideoSpec)
    assert new_spec.scenes[2].main_text == "Start saving today"
    assert new_spec.scenes[1].max_duration_s is None  # the trim was not applied
    assert small_spec.scenes[2].main_text == "Bye"  # the draft itself is untouched
    assert dialog.result() == CritiqueDialog.DialogCode.Accepted


def test_trim_uses_the_measured_durations(qtbot, small_spec: VideoSpec):
    dialog = _open(qtbot, small_spec, lambda spec: [TRIM, OUTRO], durations_s=[2.0, 3.0, 2.0])
    with qtbot.waitSignal(dialog.apply_requested, timeout=1000) as applied:
        dialog.apply()
    assert applied.args[0].scenes[1].max_duration_s == pytest.approx(2.5)
    assert applied.args[0].scenes[2].main_text == "Start saving today"


def test_skipped_edits_are_explained_and_the_rest_applied(qtbot, small_spec: VideoSpec):
    wrong = Edit(scene_index=2, kind="rewrite_field", field="headline", new_value="Hi")
    dialog = _open(qtbot, small_spec, lambda spec: [wrong, OUTRO])
    with qtbot.waitSignal(dialog.apply_requested, timeout=1000) as applied:
        dialog.apply()
    assert applied.args[0].scenes[2].main_text == "Start saving today"
    notes = dialog.notes_label.text()
    assert "Applied 1 edit(s)." in notes and "skipped rewrite_field of scene 3" in notes
    assert "headline" in notes
    assert not dialog.apply_button.isEnabled()  # one click applies; no second emission


def test_provider_error_is_shown_in_plain_words(qtbot, small_spec: VideoSpec):
    def critic(spec: VideoSpec) -> list[Edit]:
        raise ProviderError("the LLM did not answer in time")

    dialog = _open(qtbot, small_spec, critic)
    text = dialog.status_label.text()
    assert "the LLM did not answer in time" in text
    assert "Check your network and the API key in Settings" in text
    assert dialog.edits_list.count() == 0 and not dialog.apply_button.isEnabled()


def test_blocked_paid_work_shows_its_own_hint_and_can_ask_again(qtbot, small_spec: VideoSpec):
    answers: list[object] = [
        PaidWorkBlocked("paid AI work is paused", reason="paused", hint="resume it first"),
        [OUTRO],
    ]

    def critic(spec: VideoSpec) -> list[Edit]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, list)
        return answer

    dialog = _open(qtbot, small_spec, critic)
    assert "paid AI work is paused" in dialog.status_label.text()
    assert "resume it first" in dialog.status_label.text()
    qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.edits_list.count() == 1, timeout=10_000)
    assert dialog.apply_button.isEnabled()


def test_no_edits_says_the_draft_is_good(qtbot, small_spec: VideoSpec):
    dialog = _open(qtbot, small_spec, lambda spec: [])
    assert "no edits" in dialog.status_label.text()
    assert not dialog.apply_button.isEnabled()
