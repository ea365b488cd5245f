"""The budget ledger and the operator's approval queue (DESIGN.md, decision 6).

:class:`BudgetGovernor` implements :class:`pipeline.ai.base.Governor`. Every paid call first
*reserves* its estimated cost in one SQLite transaction taken with ``BEGIN IMMEDIATE`` (the
write lock comes before the first read, so two threads or processes can never both read the
same spend and both squeeze under the cap), then *settles* the actual cost or *releases*
the reservation when nothing was billed.

Money: whole micro-dollars (``int``, 1 USD = 1,000,000) in the database and in every sum;
floats only at the edges (:class:`~pipeline.ai.base.CostEstimate` ``usd``, report figures),
converted with :func:`usd_to_micros` (``Decimal(str(usd))``, rounded half-up), so a thousand
$0.10 reservations add up to exactly $100.

Days: the budget counts calendar days in *one* zone stored with the budget in the database
(``budget_settings.time_zone``, ``UTC`` unless an operator sets another with
:meth:`BudgetGovernor.set_time_zone`), never in the zone of the process making the call: two
processes with ``TZ=Etc/GMT+12`` and ``TZ=Etc/GMT-14`` on one database (26 hours apart, on
different local dates for most of the day) count the same day and share one cap.

Definitions, per budget day ``D`` (the day the reservation was made, in the budget's zone):

- **committed spend(D)** = settled actual costs + reconciled estimates (or actuals, when a
  late settle corrected them) + estimates of reservations still outstanding, over the ledger
  entries of ``D``. Released entries count zero.
- **alert threshold** = ``alert_fraction × daily_usd`` ($4.00 by default).
- **hard-stop cap** = ``hard_stop_fraction × daily_usd`` ($6.00 by default).

Rules (SpendSense seed design, "Cost Management": daily budget $5, alert at 80 %, hard cap at
120 %, operator override; approval queue for first-time templates):

- ``authorize(e)`` succeeds iff paid work is not paused, the template (if any) is approved
  for ``e.kind``, and ``committed(D) + e ≤ cap`` — or an operator override exists for ``D``.
  Between 100 % and 120 % paid work still runs (with the alert raised).
- A settle above its estimate can push committed spend over the cap after the fact; every
  later ``authorize`` that day is then refused (the check is against the current total).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from pipeline.ai.base import CostEstimate, PaidWorkBlocked, Reservation
from pipeline.errors import InputError, StudioError
from studio.store.database import Database
from studio.store.tables import (
    ApprovalRow,
    ApprovalState,
    BudgetAlertRow,
    BudgetOverrideRow,
    BudgetSettingsRow,
    LedgerEntryRow,
    LedgerState,
    PaidWorkStateRow,
    SceneTier,
    SceneTierRow,
    TemplateRow,
    utcnow,
)

_log = logging.getLogger(__name__)

MICROS_PER_USD = 1_000_000
"""Micro-dollars per US dollar (the ledger's unit)."""

_PAUSE_ROW_ID = 1
APPROVE_HINT = "approve it in the operator view or with `videostudio approvals approve {id}`"

AlertState = Literal["ok", "alert", "stopped"]


def usd_to_micros(usd: float | Decimal | str) -> int:
    """US dollars → whole micro-dollars, via ``Decimal(str(usd))``, rounded half-up."""
    value = Decimal(str(usd)) * MICROS_PER_USD
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def micros_to_usd(micros: int) -> float:
    """Micro-dollars → US dollars (for display and for the float-based provider contract)."""
    return float(Decimal(micros) / MICROS_PER_USD)


class BudgetError(StudioError):
    """A budget or approval operation was misused (unknown id, settled twice, …)."""


class ReservationStateError(BudgetError):
    """A reservation was settled or released more than once (or never existed)."""


class ApprovalNotFoundError(BudgetError):
    """No approval request has this id."""


@dataclass(frozen=True)
class BudgetPolicy:
    """The daily budget and its thresholds.

    Attributes:
        daily_usd: the daily budget in USD (seed design: $150/month ÷ 30 days = $5).
        alert_fraction: committed spend at this fraction of ``daily_usd`` raises an alert.
        hard_stop_fraction: paid calls that would take committed spend above this fraction
            of ``daily_usd`` are refused (unless an operator overrides the day).
    """

    daily_usd: float = 5.00
    alert_fraction: float = 0.8
    hard_stop_fraction: float = 1.2

    def __post_init__(self) -> None:
        if self.daily_usd < 0:
            raise ValueError(f"daily_usd must be >= 0, not {self.daily_usd}")
        if not 0 <= self.alert_fraction <= self.hard_stop_fraction:
            raise ValueError("need 0 <= alert_fraction <= hard_stop_fraction")

    @property
    def daily_micros(self) -> int:
        """The daily budget in micro-dollars."""
        return usd_to_micros(self.daily_usd)

    @property
    def alert_micros(self) -> int:
        """The alert threshold (``alert_fraction × daily_usd``) in micro-dollars."""
        return _fraction_of(self.daily_usd, self.alert_fraction)

    @property
    def cap_micros(self) -> int:
        """The hard-stop cap (``hard_stop_fraction × daily_usd``) in micro-dollars."""
        return _fraction_of(self.daily_usd, self.hard_stop_fraction)


def _fraction_of(usd: float, fraction: float) -> int:
    value = Decimal(str(usd)) * Decimal(str(fraction)) * MICROS_PER_USD
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Approval:
    """An approval request (snapshot). ``estimated_usd`` is the first call's estimate."""

    id: int
    template_id: str
    kind: str
    estimated_usd: float
    description: str
    state: ApprovalState
    note: str
    requested_at: datetime
    decided_at: datetime | None
    decided_by: str | None

    @classmethod
    def from_row(cls, row: ApprovalRow) -> Approval:
        """A snapshot of ``row``."""
        return cls(
            id=row.id,
            template_id=row.template_id,
            kind=row.kind,
            estimated_usd=micros_to_usd(row.estimated_micro_usd),
            description=row.description,
            state=ApprovalState(row.state),
            note=row.note,
            requested_at=row.requested_at,
            decided_at=row.decided_at,
            decided_by=row.decided_by,
        )


@dataclass(frozen=True)
class LedgerEntry:
    """A ledger entry (snapshot); amounts in USD."""

    id: int
    day: str
    kind: str
    provider: str
    model: str
    template_id: str | None
    description: str
    estimated_usd: float
    actual_usd: float | None
    state: LedgerState
    job_id: int | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: LedgerEntryRow) -> LedgerEntry:
        """A snapshot of ``row``."""
        return cls(
            id=row.id,
            day=row.day,
            kind=row.kind,
            provider=row.provider,
            model=row.model,
            template_id=row.template_id,
            description=row.description,
            estimated_usd=micros_to_usd(row.estimated_micro_usd),
            actual_usd=None
            if row.actual_micro_usd is None
            else micros_to_usd(row.actual_micro_usd),
            state=LedgerState(row.state),
            job_id=row.job_id,
            created_at=row.created_at,
        )


