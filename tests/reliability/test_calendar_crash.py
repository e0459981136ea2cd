"""Crash campaign: `wenze calendar import`, killed at every step a real run passes through.

A year is entered together with the recomputation of every deadline it moves (services/calendar.py, one
transaction). After each kill, at the next start (`wenze verify`): either the year is entered, every stored deadline
follows the calendar with it (none of 2027 left 暂定), the cases it moved have their version moved and the audit log
holds one `calendar.import` with the counts — or none of that: no year, the deadlines, versions and audit log as
before, and entering the year again works. The import runs as a system administrator who may not read cases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.reliability.harness import ADMIN, PASSWORD, copy_workspace, scratch_left, steps_of, wenze
from tests.unit.procedure_helpers import PAPER, new_case
from wenze_desktop.domain.models import AuditEntry, Case, PendingOperation
from wenze_desktop.services import Workspace

SYSADMIN, SYSADMIN_PASSWORD = "sysadmin", "Sysadmin-密码-2026"
YEAR_2027 = """year = 2027
holidays = ["2027-01-01", "2027-02-06..2027-02-12", "2027-04-05", "2027-05-01..2027-05-05", "2027-10-01..2027-10-07"]
workdays = ["2027-02-14", "2027-04-25", "2027-10-09"]
"""
STEPS = {"calendar.import/year-written", "calendar.import/recomputed", "calendar.import/committed"}


@dataclass(frozen=True)
class Office:
    data_dir: Path
    arrangement: Path
    deadlines: list[tuple]  # the open deadlines before the year is entered
    versions: dict[str, int]  # case id → version before
    late: set[str]  # the cases whose deadlines run into 2027 (暂定 until it is entered)


def deadlines(ws: Workspace) -> list[tuple]:
    return sorted((d.case_id, d.rule_id, d.due, d.provisional, d.unknown_years) for d in ws.procedure.open_deadlines())


def versions(ws: Workspace) -> dict[str, int]:
    with ws.ctx.workspace.session() as s:
        return dict(s.execute(select(Case.id, Case.version)).all())


@pytest.fixture(scope="module")
def office(template, tmp_path_factory) -> Office:
    """Four filed gz2009 cases, three of them with deadlines running into 2027, and a system administrator."""
    root = tmp_path_factory.mktemp("calendar")
    data_dir = copy_workspace(template, root / "ws")
    with Workspace.open(data_dir, ADMIN, PASSWORD) as ws:
        late = set()
        for n, filed in enumerate((date(2026, 12, 7), date(2026, 12, 14), date(2026, 12, 21), date(2026, 3, 2))):
            case_id = new_case(ws, "gz2009", name=f"当事人{n}", received=filed)
            ws.procedure.perform(case_id, "preliminary_check", on=filed)
            ws.procedure.perform(case_id, "file_case", on=filed, approved_by="书记", paper_ref=PAPER)
            if filed.month == 12:
                late.add(case_id)
        ws.accounts.create_user(SYSADMIN, "系统管理员", ["system_admin"], SYSADMIN_PASSWORD)
        before = deadlines(ws)
        assert {case_id for case_id, *_, provisional, _years in before if provisional} == late
        office = Office(data_dir, root / "2027.toml", before, versions(ws), late)
    office.arrangement.write_text(YEAR_2027, "utf-8")
    return office


def enter_year(data: Path, office: Office, **kwargs):
    return wenze("calendar", "import", office.arrangement, "--data-dir", data, "--user", SYSADMIN,
                 stdin=SYSADMIN_PASSWORD + "\n", **kwargs)


def problems_after(data: Path, office: Office) -> list[str]:
    start = wenze("verify", "--data-dir", data, "--user", ADMIN, stdin=PASSWORD + "\n")
    if start.returncode != 0 or "全部通过" not in start.stdout:
        return [f"the next start failed ({start.returncode}): {start.stderr.strip()[:300]}"]
    problems = []
    with Workspace.open(data, ADMIN, PASSWORD) as ws:
        entered = [y["year"] for y in ws.calendar.entered_years()]
        behind = ws.procedure.deadlines_behind()
        now, moved = deadlines(ws), versions(ws)
        with ws.ctx.workspace.session() as s:
            entries = [json.loads(e.new_values) for e in s.scalars(
                select(AuditEntry).where(AuditEntry.action == "calendar.import"))]
            pending = list(s.scalars(select(PendingOperation.action)))
    if behind.changed_cases:
        problems.append(f"{behind.changed_cases} cases' deadlines do not follow the calendar (half recomputed)")
    if entered == [2027]:
        if any(provisional and 2027 in years for *_, provisional, years in now):
            problems.append("2027 is entered but a deadline is still 暂定 for want of it")
        if len(entries) != 1 or entries[0].get("changed_cases") != len(office.late):
            problems.append(f"the year is entered, its audit entries: {entries}")
        if {c for c in office.late if moved[c] == office.versions[c]}:
            problems.append("the cases whose deadlines moved kept their version")
    elif entered == []:
        if now != office.deadlines or moved != office.versions:
            problems.append("no year entered, yet deadlines or versions changed")
        if entries:
            problems.append(f"no year entered, yet the audit log says so: {entries}")
    else:
        problems.append(f"entered years: {entered}")
    if pending:
        problems.append(f"pending operations: {pending}")
    if left := scratch_left(data):
        problems.append(f"left after the next start: {[p.name for p in left]}")
    return problems


def test_calendar_import_killed_at_every_step(office, tmp_path):
    probe = copy_workspace(office.data_dir, tmp_path / "probe")
    steps = steps_of("calendar", "import", office.arrangement, "--data-dir", probe, "--user", SYSADMIN,
                     stdin=SYSADMIN_PASSWORD + "\n", trace=tmp_path / "trace")
    assert set(steps) >= STEPS, steps
    assert problems_after(probe, office) == []  # the run itself leaves what the trials are held to
    problems = []
    for n, step in enumerate(steps):
        data = copy_workspace(office.data_dir, tmp_path / f"trial-{n}")
        run = enter_year(data, office, crash_at=step)
        if not run.killed:
            problems.append(f"{step}: not killed ({run.returncode}): {run.stderr.strip()[:200]}")
            continue
        found = problems_after(data, office)
        problems += [f"{step}: {p}" for p in found]
        if not found:
            again = enter_year(data, office)  # entered or not, entering the year (again) works and completes it
            if again.returncode != 0 or "期限" not in again.stdout:
                problems.append(f"{step}: entering the year again failed ({again.returncode}): {again.stderr[:200]}")
            else:
                with Workspace.open(data, ADMIN, PASSWORD) as ws:
                    if ws.procedure.deadlines_behind().changed_cases or any(p for *_, p, _y in deadlines(ws)):
                        problems.append(f"{step}: entered again, deadlines still lag or stay 暂定")
    assert not problems, "\n".join(problems)


def test_the_command_reports_counts_only(office, tmp_path):
    data = copy_workspace(office.data_dir, tmp_path / "ws")
    run = enter_year(data, office)
    assert run.returncode == 0, run.stderr
    assert "已录入 2027 年节假日安排：放假 21 天，调休上班 3 天。" in run.stdout
    assert f"已重新计算 4 件案件的期限，其中 {len(office.late)} 件案件的" in run.stdout
    assert "gz2009-" not in run.stdout and "当事人" not in run.stdout  # counts, no case data
