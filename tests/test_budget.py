"""The budget ledger and approval queue: accounting, approvals, hard stop, alerts, races."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, inspect, select, text

from pipeline.ai.base import CostEstimate, PaidWorkBlocked, Reservation
from studio.budget import (
    ApprovalNotFoundError,
    BudgetAlert,
    BudgetError,
    BudgetGovernor,
    BudgetPolicy,
    ReservationStateError,
    micros_to_usd,
    usd_to_micros,
)
from studio.store import Database, JobStore, head_revision, open_database, upgrade_database
from studio.store.migrate import alembic_config
from studio.store.tables import (
    ApprovalState,
    Base,
    BudgetAlertRow,
    BudgetOverrideRow,
    LedgerEntryRow,
    LedgerState,
    PaidWorkStateRow,
)
from tests.test_store import insert_old_job

BUDGET_TABLES = {
    "ledger_entries",
    "approvals",
    "paid_work_state",
    "budget_overrides",
    "budget_alerts",
    "scene_tiers",
}


class Clock:
    """A settable clock (aware UTC)."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2030, 1, 15, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "studio.sqlite3")
    yield database
    database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def governor(db: Database, clock: Clock) -> BudgetGovernor:
    return BudgetGovernor(db, BudgetPolicy(), clock=clock, tz=UTC)


def video(usd: float, template_id: str | None = None, kind: str = "video") -> CostEstimate:
    return CostEstimate(
        kind=kind,  # type: ignore[arg-type]
        provider="videos",
        model="sora-2",
        units=usd * 10,
        usd=usd,
        template_id=template_id,
        description=f"{usd * 10:g} s clip",
    )


def blocked_reason(governor: BudgetGovernor, estimate: CostEstimate) -> str:
    with pytest.raises(PaidWorkBlocked) as caught:
        governor.authorize(estimate)
    return caught.value.reason


# -- schema ---------------------------------------------------------------------------


def test_migration_0003_applies_from_0002_and_matches_the_orm(tmp_path: Path) -> None:
    path = tmp_path / "studio.sqlite3"
    upgrade_database(path, "0002_indexes")
    insert_old_job(path)
    with Database(path) as old:
        with old.engine.connect() as connection:
            assert not BUDGET_TABLES & set(inspect(connection).get_table_names())

    with open_database(path) as db:
        with db.engine.connect() as connection:
            assert BUDGET_TABLES <= set(inspect(connection).get_table_names())
            version = connection.execute(text("SELECT version_num FROM alembic_version"))
            assert version.scalar() == head_revision()
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        assert [job.input for job in JobStore(db).list_jobs()] == [{"kept": True}]
        assert db.integrity_check() == ["ok"]

        with db.connect_immediate() as connection:  # and back down again
            command.downgrade(alembic_config(connection), "0002_indexes")
        with db.engine.connect() as connection:
            assert not BUDGET_TABLES & set(inspect(connection).get_table_names())


def test_money_converts_through_decimal_without_drift() -> None:
    assert usd_to_micros(0.1) == 100_000
    assert usd_to_micros(1.2) == 1_200_000
    assert usd_to_micros("0.0000005") == 1  # half-up
    assert sum(usd_to_micros(0.1) for _ in range(1000)) == usd_to_micros(100)
    assert micros_to_usd(6_000_000) == 6.0
    policy = BudgetPolicy()
    assert (policy.daily_micros, policy.alert_micros, policy.cap_micros) == (
        5_000_000,
        4_000_000,
        6_000_000,
    )
    with pytest.raises(ValueError):
        BudgetPolicy(alert_fraction=1.5, hard_stop_fraction=1.2)


# -- reserve / settle / release -------------------------------------------------------