@dataclass(frozen=True)
class BudgetAlert:
    """A threshold crossed on ``day``: ``level`` ``"alert"`` (≥ alert fraction) or
    ``"stopped"`` (the hard stop refused a call). Amounts in USD."""

    day: str
    level: Literal["alert", "stopped"]
    committed_usd: float
    threshold_usd: float


@dataclass(frozen=True)
class BudgetStatus:
    """The budget of one day. Amounts in USD.

    Attributes:
        committed_usd: settled + reconciled + outstanding reserved (see module docs).
        settled_usd: actual costs settled (and reconciled estimates).
        reserved_usd: estimates of reservations not yet settled or released.
        state: ``"ok"`` below the alert threshold, ``"alert"`` from it, ``"stopped"`` when
            committed spend has reached the hard-stop cap and the day is not overridden.
        overridden: an operator lifted the hard stop for this day.
    """

    day: str
    daily_usd: float
    alert_usd: float
    cap_usd: float
    committed_usd: float
    settled_usd: float
    reserved_usd: float
    state: AlertState
    overridden: bool


@dataclass(frozen=True)
class PauseState:
    """Whether paid work is paused, why, and since when (aware UTC)."""

    paused: bool
    reason: str
    paused_at: datetime | None


def committed_micros_expr() -> ColumnElement[int]:
    """SQL for one entry's contribution to committed spend, in micro-dollars."""
    return case(
        (LedgerEntryRow.state == LedgerState.SETTLED, LedgerEntryRow.actual_micro_usd),
        (LedgerEntryRow.state == LedgerState.RESERVED, LedgerEntryRow.estimated_micro_usd),
        (
            LedgerEntryRow.state == LedgerState.RECONCILED,
            func.coalesce(LedgerEntryRow.actual_micro_usd, LedgerEntryRow.estimated_micro_usd),
        ),
        else_=0,
    )


