"""The operator's report: spend against budget, approvals, cache, fallback tiers, job health.

:func:`ops_report` reads the studio database (no Qt); :func:`format_ops_report` renders it as
the plain text ``videostudio ops`` prints. The metrics follow the SpendSense seed design's
"Monitoring" section: daily cost against the budget, cache hit rate, fallback usage
("infographic served / total"), the approval queue, and the error rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import func, select

from studio.budget import (
    Approval,
    BudgetGovernor,
    BudgetPolicy,
    BudgetStatus,
    PauseState,
    committed_micros_expr,
    day_of,
    micros_to_usd,
)
from studio.store.database import Database
from studio.store.tables import (
    TERMINAL_STATES,
    ApprovalState,
    CacheCounterRow,
    JobRow,
    JobState,
    LedgerEntryRow,
    SceneTier,
    SceneTierRow,
    utcnow,
)

FALLBACK_TIERS = (SceneTier.AI_IMAGE, SceneTier.INFOGRAPHIC, SceneTier.TEXT_CARD)
"""Tiers that mean an AI clip was wanted but a fallback was served."""


@dataclass(frozen=True)
class OpsReport:
    """What the operator sees. Amounts in USD; fractions 0–1 (``None`` when undefined).

    Attributes:
        generated_at: when the report was made (aware UTC).
        days: the length of the period (calendar days, ending today).
        period_start: the first day of the period (ISO date); also the start of the job and
            scene-tier counts (from local midnight of that day).
        budget: today's budget status (committed spend, thresholds, alert state).
        paid_work: whether paid work is paused.
        per_day: committed spend per local day, oldest first, one entry per day (zeros
            included), ``days`` entries ending today.
        pending_approvals: requests waiting for the operator, oldest first.
        cache_hits, cache_misses: lookups counted by :class:`studio.cache.ContentCache`
            (``cache_counters``; totals since the cache was created).
        cache_hit_rate: hits / (hits + misses).
        tier_counts: scenes per tier in the period (every tier present, zero if unused).
        fallback_rate: (infographic + text card) / (AI clip + infographic + text card).
        finished_jobs: jobs that reached SUCCEEDED, FAILED or CANCELLED in the period.
        failed_jobs: of those, FAILED.
        error_rate: failed_jobs / finished_jobs.
        jobs_by_state: every job now in the queue, by state (all states present).
    """

    generated_at: datetime
    days: int
    period_start: str
    budget: BudgetStatus
    paid_work: PauseState
    per_day: list[tuple[str, float]]
    pending_approvals: list[Approval]
    cache_hits: int
    cache_misses: int
    cache_hit_rate: float | None
    tier_counts: dict[str, int] = field(default_factory=dict)
    fallback_rate: float | None = None
    finished_jobs: int = 0
    failed_jobs: int = 0
    error_rate: float | None = None
    jobs_by_state: dict[str, int] = field(default_factory=dict)

    @property
    def period_spend_usd(self) -> float:
        """Committed spend over the whole period (USD)."""
        return round(sum(usd for _, usd in self.per_day), 6)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def ops_report(
    db: Database,
    policy: BudgetPolicy | None = None,
    *,
    days: int = 30,
    clock: Callable[[], datetime] = utcnow,
    tz: tzinfo | None = None,
) -> OpsReport:
    """Gather the operator's figures for the ``days`` budget days ending today.

    Args:
        db: the open, migrated studio database.
        policy: the budget policy in force (default: $5/day, alert 80 %, stop 120 %).
        days: length of the period, ≥ 1.
        clock: returns the current aware UTC time.
        tz: the zone of the budget's calendar days (``None``: the zone stored with the budget,
            see :meth:`~studio.budget.BudgetGovernor.time_zone`).
    """
    if days < 1:
        raise ValueError(f"days must be >= 1, not {days}")
    governor = BudgetGovernor(db, policy, clock=clock, tz=tz)
    zone = governor.zone()
    now = clock()
    today = date.fromisoformat(day_of(now, zone))
    first = today - timedelta(days=days - 1)
    day_names = [(first + timedelta(days=n)).isoformat() for n in range(days)]
    since = datetime(first.year, first.month, first.day, tzinfo=zone)

    budget = governor.status(today)
    with db.begin() as session:
        spend = {
            day: int(total or 0)
            for day, total in session.execute(
                select(LedgerEntryRow.day, func.sum(committed_micros_expr()))
                .where(LedgerEntryRow.day >= day_names[0], LedgerEntryRow.day <= day_names[-1])
                .group_by(LedgerEntryRow.day)
            )
        }
        counters = {
            name: int(value)
            for name, value in session.execute(
                select(CacheCounterRow.name, CacheCounterRow.value).where(
                    CacheCounterRow.name.in_(("hits", "misses"))
                )
            )
        }
        tiers = {
            SceneTier(tier).value: int(count)
            for tier, count in session.execute(
                select(SceneTierRow.tier, func.count())
                .where(SceneTierRow.created_at >= since)
                .group_by(SceneTierRow.tier)
            )
        }
        finished = {
            JobState(state): int(count)
            for state, count in session.execute(
                select(JobRow.state, func.count())
                .where(JobRow.state.in_(TERMINAL_STATES), JobRow.finished_at >= since)
                .group_by(JobRow.state)
            )
        }
        by_state = {
            JobState(state).value: int(count)
            for state, count in session.execute(
                select(JobRow.state, func.count()).group_by(JobRow.state)
            )
        }

    tier_counts = {tier.value: tiers.get(tier.value, 0) for tier in SceneTier}
    fallbacks = sum(tier_counts[tier.value] for tier in FALLBACK_TIERS)
    wanted_ai = fallbacks + tier_counts[SceneTier.AI_CLIP.value]
    hits, misses = counters.get("hits", 0), counters.get("misses", 0)
    finished_jobs = sum(finished.values())
    failed_jobs = finished.get(JobState.FAILED, 0)
    return OpsReport(
        generated_at=now,
        days=days,
        period_start=day_names[0],
        budget=budget,
        paid_work=governor.pause_state(),
        per_day=[(day, micros_to_usd(spend.get(day, 0))) for day in day_names],
        pending_approvals=governor.list_approvals(ApprovalState.PENDING),
        cache_hits=hits,
        cache_misses=misses,
        cache_hit_rate=_ratio(hits, hits + misses),
        tier_counts=tier_counts,
        fallback_rate=_ratio(fallbacks, wanted_ai),
        finished_jobs=finished_jobs,
        failed_jobs=failed_jobs,
        error_rate=_ratio(failed_jobs, finished_jobs),
        jobs_by_state={state.value: by_state.get(state.value, 0) for state in JobState},
    )


BAR_WIDTH = 40
"""Characters of the longest bar in the per-day chart."""


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def _bar_chart(per_day: list[tuple[str, float]], budget: BudgetStatus) -> list[str]:
    """One line per day: ``2030-01-15 |########      :  | $4.20``.

    The scale runs to the larger of the biggest day and the hard-stop cap; ``:`` marks the
    daily budget and ``!`` the hard stop where the bar does not reach them.
    """
    top = max([budget.cap_usd, *(usd for _, usd in per_day)]) or 1.0

    def column(usd: float) -> int:
        return min(BAR_WIDTH, round(usd / top * BAR_WIDTH))

    budget_col, cap_col = column(budget.daily_usd), column(budget.cap_usd)
    lines = []
    for day, usd in per_day:
        cells = ["#"] * column(usd) + [" "] * (BAR_WIDTH - column(usd))
        for col, mark in ((budget_col, ":"), (cap_col, "!")):
            if 0 < col <= BAR_WIDTH and cells[col - 1] == " ":
                cells[col - 1] = mark
        lines.append(f"  {day} |{''.join(cells)}| ${usd:.2f}")
    return lines


def format_ops_report(report: OpsReport) -> str:
    """The report as plain text (what ``videostudio ops`` prints)."""
    budget = report.budget
    share = budget.committed_usd / budget.daily_usd if budget.daily_usd else None
    state = budget.state.upper() + (" (hard stop overridden today)" if budget.overridden else "")
    lines = [
        f"Video Studio operations — {budget.day} (last {report.days} days)",
        "",
        f"Budget today: ${budget.committed_usd:.2f} of ${budget.daily_usd:.2f} "
        f"({_percent(share)}) — {state}",
        f"  settled ${budget.settled_usd:.2f}, reserved ${budget.reserved_usd:.2f}; "
        f"alert at ${budget.alert_usd:.2f}, hard stop at ${budget.cap_usd:.2f}",
    ]
    pause = report.paid_work
    if pause.paused:
        since = f" since {pause.paused_at:%Y-%m-%d %H:%M} UTC" if pause.paused_at else ""
        lines.append(f"Paid work: PAUSED{since} — {pause.reason}")
    else:
        lines.append("Paid work: running")
    lines += [
        "",
        f"Spend per day (USD; ':' budget ${budget.daily_usd:.2f}, '!' hard stop "
        f"${budget.cap_usd:.2f}; total ${report.period_spend_usd:.2f}):",
        *_bar_chart(report.per_day, budget),
        "",
        f"Pending approvals: {len(report.pending_approvals)}",
    ]
    for approval in report.pending_approvals:
        lines.append(
            f"  #{approval.id} {approval.template_id} [{approval.kind}] "
            f"~${approval.estimated_usd:.2f} — {approval.description or '(no description)'} "
            f"(requested {approval.requested_at:%Y-%m-%d %H:%M} UTC)"
        )
    tiers = ", ".join(f"{tier} {count}" for tier, count in report.tier_counts.items())
    states = ", ".join(f"{state} {count}" for state, count in report.jobs_by_state.items())
    lines += [
        "",
        f"Cache: hit rate {_percent(report.cache_hit_rate)} "
        f"({report.cache_hits} hits, {report.cache_misses} misses)",
        f"Scene tiers since {report.period_start}: {tiers}; "
        f"fallback rate {_percent(report.fallback_rate)}",
        f"Jobs finished since {report.period_start}: {report.finished_jobs}, "
        f"failed {report.failed_jobs}; error rate {_percent(report.error_rate)}",
        f"Jobs by state: {states}",
    ]
    return "\n".join(lines) + "\n"
