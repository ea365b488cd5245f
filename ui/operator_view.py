"""The operator view: spend against the budget, the approval queue, cache and job health.

It shows what ``videostudio ops`` prints (:func:`studio.ops.ops_report`): today's and the last
30 days' spend as a QtCharts bar chart with the daily budget and the hard-stop line, the
pending approvals with Approve / Reject, the cache hit rate, fallback-tier usage, the error
rate, jobs by state, and the paused / alert state with "Resume paid work" and "Lift today's
hard stop". Every database read and write runs off the GUI thread (:mod:`ui.operations`);
the view keeps nothing but the last :class:`~studio.ops.OpsReport` it was given.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QHideEvent, QPainter, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.api import Approval, BudgetGovernor, OpsReport, Studio
from ui.errors import describe
from ui.operations import BackgroundOp, LatestOnly

REPORT_DAYS = 30
"""Length of the period shown, in calendar days ending today."""
REFRESH_INTERVAL_MS = 10_000
"""Automatic refresh period while the view is visible."""
TIER_NAMES = {"ai_clip": "AI clip", "infographic": "infographic", "text_card": "text card"}
APPROVAL_COLUMNS = ("Request", "Template", "Kind", "Estimate", "Description", "Requested")


class Msg:
    """Every user-facing text of the operator view, in one place."""

    title = "Operator"
    loading = "Reading the figures…"
    updated = "Updated {time}"
    refresh_failed = "Not updated: {error}"
    refresh = "Refresh"
    today = "Today ({day}): ${committed:.2f} of ${daily:.2f} ({share})"
    today_detail = (
        "settled ${settled:.2f}, reserved ${reserved:.2f}; alert at ${alert:.2f}, "
        "hard stop at ${cap:.2f}"
    )
    period = "Last {days} days: ${total:.2f}"
    state_ok = "Budget OK"
    state_alert = "Alert: today's spend has reached the alert threshold"
    state_stopped = "Hard stop: paid AI calls are refused for the rest of today"
    state_lifted = " (hard stop lifted today)"
    running = "Paid work: running"
    paused = "Paid work: PAUSED{since} — {reason}"
    paused_since = " since {time:%Y-%m-%d %H:%M} UTC"
    cache = "{rate} (hits {hits}, misses {misses})"
    tiers = "{counts}; fallback rate {rate}"
    errors = "{rate} ({failed} of {finished} finished jobs failed since {since})"
    jobs = "{states}"
    not_available = "n/a"
    spend_series = "Spend (USD)"
    budget_series = "Budget ${usd:.2f}"
    stop_series = "Stop ${usd:.2f}"
    resume = "Resume paid work"
    lift = "Lift today's hard stop"
    approve = "Approve"
    reject = "Reject"
    note_placeholder = "Note for the decision (optional)"
    no_approvals = "No requests are waiting."
    n_approvals = "{count} request(s) waiting"
    confirm_resume = "Resume paid AI work? Paid calls were paused because: {reason}"
    confirm_lift = (
        "Lift the hard stop for {day}? Paid AI calls may then spend beyond ${cap:.2f} today."
    )
    lift_note = "lifted in the operator view"
    resumed = "Paid work may run again."
    lifted = "The hard stop is lifted for {day}."
    already_lifted = "The hard stop was already lifted for {day}."
    decided = "Request {id} ({template}, {kind}): {state}."
    failed = "{text} {hint}"


# -- work done off the GUI thread (no widgets here) ------------------------------------------


def operator_name() -> str:
    """Who decides (recorded with approvals and overrides): the login name, as the CLI does."""
    return os.environ.get("USER") or os.environ.get("USERNAME") or "operator"


def governor_for(studio: Studio) -> BudgetGovernor:
    """The budget governor with the policy of the settings in effect."""
    return studio.governor()


def load_report(studio: Studio, days: int = REPORT_DAYS) -> OpsReport:
    """The operator's report under the settings' budget policy."""
    return studio.report(days)


def decide_approval(
    studio: Studio, approval_id: int, approve: bool, note: str, by: str
) -> Approval:
    """Approve or reject one request."""
    governor = governor_for(studio)
    decide = governor.approve if approve else governor.reject
    return decide(approval_id, note=note, by=by)


def resume_paid_work(studio: Studio) -> None:
    """Let paid work run again."""
    governor_for(studio).resume_paid_work()


def lift_hard_stop(studio: Studio, day: str, by: str) -> bool:
    """Override the hard stop of ``day``; ``False`` when it already was."""
    return governor_for(studio).override_budget(day, by=by, note=Msg.lift_note)


def ask_confirmation(parent: QWidget, text: str) -> bool:
    """Yes/No question (tests replace this function)."""
    answer = QMessageBox.question(parent, Msg.title, text)
    return answer == QMessageBox.StandardButton.Yes


def _failure_text(error: BaseException) -> str:
    msg = describe(error)
    return Msg.failed.format(text=msg.text, hint=msg.hint)


def short_day(day: str) -> str:
    """``"2026-12-02"`` → ``"Dec 2"``."""
    moment = datetime.strptime(day, "%Y-%m-%d")
    return f"{moment:%b} {moment.day}"


def _percent(value: float | None) -> str:
    return Msg.not_available if value is None else f"{value * 100:.1f} %"


# -- the widget -------------------------------------------------------------------------------


class OperatorView(QWidget):
    """Budget, approvals and health of one studio database.

    Signals:
        refreshed(object): a new :class:`~studio.ops.OpsReport` is shown.
    """

    refreshed = Signal(object)

    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(Msg.title)
        self._studio = studio
        self._loader = LatestOnly(self)
        self._busy = False
        self.report: OpsReport | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_INTERVAL_MS)
        self.timer.timeout.connect(self.refresh)

        self.state_label = QLabel(Msg.loading)
        self.state_label.setWordWrap(True)
        self.updated_label = QLabel("")
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.refresh_button = QPushButton(Msg.refresh)
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.state_label, 1)
        top.addWidget(self.updated_label)
        top.addWidget(self.refresh_button)

        self.figures: dict[str, QLabel] = {
            name: QLabel("—")
            for name in ("today", "today_detail", "period", "paid_work")
            + ("cache", "tiers", "errors", "jobs")
        }
        for label in self.figures.values():
            label.setWordWrap(True)  # the view lives in a narrow dock
        self.resume_button = QPushButton(Msg.resume)
        self.resume_button.clicked.connect(self._on_resume)
        self.lift_button = QPushButton(Msg.lift)
        self.lift_button.clicked.connect(self._on_lift)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status_label)
        layout.addWidget(self._budget_box(), 3)
        layout.addWidget(self._approvals_box(), 2)
        layout.addWidget(self._health_box())
        self._update_buttons()

    # -- layout ---------------------------------------------------------------------------

    def _budget_box(self) -> QGroupBox:
        box = QGroupBox("Budget")
        self.spend_set = QBarSet(Msg.spend_series)
        self.spend_set.setSelectedColor(QColor("#e67e22"))  # today's bar
        bars = QBarSeries()
        bars.append(self.spend_set)
        self.budget_line = QLineSeries()
        self.stop_line = QLineSeries()
        self.budget_line.setColor(QColor("#7f8c8d"))
        self.stop_line.setColor(QColor("#c0392b"))
        self.day_axis = QBarCategoryAxis()
        # 30 day labels do not fit a dock (they were elided to "⋮"): the axis names the
        # period instead, and a bar's tooltip names its day.
        self.day_axis.setLabelsVisible(False)
        self.day_axis.setGridLineVisible(False)
        self.usd_axis = QValueAxis()
        self.usd_axis.setLabelFormat("$%.2f")
        self.chart = QChart()
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.chart.addAxis(self.day_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.usd_axis, Qt.AlignmentFlag.AlignLeft)
        for series in (bars, self.budget_line, self.stop_line):
            self.chart.addSeries(series)
            series.attachAxis(self.day_axis)
            series.attachAxis(self.usd_axis)
        legend = self.chart.legend()
        legend.setAlignment(Qt.AlignmentFlag.AlignTop)
        font = legend.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        legend.setFont(font)
        for axis in (self.day_axis, self.usd_axis):
            axis.setLabelsFont(font)
            axis.setTitleFont(font)
        self.chart.setMargins(QMargins(4, 4, 4, 4))
        self.chart.setBackgroundRoundness(0)
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(240)
        actions = QVBoxLayout()  # stacked: the view lives in a narrow dock
        self.figures["paid_work"].setWordWrap(True)
        actions.addWidget(self.figures["paid_work"])
        buttons = QHBoxLayout()
        buttons.addWidget(self.resume_button)
        buttons.addWidget(self.lift_button)
        buttons.addStretch(1)
        actions.addLayout(buttons)
        layout = QVBoxLayout(box)
        for name in ("today", "today_detail", "period"):
            layout.addWidget(self.figures[name])
        layout.addWidget(self.chart_view, 1)
        layout.addLayout(actions)
        return box

    def _approvals_box(self) -> QGroupBox:
        box = QGroupBox("Approval queue")
        self.approvals_label = QLabel(Msg.no_approvals)
        self.approvals = QTableWidget(0, len(APPROVAL_COLUMNS))
        self.approvals.setHorizontalHeaderLabels(list(APPROVAL_COLUMNS))
        self.approvals.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.approvals.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.approvals.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.approvals.verticalHeader().setVisible(False)
        header = self.approvals.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.approvals.itemSelectionChanged.connect(self._update_buttons)
        self.approvals.setMinimumWidth(0)
        self.approvals.horizontalHeader().setMinimumSectionSize(40)
        self.approvals.setSizeAdjustPolicy(QTableWidget.SizeAdjustPolicy.AdjustIgnored)
        self.approvals.setMinimumHeight(90)
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText(Msg.note_placeholder)
        self.approve_button = QPushButton(Msg.approve)
        self.approve_button.clicked.connect(lambda: self._decide(approve=True))
        self.reject_button = QPushButton(Msg.reject)
        self.reject_button.clicked.connect(lambda: self._decide(approve=False))
        row = QHBoxLayout()
        row.addWidget(self.note_edit, 1)
        row.addWidget(self.approve_button)
        row.addWidget(self.reject_button)
        layout = QVBoxLayout(box)
        layout.addWidget(self.approvals_label)
        layout.addWidget(self.approvals, 1)
        layout.addLayout(row)
        return box

    def _health_box(self) -> QGroupBox:
        box = QGroupBox("Health")
        form = QFormLayout(box)
        form.addRow("Cache hit rate:", self.figures["cache"])
        form.addRow("Scene tiers:", self.figures["tiers"])
        form.addRow("Error rate:", self.figures["errors"])
        form.addRow("Jobs by state:", self.figures["jobs"])
        return box

    # -- refresh --------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        """Refresh now and every :data:`REFRESH_INTERVAL_MS` while visible."""
        super().showEvent(event)
        self.refresh()
        self.timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        """Stop the automatic refresh while hidden."""
        self.timer.stop()
        super().hideEvent(event)

    def refresh(self) -> None:
        """Read the report off the GUI thread (a newer request supersedes a waiting one)."""
        self._loader.submit(
            functools.partial(load_report, self._studio), self.show_report, self._refresh_failed
        )

    def show_report(self, report: OpsReport) -> None:
        """Show ``report`` (every figure of the view comes from it)."""
        self.report = report
        budget = report.budget
        share = budget.committed_usd / budget.daily_usd if budget.daily_usd else None
        self.figures["today"].setText(
            Msg.today.format(
                day=budget.day,
                committed=budget.committed_usd,
                daily=budget.daily_usd,
                share=_percent(share),
            )
        )
        self.figures["today_detail"].setText(
            Msg.today_detail.format(
                settled=budget.settled_usd,
                reserved=budget.reserved_usd,
                alert=budget.alert_usd,
                cap=budget.cap_usd,
            )
        )
        self.figures["period"].setText(
            Msg.period.format(days=report.days, total=report.period_spend_usd)
        )
        state = {"ok": Msg.state_ok, "alert": Msg.state_alert, "stopped": Msg.state_stopped}
        color = {"ok": "#27ae60", "alert": "#e67e22", "stopped": "#c0392b"}[budget.state]
        self.state_label.setText(
            state[budget.state] + (Msg.state_lifted if budget.overridden else "")
        )
        self.state_label.setStyleSheet(f"font-weight: bold; color: {color}")
        pause = report.paid_work
        if pause.paused:
            since = Msg.paused_since.format(time=pause.paused_at) if pause.paused_at else ""
            self.figures["paid_work"].setText(Msg.paused.format(since=since, reason=pause.reason))
        else:
            self.figures["paid_work"].setText(Msg.running)
        self._show_chart(report)
        self._show_approvals(report.pending_approvals)
        self._show_health(report)
        self.updated_label.setText(Msg.updated.format(time=f"{datetime.now():%H:%M:%S}"))
        self._update_buttons()
        self.refreshed.emit(report)

    def _show_chart(self, report: OpsReport) -> None:
        budget = report.budget
        values = [usd for _, usd in report.per_day]
        self.spend_set.remove(0, self.spend_set.count())
        self.spend_set.append(values)
        self.spend_set.deselectAllBars()
        self.spend_set.selectBar(len(values) - 1)
        days = [day for day, _ in report.per_day]
        self.day_axis.setCategories(days)
        if days:
            self.day_axis.setTitleText(f"{short_day(days[0])} → {short_day(days[-1])} (today)")
        left, right = -0.5, len(values) - 0.5
        for line, usd, name in (
            (self.budget_line, budget.daily_usd, Msg.budget_series),
            (self.stop_line, budget.cap_usd, Msg.stop_series),
        ):
            line.replace([QPointF(left, usd), QPointF(right, usd)])
            line.setName(name.format(usd=usd))
        self.usd_axis.setRange(0.0, max([budget.cap_usd, *values, 0.01]) * 1.1)
        self.usd_axis.applyNiceNumbers()

    def _show_approvals(self, approvals: list[Approval]) -> None:
        selected = self.selected_approval_id()
        self.approvals.setRowCount(len(approvals))
        for row, approval in enumerate(approvals):
            cells = (
                f"#{approval.id}",
                approval.template_id,
                approval.kind,
                f"${approval.estimated_usd:.2f}",
                approval.description,
                f"{approval.requested_at.astimezone():%Y-%m-%d %H:%M}",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, approval.id)
                self.approvals.setItem(row, column, item)
            if approval.id == selected:
                self.approvals.selectRow(row)
        count = len(approvals)
        self.approvals_label.setText(
            Msg.n_approvals.format(count=count) if count else Msg.no_approvals
        )

    def _show_health(self, report: OpsReport) -> None:
        self.figures["cache"].setText(
            Msg.cache.format(
                rate=_percent(report.cache_hit_rate),
                hits=report.cache_hits,
                misses=report.cache_misses,
            )
        )
        counts = ", ".join(
            f"{name} {report.tier_counts.get(tier, 0)}" for tier, name in TIER_NAMES.items()
        )
        self.figures["tiers"].setText(
            Msg.tiers.format(counts=counts, rate=_percent(report.fallback_rate))
        )
        self.figures["errors"].setText(
            Msg.errors.format(
                rate=_percent(report.error_rate),
                failed=report.failed_jobs,
                finished=report.finished_jobs,
                since=report.period_start,
            )
        )
        states = ", ".join(f"{s.lower()} {n}" for s, n in report.jobs_by_state.items())
        self.figures["jobs"].setText(Msg.jobs.format(states=states))

    # -- actions --------------------------------------------------------------------------

    def selected_approval_id(self) -> int | None:
        """The id of the request selected in the table, if any."""
        items = self.approvals.selectedItems()
        return int(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def _update_buttons(self) -> None:
        report, idle = self.report, not self._busy
        chosen = self.selected_approval_id() is not None
        self.approve_button.setEnabled(idle and chosen)
        self.reject_button.setEnabled(idle and chosen)
        self.resume_button.setEnabled(idle and report is not None and report.paid_work.paused)
        self.lift_button.setEnabled(idle and report is not None and not report.budget.overridden)

    def _decide(self, *, approve: bool) -> None:
        approval_id = self.selected_approval_id()
        if approval_id is None or self._busy:
            return
        work = functools.partial(
            decide_approval,
            self._studio,
            approval_id,
            approve,
            self.note_edit.text().strip(),
            operator_name(),
        )
        self._run(work, self._decided)

    def _decided(self, approval: Approval) -> str:
        self.note_edit.clear()
        return Msg.decided.format(
            id=approval.id, template=approval.template_id, kind=approval.kind, state=approval.state
        )

    def _on_resume(self) -> None:
        if self.report is None or self._busy:
            return
        if ask_confirmation(self, Msg.confirm_resume.format(reason=self.report.paid_work.reason)):
            self._run(functools.partial(resume_paid_work, self._studio), lambda _: Msg.resumed)

    def _on_lift(self) -> None:
        if self.report is None or self._busy:
            return
        day, cap = self.report.budget.day, self.report.budget.cap_usd
        if ask_confirmation(self, Msg.confirm_lift.format(day=day, cap=cap)):
            self._run(
                functools.partial(lift_hard_stop, self._studio, day, operator_name()),
                lambda created: (Msg.lifted if created else Msg.already_lifted).format(day=day),
            )

    def _run(self, work: Callable[[], Any], describe_result: Callable[[Any], str]) -> None:
        """Run a decision off the GUI thread, say what happened, then refresh."""
        self._busy = True
        self._update_buttons()

        def done(result: object) -> None:
            self._busy = False
            self.refresh()
            self.status_label.setText(describe_result(result))

        def failed(error: BaseException) -> None:
            self._busy = False
            self.status_label.setText(_failure_text(error))
            self.refresh()

        BackgroundOp(work, parent=self).success(done).failure(failed).run()

    def _refresh_failed(self, error: BaseException) -> None:
        self.updated_label.setText(Msg.refresh_failed.format(error=_failure_text(error)))
        self._update_buttons()
