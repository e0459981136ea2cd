"""Corrections and withdrawals of recorded actions: a reason, the old version kept, the guards again, and
everything that follows from a decision moving with it (影响期, 从重 dates, the decision's stored data)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from tests.unit.procedure_helpers import PAPER, SIGNED, full_data, new_case, walk
from wenze_desktop.domain.models import AuditEntry
from wenze_desktop.errors import ProcedureRefused, ValidationError
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.services import Workspace

GZ = load_profile("gz2009")
WF = load_profile("wf2011")  # 免职 bars an equivalent post for 1 year and promotion for 3; 通报批评 neither
D = date(2026, 4, 15)


@pytest.fixture
def ws(ctx):
    return Workspace(ctx)


def decided(ws, name="王五", forms=("免职",), profile=WF) -> tuple[str, str]:
    case_id = new_case(ws, profile.id, name=name, id_number="320482198001011234")
    walk(ws, case_id, until="defence_heard")
    event_id = ws.procedure.perform(case_id, "decide", on=D, **{**full_data(profile, D), "forms": list(forms)},
                                    harsher_reason="另查明新事实")
    return case_id, event_id


def restrictions(ws) -> dict[str, tuple[date, date]]:
    return {r.kind: (r.starts_on, r.ends_on) for r in ws.procedure.restrictions(id_number="320482198001011234")}


def test_correcting_a_decisions_date_moves_its_after_effects(ws):
    case_id, event_id = decided(ws)
    before = restrictions(ws)
    assert before and all(start == D for start, _ in before.values())
    ws.procedure.amend(case_id, event_id, on=date(2026, 4, 20), reason="决定日期录错，应为会议当日",
                       data={"meeting": {**full_data(WF, D)["meeting"], "date": "2026-04-20"}})
    after = restrictions(ws)
    assert set(after) == set(before)
    for kind, (start, end) in after.items():
        assert start == date(2026, 4, 20) and end > before[kind][1], kind
    # the prior decision 从重 counts from is the corrected one
    again = new_case(ws, "wf2011", name="王五", id_number="320482198001011234")
    assert [a.prior_on for a in ws.procedure.aggravations(again, on=date(2026, 6, 1))] == [date(2026, 4, 20)]


def test_correcting_a_decisions_form_replaces_which_restrictions_exist(ws):
    case_id, event_id = decided(ws)
    assert {"no_equivalent_post", "no_promotion"} <= set(restrictions(ws))
    ws.procedure.amend(case_id, event_id, reason="问责方式录错", data=dict(forms=["通报批评"]))
    assert not {"no_equivalent_post", "no_promotion"} & set(restrictions(ws))
    event = ws.procedure.view(case_id).last("decide")
    assert event.get("forms") == ["通报批评"] and [h["form"] for h in event.get("held")] == ["通报批评"]
    assert event.revisions[0]["data"]["forms"] == ["免职"] and event.revisions[0]["reason"] == "问责方式录错"


def test_a_correction_runs_the_guards_again(ws):
    case_id = new_case(ws, "wf2011")
    walk(ws, case_id, until="investigating")
    team = ws.procedure.view(case_id).last("assign_investigators")
    with pytest.raises(ProcedureRefused) as refused:
        ws.procedure.amend(case_id, team.id, reason="只有一人", data=dict(staff=["调查员甲"]))
    assert "至少 2 名" in refused.value.message
    assert ws.procedure.view(case_id).last("assign_investigators").get("staff") == ["调查员甲", "调查员乙"]
    # a decision's forms are checked as when it was recorded
    case_id, event_id = decided(ws, name="赵六")
    with pytest.raises(ProcedureRefused) as refused:
        ws.procedure.amend(case_id, event_id, reason="改为开除", data=dict(forms=["开除党籍"]))
    assert "不是" in refused.value.message
    # a correction that breaks a later record says which
    case_id = new_case(ws, name="钱七")
    walk(ws, case_id, until="notified")
    declared = ws.procedure.view(case_id).last("declare_interest")
    with pytest.raises(ProcedureRefused) as refused:
        ws.procedure.amend(case_id, declared.id, reason="声明有误", data=dict(interest=True))
    assert "此后的「送达调查通知」记录不再符合规定" in refused.value.message


def test_a_correction_needs_a_reason_and_a_change_and_is_audited(ws):
    case_id = new_case(ws)
    walk(ws, case_id, until="filed")
    filed = ws.procedure.view(case_id).last("file_case")
    with pytest.raises(ValidationError, match="理由"):
        ws.procedure.amend(case_id, filed.id, reason=" ", data=dict(approved_by="书记"))
    with pytest.raises(ValidationError, match="相同"):
        ws.procedure.amend(case_id, filed.id, reason="核对", data={"approved_by": filed.get("approved_by")})
    with pytest.raises(ValidationError, match="没有这些登记项"):
        ws.procedure.amend(case_id, filed.id, reason="核对", data=dict(approverr="书记"))
    ws.procedure.amend(case_id, filed.id, reason="批准人录错", data=dict(approved_by="市委书记"))
    with ws.ctx.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "procedure.amend")
                          .order_by(AuditEntry.seq.desc())).first()
        old, new = json.loads(entry.old_values), json.loads(entry.new_values)
    assert old["data"]["approved_by"] == "主要领导" and new["reason"] == "批准人录错" and entry.success


def test_an_issued_document_blocks_a_correction_until_voided(ws):
    case_id, event_id = decided(ws)
    issued = ws.documents.issue(case_id, "decision", sealed=False)
    with pytest.raises(ValidationError) as refused:
        ws.procedure.amend(case_id, event_id, reason="方式录错", data=dict(forms=["通报批评"]))
    assert issued.number in str(refused.value) and "作废" in str(refused.value)
    ws.documents.void(issued.id, "决定内容需更正")
    ws.procedure.amend(case_id, event_id, reason="方式录错", data=dict(forms=["通报批评"]))


def test_withdrawing_the_latest_record_returns_the_case_and_keeps_the_record(ws):
    case_id, event_id = decided(ws)
    assert restrictions(ws)
    earlier = ws.procedure.view(case_id).events[-2]
    with pytest.raises(ValidationError, match="最新"):
        ws.procedure.withdraw_record(case_id, earlier.id, reason="误登记")
    with pytest.raises(ValidationError, match="理由"):
        ws.procedure.withdraw_record(case_id, event_id, reason="")
    ws.procedure.withdraw_record(case_id, event_id, reason="会议尚未召开，误登记")
    view = ws.procedure.view(case_id)
    assert view.step == "defence_heard" and not view.has("decide")
    assert restrictions(ws) == {}
    kept = ws.procedure.withdrawn_records(case_id)
    assert kept[0]["action"] == "decide" and kept[0]["reason"] == "会议尚未召开，误登记"
    # the decision can be recorded again, and the deadlines follow the record
    ws.procedure.perform(case_id, "decide", on=D, **{**full_data(WF, D), "forms": ["约谈"]})
    assert ws.procedure.view(case_id).step == "decided"


def test_withdrawing_a_filing_needs_who_decided_to_be_re_recorded(ws):
    case_id = new_case(ws)
    walk(ws, case_id, until="filed")
    filed = ws.procedure.view(case_id).last("file_case")
    ws.procedure.withdraw_record(case_id, filed.id, reason="立项尚未批准")
    assert ws.procedure.view(case_id).step == "checked"
    with pytest.raises(ValidationError, match="呈批表"):
        ws.procedure.perform(case_id, "file_case", on=D, approved_by="书记")
    ws.procedure.perform(case_id, "file_case", on=D, approved_by="书记", paper_ref=PAPER)
    assert ws.procedure.view(case_id).events[-1].seq == filed.seq + 1  # a withdrawn record's number is not reused
    ws.procedure.perform(case_id, "withdraw", on=D, reason="问责事项已不存在", **SIGNED)
    assert ws.procedure.view(case_id).step == "withdrawn"


def test_a_field_called_reason_is_corrected_like_any_other(ws):
    """Several actions record a reason of their own (申请理由, 撤项理由, 延长理由); the correction's reason is apart."""
    case_id = new_case(ws)
    walk(ws, case_id, until="notified")
    event_id = ws.procedure.perform(case_id, "apply_recusal", on=D, staff="调查员乙", reason="利害关系")
    ws.procedure.amend(case_id, event_id, reason="申请理由写得不全", data={"reason": "调查员乙是其配偶的同事"})
    applied = ws.procedure.view(case_id).last("apply_recusal")
    assert applied.get("reason") == "调查员乙是其配偶的同事" and applied.revisions[0]["reason"] == "申请理由写得不全"
    # a withdrawn (ended) case's records are no longer corrected; its latest record can still be withdrawn
    other = new_case(ws, name="李四")
    walk(ws, other, until="filed")
    withdrawal = ws.procedure.perform(other, "withdraw", on=D, reason="问责事项已不存在", **SIGNED)
    with pytest.raises(ProcedureRefused, match="已终结"):
        ws.procedure.amend(other, withdrawal, reason="补充", data={"reason": "问责事项已不存在，线索来源撤回"})
    ws.procedure.withdraw_record(other, withdrawal, reason="撤项尚未批准")
    assert ws.procedure.view(other).step == "filed"


