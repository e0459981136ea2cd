"""Working-day counting around Spring Festival and National Day, unknown years, administrator-entered years: a year
is entered with the recomputation of every deadline it moves, or not at all, by an administrator who need not read
cases (counts only)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.unit.procedure_helpers import PAPER, new_case
from wenze_desktop.domain.models import AuditEntry
from wenze_desktop.errors import Cancelled, PermissionDenied, ValidationError
from wenze_desktop.rules.calendar import WorkCalendar, YearArrangement
from wenze_desktop.services import Workspace
from wenze_desktop.services.auth import login
from wenze_desktop.services.procedure import ProcedureService

CAL = WorkCalendar()
YEAR_2027 = """
year = 2027
holidays = ["2027-01-01", "2027-02-06..2027-02-12"]
workdays = ["2027-02-14"]
"""


def test_national_day_2026_trigger_day_not_counted():
    # Sep 29, Sep 30, then Oct 1–7 are holidays, Oct 8 is the third working day.
    assert CAL.add_working_days(date(2026, 9, 28), 3).due == date(2026, 10, 8)


def test_make_up_working_day_counts():
    # Sun 2026-09-20 is a make-up working day: counting from Sat 19th, the first working day is the 20th.
    assert CAL.add_working_days(date(2026, 9, 19), 1).due == date(2026, 9, 20)
    # Sat 2026-10-10 is a make-up working day too.
    assert CAL.add_working_days(date(2026, 10, 9), 1).due == date(2026, 10, 10)


def test_start_on_a_holiday_counts_the_next_working_day_as_day_one():
    # chinese_calendar.find_workday(1, Oct 3) would give Oct 9 (it treats Oct 8 as day 0).
    assert chinese_calendar.find_workday(1, date(2026, 10, 3)) == date(2026, 10, 9)
    assert CAL.add_working_days(date(2026, 10, 3), 1).due == date(2026, 10, 8)


def test_spring_festival_2026():
    # 2026 Spring Festival: Feb 15–23 off, Sat Feb 14 and Sat Feb 28 make-up working days.
    assert CAL.add_working_days(date(2026, 2, 13), 1).due == date(2026, 2, 14)
    assert CAL.add_working_days(date(2026, 2, 14), 1).due == date(2026, 2, 24)
    assert CAL.add_working_days(date(2026, 2, 12), 5).due == date(2026, 2, 26)


def test_calendar_days_move_past_rest_days():
    assert CAL.add_days(date(2026, 9, 26), 5).due == date(2026, 10, 8)   # Oct 1 is a holiday
    assert CAL.add_days(date(2026, 9, 20), 7).due == date(2026, 9, 28)   # Sun 27th -> Mon 28th
    assert CAL.add_days(date(2026, 9, 21), 7).due == date(2026, 9, 28)   # a working day stays


def test_one_month_same_day_rule():
    assert CAL.add_months(date(2026, 3, 15), 1).due == date(2026, 4, 15)
    assert CAL.add_months(date(2026, 3, 31), 1).due == date(2026, 4, 30)        # no 31st: last day
    assert CAL.add_months(date(2026, 1, 31), 1).due == date(2026, 2, 28)        # Sat, but a make-up day
    assert CAL.add_months(date(2026, 9, 1), 1).due == date(2026, 10, 8)         # Oct 1 holiday -> Oct 8


def test_deadline_into_an_unknown_year_is_provisional_and_names_the_year():
    due = CAL.add_working_days(date(2026, 12, 20), 30)
    assert due.provisional and due.unknown_years == (2027,)
    assert due.due == date(2027, 1, 29)  # weekends only
    assert "暂定" in due.describe() and "2027" in due.describe()
    assert not CAL.add_working_days(date(2026, 11, 2), 3).provisional


def test_entered_year_makes_it_exact_and_wins_over_weekend_rule():
    cal = WorkCalendar.with_years([YearArrangement.from_toml(YEAR_2027)])
    due = cal.add_working_days(date(2026, 12, 20), 30)
    assert not due.provisional
    assert due.due == date(2027, 2, 1)  # Jan 1 off pushes it one working day later
    assert not cal.is_workday(date(2027, 2, 8)) and cal.is_workday(date(2027, 2, 14))


def test_entered_year_wins_over_the_library():
    override = YearArrangement.from_mapping({"year": 2026, "holidays": ["2026-09-29"], "workdays": []})
    cal = WorkCalendar.with_years([override])
    assert chinese_calendar.is_workday(date(2026, 9, 29))
    assert not cal.is_workday(date(2026, 9, 29))
    assert cal.is_workday(date(2026, 10, 2))  # the library's holiday is not in the entered arrangement


@pytest.mark.parametrize("text, words", [
    ("year = 2027\nholidays = [\"2026-12-31\"]", "不在 2027 年内"),
    ("year = 2027\nholidays = [\"2027-02-30\"]", "不是日期"),
    ("year = 2027\nholidays = [\"2027-02-12..2027-02-06\"]", "结束早于开始"),
    ("year = 2027\nholidays = [\"2027-01-01\"]\nworkdays = [\"2027-02-15\"]", "不是周末"),
    ("year = 2027\nholidays = [\"2027-02-14\"]\nworkdays = [\"2027-02-14\"]", "同时列为"),
    ("holidays = []", "年份"),
    ("year = 2027\nholidays = [", "TOML"),
])
def test_bad_arrangement_files_are_refused_with_a_reason(text, words):
    with pytest.raises(ValidationError, match=words):
        YearArrangement.from_toml(text)


def test_working_days_between_counts_like_the_deadline():
    assert CAL.working_days_between(date(2026, 9, 28), date(2026, 10, 8)) == 3
    assert CAL.working_days_between(date(2026, 10, 8), date(2026, 9, 28)) == -3


@settings(max_examples=300, deadline=None)
@given(st.dates(date(2004, 1, 1), date(2028, 6, 30)), st.integers(1, 60))
def test_working_day_deadline_is_a_working_day_after_the_trigger(start, n):
    due = CAL.add_working_days(start, n)
    assert due.due > start
    assert CAL.is_workday(due.due)
    assert CAL.working_days_between(start, due.due) == n
    assert due.provisional == any(not CAL.knows(y) for y in range(start.year, due.due.year + 1)
                                  if date(y, 12, 31) > start)


@settings(max_examples=300, deadline=None)
@given(st.dates(date(2004, 1, 1), date(2027, 12, 31)), st.integers(1, 90))
def test_calendar_day_deadline_is_the_first_working_day_on_or_after_the_date(start, n):
    due = CAL.add_days(start, n).due
    target = start + timedelta(days=n)
    assert due >= target and CAL.is_workday(due)
    assert all(not CAL.is_workday(target + timedelta(days=i)) for i in range((due - target).days))


# -- entering a year: the year and its recomputation as one unit ------------------------------------------------------

SOURCE = "国办发明电〔2026〕X号"


@pytest.fixture
def office(ctx):
    """Two gz2009 cases filed in 2026: one whose report deadline runs into 2027 (暂定), one that does not."""
    ws = Workspace(ctx)
    cases = {}
    for name, on in (("late", date(2026, 12, 20)), ("early", date(2026, 3, 2))):
        cases[name] = new_case(ws, "gz2009", received=on)
        ws.procedure.perform(cases[name], "preliminary_check", on=on)
        ws.procedure.perform(cases[name], "file_case", on=on, approved_by="书记", paper_ref=PAPER)
    return ws, cases


def provisional(ws) -> list[str]:
    return [d.rule_id for d in ws.procedure.open_deadlines() if d.provisional]


def calendar_entries(ws) -> list[tuple[str, bool]]:
    with ws.ctx.workspace.session() as s:
        return [(e.action, e.success) for e in s.scalars(select(AuditEntry).where(
            AuditEntry.action.like("calendar.%")).order_by(AuditEntry.seq))]


def test_a_system_administrator_without_case_access_enters_a_year_and_sees_counts(office, data_dir, clock):
    ws, _ = office
    assert provisional(ws) == ["report"]
    ws.accounts.create_user("sysadmin", "系统管理员", ["system_admin"], "Sysadmin-密码-2026")
    admin = Workspace(login(data_dir, "sysadmin", "Sysadmin-密码-2026", clock=clock))
    try:
        with pytest.raises(PermissionDenied):
            admin.procedure.open_deadlines()  # they may not read cases …
        entered = admin.calendar.import_year(YEAR_2027, source=SOURCE)  # … and enter a year all the same
        assert (entered.year, entered.holidays, entered.workdays) == (2027, 8, 1)
        counts = entered.recomputed
        assert (counts.cases, counts.changed_cases, counts.deadlines_changed, counts.provisional) == (2, 1, 1, 0)
        assert entered.describe() == "已重新计算 2 件案件的期限，其中 1 件案件的 1 个期限有变化；没有暂定的期限。"
        assert admin.procedure.deadlines_behind().changed_cases == 0
        with admin.ctx.workspace.session() as s:
            entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "calendar.import")).one()
        assert json.loads(entry.new_values)["changed_cases"] == 1 and entry.username == "sysadmin"
        removed = admin.calendar.remove_year(2027)
        assert removed.recomputed.changed_cases == 1 and removed.recomputed.provisional == 1
    finally:
        admin.close()
    assert provisional(ws) == ["report"]  # back to 暂定 with the year removed
    assert calendar_entries(ws) == [("calendar.import", True), ("calendar.remove", True)]


def test_cancelling_the_recomputation_keeps_neither_the_year_nor_any_deadline(office):
    ws, cases = office
    before = ws.procedure.open_deadlines()
    versions = {case_id: ws.cases.details(case_id).version for case_id in cases.values()}
    calls = []

    def progress(done, total, message):
        calls.append((done, total))
        return done == 0  # 取消 once the first batch is done

    with pytest.raises(Cancelled, match="2027 年节假日安排未录入，所有案件的期限均未改动"):
        ws.calendar.import_year(YEAR_2027, source=SOURCE, progress=progress)
    assert calls == [(0, 2), (2, 2)]
    assert ws.calendar.entered_years() == [] and ws.procedure.open_deadlines() == before
    assert {case_id: ws.cases.details(case_id).version for case_id in cases.values()} == versions
    assert calendar_entries(ws) == []  # nothing entered, nothing audited as entered
    assert ws.procedure.deadlines_behind().changed_cases == 0


def test_a_failure_during_the_recomputation_keeps_nothing(office, monkeypatch):
    ws, _ = office

    def broken(self, s, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ProcedureService, "recompute", broken)
    with pytest.raises(RuntimeError):
        ws.calendar.import_year(YEAR_2027, source=SOURCE)
    assert ws.calendar.entered_years() == [] and provisional(ws) == ["report"]


def test_recompute_all_is_one_audited_unit_answered_in_counts(office):
    ws, _ = office
    result = ws.procedure.recompute_all()
    assert (result.cases, result.changed_cases, result.provisional) == (2, 0, 1)
    assert "没有期限发生变化" in result.describe() and "仍有 1 个期限为暂定" in result.describe()
