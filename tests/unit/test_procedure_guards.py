"""Each guard refuses with its article, then lets the action through once the rule is satisfied."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.procedure_helpers import MEETING_ATTENDEES, PAPER, SIGNED, full_data, new_case, walk
from wenze_desktop.errors import PermissionDenied, ProcedureRefused, ValidationError
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.rules.texts import load_text
from wenze_desktop.services import Workspace
from wenze_desktop.services.accounts import AccountService

GZ = load_profile("gz2009")
WF = load_profile("wf2011")
D = date(2026, 6, 1)


@pytest.fixture
def ws(ctx):
    return Workspace(ctx)


def refused(ws, case_id, action, on=D, **data) -> ProcedureRefused:
    with pytest.raises(ProcedureRefused) as caught:
        ws.procedure.perform(case_id, action, on=on, **data)
    return caught.value


def meeting(dissenting=(), attendees=MEETING_ATTENDEES, on=D):
    return {"date": on.isoformat(), "attendees": list(attendees), "dissenting": list(dissenting)}


def test_action_out_of_order_names_where_it_belongs(ws):
    case_id = new_case(ws)
    error = refused(ws, case_id, "decide", **full_data(GZ, D))
    assert "问责线索" in error.message and "调查报告" in error.message
    assert error.article == "第二十四条第一款"


def test_unknown_action_is_a_validation_error(ws):
    with pytest.raises(ValidationError):
        ws.procedure.perform(new_case(ws), "shred_evidence", on=D)


def test_filing_needs_approval(ws):
    case_id = new_case(ws)
    ws.procedure.perform(case_id, "preliminary_check", on=D)
    error = refused(ws, case_id, "file_case")
    assert error.article == "第十九条" and "市委或市政府主要领导" in error.message
    ws.procedure.perform(case_id, "file_case", on=D, approved_by="市委书记", paper_ref=PAPER)


def test_wf2011_needs_two_investigators(ws):
    case_id = new_case(ws, "wf2011")
    error = refused(ws, case_id, "assign_investigators", staff=["调查员甲"])
    assert error.article.startswith("第八条") and "至少 2 名" in error.message
    ws.procedure.perform(case_id, "assign_investigators", on=D, staff=["调查员甲", "调查员乙"])
    assert ws.cases.get_case(case_id).step == "investigating"


def test_no_investigation_until_everyone_declared_and_recusals_decided(ws):
    case_id = new_case(ws)
    walk(ws, case_id, until="investigating")
    p = ws.procedure
    error = refused(ws, case_id, "serve_notice")
    assert "尚未作出利害关系声明" in error.message and error.article == "" and error.reading  # the program's way
    blocked = {a.id: a for a in p.actions(case_id, today=D)}["serve_notice"]
    assert not blocked.enabled and blocked.refusal.is_reading

    p.perform(case_id, "declare_interest", on=D, staff="调查员甲", interest=False)
    p.perform(case_id, "declare_interest", on=D, staff="调查员乙", interest=True, note="系被调查人的表弟")
    assert "利害关系" in refused(ws, case_id, "serve_notice").message
    p.perform(case_id, "decide_recusal", on=D, staff="调查员乙", granted=True, replacement="调查员丙", **SIGNED)
    assert "调查员丙" in refused(ws, case_id, "serve_notice").message  # the replacement has not declared
    p.perform(case_id, "declare_interest", on=D, staff="调查员丙", interest=False)

    assert "不是本案的调查人员" in refused(ws, case_id, "apply_recusal", staff="局外人", reason="怀疑").message
    p.perform(case_id, "apply_recusal", on=D, staff="调查员甲", reason="曾与被调查人共事")
    assert "尚未作出决定" in refused(ws, case_id, "serve_notice").message
    p.perform(case_id, "decide_recusal", on=D, staff="调查员甲", granted=False, reason="共事不构成利害关系", **SIGNED)
    p.perform(case_id, "serve_notice", on=D, delay_reason="回避事项未决")  # D is long after the notice was due
    assert ws.cases.get_case(case_id).step == "notified"


def test_decide_recusal_needs_something_to_decide(ws):
    case_id = new_case(ws)
    walk(ws, case_id, until="notified")
    assert "没有待决定" in refused(ws, case_id, "decide_recusal", staff="调查员甲").message


def test_wf2011_recusal_leaving_one_investigator_blocks_the_report(ws):
    case_id = new_case(ws, "wf2011")
    ws.procedure.perform(case_id, "assign_investigators", on=D, staff=["调查员甲", "调查员乙"])
    ws.procedure.perform(case_id, "declare_interest", on=D, staff=["调查员甲", "调查员乙"], interest=False)
    ws.procedure.perform(case_id, "apply_recusal", on=D, staff="调查员乙", reason="利害关系")
    ws.procedure.perform(case_id, "decide_recusal", on=D, staff="调查员乙", granted=True, **SIGNED)
    data = full_data(WF, D, action="submit_report")
    assert "至少 2 名" in refused(ws, case_id, "submit_report", **data).message


def test_no_decision_before_defence_recorded_or_waived(ws):
    case_id = new_case(ws)
    walk(ws, case_id, until="filed")
    error = refused(ws, case_id, "decide", **full_data(GZ, D))  # the direct path
    assert error.article == GZ.procedure.defence_article and "陈述和申辩" in error.message
    assert "申辩" in load_text("gz2009").words(error.article)
    ws.procedure.perform(case_id, "waive_defence", on=D, text="本人放弃陈述申辩。")
    ws.procedure.perform(case_id, "decide", on=D, **full_data(GZ, D))


def test_waiver_must_be_express(ws):
    case_id = new_case(ws)
    walk(ws, case_id, until="findings_informed")
    assert "明确表示" in refused(ws, case_id, "waive_defence").message


def test_report_needs_conclusion_and_recommendation(ws):
    case_id = new_case(ws)
    walk(ws, case_id, until="defence_heard")
    assert "基本结论" in refused(ws, case_id, "submit_report").message
    error = refused(ws, case_id, "submit_report", conclusion="属实", accountable=True)
    assert "建议采用的问责方式" in error.message and error.article == "第二十三条第三款"
    assert "不是本规定" in refused(ws, case_id, "submit_report", conclusion="属实", accountable=True,
                                   recommended_forms=["开除党籍"]).message
    ws.procedure.perform(case_id, "submit_report", on=D, conclusion="属实", accountable=True,
                         recommended_forms=["通报批评"], delay_reason="调查取证耗时较长")  # D is past the due date


@pytest.fixture
def reported(ws):
    case_id = new_case(ws)
    walk(ws, case_id, until="reported")
    return case_id


def test_decision_records_the_collective_meeting(ws, reported):
    data = full_data(GZ, D)
    error = refused(ws, reported, "decide", **{**data, "meeting": None})
    assert error.article == "第二十四条第一款" and "集体讨论" in error.message
    assert "出席" in refused(ws, reported, "decide", **{**data, "meeting": meeting(attendees=[])}).message
    no_dissent_key = {"date": D.isoformat(), "attendees": MEETING_ATTENDEES}
    assert "不同意见" in refused(ws, reported, "decide", **{**data, "meeting": no_dissent_key}).message
    assert "不在出席人员" in refused(ws, reported, "decide", **{**data, "meeting": meeting(["外人"])}).message
    late = meeting(on=date(2026, 7, 1))
    assert "不能晚于" in refused(ws, reported, "decide", **{**data, "meeting": late}).message
    ws.procedure.perform(reported, "decide", on=D, **{**data, "meeting": meeting(["委员丙"])})
    stored = ws.procedure.history(reported)[-1]
    assert stored.get("meeting")["dissenting"] == ["委员丙"]


def test_decision_uses_only_forms_of_its_profile_for_the_right_kind(ws, reported):
    data = full_data(GZ, D)
    error = refused(ws, reported, "decide", **{**data, "forms": ["记大过"]})
    assert "不是《" in error.message and error.article == "第十四条"
    assert "须写明问责方式" in refused(ws, reported, "decide", **{**data, "forms": []}).message
    unit_case = new_case(ws, "wf2011", kind="unit", name="某某中学")
    walk(ws, unit_case, until="defence_heard", kind="unit")
    person_only = next(f for f in WF.forms if f.applies_to == ("person",))
    error = refused(ws, unit_case, "decide", **{**full_data(WF, D, "unit"), "forms": [person_only.name]})
    # wf2011 does not tie its forms to persons or units: the program's reading, and it says so
    assert "不适用于单位" in error.message and error.article == "" and error.reading


def test_member_who_objected_is_not_held_accountable(ws):
    case_id = new_case(ws, name="委员丙")
    walk(ws, case_id, until="reported")
    error = refused(ws, case_id, "decide", **{**full_data(GZ, D), "meeting": meeting(["委员丙"])})
    assert error.article == "第三条第二款" and "反对意见" in error.message


def test_harsher_than_recommended_is_allowed_and_noted_where_the_text_is_silent(ws, reported):
    """gz2009 has no sentence against a harsher outcome after the defence: allowed, and the record says so."""
    recommended = ws.procedure.history(reported)[-1].get("recommended_forms")
    assert recommended == ["诫勉谈话"]
    ws.procedure.perform(reported, "decide", on=D, **{**full_data(GZ, D), "forms": ["免职或建议免职"]})
    note = ws.procedure.history(reported)[-1].get("harsher_than_report")
    assert "免职或建议免职" in note and "诫勉谈话" in note


def test_wf2011_harsher_after_defence_needs_a_reason_citing_article_eleven(ws):
    case_id = new_case(ws, "wf2011")
    walk(ws, case_id, until="defence_heard")
    heaviest = WF.forms[-2].name if WF.forms[-1].name.startswith("其他") else WF.forms[-1].name
    error = refused(ws, case_id, "decide", **{**full_data(WF, D), "forms": [heaviest]})
    assert error.article == "第十一条" and "不得因其申辩而加重" in error.message
    assert "不得因被问责当事人申辩而从重问责" in load_text("wf2011").words(error.article)
    ws.procedure.perform(case_id, "decide", on=D, **{**full_data(WF, D), "forms": [heaviest]},
                         harsher_reason="事故造成人员伤亡")
    assert heaviest in ws.procedure.history(case_id)[-1].get("harsher_than_report")


def test_decision_document_elements_must_be_present_before_service(ws, reported):
    data = full_data(GZ, D)
    for key in ("evidence", "responsibility", "basis"):
        data.pop(key)
    ws.procedure.perform(reported, "decide", on=D, **data)
    error = refused(ws, reported, "serve_decision")
    assert error.article == "第二十五条（二）、第二十五条（三）、第二十五条（四）"  # each where listed
    for label in ("存在问责情形的证据", "责任的认定", "问责的依据"):
        assert label in error.message
    assert ws.procedure.missing_decision_elements(reported) == ["存在问责情形的证据", "责任的认定", "问责的依据"]
    decision = ws.procedure.history(reported)[-1]
    ws.procedure.amend(reported, decision.id, reason="补录决定书内容",
                       data={"evidence": "会议记录", "responsibility": "主要领导责任", "basis": "第九条（一）"})
    ws.procedure.perform(reported, "serve_decision", on=D)


def test_wf2011_appeal_only_within_15_working_days(ws):
    case_id = new_case(ws, "wf2011")
    walk(ws, case_id, until="served", start=date(2026, 9, 1))
    served = ws.procedure.history(case_id)[-1].on
    window = ws.procedure.appeal_window(case_id)
    assert window.due == ws.calendar.calendar().add_working_days(served, 15).due
    error = refused(ws, case_id, "lodge_appeal", on=date.fromordinal(window.due.toordinal() + 1),
                    reason="不服（向问责决定机构申诉）")
    assert error.article == WF.appeal.window_article and "15个工作日" in error.message
    ws.procedure.perform(case_id, "lodge_appeal", on=window.due, reason="不服（向问责决定机构申诉）")


def test_review_outcome_is_uphold_change_or_revoke(ws):
    case_id = new_case(ws)
    walk(ws, case_id, until="served")
    on = ws.procedure.history(case_id)[-1].on
    ws.procedure.perform(case_id, "lodge_appeal", on=on, review_kind="复核", reason="不服")
    error = refused(ws, case_id, "decide_appeal", on=on, outcome="驳回")
    assert error.article == "第二十九条" and "维持、变更、撤销" in error.message
    assert "变更后的问责方式" in refused(ws, case_id, "decide_appeal", on=on, outcome="modify").message
    ws.procedure.perform(case_id, "decide_appeal", on=on, outcome="modify", forms=["责令作出书面检查"], **SIGNED)
    restrictions = ws.procedure.restrictions(name="张三")
    assert {r.form_name for r in restrictions} == {"责令作出书面检查"}  # the old form's effects were lifted


def test_revoked_decision_lifts_restrictions_and_needs_no_execution(ws):
    case_id = new_case(ws)
    walk(ws, case_id, until="served")
    on = ws.procedure.history(case_id)[-1].on
    assert ws.procedure.restrictions(name="张三")
    ws.procedure.perform(case_id, "lodge_appeal", on=on, review_kind="复查", reason="不服")
    ws.procedure.perform(case_id, "decide_appeal", on=on, outcome="revoke", reason="事实不清", **SIGNED)
    assert ws.procedure.restrictions(name="张三") == []
    ws.procedure.perform(case_id, "archive", on=on)


def test_gz2009_execution_may_pause_during_appeal_wf2011_does_not(ws):
    case_id = new_case(ws)
    walk(ws, case_id, until="served")
    on = ws.procedure.history(case_id)[-1].on
    ws.procedure.perform(case_id, "lodge_appeal", on=on, review_kind="复核", reason="不服", pause_execution=True)
    error = refused(ws, case_id, "report_execution", on=on)
    assert error.article == "第二十八条第二款" and "暂缓执行" in error.message

    wf_case = new_case(ws, "wf2011", name="李四")
    walk(ws, wf_case, until="served")
    on = ws.procedure.history(wf_case)[-1].on
    ws.procedure.perform(wf_case, "lodge_appeal", on=on, reason="不服",
                         pause_execution=True)
    ws.procedure.perform(wf_case, "report_execution", on=on, summary="已执行")  # 第十四条: not paused


def test_archive_needs_every_record_of_the_path(ws):
    case_id = new_case(ws)
    walk(ws, case_id, until="served")
    on = ws.procedure.history(case_id)[-1].on
    ws.procedure.perform(case_id, "lodge_appeal", on=on, review_kind="复核", reason="不服")
    ws.procedure.perform(case_id, "decide_appeal", on=on, outcome="uphold", **SIGNED)
    error = refused(ws, case_id, "archive", on=on)
    # gz2009 第三十条第二款 is about the personnel file, not the case file: what archiving needs is a reading
    assert error.article == "" and error.reading and "执行情况报告" in error.message
    ws.procedure.perform(case_id, "report_execution", on=on)
    ws.procedure.perform(case_id, "archive", on=on)


def test_wf2011_extension_capped_at_30_working_days_in_total(ws):
    case_id = new_case(ws, "wf2011")
    ws.procedure.perform(case_id, "assign_investigators", on=date(2026, 9, 1), staff=["调查员甲", "调查员乙"])
    [investigation] = ws.procedure.deadlines(case_id)
    assert investigation.due == date(2026, 9, 15)
    args = dict(deadline=investigation.rule_id, approver="局长", reason="事故复杂")
    assert "批准人" in refused(ws, case_id, "extend_deadline", on=date(2026, 9, 10),
                               **{**args, "approver": ""}, working_days=5).message
    error = refused(ws, case_id, "extend_deadline", on=date(2026, 9, 10), **args, working_days=21)
    assert "30个工作日" in error.message and error.article.startswith("第十条")
    ws.procedure.perform(case_id, "extend_deadline", on=date(2026, 9, 10), **args, working_days=20, paper_ref=PAPER)
    [investigation] = ws.procedure.deadlines(case_id)
    assert investigation.extended == 1
    assert investigation.due == ws.calendar.calendar().add_working_days(date(2026, 9, 1), 30).due
    assert "30个工作日" in refused(ws, case_id, "extend_deadline", on=date(2026, 9, 11), **args, working_days=1).message


def test_permission_is_checked_separately_from_guards(ws, ctx):
    """A handler records decisions (naming who decided); a leader may too; an account with no case duties may not,
    and sees why before any form opens."""
    accounts = AccountService(ctx)
    accounts.create_user("clerk", "办事员", ["handler"], "Clerk-密码-2026")
    accounts.create_user("boss", "领导", ["leader"], "Boss-密码-2026")
    case_id, other = new_case(ws), new_case(ws, name="李四")
    walk(ws, case_id, until="reported")
    walk(ws, other, until="reported")
    from wenze_desktop.services.auth import login

    def signed_in(name: str, password: str) -> Workspace:
        return Workspace(login(ctx.workspace.data_dir, name, password))

    with signed_in("clerk", "Clerk-密码-2026") as clerk:
        options = {a.id: a for a in clerk.procedure.actions(case_id, today=D)}
        assert options["decide"].enabled
        clerk.procedure.perform(case_id, "decide", on=D, **full_data(GZ, D))
        recorded = clerk.procedure.history(case_id)[-1]
        assert recorded.recorded_by == "办事员" and recorded.get("organ") == GZ.deciding_organ
    with signed_in("boss", "Boss-密码-2026") as boss:
        boss.procedure.perform(other, "decide", on=D, **full_data(GZ, D))
        # a leader does not record the handling steps
        options = {a.id: a for a in boss.procedure.actions(other, today=D)}
        assert not options["serve_decision"].enabled and "办理案件" in options["serve_decision"].refusal.message
        with pytest.raises(PermissionDenied):
            boss.procedure.perform(other, "serve_decision", on=D)


def test_dates_must_not_go_backwards(ws):
    case_id = new_case(ws)
    ws.procedure.perform(case_id, "preliminary_check", on=date(2026, 4, 10))
    with pytest.raises(ValidationError, match="早于"):
        ws.procedure.perform(case_id, "file_case", on=date(2026, 4, 9), approved_by="书记", paper_ref=PAPER)


def test_refusals_are_audited_as_failures(ws, ctx):
    from sqlalchemy import select

    from wenze_desktop.domain.models import AuditEntry

    case_id = new_case(ws)
    ws.procedure.perform(case_id, "preliminary_check", on=D)
    refused(ws, case_id, "file_case")
    with ctx.workspace.session() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert last.action == "procedure.file_case" and not last.success and "第十九条" in last.new_values