def refusals(ws, action: str) -> int:
    with ws.ctx.transaction() as s:
        return len(s.scalars(select(AuditEntry).where(AuditEntry.action == action,
                                                      AuditEntry.success.is_(False))).all())


def test_the_signed_papers_scan_must_be_this_cases_attachment(ws):
    """Also when given in its stored shape: the name and hash come from the attachment, never from the caller."""
    case_id, other = new_case(ws), new_case(ws, name="李四")
    walk(ws, case_id, until="checked")
    theirs = ws.cases.add_attachment(other, "别案材料.pdf", b"%PDF-1.4 other", "application/pdf")
    ours = ws.cases.add_attachment(case_id, "呈批表.pdf", b"%PDF-1.4 ours", "application/pdf")
    for scan in (theirs, {"attachment_id": theirs, "filename": "呈批表.pdf", "sha256": "00"}, {"attachment_id": "x"}):
        with pytest.raises(ValidationError, match="不是本案的附件"):
            ws.procedure.perform(case_id, "file_case", on=D, approved_by="书记", paper_scan=scan)
    event_id = ws.procedure.perform(case_id, "file_case", on=D, approved_by="书记",
                                    paper_scan={"attachment_id": ours, "filename": "假名.pdf", "sha256": "00"})
    stored = ws.procedure.view(case_id).last("file_case").get("paper_scan")
    assert stored["filename"] == "呈批表.pdf" and stored["sha256"] != "00"
    with pytest.raises(ValidationError, match="不是本案的附件"):
        ws.procedure.amend(case_id, event_id, reason="换扫描件", data={"paper_scan": {"attachment_id": theirs}})
    assert refusals(ws, "procedure.file_case") == 3 and refusals(ws, "procedure.amend") == 1