def day_of(moment: datetime, tz: tzinfo | None = None) -> str:
    """The calendar day of the aware ``moment`` in ``tz`` (``None``: UTC), as an ISO date
    string. Never the process's local zone: processes in different zones share a budget."""
    return moment.astimezone(tz or UTC).date().isoformat()


DEFAULT_TIME_ZONE = "UTC"
"""The budget's zone until an operator sets another."""
_SETTINGS_ROW_ID = 1


def parse_time_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (``"UTC"``, ``"Europe/Berlin"``, ``"Etc/GMT+12"``).

    Raises:
        InputError: not a zone this machine knows (exit code 2).
    """
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise InputError(
            f"unknown time zone {name!r}",
            hint="use an IANA zone name such as UTC, Europe/Berlin or America/New_York",
        ) from error


def _day_text(day: date | str) -> str:
    return day if isinstance(day, str) else day.isoformat()


class BudgetGovernor:
    """The budget ledger, approval queue and paid-work switch on the studio database.

    Thread-safe (no state beyond the database); several instances, in one process or many,
    may share one database file.

    Args:
        db: the open, migrated database.
        policy: the daily budget and thresholds.
        clock: returns the current aware UTC time.
        job_id: the job whose paid calls this governor authorizes (recorded in the ledger).
        tz: count calendar days in this zone instead of the one stored with the budget
            (``None``, the normal case: the stored zone, UTC by default; see
            :meth:`time_zone`). For tests and reports of a fixed zone only: processes that
            share a database must all use the stored zone.
        on_alert: called (after the transaction commits) with each newly recorded alert,
            once per day and level — e.g. to notify the operator.
    """

    def __init__(
        self,
        db: Database,
        policy: BudgetPolicy | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        job_id: int | None = None,
        tz: tzinfo | None = None,
        on_alert: Callable[[BudgetAlert], None] | None = None,
    ) -> None:
        self.db = db
        self.policy = policy or BudgetPolicy()
        self.clock = clock
        self.job_id = job_id
        self.tz = tz
        self.on_alert = on_alert

    def for_job(self, job_id: int | None) -> BudgetGovernor:
        """The same governor recording ``job_id`` on its ledger entries."""
        return BudgetGovernor(
            self.db,
            self.policy,
            clock=self.clock,
            job_id=job_id,
            tz=self.tz,
            on_alert=self.on_alert,
        )

    def today(self) -> str:
        """Today's day in the budget's zone (ISO date string)."""
        return day_of(self.clock(), self.zone())

    def zone(self, session: Session | None = None) -> tzinfo:
        """The zone the budget counts days in: ``tz`` if given, else the stored one."""
        if self.tz is not None:
            return self.tz
        return parse_time_zone(self.time_zone(session))

    def time_zone(self, session: Session | None = None) -> str:
        """The name of the zone stored with the budget (``"UTC"`` unless set)."""
        if session is not None:
            row = session.get(BudgetSettingsRow, _SETTINGS_ROW_ID)
            return row.time_zone if row is not None else DEFAULT_TIME_ZONE
        with self.db.begin() as own:
            return self.time_zone(own)

    def set_time_zone(self, name: str) -> str:
        """Store the zone whose calendar days the budget counts (for every process sharing
        this database). Spend already recorded keeps the day it was counted for.

        Returns:
            the zone's canonical name.

        Raises:
            InputError: an unknown zone.
        """
        zone = parse_time_zone(name)
        statement = sqlite_insert(BudgetSettingsRow).values(
            id=_SETTINGS_ROW_ID, time_zone=zone.key, updated_at=self.clock()
        )
        statement = statement.on_conflict_do_update(
            index_elements=["id"],
            set_={"time_zone": zone.key, "updated_at": self.clock()},
        )
        with self.db.begin() as session:
            session.execute(statement)
        _log.info("budget days are now counted in %s", zone.key)
        return zone.key

    # -- the Governor protocol ------------------------------------------------------------

    def authorize(self, estimate: CostEstimate) -> Reservation:
        """Reserve ``estimate`` for today, in one ``BEGIN IMMEDIATE`` transaction.

        Checks, in order: paid work paused → ``"paused"``; the template (if any) not approved
        for ``estimate.kind`` → ``"approval_required"`` (creating one pending request, never
        a duplicate) or ``"rejected"``; ``committed + estimate > cap`` without an override
        for today → ``"budget_exceeded"``. A pending approval or a "stopped" alert created
        on the way is committed before the error is raised.

        Returns:
            the reservation; ``extra["day"]`` is the day it counts for.

        Raises:
            PaidWorkBlocked: with ``reason`` as above.
            ValueError: a negative estimate.
        """
        micros = usd_to_micros(estimate.usd)
        if micros < 0:
            raise ValueError(f"a cost estimate cannot be negative: {estimate.usd}")
        now = self.clock()
        blocked: PaidWorkBlocked | None = None
        reservation: Reservation | None = None
        alerts: list[BudgetAlert] = []
        with self.db.begin_immediate() as session:
            day = day_of(now, self.zone(session))  # read under the write lock with the spend
            pause = session.get(PaidWorkStateRow, _PAUSE_ROW_ID)
            if pause is not None and pause.paused:
                blocked = PaidWorkBlocked(
                    f"paid AI work is paused: {pause.reason}",
                    reason="paused",
                    hint="resume paid work in the operator view once the provider's quota "
                    "is restored",
                )
            elif estimate.template_id is not None:
                blocked = self._approval_gate(session, estimate, micros, now)
            if blocked is None:
                committed = _committed(session, day)
                cap = self.policy.cap_micros
                if committed + micros > cap and not _overridden(session, day):
                    blocked = PaidWorkBlocked(
                        f"the daily AI budget would be exceeded: ${_usd(committed)} committed "
                        f"today + ${_usd(micros)} for {estimate.description or estimate.kind} "
                        f"> hard stop ${_usd(cap)} "
                        f"({self.policy.hard_stop_fraction:.0%} of ${self.policy.daily_usd:.2f})",
                        reason="budget_exceeded",
                        hint="the scene falls back to an infographic or text card; an operator "
                        "can override today's hard stop in the operator view",
                    )
                    alerts += self._record_alert(session, day, "stopped", committed, cap, now)
                else:
                    row = LedgerEntryRow(
                        created_at=now,
                        day=day,
                        kind=estimate.kind,
                        provider=estimate.provider,
                        model=estimate.model,
                        template_id=estimate.template_id,
                        description=estimate.description,
                        units=float(estimate.units),
                        estimated_micro_usd=micros,
                        state=LedgerState.RESERVED,
                        job_id=self.job_id,
                    )
                    session.add(row)
                    session.flush()
                    reservation = Reservation(id=row.id, estimate=estimate, extra={"day": day})
                    alerts += self._check_alert(session, day, committed + micros, now)
        self._notify(alerts)
        if blocked is not None:
            raise blocked
        assert reservation is not None
        return reservation

    def settle(self, reservation: Reservation, actual_usd: float) -> None:
        """Record the actual cost (USD) of the call behind ``reservation``.

        Allowed once, on a reserved entry or on one reconciled after a crash (the actual cost
        then replaces the conservative estimate).

        Raises:
            ReservationStateError: unknown, already settled, or released.
            ValueError: a negative cost.
        """
        micros = usd_to_micros(actual_usd)
        if micros < 0:
            raise ValueError(f"an actual cost cannot be negative: {actual_usd}")
        alerts = self._close(reservation, LedgerState.SETTLED, micros)
        self._notify(alerts)

    def release(self, reservation: Reservation) -> None:
        """Drop a reservation whose call was never billed (exactly once).

        Raises:
            ReservationStateError: unknown, already settled, or released.
        """
        self._close(reservation, LedgerState.RELEASED, None)

    def pause_paid_work(self, reason: str) -> None:
        """Stop all paid work until :meth:`resume_paid_work` (e.g. after a quota 429)."""
        now = self.clock()
        statement = sqlite_insert(PaidWorkStateRow).values(
            id=_PAUSE_ROW_ID, paused=True, reason=reason, paused_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=["id"], set_={"paused": True, "reason": reason, "paused_at": now}
        )
        with self.db.begin() as session:
            session.execute(statement)
        _log.warning("paid AI work paused: %s", reason)

    def resume_paid_work(self) -> None:
        """Allow paid work again (the operator's decision)."""
        statement = sqlite_insert(PaidWorkStateRow).values(
            id=_PAUSE_ROW_ID, paused=False, reason="", paused_at=None
        )
        statement = statement.on_conflict_do_update(
            index_elements=["id"], set_={"paused": False, "reason": "", "paused_at": None}
        )
        with self.db.begin() as session:
            session.execute(statement)
        _log.info("paid AI work resumed")

    def pause_state(self) -> PauseState:
        """Whether paid work is paused now."""
        with self.db.begin() as session:
            row = session.get(PaidWorkStateRow, _PAUSE_ROW_ID)
            if row is None:
                return PauseState(False, "", None)
            return PauseState(bool(row.paused), row.reason, row.paused_at)

    def reconcile_on_start(self) -> int:
        """Mark reservations a crashed process left ``reserved`` as ``reconciled``.

        Conservative: the provider may have billed the call before the process died, so the
        estimate keeps counting as spent (a late :meth:`settle` may still correct it). Call it
        once at startup, *before* this process makes paid calls, while holding the studio's
        single-runner lock — an entry reserved by a live process would be reconciled too.

        Returns:
            how many entries were reconciled.
        """
        now = self.clock()
        with self.db.begin_immediate() as session:
            result = session.execute(
                update(LedgerEntryRow)
                .where(LedgerEntryRow.state == LedgerState.RESERVED)
                .values(state=LedgerState.RECONCILED, closed_at=now)
            )
            count = int(result.rowcount)  # type: ignore[attr-defined]
        if count:
            _log.warning("reconciled %d reservation(s) left by a crashed process", count)
        return count

    # -- approvals ------------------------------------------------------------------------

    def request_approval(
        self,
        template_id: str,
        kind: str,
        estimated_usd: float = 0.0,
        description: str = "",
    ) -> Approval:
        """Ask the operator to approve ``template_id``'s paid generation of ``kind``.

        Returns the existing pending request, or the approval already granted, instead of
        creating a duplicate; after a rejection, files a new pending request.
        """
        now = self.clock()
        with self.db.begin_immediate() as session:
            current = _current_approval(session, template_id, kind)
            if current is not None and current.state in (
                ApprovalState.PENDING,
                ApprovalState.APPROVED,
            ):
                return Approval.from_row(current)
            row = _new_approval(
                session, template_id, kind, usd_to_micros(estimated_usd), description, now
            )
            return Approval.from_row(row)

    def list_approvals(self, state: ApprovalState | str | None = None) -> list[Approval]:
        """Approval requests, oldest first; only those in ``state`` when given."""
        query = select(ApprovalRow).order_by(ApprovalRow.requested_at, ApprovalRow.id)
        if state is not None:
            query = query.where(ApprovalRow.state == ApprovalState(state))
        with self.db.begin() as session:
            return [Approval.from_row(row) for row in session.scalars(query)]

    def get_approval(self, approval_id: int) -> Approval:
        """One approval request.

        Raises:
            ApprovalNotFoundError: no such id.
        """
        with self.db.begin() as session:
            return Approval.from_row(_approval_row(session, approval_id))

    def approve(self, approval_id: int, note: str = "", by: str = "operator") -> Approval:
        """Approve a pending (or earlier rejected) request; paid calls of its template and
        kind may then run. Also stamps ``templates.first_approved_at`` on first approval.

        Raises:
            ApprovalNotFoundError: no such id.
            BudgetError: it is already approved.
        """
        return self._decide(approval_id, ApprovalState.APPROVED, note, by)

    def reject(self, approval_id: int, note: str = "", by: str = "operator") -> Approval:
        """Reject a pending (or revoke an approved) request; paid calls of its template and
        kind are then refused with ``reason="rejected"`` (the scenes fall back).

        Raises:
            ApprovalNotFoundError: no such id.
            BudgetError: it is already rejected.
        """
        return self._decide(approval_id, ApprovalState.REJECTED, note, by)

    # -- overrides, status, scene tiers ---------------------------------------------------

    def override_budget(self, day: date | str, by: str, note: str = "") -> bool:
        """Lift the hard stop for the local calendar day ``day`` (that day only).

        Returns:
            ``True`` when recorded; ``False`` when the day was already overridden.
        """
        statement = (
            sqlite_insert(BudgetOverrideRow)
            .values(day=_day_text(day), approved_by=by, note=note, created_at=self.clock())
            .on_conflict_do_nothing(index_elements=["day"])
        )
        with self.db.begin() as session:
            created = bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]
        if created:
            _log.warning("hard stop overridden for %s by %s: %s", _day_text(day), by, note)
        return created

    def status(self, day: date | str | None = None) -> BudgetStatus:
        """The budget figures of ``day`` (default: today)."""
        day_text = self.today() if day is None else _day_text(day)
        with self.db.begin() as session:
            reserved, settled = session.execute(
                select(
                    func.coalesce(
                        func.sum(
                            case(
                                (
                                    LedgerEntryRow.state == LedgerState.RESERVED,
                                    LedgerEntryRow.estimated_micro_usd,
                                ),
                                else_=0,
                            )
                        ),
                        0,
                    ),
                    func.coalesce(
                        func.sum(
                            case(
                                (LedgerEntryRow.state == LedgerState.RESERVED, 0),
                                else_=committed_micros_expr(),
                            )
                        ),
                        0,
                    ),
                ).where(LedgerEntryRow.day == day_text)
            ).one()
            overridden = _overridden(session, day_text)
        committed = int(reserved) + int(settled)
        policy = self.policy
        state: AlertState = "ok"
        if committed >= policy.cap_micros and not overridden and policy.cap_micros > 0:
            state = "stopped"
        elif committed >= policy.alert_micros and committed > 0:
            state = "alert"
        return BudgetStatus(
            day=day_text,
            daily_usd=micros_to_usd(policy.daily_micros),
            alert_usd=micros_to_usd(policy.alert_micros),
            cap_usd=micros_to_usd(policy.cap_micros),
            committed_usd=micros_to_usd(committed),
            settled_usd=micros_to_usd(int(settled)),
            reserved_usd=micros_to_usd(int(reserved)),
            state=state,
            overridden=overridden,
        )

    def alert_state(self, day: date | str | None = None) -> AlertState:
        """``"ok"``, ``"alert"`` (committed ≥ alert threshold) or ``"stopped"`` (committed ≥
        the hard-stop cap, no override) for ``day`` (default: today)."""
        return self.status(day).state

    def committed_usd(self, day: date | str | None = None) -> float:
        """Committed spend (USD) of ``day`` (default: today)."""
        return self.status(day).committed_usd

    def alerts(self, day: date | str | None = None) -> list[BudgetAlert]:
        """Alerts recorded (all days, or only ``day``), oldest first."""
        query = select(BudgetAlertRow).order_by(BudgetAlertRow.id)
        if day is not None:
            query = query.where(BudgetAlertRow.day == _day_text(day))
        with self.db.begin() as session:
            return [_alert_from_row(row) for row in session.scalars(query)]

    def ledger(self, day: date | str | None = None) -> list[LedgerEntry]:
        """Ledger entries (all days, or only ``day``), oldest first."""
        query = select(LedgerEntryRow).order_by(LedgerEntryRow.id)
        if day is not None:
            query = query.where(LedgerEntryRow.day == _day_text(day))
        with self.db.begin() as session:
            return [LedgerEntry.from_row(row) for row in session.scalars(query)]

    def record_scene_tier(
        self,
        job_id: int | None,
        template_id: str | None,
        scene_index: int,
        tier: SceneTier | str,
        cost_usd: float = 0.0,
    ) -> None:
        """Record which tier produced scene ``scene_index`` of a render, and its cost (USD).

        Raises:
            ValueError: an unknown tier.
        """
        row = SceneTierRow(
            job_id=job_id,
            template_id=template_id,
            scene_index=scene_index,
            tier=SceneTier(tier),
            cost_micro_usd=usd_to_micros(cost_usd),
            created_at=self.clock(),
        )
        with self.db.begin() as session:
            session.add(row)

    # -- internals ------------------------------------------------------------------------

    def _approval_gate(
        self, session: Session, estimate: CostEstimate, micros: int, now: datetime
    ) -> PaidWorkBlocked | None:
        """``None`` when the template is approved for the kind; else the error to raise
        (creating the pending request if there is none)."""
        template_id = estimate.template_id
        assert template_id is not None
        current = _current_approval(session, template_id, estimate.kind)
        if current is not None and current.state == ApprovalState.APPROVED:
            return None
        if current is not None and current.state == ApprovalState.REJECTED:
            note = f" ({current.note})" if current.note else ""
            return PaidWorkBlocked(
                f"the operator rejected paid {estimate.kind} generation for template "
                f"{template_id!r}{note}",
                reason="rejected",
                hint=f"the scene falls back; to allow it, {APPROVE_HINT.format(id=current.id)}",
            )
        if current is None:
            current = _new_approval(
                session, template_id, estimate.kind, micros, estimate.description, now
            )
            _log.info("approval %d requested for template %s", current.id, template_id)
        return PaidWorkBlocked(
            f"template {template_id!r} needs an operator's approval before its first paid "
            f"{estimate.kind} generation (request {current.id}, ~${_usd(micros)})",
            reason="approval_required",
            hint=APPROVE_HINT.format(id=current.id),
        )

    def _decide(self, approval_id: int, state: ApprovalState, note: str, by: str) -> Approval:
        now = self.clock()
        with self.db.begin_immediate() as session:
            row = _approval_row(session, approval_id)
            if row.state == state:
                raise BudgetError(
                    f"approval {approval_id} is already {state.value}",
                    hint="list requests with `videostudio approvals`",
                )
            row.state = state
            row.note = note
            row.decided_at = now
            row.decided_by = by
            if state == ApprovalState.APPROVED:
                session.execute(
                    update(TemplateRow)
                    .where(TemplateRow.id == row.template_id)
                    .where(TemplateRow.first_approved_at.is_(None))
                    .values(first_approved_at=now)
                )
            session.flush()
            return Approval.from_row(row)

    def _close(
        self, reservation: Reservation, state: LedgerState, actual_micros: int | None
    ) -> list[BudgetAlert]:
        now = self.clock()
        verb = "settled" if state == LedgerState.SETTLED else "released"
        with self.db.begin_immediate() as session:
            row = session.get(LedgerEntryRow, reservation.id)
            if row is None:
                raise ReservationStateError(f"reservation {reservation.id} does not exist")
            closable = (LedgerState.RESERVED, LedgerState.RECONCILED)
            if row.state not in closable or row.actual_micro_usd is not None:
                raise ReservationStateError(
                    f"reservation {reservation.id} cannot be {verb}: it is already "
                    f"{LedgerState(row.state).value}",
                    hint="settle or release each reservation exactly once",
                )
            row.state = state
            row.actual_micro_usd = actual_micros
            row.closed_at = now
            session.flush()
            if state != LedgerState.SETTLED:
                return []
            return self._check_alert(session, row.day, _committed(session, row.day), now)

    def _check_alert(
        self, session: Session, day: str, committed: int, now: datetime
    ) -> list[BudgetAlert]:
        threshold = self.policy.alert_micros
        if committed <= 0 or committed < threshold:
            return []
        return self._record_alert(session, day, "alert", committed, threshold, now)

    def _record_alert(
        self,
        session: Session,
        day: str,
        level: Literal["alert", "stopped"],
        committed: int,
        threshold: int,
        now: datetime,
    ) -> list[BudgetAlert]:
        """Record the alert once per day and level; return it when it is new."""
        statement = (
            sqlite_insert(BudgetAlertRow)
            .values(
                day=day,
                level=level,
                committed_micro_usd=committed,
                threshold_micro_usd=threshold,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["day", "level"])
        )
        if not session.execute(statement).rowcount:  # type: ignore[attr-defined]
            return []
        return [BudgetAlert(day, level, micros_to_usd(committed), micros_to_usd(threshold))]

    def _notify(self, alerts: Iterable[BudgetAlert]) -> None:
        """Log each new alert and pass it to ``on_alert``; a failing callback is logged, never
        raised (the reservation it follows is already committed and must reach its caller)."""
        for alert in alerts:
            _log.warning(
                "budget %s on %s: $%.2f committed (threshold $%.2f)",
                alert.level,
                alert.day,
                alert.committed_usd,
                alert.threshold_usd,
            )
            if self.on_alert is not None:
                try:
                    self.on_alert(alert)
                except Exception:
                    _log.exception("the budget alert callback failed")