def test_reserve_settle_release_accounting(governor: BudgetGovernor, db: Database) -> None:
    first = governor.authorize(video(1.00))
    second = governor.authorize(video(0.50))
    third = governor.authorize(video(0.25))
    assert first.extra == {"day": "2030-01-15"}
    status = governor.status()
    assert (status.committed_usd, status.reserved_usd, status.settled_usd) == (1.75, 1.75, 0.0)

    governor.settle(first, 0.80)  # cheaper than estimated: the difference is freed
    governor.release(second)  # never billed
    status = governor.status()
    assert (status.committed_usd, status.reserved_usd, status.settled_usd) == (1.05, 0.25, 0.80)

    governor.settle(third, 0.30)  # dearer than estimated: the actual counts
    assert governor.committed_usd() == 1.10
    states = [(entry.state, entry.actual_usd) for entry in governor.ledger()]
    assert states == [
        (LedgerState.SETTLED, 0.80),
        (LedgerState.RELEASED, None),
        (LedgerState.SETTLED, 0.30),
    ]
    with db.begin() as session:
        micros = session.scalars(
            select(LedgerEntryRow.estimated_micro_usd).order_by(LedgerEntryRow.id)
        ).all()
    assert micros == [1_000_000, 500_000, 250_000]  # stored as integers


def test_settle_and_release_happen_exactly_once(governor: BudgetGovernor) -> None:
    settled = governor.authorize(video(1.0))
    released = governor.authorize(video(1.0))
    governor.settle(settled, 1.0)
    governor.release(released)
    with pytest.raises(ReservationStateError, match="already settled"):
        governor.settle(settled, 1.0)
    with pytest.raises(ReservationStateError, match="already settled"):
        governor.release(settled)
    with pytest.raises(ReservationStateError, match="already released"):
        governor.settle(released, 0.5)
    with pytest.raises(ReservationStateError, match="does not exist"):
        governor.settle(Reservation(id=999, estimate=video(1.0)), 1.0)
    with pytest.raises(ValueError):
        governor.settle(governor.authorize(video(0.1)), -1.0)
    assert governor.committed_usd() == 1.1


def test_reservations_carry_the_job_and_count_for_their_own_day(db: Database, clock: Clock) -> None:
    job_id = JobStore(db).enqueue_job("render", {})
    governor = BudgetGovernor(db, clock=clock, tz=UTC, job_id=job_id)
    late = governor.authorize(video(2.0))
    clock.now += timedelta(hours=13)  # past midnight: a new day with a fresh budget
    governor.settle(late, 2.5)
    assert governor.committed_usd("2030-01-15") == 2.5
    assert governor.committed_usd() == 0.0
    assert governor.ledger()[0].job_id == job_id
    assert governor.for_job(None).authorize(video(6.0)).extra == {"day": "2030-01-16"}


# -- approvals ------------------------------------------------------------------------


def test_first_paid_call_of_a_template_waits_for_one_approval(governor: BudgetGovernor) -> None:
    with pytest.raises(PaidWorkBlocked) as caught:
        governor.authorize(video(1.0, "persona-a:topic-b"))
    error = caught.value
    assert error.reason == "approval_required"
    assert "persona-a:topic-b" in error.message
    assert "videostudio approvals approve 1" in error.hint

    for _ in range(3):  # asking again does not duplicate the pending request
        assert blocked_reason(governor, video(1.0, "persona-a:topic-b")) == "approval_required"
    pending = governor.list_approvals("pending")
    assert [(a.id, a.template_id, a.kind, a.estimated_usd) for a in pending] == [
        (1, "persona-a:topic-b", "video", 1.0)
    ]
    assert governor.request_approval("persona-a:topic-b", "video").id == 1
    assert governor.ledger() == []  # nothing reserved while blocked

    approved = governor.approve(1, note="looks fine", by="ops@example.com")
    assert (approved.state, approved.decided_by, approved.note) == (
        ApprovalState.APPROVED,
        "ops@example.com",
        "looks fine",
    )
    reservation = governor.authorize(video(1.0, "persona-a:topic-b"))
    assert governor.ledger()[0].template_id == "persona-a:topic-b"
    governor.settle(reservation, 1.0)
    assert governor.list_approvals("pending") == []
    with pytest.raises(BudgetError, match="already approved"):
        governor.approve(1)

    # approval is per template *and* kind; calls without a template need none
    assert blocked_reason(governor, video(0.1, "persona-a:topic-b", "llm")) == ("approval_required")
    governor.authorize(video(0.1, None))