def test_a_document_printing_another_record_blocks_its_correction(ws):
    case_id = new_case(ws)
    walk(ws, case_id, until="notified")
    issued = ws.documents.issue(case_id, "investigation_notice", sealed=False)  # prints the team and its leader
    team = ws.procedure.view(case_id).last("assign_investigators")
    with pytest.raises(ValidationError, match=issued.number):
        ws.procedure.amend(case_id, team.id, reason="组长录错", data={"leader": "调查员乙"})
    ws.documents.void(issued.id, "调查组组长需更正")
    ws.procedure.amend(case_id, team.id, reason="组长录错", data={"leader": "调查员乙"})


def test_refused_withdrawals_and_corrections_are_audited(ws):
    case_id = new_case(ws)
    walk(ws, case_id, until="filed")
    first = ws.procedure.view(case_id).events[0]
    with pytest.raises(ValidationError):
        ws.procedure.withdraw_record(case_id, first.id, reason="误登记")
    with pytest.raises(ValidationError):
        ws.procedure.amend(case_id, first.id, reason="核对", data={"approved_by": "书记"})  # not 初核's field
    assert refusals(ws, "procedure.withdraw_record") == 1 and refusals(ws, "procedure.amend") == 1


def test_values_of_the_wrong_kind_are_refused_and_never_shown_as_code(ws):
    case_id = new_case(ws)
    walk(ws, case_id, until="checked")
    for bad in ({"approved_by": ["书记", "副书记"]}, {"approved_by": "书记", "paper_ref": 12}):
        with pytest.raises(ValidationError, match="应当是"):
            ws.procedure.perform(case_id, "file_case", on=D, **{"paper_ref": PAPER, **bad})
    case_id, event_id = decided(ws, name="孙八")
    with pytest.raises(ProcedureRefused, match="请为「孙八」选择问责方式"):
        ws.procedure.amend(case_id, event_id, reason="改", data={"forms": [{"respondent": "孙八"}]})
    assert {"no_equivalent_post", "no_promotion"} <= set(restrictions(ws))


def test_an_older_records_extra_keys_do_not_block_its_correction(ws):
    case_id = new_case(ws)
    walk(ws, case_id, until="checked")
    event_id = ws.procedure.view(case_id).last("preliminary_check").id
    with ws.ctx.transaction() as s:  # as an earlier version stored it
        from wenze_desktop.domain.models import ProcedureEvent

        event = s.get(ProcedureEvent, event_id)
        event.data = {**event.data, "attendees": ["周书记", "王委员"]}
    ws.procedure.amend(case_id, event_id, reason="补充初核情况", data={"summary": "线索具体，可查"})
    corrected = ws.procedure.view(case_id).last("preliminary_check")
    assert corrected.get("summary") == "线索具体，可查" and corrected.get("attendees") == ["周书记", "王委员"]