def _usd(micros: int) -> str:
    return f"{Decimal(micros) / MICROS_PER_USD:.2f}"


def _committed(session: Session, day: str) -> int:
    total = session.execute(
        select(func.coalesce(func.sum(committed_micros_expr()), 0)).where(LedgerEntryRow.day == day)
    ).scalar_one()
    return int(total)


def _overridden(session: Session, day: str) -> bool:
    return session.get(BudgetOverrideRow, day) is not None


def _current_approval(session: Session, template_id: str, kind: str) -> ApprovalRow | None:
    """The request that decides ``template_id``/``kind``: the newest one."""
    return session.scalars(
        select(ApprovalRow)
        .where(ApprovalRow.template_id == template_id, ApprovalRow.kind == kind)
        .order_by(ApprovalRow.id.desc())
        .limit(1)
    ).first()


def _new_approval(
    session: Session,
    template_id: str,
    kind: str,
    micros: int,
    description: str,
    now: datetime,
) -> ApprovalRow:
    row = ApprovalRow(
        template_id=template_id,
        kind=kind,
        estimated_micro_usd=micros,
        description=description,
        state=ApprovalState.PENDING,
        note="",
        requested_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _approval_row(session: Session, approval_id: int) -> ApprovalRow:
    row = session.get(ApprovalRow, approval_id)
    if row is None:
        raise ApprovalNotFoundError(
            f"there is no approval request {approval_id}",
            hint="list requests with `videostudio approvals`",
        )
    return row


def _alert_from_row(row: BudgetAlertRow) -> BudgetAlert:
    level: Literal["alert", "stopped"] = "stopped" if row.level == "stopped" else "alert"
    return BudgetAlert(
        row.day,
        level,
        micros_to_usd(row.committed_micro_usd),
        micros_to_usd(row.threshold_micro_usd),
    )
