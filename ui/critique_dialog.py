"""The creative director's critique: concrete edits to pick from, applied in one click.

The critic (in the app ``functools.partial(pipeline.ai.script.critique, generator=...)``) runs
off the GUI thread (:mod:`ui.operations`); its edits are listed with their reasons, each with
a check box. "Apply" builds the new spec with
:func:`~pipeline.ai.script.apply_edits_report` and emits :attr:`CritiqueDialog.apply_requested`
once, so the document can make it one undoable step. Provider trouble (PaidWorkBlocked,
QuotaExhausted, ProviderError) is shown in plain words; there is no offline critique.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pipeline.ai.base import PaidWorkBlocked, ProviderError, QuotaExhausted
from pipeline.ai.script import Edit, apply_edits_report
from pipeline.errors import StudioError
from pipeline.models import VideoSpec
from ui.errors import describe
from ui.operations import BackgroundOp

Critic = Callable[[VideoSpec], list[Edit]]
"""Proposes edits for a spec (may call a paid LLM; runs off the GUI thread)."""


class Msg:
    """Every user-facing text of the dialog, in one place."""

    title = "Creative director"
    asking = "Asking the creative director for edits…"
    found = "{count} edit(s) proposed. Untick the ones you do not want, then Apply."
    none = "The creative director has no edits: the draft looks good."
    apply = "Apply"
    ask_again = "Ask again"
    applied = "Applied {count} edit(s)."
    nothing_chosen = "Tick at least one edit to apply."
    nothing_applied = "None of the chosen edits fits the current draft."
    failed = "No critique: {text}"
    item = "Scene {scene} ({scene_type}): {change}"
    trim = "cut {seconds:g} s"
    extend = "add {seconds:g} s"
    narration = "new narration: “{value}”"
    field = "{field} → “{value}”"
    hints: dict[type[StudioError], str] = {
        PaidWorkBlocked: "Check the budget and approvals in the operator view, then ask again.",
        QuotaExhausted: "The provider's quota is used up; paid work is paused until an "
        "operator resumes it.",
        ProviderError: "Check your network and the API key in Settings, then ask again.",
    }


def describe_edit(spec: VideoSpec, edit: Edit) -> str:
    """One line for ``edit``: ``Scene 3 (list): cut 0.5 s``."""
    if edit.kind in ("trim", "extend"):
        template = Msg.trim if edit.kind == "trim" else Msg.extend
        change = template.format(seconds=abs(edit.delta_s or 0.0))
    elif edit.kind == "rewrite_narration":
        change = Msg.narration.format(value=_short(edit.new_value))
    else:
        change = Msg.field.format(field=edit.field, value=_short(edit.new_value))
    index = edit.scene_index
    scene_type = spec.scenes[index].scene_type if index < len(spec.scenes) else "?"
    return Msg.item.format(scene=index + 1, scene_type=scene_type, change=change)


def _short(text: str | None, limit: int = 60) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failure_text(error: BaseException) -> str:
    """What went wrong and what to do, in plain words."""
    msg = describe(error)
    hint = msg.hint
    if isinstance(error, StudioError) and not error.hint:
        hint = next((h for kind, h in Msg.hints.items() if isinstance(error, kind)), hint)
    return Msg.failed.format(text=msg.text) + "\n" + hint


class CritiqueDialog(QDialog):
    """Lists the critic's edits of ``spec`` and applies the chosen ones in one step.

    Args:
        spec: the draft to critique (never modified).
        critic: ``critic(spec) -> list[Edit]``; runs on a worker thread.
        parent: the owning window.
        durations_s: measured scene lengths of the last render, for the trims and extends.

    Signals:
        apply_requested(object): the new :class:`~pipeline.models.VideoSpec`, emitted once.
    """

    apply_requested = Signal(object)

    def __init__(
        self,
        spec: VideoSpec,
        critic: Critic,
        parent: QWidget | None = None,
        *,
        durations_s: Sequence[float] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(Msg.title)
        self.resize(560, 420)
        self.spec = spec
        self._critic = critic
        self._durations_s = list(durations_s) if durations_s is not None else None
        self.edits: list[Edit] = []

        self.status_label = QLabel(Msg.asking)
        self.status_label.setWordWrap(True)
        self.edits_list = QListWidget()
        self.edits_list.setWordWrap(True)
        self.edits_list.itemChanged.connect(self._update_buttons)
        self.notes_label = QLabel("")
        self.notes_label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.apply_button = QPushButton(Msg.apply)
        self.apply_button.clicked.connect(self.apply)
        buttons.addButton(self.apply_button, QDialogButtonBox.ButtonRole.ApplyRole)
        self.retry_button = QPushButton(Msg.ask_again)
        self.retry_button.clicked.connect(self.ask)
        buttons.addButton(self.retry_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.edits_list, 1)
        layout.addWidget(self.notes_label)
        layout.addWidget(buttons)
        self.ask()

    def ask(self) -> None:
        """Run the critic off the GUI thread."""
        self.edits = []
        self.edits_list.clear()
        self.edits_list.setEnabled(True)
        self.notes_label.clear()
        self.status_label.setText(Msg.asking)
        self.apply_button.setEnabled(False)
        self.retry_button.setEnabled(False)
        work = functools.partial(self._critic, self.spec)
        BackgroundOp(work, parent=self).success(self._show_edits).failure(self._failed).run()

    def _show_edits(self, edits: list[Edit]) -> None:
        self.edits = list(edits)
        self.edits_list.blockSignals(True)
        for edit in self.edits:
            item = QListWidgetItem(describe_edit(self.spec, edit))
            if edit.reason:
                item.setText(f"{item.text()}\n    {edit.reason}")
            item.setToolTip(edit.new_value or edit.reason)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.edits_list.addItem(item)
        self.edits_list.blockSignals(False)
        self.status_label.setText(
            Msg.found.format(count=len(self.edits)) if self.edits else Msg.none
        )
        self.retry_button.setEnabled(True)
        self._update_buttons()

    def _failed(self, error: BaseException) -> None:
        self.status_label.setText(failure_text(error))
        self.retry_button.setEnabled(True)
        self._update_buttons()

    def chosen_edits(self) -> list[Edit]:
        """The ticked edits, in the critic's order."""
        return [
            edit
            for row, edit in enumerate(self.edits)
            if self.edits_list.item(row).checkState() == Qt.CheckState.Checked
        ]

    def _update_buttons(self) -> None:
        self.apply_button.setEnabled(bool(self.chosen_edits()))

    def apply(self) -> None:
        """Apply the ticked edits to the spec and emit the result once; show skipped edits."""
        chosen = self.chosen_edits()
        if not chosen:
            self.notes_label.setText(Msg.nothing_chosen)
            return
        report = apply_edits_report(self.spec, chosen, durations_s=self._durations_s)
        if not report.applied:
            self.notes_label.setText("\n".join([Msg.nothing_applied, *report.notes]))
            return
        self.apply_button.setEnabled(False)
        self.retry_button.setEnabled(False)  # the critique was of the old draft
        self.edits_list.setEnabled(False)
        self.apply_requested.emit(report.spec)
        if report.skipped:
            lines = [Msg.applied.format(count=len(report.applied)), *report.notes]
            self.notes_label.setText("\n".join(lines))
        else:
            self.accept()
