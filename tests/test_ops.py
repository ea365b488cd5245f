"""The operator's report on a seeded database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from pipeline.ai.base import CostEstimate, PaidWorkBlocked
from studio.budget import BudgetGovernor, BudgetPolicy
from studio.ops import format_ops_report, ops_report
from studio.store import Database, JobState, JobStore, open_database
from studio.store.tables import CacheCounterRow, JobRow

NOW = datetime(2030, 1, 30, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "studio.sqlite3")
    yield database
    database.close()


def clip(usd: float, template_id: str | None = None) -> CostEstimate:
    return CostEstimate("video", "videos", "sora-2", usd * 10, usd, template_id, "clip")


def seed(db: Database) -> None:
    """Spend on three days, one approval pending, cache counters, tiers and jobs."""
    clock = Clock(NOW - timedelta(days=2))
    governor = BudgetGovernor(db, BudgetPolicy(), clock=clock, tz=UTC)
    governor.settle(governor.authorize(clip(1.25)), 1.20)  # 2030-01-28: $1.20
    clock.now = NOW - timedelta(days=1)
    governor.settle(governor.authorize(clip(2.00)), 2.00)  # 2030-01-29: $2.50
    governor.release(governor.authorize(clip(3.99)))
    governor.authorize(clip(0.50))  # outstanding, counts
    clock.now = NOW - timedelta(days=40)
    governor.settle(governor.authorize(clip(3.00)), 3.00)  # outside the 30 days
    clock.now = NOW
    governor.settle(governor.authorize(clip(3.00)), 3.00)  # today: $4.20 → alert
    governor.authorize(clip(1.20))
    with pytest.raises(PaidWorkBlocked, match="approval"):
        governor.authorize(clip(1.0, "persona-a:topic-b"))

    with db.begin() as session:
        session.add_all(
            [CacheCounterRow(name="hits", value=30), CacheCounterRow(name="misses", value=10)]
        )
    jobs = JobStore(db, clock=clock)
    ids = [jobs.enqueue_job("render", {"n": n}) for n in range(7)]
    for _ in range(5):
        jobs.claim_next_job()
    jobs.finish_job(ids[0], JobState.SUCCEEDED)
    jobs.finish_job(ids[1], JobState.SUCCEEDED)
    jobs.finish_job(ids[2], JobState.FAILED, error="boom")
    jobs.cancel_job(ids[3])
    jobs.finish_job(ids[4], JobState.FAILED, error="old failure")
    with db.begin() as session:  # the old failure finished before the period
        session.execute(
            update(JobRow).where(JobRow.id == ids[4]).values(finished_at=NOW - timedelta(days=45))
        )

    for index, tier in enumerate(["ai_clip"] * 6 + ["infographic"] * 1 + ["text_card"] * 1):
        governor.record_scene_tier(ids[0], "persona-a:topic-b", index, tier, 0.5)
    for index in range(4):
        governor.record_scene_tier(None, None, index, "rendered")
    clock.now = NOW - timedelta(days=31)
    governor.record_scene_tier(None, None, 0, "text_card")  # outside the period
    clock.now = NOW


def test_ops_report_figures(db: Database) -> None:
    seed(db)
    report = ops_report(db, BudgetPolicy(), clock=Clock(NOW), tz=UTC)

    assert report.period_start == "2030-01-01"
    assert len(report.per_day) == 30
    assert report.per_day[-1] == ("2030-01-30", 4.20)
    assert report.per_day[-2] == ("2030-01-29", 2.50)
    assert report.per_day[-3] == ("2030-01-28", 1.20)
    assert sum(usd for _, usd in report.per_day[:-3]) == 0
    assert report.period_spend_usd == 7.90

    budget = report.budget
    assert (budget.committed_usd, budget.settled_usd, budget.reserved_usd) == (4.20, 3.0, 1.20)
    assert (budget.daily_usd, budget.alert_usd, budget.cap_usd) == (5.0, 4.0, 6.0)
    assert budget.state == "alert"
    assert report.paid_work.paused is False

    assert [(a.template_id, a.estimated_usd) for a in report.pending_approvals] == [
        ("persona-a:topic-b", 1.0)
    ]
    assert (report.cache_hits, report.cache_misses, report.cache_hit_rate) == (30, 10, 0.75)
    assert report.tier_counts == {
        "ai_clip": 6,
        "ai_image": 0,
        "infographic": 1,
        "text_card": 1,
        "rendered": 4,
    }
    assert report.fallback_rate == 2 / 8
    assert (report.finished_jobs, report.failed_jobs) == (4, 1)
    assert report.error_rate == 0.25
    assert report.jobs_by_state == {
        "PENDING": 2,
        "RUNNING": 0,
        "SUCCEEDED": 2,
        "FAILED": 2,
        "CANCELLED": 1,
    }


def test_format_ops_report_shows_the_numbers(db: Database) -> None:
    seed(db)
    governor = BudgetGovernor(db, clock=Clock(NOW), tz=UTC)
    governor.pause_paid_work("videos: 429 insufficient_quota")
    text = format_ops_report(ops_report(db, BudgetPolicy(), clock=Clock(NOW), tz=UTC))

    assert "Budget today: $4.20 of $5.00 (84.0 %) — ALERT" in text
    assert "settled $3.00, reserved $1.20; alert at $4.00, hard stop at $6.00" in text
    assert "Paid work: PAUSED since 2030-01-30 12:00 UTC — videos: 429 insufficient_quota" in text
    assert "total $7.90" in text
    assert "Pending approvals: 1" in text
    assert "#1 persona-a:topic-b [video] ~$1.00" in text
    assert "Cache: hit rate 75.0 % (30 hits, 10 misses)" in text
    assert (
        "ai_clip 6, ai_image 0, infographic 1, text_card 1, rendered 4; fallback rate 25.0 %"
        in text
    )
    assert "Jobs finished since 2030-01-01: 4, failed 1; error rate 25.0 %" in text
    assert "Jobs by state: PENDING 2, RUNNING 0, SUCCEEDED 2, FAILED 2, CANCELLED 1" in text

    chart = [line for line in text.splitlines() if line.startswith("  2030-01-")]
    assert len(chart) == 30
    bars = {line.split()[0]: line.split("|")[1] for line in chart}
    # scale: the $6.00 hard stop is 40 columns; $4.20 → 28 '#', $1.20 → 8 '#'
    assert bars["2030-01-30"].count("#") == 28
    assert bars["2030-01-28"].count("#") == 8
    assert bars["2030-01-01"].count("#") == 0
    assert bars["2030-01-01"][32] == ":" and bars["2030-01-01"][39] == "!"
    assert chart[-1].endswith("| $4.20")


def test_empty_database_report(db: Database) -> None:
    report = ops_report(db, clock=Clock(NOW), tz=UTC, days=7)
    assert len(report.per_day) == 7
    assert report.budget.state == "ok"
    assert report.cache_hit_rate is None and report.error_rate is None
    assert report.fallback_rate is None
    text = format_ops_report(report)
    assert "Budget today: $0.00 of $5.00 (0.0 %) — OK" in text
    assert "hit rate n/a (0 hits, 0 misses)" in text
    with pytest.raises(ValueError):
        ops_report(db, days=0)