def test_rejected_template_stays_blocked_until_approved(governor: BudgetGovernor) -> None:
    blocked_reason(governor, video(1.0, "t1"))
    rejected = governor.reject(1, note="off-brand", by="ops")
    assert rejected.state == ApprovalState.REJECTED
    with pytest.raises(PaidWorkBlocked) as caught:
        governor.authorize(video(1.0, "t1"))
    assert caught.value.reason == "rejected"
    assert "off-brand" in caught.value.message
    assert len(governor.list_approvals()) == 1  # a rejection files no new request

    governor.approve(1, note="changed my mind")
    governor.authorize(video(1.0, "t1"))
    governor.reject(1, note="revoked")
    assert blocked_reason(governor, video(1.0, "t1")) == "rejected"
    with pytest.raises(ApprovalNotFoundError):
        governor.approve(42)


def test_approving_stamps_the_template_first_approval(db: Database, clock: Clock) -> None:
    with db.begin() as session:
        session.execute(
            text("INSERT INTO templates (id, kind, name, data_json) VALUES ('t1','ad','T','{}')")
        )
    governor = BudgetGovernor(db, clock=clock, tz=UTC)
    request = governor.request_approval("t1", "video", 0.5, "5 s clip")
    governor.approve(request.id)
    with db.begin() as session:
        stamped = session.execute(text("SELECT first_approved_at FROM templates")).scalar()
    assert stamped is not None


# -- hard stop, override, alert -------------------------------------------------------


def test_hard_stop_at_exactly_120_percent(governor: BudgetGovernor) -> None:
    governor.authorize(video(5.999999))
    governor.authorize(video(0.000001))  # exactly $6.00 = 120 % of $5: allowed
    assert governor.committed_usd() == 6.0
    assert governor.alert_state() == "stopped"
    with pytest.raises(PaidWorkBlocked) as caught:
        governor.authorize(video(0.000001))  # one micro-dollar over: refused
    error = caught.value
    assert error.reason == "budget_exceeded"
    assert "$6.00 committed today + $0.00" in error.message
    assert "> hard stop $6.00 (120% of $5.00)" in error.message
    governor.authorize(video(0.0))  # a free call still fits


def test_hard_stop_boundary_with_outstanding_reservations(governor: BudgetGovernor) -> None:
    kept = governor.authorize(video(3.0))
    governor.authorize(video(2.5))
    assert blocked_reason(governor, video(0.500001)) == "budget_exceeded"
    governor.authorize(video(0.5))  # 3.0 + 2.5 + 0.5 = 6.0
    governor.settle(kept, 3.5)  # the provider billed more: now over the cap after the fact
    assert governor.committed_usd() == 6.5
    assert blocked_reason(governor, video(0.01)) == "budget_exceeded"


def test_override_lifts_the_hard_stop_for_that_day_only(
    governor: BudgetGovernor, clock: Clock, db: Database
) -> None:
    governor.authorize(video(6.0))
    assert blocked_reason(governor, video(1.0)) == "budget_exceeded"
    assert governor.override_budget("2030-01-15", by="ops", note="launch day")
    assert not governor.override_budget("2030-01-15", by="ops")  # once per day
    governor.authorize(video(1.0))
    governor.authorize(video(3.0))
    status = governor.status()
    assert (status.committed_usd, status.overridden, status.state) == (10.0, True, "alert")

    clock.now += timedelta(days=1)
    governor.authorize(video(6.0))
    assert blocked_reason(governor, video(0.01)) == "budget_exceeded"
    with db.begin() as session:
        assert session.get(BudgetOverrideRow, "2030-01-15") is not None


def test_alert_at_80_percent_is_recorded_once(db: Database, clock: Clock) -> None:
    seen: list[BudgetAlert] = []
    governor = BudgetGovernor(db, clock=clock, tz=UTC, on_alert=seen.append)
    first = governor.authorize(video(3.999999))
    assert governor.alert_state() == "ok"
    assert seen == []
    governor.settle(first, 4.0)  # a settle can cross the threshold too
    assert governor.alert_state() == "alert"
    assert seen == [BudgetAlert("2030-01-15", "alert", 4.0, 4.0)]
    governor.authorize(video(1.0))
    assert len(seen) == 1  # once per day
    assert blocked_reason(governor, video(1.5)) == "budget_exceeded"
    assert [alert.level for alert in seen] == ["alert", "stopped"]
    assert governor.alerts("2030-01-15") == seen
    blocked_reason(governor, video(1.5))
    with db.begin() as session:
        assert session.query(BudgetAlertRow).count() == 2


