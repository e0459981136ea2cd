"""The handler's reminder at the first sign-in of the day: own cases overdue or due within three working days of
the workspace calendar (entered holidays included), and "first sign-in of the day" read from the audit log."""

from datetime import date, timedelta

import pytest

from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.unit.procedure_helpers import new_case
from wenze_desktop.domain.models import CaseDeadline
from wenze_desktop.services import Workspace
from wenze_desktop.services.auth import login
from wenze_desktop.services.context import CurrentUser, ServiceContext
from wenze_desktop.services.due_soon import DueSoonService

TODAY = date(2026, 12, 3)  # a Thursday
# An entered arrangement for 2026 with Monday 7 December off: the third working day after the 3rd is then
# Wednesday the 9th (Fri 4, Tue 8, Wed 9), not Tuesday the 8th.
YEAR_2026 = 'year = 2026\nholidays = ["2026-01-01", "2026-12-07"]\nworkdays = []\n'


@pytest.fixture
def ws(ctx):
    return Workspace(ctx)


def add_deadline(ctx, case_id: str, label: str, due: date, *, is_open: bool = True, provisional: bool = False):
    with ctx.workspace.session() as s, s.begin():
        s.add(CaseDeadline(case_id=case_id, rule_id=f"r-{label}", label=label, step="filed", action="investigate",
                           trigger_on=due - timedelta(days=30), due=due, provisional=provisional,
                           unknown_years=[], met_on=None if is_open else due, article="第十条", extended=0,
                           is_open=is_open, updated_at=ctx.clock()))


def test_own_cases_overdue_or_due_within_three_working_days_earliest_first(ws, ctx):
    ws.calendar.import_year(YEAR_2026, "测试")  # before the deadlines: entering a year recomputes them
    mine = new_case(ws, name="孙悟空")
    other = new_case(ws, name="猪八戒")
    wang = ws.accounts.create_user("wang", "王办案", ["handler"], "Wang-密码-2027x")
    ws.cases.update_case(other, handler_id=wang)
    add_deadline(ctx, mine, "调查期限", date(2026, 12, 9))  # the 3rd working day (the 7th is a holiday)
    add_deadline(ctx, mine, "初步核实期限", date(2026, 12, 1))  # overdue
    add_deadline(ctx, mine, "立项期限", TODAY)
    add_deadline(ctx, mine, "告知期限", date(2026, 12, 10), provisional=True)  # the 4th working day: not yet
    add_deadline(ctx, mine, "已完成的期限", date(2026, 12, 2), is_open=False)  # met: not listed
    add_deadline(ctx, other, "别人的期限", date(2026, 12, 4))  # another handler's case

    found = DueSoonService(ctx).mine(TODAY)
    assert found.today == TODAY and found.until == date(2026, 12, 9)
    assert [(i.label, i.due, i.days_left, i.working_days_left, i.overdue) for i in found.items] == [
        ("初步核实期限", date(2026, 12, 1), -2, -2, True),  # overdue by two days, both working days
        ("立项期限", TODAY, 0, 0, False),
        ("调查期限", date(2026, 12, 9), 6, 3, False)]
    assert found.overdue == 1
    first = found.items[0]
    assert first.case_id == mine and first.case_title == "关于孙悟空的问责案" and first.case_number

    # the other handler sees only their own case
    theirs = ServiceContext(ctx.workspace, CurrentUser(wang, "wang", "王办案", ("handler",)), ctx.clock)
    assert [i.label for i in DueSoonService(theirs).mine(TODAY).items] == ["别人的期限"]


def test_without_the_entered_holiday_the_window_ends_a_day_earlier(ws, ctx):
    case_id = new_case(ws, name="沙悟净")
    add_deadline(ctx, case_id, "调查期限", date(2026, 12, 9))
    found = DueSoonService(ctx).mine(TODAY)
    assert found.until == date(2026, 12, 8) and found.items == ()  # the library's 2026: the 7th is a Monday


def test_a_user_who_may_not_read_cases_gets_nothing_and_no_refusal_is_audited(ws, ctx):
    case_id = new_case(ws, name="白骨精")
    add_deadline(ctx, case_id, "调查期限", TODAY)
    auditor = ServiceContext(ctx.workspace, CurrentUser(ctx.user.id, "audit", "审计员", ("security_auditor",)),
                             ctx.clock)
    assert DueSoonService(auditor).mine(TODAY).items == ()
    with ctx.workspace.session() as s:
        refused = s.connection().exec_driver_sql("SELECT count(*) FROM audit_entry WHERE NOT success").scalar()
    assert refused == 0


def test_first_sign_in_of_the_day_is_read_from_the_audit_log(workspace, data_dir, clock):
    ctx = workspace[0]
    ws = Workspace(ctx)
    case_id = new_case(ws, name="牛魔王")
    today = clock().astimezone().date()
    add_deadline(ctx, case_id, "调查期限", today - timedelta(days=1))
    ctx.workspace.close()

    first = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        service = DueSoonService(first)
        assert service.first_sign_in_today()
        shown = service.at_sign_in()
        assert shown is not None and [i.label for i in shown.items] == ["调查期限"] and shown.items[0].overdue
    finally:
        first.workspace.close()

    clock.advance(hours=1)  # signing in again the same day: no reminder
    again = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        assert not DueSoonService(again).first_sign_in_today() and DueSoonService(again).at_sign_in() is None
    finally:
        again.workspace.close()

    clock.advance(days=1)  # the next day: shown again
    tomorrow = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        assert DueSoonService(tomorrow).at_sign_in() is not None
        other = ServiceContext(tomorrow.workspace, CurrentUser("someone-else", "li", "李", ("handler",)), clock)
        assert DueSoonService(other).first_sign_in_today()  # per user: another's sign-ins do not count
        assert DueSoonService(other).at_sign_in() is None  # … and they have nothing due
    finally:
        tomorrow.workspace.close()
