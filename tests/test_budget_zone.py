"""Budget days are counted in one zone stored with the budget (UTC unless set), never in the
zone of the process making the call (issue 11, item 9)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipeline.ai.base import CostEstimate
from pipeline.errors import InputError
from studio.budget import BudgetGovernor, BudgetPolicy, micros_to_usd
from studio.store import open_database
from studio.store.tables import LedgerEntryRow

REPO = Path(__file__).resolve().parents[1]

# Reserve $0.40 at a time until refused; settle each. Prints how many were reserved.
_SPENDER = """
import sys
from pathlib import Path
from pipeline.ai.base import CostEstimate, PaidWorkBlocked
from studio.budget import BudgetGovernor, BudgetPolicy
from studio.store import open_database

db = open_database(Path(sys.argv[1]))
governor = BudgetGovernor(db, BudgetPolicy(daily_usd=5.0))
reserved = 0
for _ in range(30):
    try:
        reservation = governor.authorize(
            CostEstimate(kind="video", provider="test", model="m", units=4, usd=0.40)
        )
    except PaidWorkBlocked:
        continue
    governor.settle(reservation, 0.40)
    reserved += 1
db.close()
print(reserved)
"""


def _ledger(db_path: Path) -> list[tuple[str, int]]:
    db = open_database(db_path)
    try:
        with db.begin() as session:
            rows = session.query(LedgerEntryRow.day, LedgerEntryRow.actual_micro_usd).all()
        return [(day, int(micros or 0)) for day, micros in rows]
    finally:
        db.close()


def test_processes_in_zones_26_hours_apart_share_one_cap(tmp_path: Path):
    db_path = tmp_path / "videostudio.sqlite3"
    open_database(db_path).close()
    days_before = datetime.now(UTC).date().isoformat()
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _SPENDER, str(db_path)],
            env={**os.environ, "TZ": zone, "PYTHONPATH": str(REPO)},
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for zone in ("Etc/GMT+12", "Etc/GMT-14")  # UTC-12 and UTC+14: never the same date
    ]
    results = [process.communicate(timeout=120) for process in processes]
    days_after = datetime.now(UTC).date().isoformat()
    for process, (_, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err
    counted = sum(int(out) for out, _ in results)

    spend: dict[str, int] = defaultdict(int)
    for day, micros in _ledger(db_path):
        spend[day] += micros
    assert set(spend) <= {days_before, days_after}  # UTC days, whatever each process's TZ
    cap = BudgetPolicy(daily_usd=5.0).cap_micros
    assert all(total <= cap for total in spend.values()), dict(spend)
    if days_before == days_after:
        assert micros_to_usd(sum(spend.values())) == pytest.approx(6.00)  # the cap, reached
        assert counted == 15


def test_the_zone_is_stored_with_the_budget(tmp_path: Path):
    db = open_database(tmp_path / "videostudio.sqlite3")
    try:
        first = BudgetGovernor(db)
        assert first.time_zone() == "UTC"
        assert first.set_time_zone("Pacific/Kiritimati") == "Pacific/Kiritimati"
        other = BudgetGovernor(db)  # another process, another governor
        assert other.zone() == ZoneInfo("Pacific/Kiritimati")
        moment = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)  # 02:00 next day in Kiritimati
        late = BudgetGovernor(db, clock=lambda: moment)
        assert late.today() == "2030-01-02"
        reservation = late.authorize(
            CostEstimate(kind="llm", provider="test", model="m", units=1, usd=0.10)
        )
        assert reservation.extra["day"] == "2030-01-02"
        with pytest.raises(InputError, match="unknown time zone"):
            first.set_time_zone("Mars/Olympus_Mons")
    finally:
        db.close()


def test_cli_sets_and_shows_the_zone(tmp_path: Path):
    env = {
        **os.environ,
        "VIDEOSTUDIO_DATA_DIR": str(tmp_path / "data"),
        "TZ": "Etc/GMT-14",
        "PYTHONPATH": str(REPO),
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "studio", "budget", *args],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    shown = cli()
    assert shown.returncode == 0 and "days counted in UTC" in shown.stdout
    assert datetime.now(UTC).date().isoformat() in shown.stdout
    assert "Europe/Berlin" in cli("zone", "Europe/Berlin").stdout
    assert "days counted in Europe/Berlin" in cli().stdout
    assert cli("zone", "Nowhere/Atlantis").returncode == 2
