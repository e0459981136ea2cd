"""A step recorded after its deadline says why (逾期原因): the engine asks for it, the registry records and shows it."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.procedure_helpers import PAPER, new_case
from wenze_desktop.cli_records import changes_of
from wenze_desktop.errors import ProcedureRefused
from wenze_desktop.procedure import citations as c
from wenze_desktop.procedure import engine, fields, guards
from wenze_desktop.procedure.deadlines import compute
from wenze_desktop.procedure.view import CaseView, EventView
from wenze_desktop.rules.calendar import WorkCalendar
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.services import Workspace

GZ = load_profile("gz2009")  # 送达调查通知 within 3 working days of 立项 (第二十一条第一款)
CALENDAR = WorkCalendar()
FILED = date(2026, 6, 1)  # a Monday: the notice is due on Thursday 4 June


def filed_case() -> CaseView:
    """A gz2009 case filed on FILED with its investigators declared: 送达调查通知 is next."""
    events = (EventView("e1", 1, "preliminary_check", FILED, step_after="checked"),
              EventView("e2", 2, "file_case", FILED, data={"approved_by": "书记"}, step_after="filed"),
              EventView("e3", 3, "assign_investigators", FILED, data={"staff": ["甲", "乙"]},
                        step_after="investigating"),
              EventView("e4", 4, "declare_interest", FILED, data={"staff": ["甲", "乙"], "interest": False}))
    return CaseView("c1", "测试〔2026〕1号", "gz2009", "investigating", events=events)


def test_the_notice_deadline_of_the_case():
    notice = next(d for d in compute(GZ, filed_case(), CALENDAR) if d.rule_id == "notice")
    assert notice.action == "serve_notice" and notice.due == date(2026, 6, 4) and notice.open


def test_a_late_step_is_refused_without_a_reason_and_recorded_with_one():
    case = filed_case()
    with pytest.raises(ProcedureRefused) as refused:
        engine.evaluate(GZ, case, "serve_notice", date(2026, 6, 9), {"method": "直接送达"}, CALENDAR)
    error = refused.value
    assert "「送达调查通知」的期限（2026-06-04 到期），逾期 5 天" in error.message
    assert "请写明逾期原因" in error.message
    assert error.article == "" and error.reading  # the texts set the deadline, not a rule on late reasons
    recorded = engine.evaluate(GZ, case, "serve_notice", date(2026, 6, 9),
                               {"method": "直接送达", "delay_reason": "被调查人外出学习"}, CALENDAR)
    assert recorded.action == "serve_notice" and recorded.to == "notified"


def test_on_time_or_on_the_due_day_needs_no_reason():
    case = filed_case()
    for on in (date(2026, 6, 2), date(2026, 6, 4)):
        assert engine.evaluate(GZ, case, "serve_notice", on, {}, CALENDAR).action == "serve_notice"


def test_a_blank_reason_is_no_reason_and_availability_asks_nothing():
    case = filed_case()
    with pytest.raises(ProcedureRefused, match="逾期原因"):
        engine.evaluate(GZ, case, "serve_notice", date(2026, 6, 9), {"delay_reason": "  "}, CALENDAR)
    options = {o.id: o for o in engine.available(GZ, case, CALENDAR, date(2026, 6, 30))}
    assert options["serve_notice"].enabled  # the form asks for the reason; the button is not greyed


def test_the_regulations_rules_come_before_the_late_reason():
    """A late step that breaks a rule of the regulation hears of that rule first."""
    events = filed_case().events[:3]  # investigators not yet declared
    case = CaseView("c1", "测试〔2026〕1号", "gz2009", "investigating", events=events)
    with pytest.raises(ProcedureRefused, match="利害关系声明"):
        engine.evaluate(GZ, case, "serve_notice", date(2026, 6, 30), {}, CALENDAR)


def test_the_rule_is_a_reading_and_the_walk_reaches_it():
    assert c.LATE_REASON.what == "逾期办理须写明原因" and not c.LATE_REASON.words
    transition = next(t for t in GZ.transitions if t.action == "serve_notice")
    refusal = guards.late_reason(filed_case(), guards.Proposal(GZ, transition, date(2026, 6, 30), {}, CALENDAR))
    assert refusal is not None and refusal.rule is c.LATE_REASON and refusal.is_reading


def test_the_field_is_registered_once_for_the_actions_that_meet_deadlines():
    spec = fields.spec("serve_notice", "delay_reason")
    assert spec is fields.DELAY_REASON and spec.label == "逾期原因" and spec.need is fields.Need.OPTIONAL
    for action in {rule.action for rule in GZ.deadlines}:
        assert "delay_reason" in fields.stored_keys(action), action
    assert "delay_reason" not in fields.stored_keys("file_case")  # no profile sets a deadline for 立项
    assert fields.record_text("serve_notice", {"method": "直接送达", "delay_reason": "被调查人外出学习。"}) == \
        "送达方式：直接送达；逾期原因：被调查人外出学习"
    assert changes_of("serve_notice", [("逾期原因", "被调查人外出学习")], []) == {"delay_reason": "被调查人外出学习"}


@pytest.fixture
def ws(ctx):
    return Workspace(ctx)


def filed(ws) -> str:
    case_id = new_case(ws, received=date(2026, 5, 28))
    p = ws.procedure
    p.perform(case_id, "preliminary_check", on=FILED)
    p.perform(case_id, "file_case", on=FILED, approved_by="书记", paper_ref=PAPER)
    p.perform(case_id, "assign_investigators", on=FILED, staff=["甲", "乙"])
    p.perform(case_id, "declare_interest", on=FILED, staff=["甲", "乙"], interest=False)
    return case_id


def test_the_service_records_the_reason_and_the_history_shows_it(ws):
    case_id = filed(ws)
    with pytest.raises(ProcedureRefused, match="逾期 5 天"):
        ws.procedure.perform(case_id, "serve_notice", on=date(2026, 6, 9))
    assert ws.procedure.view(case_id).step == "investigating"  # nothing recorded
    ws.procedure.perform(case_id, "serve_notice", on=date(2026, 6, 9), delay_reason="被调查人外出学习")
    event = ws.procedure.view(case_id).last("serve_notice")
    assert event.get("delay_reason") == "被调查人外出学习"
    assert "逾期原因：被调查人外出学习" in fields.record_text(event.action, event.data, GZ)


def test_a_correction_that_makes_a_step_late_asks_for_the_reason(ws):
    case_id = filed(ws)
    event_id = ws.procedure.perform(case_id, "serve_notice", on=date(2026, 6, 3))
    with pytest.raises(ProcedureRefused, match="请写明逾期原因"):
        ws.procedure.amend(case_id, event_id, on=date(2026, 6, 8), reason="送达日期录错")
    ws.procedure.amend(case_id, event_id, on=date(2026, 6, 8), reason="送达日期录错",
                       data={"delay_reason": "被调查人住院治疗"})
    event = ws.procedure.view(case_id).last("serve_notice")
    assert event.on == date(2026, 6, 8) and event.get("delay_reason") == "被调查人住院治疗"