def test_a_failing_alert_callback_does_not_lose_the_reservation(db: Database, clock: Clock) -> None:
    def explode(alert: BudgetAlert) -> None:
        raise RuntimeError("mail server down")

    governor = BudgetGovernor(db, clock=clock, tz=UTC, on_alert=explode)
    reservation = governor.authorize(video(4.5))
    governor.settle(reservation, 4.5)
    assert governor.alert_state() == "alert"


def test_alert_logs_a_warning(governor: BudgetGovernor, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="studio.budget"):
        governor.authorize(video(4.5))
    assert "budget alert on 2030-01-15: $4.50 committed (threshold $4.00)" in caplog.text


# -- pause, reconcile -----------------------------------------------------------------


def test_pause_and_resume_paid_work(governor: BudgetGovernor, db: Database) -> None:
    assert governor.pause_state().paused is False
    governor.pause_paid_work("videos: 429 insufficient_quota")
    state = governor.pause_state()
    assert state.paused and state.reason == "videos: 429 insufficient_quota"
    assert state.paused_at == datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
    with pytest.raises(PaidWorkBlocked) as caught:
        governor.authorize(video(0.1))
    assert caught.value.reason == "paused"
    assert "insufficient_quota" in caught.value.message
    # paused comes first: no approval request is filed while paused
    assert blocked_reason(governor, video(0.1, "t1")) == "paused"
    assert governor.list_approvals() == []

    other = BudgetGovernor(db, tz=UTC)  # another instance (process) sees the pause
    assert blocked_reason(other, video(0.1)) == "paused"
    governor.resume_paid_work()
    other.authorize(video(0.1))
    with db.begin() as session:
        assert session.query(PaidWorkStateRow).count() == 1


def test_reconcile_on_start_counts_orphaned_reservations_as_spent(
    db: Database, clock: Clock
) -> None:
    crashed = BudgetGovernor(db, clock=clock, tz=UTC)
    orphan = crashed.authorize(video(2.0))
    crashed.settle(crashed.authorize(video(1.0)), 0.9)
    crashed.release(crashed.authorize(video(1.0)))

    restarted = BudgetGovernor(db, clock=clock, tz=UTC)
    assert restarted.reconcile_on_start() == 1
    assert restarted.reconcile_on_start() == 0
    states = [entry.state for entry in restarted.ledger()]
    assert states == [LedgerState.RECONCILED, LedgerState.SETTLED, LedgerState.RELEASED]
    status = restarted.status()
    assert (status.committed_usd, status.reserved_usd) == (2.9, 0.0)
    # a late settle from the "dead" process corrects the estimate, once
    restarted.settle(orphan, 1.5)
    assert restarted.committed_usd() == 2.4
    with pytest.raises(ReservationStateError):
        restarted.settle(orphan, 1.5)


# -- races ----------------------------------------------------------------------------


def _race(path: Path, own_databases: bool, threads: int = 20) -> tuple[int, int, float]:
    shared = Database(path)
    start = threading.Barrier(threads)
    granted: list[Reservation] = []
    refused: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        db = Database(path) if own_databases else shared
        try:
            governor = BudgetGovernor(db, BudgetPolicy(daily_usd=5.0), tz=UTC)
            start.wait()
            try:
                reservation = governor.authorize(video(1.20))  # 5 × 1.20 = 6.00 = the cap
                with lock:
                    granted.append(reservation)
            except PaidWorkBlocked as error:
                with lock:
                    refused.append(error.reason)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            if own_databases:
                db.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    try:
        assert errors == []
        assert set(refused) <= {"budget_exceeded"}
        committed = BudgetGovernor(shared, tz=UTC).committed_usd()
        assert len({r.id for r in granted}) == len(granted)
    finally:
        shared.close()
    return len(granted), len(refused), committed


@pytest.mark.parametrize("own_databases", [True, False], ids=["per-thread-db", "shared-db"])
def test_twenty_concurrent_reservations_exactly_five_fit(
    tmp_path: Path, own_databases: bool
) -> None:
    path = tmp_path / "studio.sqlite3"
    upgrade_database(path)
    assert _race(path, own_databases) == (5, 15, 6.0)


