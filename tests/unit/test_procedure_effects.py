"""Aggravation (从重) for repeat accountability, after-effects as restrictions, deadlines kept up to date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.unit.procedure_helpers import PAPER, SIGNED, full_data, new_case, walk
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.services import Workspace

YEAR_2027 = 'year = 2027\nholidays = ["2027-01-01", "2027-02-06..2027-02-12"]\nworkdays = ["2027-02-14"]\n'


@pytest.fixture
def ws(ctx):
    return Workspace(ctx)


def decided_case(ws, profile="jt2019", start=date(2026, 3, 2), **respondent) -> str:
    case_id = new_case(ws, profile, received=start, **respondent)
    walk(ws, case_id, until="decided", start=start)
    return case_id


def test_jt2019_admonition_bars_promotion_for_six_months(ws):
    profile = load_profile("jt2019")
    case_id = new_case(ws, "jt2019", name="王五", id_number="320482198001011234")
    walk(ws, case_id, until="reported")
    on = date(2026, 4, 15)
    ws.procedure.perform(case_id, "decide", on=on, **{**full_data(profile, on), "forms": ["诫勉"]},
                         harsher_reason="另查明新事实")
    rows = ws.procedure.restrictions(id_number="320482198001011234")
    by_kind = {r.kind: r for r in rows}
    assert by_kind["no_promotion"].ends_on == date(2026, 10, 15)
    assert by_kind["no_promotion"].article.startswith("第十九条")
    assert by_kind["no_excellent_rating"].ends_on == date(2026, 12, 31)
    assert ws.procedure.restrictions(name="王五", active_on=date(2026, 11, 1))  # the year's rating still barred
    assert {r.kind for r in ws.procedure.restrictions(name="王五", active_on=date(2026, 11, 1))} \
        == {"no_excellent_rating", "no_commendation"}
    assert ws.procedure.restrictions(name="王五", active_on=date(2027, 1, 1)) == []


def test_wf2011_dismissal_bars_equivalent_post_one_year_promotion_three(ws):
    profile = load_profile("wf2011")
    case_id = new_case(ws, "wf2011", name="赵六")
    walk(ws, case_id, until="defence_heard")
    on = date(2026, 5, 6)
    ws.procedure.perform(case_id, "decide", on=on, **{**full_data(profile, on), "forms": ["免职"],
                                                       "harsher_reason": "事故造成人员伤亡"})
    ends = {r.kind: r.ends_on for r in ws.procedure.restrictions(name="赵六")}
    assert ends == {"no_equivalent_post": date(2027, 5, 6), "no_promotion": date(2029, 5, 6)}


def test_repeat_within_twelve_months_is_flagged_aggravating(ws):
    first = decided_case(ws, start=date(2026, 1, 5), name="张三", unit="某镇政府")
    first_on = ws.procedure.history(first)[-1].on
    second = new_case(ws, "jt2019", received=date(2026, 6, 1), name="张三", unit="某镇政府")
    namesake = new_case(ws, "jt2019", received=date(2026, 6, 1), name="张三", unit="另一单位")
    flags = ws.procedure.aggravations(second, on=date(2026, 6, 10))
    assert [(f.name, f.prior_on, f.binding) for f in flags] == [("张三", first_on, True)]
    assert flags[0].article == "第十一条（五）" and "从重" in flags[0].message
    assert ws.procedure.aggravations(namesake, on=date(2026, 6, 10)) == []  # same name, other unit
    assert ws.procedure.aggravations(second, on=date(2027, 3, 1)) == []     # more than 12 months later

    walk(ws, second, until="decided", start=date(2026, 6, 1))
    recorded = ws.procedure.history(second)[-1].get("aggravation")
    assert recorded and recorded[0]["binding"] and recorded[0]["prior_case"].startswith("jt2019-2026-")


def test_repeat_flag_in_a_profile_without_the_rule_is_only_advisory(ws):
    decided_case(ws, "gz2009", start=date(2026, 1, 5), name="李四", id_number="440101197001011111")
    second = new_case(ws, "gz2009", received=date(2026, 5, 1), name="李四", id_number="440101197001011111",
                      unit="调任后的新单位")
    [flag] = ws.procedure.aggravations(second, on=date(2026, 5, 10))
    assert not flag.binding and flag.article == "" and "供决定时参考" in flag.message


def test_deadlines_follow_an_amended_date(ws):
    case_id = new_case(ws, "gz2009")
    ws.procedure.perform(case_id, "preliminary_check", on=date(2026, 9, 20))
    event_id = ws.procedure.perform(case_id, "file_case", on=date(2026, 9, 25), approved_by="书记", paper_ref=PAPER)
    notice = {d.rule_id: d for d in ws.procedure.deadlines(case_id)}["notice"]
    assert notice.due == date(2026, 9, 30)
    ws.procedure.amend(case_id, event_id, on=date(2026, 9, 28), reason="立项日期录错")
    notice = {d.rule_id: d for d in ws.procedure.deadlines(case_id)}["notice"]
    assert notice.due == date(2026, 10, 8)
    assert [d.due for d in ws.procedure.overdue(today=date(2026, 10, 9)) if d.rule_id == "notice"] \
        == [date(2026, 10, 8)]


def test_overdue_and_due_soon_across_the_workspace(ws):
    late = new_case(ws, "gz2009", name="甲")
    walk(ws, late, until="filed", start=date(2026, 9, 1))
    soon = new_case(ws, "gz2009", name="乙")
    walk(ws, soon, until="filed", start=date(2026, 11, 18))
    today = date(2026, 11, 20)
    overdue = ws.procedure.overdue(today=today)
    assert {d.case_id for d in overdue} == {late}
    due_soon = ws.procedure.due_soon(7, today=today)
    assert {(d.case_id, d.rule_id) for d in due_soon} == {(soon, "notice")}
    ws.procedure.perform(late, "assign_investigators", on=today, staff=["甲员", "乙员"])
    ws.procedure.perform(late, "declare_interest", on=today, staff=["甲员", "乙员"], interest=False)
    ws.procedure.perform(late, "serve_notice", on=today, delay_reason="被调查人外出学习")  # overdue: says why
    assert "notice" not in {d.rule_id for d in ws.procedure.overdue(today=today) if d.case_id == late}


def test_deadline_crossing_into_2027_is_provisional_until_the_year_is_entered(ws, tmp_path: Path):
    case_id = new_case(ws, "gz2009")
    ws.procedure.perform(case_id, "preliminary_check", on=date(2026, 12, 18))
    ws.procedure.perform(case_id, "file_case", on=date(2026, 12, 20), approved_by="书记", paper_ref=PAPER)
    report = {d.rule_id: d for d in ws.procedure.deadlines(case_id)}["report"]
    assert report.provisional and report.unknown_years == (2027,) and report.due == date(2027, 1, 29)
    stored = [d for d in ws.procedure.open_deadlines() if d.rule_id == "report"]
    assert stored[0].provisional

    ws.calendar.import_year(YEAR_2027, source="国办发明电〔2026〕X号")
    report = {d.rule_id: d for d in ws.procedure.deadlines(case_id)}["report"]
    assert not report.provisional and report.due == date(2027, 2, 1)
    stored = [d for d in ws.procedure.open_deadlines() if d.rule_id == "report"]
    assert not stored[0].provisional and stored[0].due == date(2027, 2, 1)  # recomputed on import


def test_withdrawn_case_has_no_open_deadlines(ws):
    case_id = new_case(ws, "gz2009")
    walk(ws, case_id, until="filed", start=date(2026, 9, 1))
    assert ws.procedure.open_deadlines()
    ws.procedure.perform(case_id, "withdraw", on=date(2026, 9, 10), reason="问责事项已不存在", **SIGNED)
    assert ws.procedure.open_deadlines() == []
    assert all(d.moot for d in ws.procedure.deadlines(case_id))


def test_ccp2016_one_month_only_for_organisational_adjustment(ws):
    profile = load_profile("ccp2016")
    light = new_case(ws, "ccp2016", name="甲")
    heavy = new_case(ws, "ccp2016", name="乙")
    for case_id, form in ((light, "诫勉"), (heavy, "组织调整或者组织处理")):
        walk(ws, case_id, until="reported")
        on = date(2026, 4, 30)
        ws.procedure.perform(case_id, "decide", on=on, **{**full_data(profile, on), "forms": [form]})
    assert ws.procedure.deadlines(light) == []
    [month] = ws.procedure.deadlines(heavy)
    assert month.due == date(2026, 6, 1) and month.article == "第九条第一款"  # May 30 is a Saturday
