"""The operator view on a seeded database: figures, chart, approvals, resume and lift."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from pipeline.ai.base import CostEstimate
from studio.budget import BudgetGovernor
from studio.service import Studio
from studio.store import JobState
from studio.store.tables import ApprovalState, utcnow
from ui import operator_view
from ui.operator_view import OperatorView


def _spend(governor: BudgetGovernor, estimate_usd: float, actual_usd: float | None) -> None:
    """Reserve ``estimate_usd``; settle ``actual_usd`` (or leave it reserved when None)."""
    reservation = governor.authorize(
        CostEstimate("video", "videos", "sora-2", 8, estimate_usd, description="a clip")
    )
    if actual_usd is not None:
        governor.settle(reservation, actual_usd)


@pytest.fixture()
def seeded(studio: Studio, tmp_path: Path) -> Studio:
    """Today $4.50 settled + $0.25 reserved (alert), $1.25 three days ago, two pending
    approvals, tiers 2 AI clips / 1 infographic / 1 text card, cache 3 hits / 1 miss, jobs:
    one succeeded, one failed, one pending; paid work paused."""
    today = BudgetGovernor(studio.db)
    _spend(today, 2.0, 4.5)
    _spend(today, 0.25, None)
    earlier = BudgetGovernor(studio.db, clock=lambda: utcnow() - timedelta(days=3))
    _spend(earlier, 1.0, 1.25)
    today.request_approval("coach:budgeting", "video", 0.8, "first clip of coach")
    today.request_approval("student:saving", "llm", 0.02, "first narration")
    for tier in ("ai_clip", "ai_clip", "infographic", "text_card"):
        today.record_scene_tier(None, "coach:budgeting", 0, tier)
    source = tmp_path / "clip.bin"
    source.write_bytes(b"x" * 100)
    studio.cache.put("ab" * 32, "speech", source)
    for _ in range(3):
        assert studio.cache.get("ab" * 32) is not None
    assert studio.cache.get("cd" * 32) is None
    for state in (JobState.SUCCEEDED, JobState.FAILED):
        studio.jobs.enqueue_job("render", {"n": state.value})
        job = studio.jobs.claim_next_job()
        assert job is not None
        studio.jobs.finish_job(job.id, state, error="boom" if state is JobState.FAILED else None)
    studio.jobs.enqueue_job("render", {"n": "pending"})
    today.pause_paid_work("quota exhausted (429)")
    return studio


@pytest.fixture()
def view(qtbot, seeded: Studio) -> OperatorView:
    widget = OperatorView(seeded)
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.refreshed, timeout=10_000):
        widget.show()
    return widget


def test_shows_the_figures_of_the_ops_report(view: OperatorView):
    figures = {name: label.text() for name, label in view.figures.items()}
    assert "$4.75 of $5.00 (95.0 %)" in figures["today"]
    assert "settled $4.50, reserved $0.25" in figures["today_detail"]
    assert "hard stop at $6.00" in figures["today_detail"]
    assert figures["period"] == "Last 30 days: $6.00"
    assert figures["paid_work"].startswith("Paid work: PAUSED")
    assert "quota exhausted (429)" in figures["paid_work"]
    assert figures["cache"] == "75.0 % (hits 3, misses 1)"
    assert figures["tiers"] == "AI clip 2, infographic 1, text card 1; fallback rate 50.0 %"
    assert figures["errors"].startswith("50.0 % (1 of 2 finished jobs failed")
    assert "pending 1" in figures["jobs"] and "succeeded 1" in figures["jobs"]
    assert view.state_label.text().startswith("Alert")

    values = [view.spend_set.at(i) for i in range(view.spend_set.count())]
    assert len(values) == 30
    assert values[-1] == pytest.approx(4.75) and values[-4] == pytest.approx(1.25)
    assert sum(values) == pytest.approx(6.0)
    assert view.spend_set.isBarSelected(29)  # today stands out
    assert {p.y() for p in view.budget_line.points()} == {5.0}
    assert {p.y() for p in view.stop_line.points()} == {6.0}
    assert view.day_axis.count() == 30
    assert view.usd_axis.max() >= 6.0

    assert view.approvals.rowCount() == 2
    assert view.approvals.item(0, 1).text() == "coach:budgeting"
    assert view.approvals.item(1, 3).text() == "$0.02"
    assert view.resume_button.isEnabled() and view.lift_button.isEnabled()
    assert not view.approve_button.isEnabled()  # nothing selected yet


def test_approve_from_the_table_updates_the_row_and_refreshes(
    qtbot, view: OperatorView, seeded: Studio
):
    view.approvals.selectRow(0)
    approval_id = view.selected_approval_id()
    assert approval_id is not None
    view.note_edit.setText("looks fine")
    with qtbot.waitSignal(
        view.refreshed, timeout=10_000, check_params_cb=lambda r: len(r.pending_approvals) == 1
    ):
        qtbot.mouseClick(view.approve_button, Qt.MouseButton.LeftButton)
    approval = BudgetGovernor(seeded.db).get_approval(approval_id)
    assert approval.state is ApprovalState.APPROVED and approval.note == "looks fine"
    assert view.approvals.rowCount() == 1
    assert view.approvals.item(0, 1).text() == "student:saving"
    assert f"Request {approval_id}" in view.status_label.text()
    assert view.note_edit.text() == ""


def test_reject_needs_a_selection_and_records_the_decision(
    qtbot, view: OperatorView, seeded: Studio
):
    view.approvals.selectRow(1)
    approval_id = view.selected_approval_id()
    assert approval_id is not None
    with qtbot.waitSignal(
        view.refreshed, timeout=10_000, check_params_cb=lambda r: len(r.pending_approvals) == 1
    ):
        qtbot.mouseClick(view.reject_button, Qt.MouseButton.LeftButton)
    assert BudgetGovernor(seeded.db).get_approval(approval_id).state is ApprovalState.REJECTED


def test_resume_and_lift_ask_first_then_call_through(
    qtbot, view: OperatorView, seeded: Studio, monkeypatch: pytest.MonkeyPatch
):
    asked: list[str] = []
    answer = {"yes": False}

    def confirm(parent: object, text: str) -> bool:
        asked.append(text)
        return answer["yes"]

    monkeypatch.setattr(operator_view, "ask_confirmation", confirm)
    governor = BudgetGovernor(seeded.db)
    qtbot.mouseClick(view.resume_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and "quota exhausted" in asked[0]
    assert governor.pause_state().paused  # declined: nothing changes

    answer["yes"] = True
    with qtbot.waitSignal(
        view.refreshed, timeout=10_000, check_params_cb=lambda r: not r.paid_work.paused
    ):
        qtbot.mouseClick(view.resume_button, Qt.MouseButton.LeftButton)
    assert not governor.pause_state().paused
    assert view.figures["paid_work"].text() == "Paid work: running"
    assert not view.resume_button.isEnabled()

    with qtbot.waitSignal(
        view.refreshed, timeout=10_000, check_params_cb=lambda r: r.budget.overridden
    ):
        qtbot.mouseClick(view.lift_button, Qt.MouseButton.LeftButton)
    assert governor.status().overridden
    assert governor.today() in asked[-1]
    assert "hard stop lifted today" in view.state_label.text()
    assert not view.lift_button.isEnabled()


def test_refresh_button_and_timer_pick_up_new_spend(qtbot, view: OperatorView, seeded: Studio):
    assert view.timer.isActive() and view.timer.interval() == operator_view.REFRESH_INTERVAL_MS
    governor = BudgetGovernor(seeded.db)
    governor.resume_paid_work()
    _spend(governor, 0.5, 0.5)
    with qtbot.waitSignal(view.refreshed, timeout=10_000):
        qtbot.mouseClick(view.refresh_button, Qt.MouseButton.LeftButton)
    assert view.spend_set.at(29) == pytest.approx(5.25)
    assert "$5.25 of $5.00" in view.figures["today"].text()
    view.hide()
    assert not view.timer.isActive()