# -- property: the cap holds at every authorization -----------------------------------

_AMOUNT = st.integers(0, 600_000) | st.integers(200_000, 600_000)  # micro-dollars
_RESERVE = st.tuples(st.just("reserve"), _AMOUNT)
_OPS = st.lists(
    st.one_of(
        _RESERVE,
        _RESERVE,  # reserves twice as likely, so sequences reach the cap often
        st.tuples(st.just("settle"), st.integers(0, 40), st.integers(0, 900_000)),
        st.tuples(st.just("release"), st.integers(0, 40)),
    ),
    min_size=4,
    max_size=30,
)
"""Reserve up to $0.60, settle at $0–0.90 (above or below the estimate), against a $1.20 cap."""


def _fast_tmp_dir() -> str | None:
    """tmpfs when available: the property test makes ~10,000 fsync'd commits."""
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def test_committed_spend_never_exceeds_the_cap_at_authorization(tmp_path: Path) -> None:
    """Invariant, checked over 1,000 random sequences of reserve / settle / release:

    let ``C`` be the day's committed spend just before an ``authorize(e)`` — computed by the
    test's own model as Σ outstanding reserved estimates + Σ settled actuals (released: 0),
    in integer micro-dollars. Then ``authorize`` succeeds **iff** ``C + e ≤ cap``
    ($1.20 for a $1.00 budget), so after every granted reservation committed spend ≤ cap. Settling above the
    estimate may push ``C`` past the cap afterwards (allowed: the money is spent); every
    authorization after that is refused. The governor's own committed figure equals the
    model after every step, and a second settle/release of any reservation raises.
    """
    policy = BudgetPolicy(daily_usd=1.00)
    cap = policy.cap_micros
    with tempfile.TemporaryDirectory(dir=_fast_tmp_dir()) as folder:
        db = open_database(Path(folder) / "property.sqlite3")
        try:
            governor = BudgetGovernor(db, policy, clock=Clock(), tz=UTC)
            seen = {"granted": 0, "refused": 0, "refused_while_over_cap": 0}

            @settings(max_examples=1000, deadline=None, database=None)
            @given(ops=_OPS)
            @example(  # settled above the estimate, over the cap after the fact → refused
                ops=[("reserve", 600_000), ("reserve", 600_000), ("settle", 0, 900_000)]
                + [("reserve", 1), ("release", 0), ("release", 0), ("reserve", 0)]
            )
            def run(ops: list[tuple[int, ...] | tuple[str, int] | tuple[str, int, int]]) -> None:
                with db.begin() as session:
                    session.execute(delete(LedgerEntryRow))
                    session.execute(delete(BudgetAlertRow))
                open_: list[tuple[Reservation, int]] = []
                closed: list[Reservation] = []
                spent = 0  # settled actuals
                for op in ops:
                    reserved = sum(micros for _, micros in open_)
                    committed = spent + reserved
                    if op[0] == "reserve":
                        micros = int(op[1])
                        try:
                            reservation = governor.authorize(video(micros_to_usd(micros)))
                        except PaidWorkBlocked as error:
                            assert error.reason == "budget_exceeded"
                            assert committed + micros > cap
                            seen["refused"] += 1
                            seen["refused_while_over_cap"] += committed > cap
                        else:
                            assert committed + micros <= cap
                            seen["granted"] += 1
                            open_.append((reservation, micros))
                    elif open_:
                        index = int(op[1]) % len(open_)
                        reservation, _ = open_.pop(index)
                        if op[0] == "settle":
                            governor.settle(reservation, micros_to_usd(int(op[2])))
                            spent += int(op[2])
                        else:
                            governor.release(reservation)
                        closed.append(reservation)
                    elif closed:
                        with pytest.raises(ReservationStateError):
                            governor.release(closed[int(op[1]) % len(closed)])
                    model = spent + sum(micros for _, micros in open_)
                    assert usd_to_micros(governor.committed_usd()) == model

            run()
            assert all(seen.values()), seen  # every branch was exercised
        finally:
            db.close()
