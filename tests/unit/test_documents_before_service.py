"""Documents when they are needed: the 调查通知书 once the team is formed (before its service is recorded), the 送达回证
with the document it accompanies, and what an issue will use (number, seal, signing organ) before it is confirmed."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.unit.document_helpers import text
from tests.unit.procedure_helpers import new_case, walk
from wenze_desktop.documents.seal_image import demo_seal_png
from wenze_desktop.domain.models import AuditEntry, IssuedDocument
from wenze_desktop.errors import ProcedureRefused, ValidationError
from wenze_desktop.procedure import citations as c
from wenze_desktop.procedure import documents as rules
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.services import Workspace

START = date(2026, 3, 2)
TODAY = "2026年11月23日"  # the FakeClock's day: a document made before its service bears the day it is issued


@pytest.fixture
def ws(ctx):
    workspace = Workspace(ctx)
    workspace.organ.set_letterhead(organ_code="测纪", signing_organ="测试市纪委监委")
    workspace.organ.register_seal("测试市纪委监委", demo_seal_png("测试市纪委监委"))
    return workspace


def choice(ws: Workspace, case_id: str, kind: str):
    return next(c for c in ws.documents.choices(case_id) if c.kind == kind)


def investigating(ws: Workspace, profile: str = "gz2009") -> str:
    """A case whose team is formed and has declared its interests, its notice not yet served."""
    case_id = new_case(ws, profile, received=START)
    walk(ws, case_id, start=START, until="investigating")
    staff = ws.procedure.view(case_id).last("assign_investigators").get("staff")
    ws.procedure.perform(case_id, "declare_interest", on=next_day(ws, case_id), staff=staff, interest=False)
    return case_id


def next_day(ws: Workspace, case_id: str) -> date:
    return ws.procedure.view(case_id).last_date + timedelta(days=1)


def serve_notice(ws: Workspace, case_id: str, method: str = "直接送达") -> str:
    return ws.procedure.perform(case_id, "serve_notice", on=next_day(ws, case_id), served_to="张三", method=method)


def walk_on(ws: Workspace, case_id: str, until: str) -> None:
    """Go on along the main path from the day after the case's last record."""
    walk(ws, case_id, start=next_day(ws, case_id), until=until)


def audits(ws: Workspace, action: str) -> list[dict]:
    with ws.ctx.workspace.session() as s:
        return [json.loads(e.new_values) for e in s.scalars(select(AuditEntry).where(AuditEntry.action == action))]


def test_the_notice_waits_for_the_team_not_for_its_service(ws):
    case_id = new_case(ws, "gz2009", received=START)
    walk(ws, case_id, start=START, until="filed")
    refused = rules.refusal(load_profile("gz2009"), ws.procedure.view(case_id), "investigation_notice")
    assert refused.message == "尚未记录“组成调查组”，还不能制作调查通知书。"
    assert refused.rule is c.FACT and refused.article == "" and not refused.is_reading  # a fact cites nothing
    assert choice(ws, case_id, "investigation_notice").refusal == refused.message

    walk_on(ws, case_id, "investigating")
    staff = ws.procedure.view(case_id).last("assign_investigators").get("staff")
    ws.procedure.perform(case_id, "declare_interest", on=next_day(ws, case_id), staff=staff, interest=False)
    assert ws.procedure.view(case_id).last("serve_notice") is None
    assert choice(ws, case_id, "investigation_notice").refusal is None
    notice = ws.documents.issue(case_id, "investigation_notice")
    words = text(ws.documents.read(notice.id))
    team = [n for e in ws.procedure.view(case_id).events if e.action == "assign_investigators"
            for n in e.get("staff")]
    assert notice.number == "测纪通〔2026〕1号" and notice.sealed
    assert all(name in words for name in team) and "张三同志" in words and TODAY in words

    # Served afterwards: the service is recorded as before, the issued notice stays as it was.
    serve_notice(ws, case_id)
    assert choice(ws, case_id, "investigation_notice").current.id == notice.id


def test_a_notice_issued_before_service_rests_on_the_team_record(ws):
    case_id = investigating(ws)
    notice = ws.documents.issue(case_id, "investigation_notice", sealed=False)
    team = ws.procedure.view(case_id).last("assign_investigators")
    with ws.ctx.workspace.session() as s:
        assert s.get(IssuedDocument, notice.id).event_id == team.id
    with pytest.raises(ValidationError, match=notice.number):
        ws.procedure.amend(case_id, team.id, reason="组长录错", data={"leader": "调查员乙"})
    served = serve_notice(ws, case_id)
    ws.procedure.amend(case_id, served, reason="送达方式录错", data={"method": "邮寄送达"})  # not printed on the notice


def test_a_case_withdrawn_before_service_makes_no_notice(ws):
    case_id = investigating(ws)
    ws.procedure.perform(case_id, "withdraw", on=next_day(ws, case_id), reason="被调查对象已去世，无需继续调查",
                         decided_by="书记", paper_ref="呈批〔2026〕4号")
    refused = choice(ws, case_id, "investigation_notice").refusal
    assert refused == "案件已转入“撤项”环节，未记录“送达调查通知”，不能再制作调查通知书。"
    assert choice(ws, case_id, "service_receipt").refusal == refused.replace("调查通知书", "送达回证")
    with pytest.raises(ProcedureRefused, match="不能再制作调查通知书"):
        ws.documents.issue(case_id, "investigation_notice")


def test_the_receipt_goes_with_the_notice_and_leaves_the_service_to_be_filled_in(ws):
    case_id = investigating(ws)
    assert choice(ws, case_id, "service_receipt").refusal == "请先签发调查通知书（送达回证随所送达的文书制作）。"
    with pytest.raises(ProcedureRefused, match="请先签发调查通知书"):
        ws.documents.preview(case_id, "service_receipt")
    notice = ws.documents.issue(case_id, "investigation_notice")
    receipt_choice = choice(ws, case_id, "service_receipt")
    assert receipt_choice.refusal is None and receipt_choice.serves.id == notice.id
    receipt = ws.documents.issue(case_id, "service_receipt")
    words = text(ws.documents.read(receipt.id))
    assert f"调查通知书（{notice.number}）" in words  # what it accompanies; the service left blank for the pen
    assert "送达方式送达日期年月日送达人" in words and "受送达人张三" in words and TODAY in words
    assert choice(ws, case_id, "service_receipt").current.id == receipt.id


def test_a_receipt_issued_after_the_service_prints_it(ws):
    case_id = investigating(ws)
    notice = ws.documents.issue(case_id, "investigation_notice")
    serve_notice(ws, case_id)
    served = ws.procedure.view(case_id).last("serve_notice").on
    words = text(ws.documents.read(ws.documents.issue(case_id, "service_receipt").id))
    assert f"调查通知书（{notice.number}）" in words and "送达方式直接送达" in words
    assert f"送达日期{served.year}年{served.month}月{served.day}日" in words
    assert f"{served.year}年{served.month}月{served.day}日" in words.split("受送达人签收")[1]  # dated as served


def test_the_receipt_follows_the_decision_once_that_is_issued(ws):
    case_id = investigating(ws)
    ws.documents.issue(case_id, "investigation_notice")
    notice_receipt = ws.documents.issue(case_id, "service_receipt")
    walk_on(ws, case_id, "decided")
    before = choice(ws, case_id, "service_receipt")
    assert before.current.id == notice_receipt.id and before.serves.kind == "investigation_notice"

    decision = ws.documents.issue(case_id, "decision")
    after = choice(ws, case_id, "service_receipt")
    assert after.refusal is None and after.serves.id == decision.id
    assert after.current is None and after.superseded == (notice_receipt.id,)  # the notice's receipt stays valid
    assert ws.procedure.view(case_id).last("serve_decision") is None
    receipt = ws.documents.issue(case_id, "service_receipt")
    words = text(ws.documents.read(receipt.id))
    assert f"关于对张三同志问责的决定（{decision.number}）" in words and "送达日期年月日" in words
    assert choice(ws, case_id, "service_receipt").current.id == receipt.id


@pytest.mark.parametrize("profile_id", ["jc2017", "jt2019", "sh2022", "wf2011"])
def test_each_profile_with_a_receipt_makes_it_with_the_decision_before_service(ws, profile_id):
    case_id = new_case(ws, profile_id, received=START)
    walk(ws, case_id, start=START, until="decided")
    assert choice(ws, case_id, "service_receipt").refusal == "请先签发问责决定书（送达回证随所送达的文书制作）。"
    decision = ws.documents.issue(case_id, "decision", sealed=False)
    receipt = ws.documents.issue(case_id, "service_receipt", sealed=False)
    assert decision.number in text(ws.documents.read(receipt.id))


def test_the_decision_and_its_receipt_are_issued_together_in_one_transaction(ws, clock):
    case_id = new_case(ws, "gz2009", received=START)
    walk(ws, case_id, start=START, until="decided")
    plan = ws.documents.plan(case_id, "decision", with_receipt=True)
    assert (plan.number, plan.receipt_number) == ("测纪问〔2026〕1号", "测纪送〔2026〕1号")
    decision = ws.documents.issue(case_id, "decision", with_receipt=True, expected_number=plan.number)
    issued = ws.documents.issued(case_id)
    assert [(d.kind, d.number, d.sealed) for d in issued] == [("decision", plan.number, True),
                                                             ("service_receipt", plan.receipt_number, True)]
    assert decision.number in text(ws.documents.read(issued[1].id))
    assert [a["number"] for a in audits(ws, "document.seal")] == [plan.number, plan.receipt_number]


def test_the_plan_shows_the_number_and_seal_an_issue_will_use(ws, ctx):
    case_id = new_case(ws, "gz2009", received=START)
    walk(ws, case_id, start=START, until="decided")
    plan = ws.documents.plan(case_id, "decision")
    assert plan.number == "测纪问〔2026〕1号" and plan.receipt_number == ""
    assert plan.seal.name == "测试市纪委监委" and plan.seal.active and plan.may_seal
    assert plan.seal_png == demo_seal_png("测试市纪委监委")
    assert ws.documents.issued(case_id) == []  # nothing was written
    assert ws.documents.issue(case_id, "decision").number == plan.number


def test_an_issue_whose_number_was_taken_meanwhile_is_refused_unnumbered(ws):
    first, second = (new_case(ws, "gz2009", received=START) for _ in range(2))
    for case_id in (first, second):
        walk(ws, case_id, start=START, until="decided")
    shown = ws.documents.plan(first, "decision").number
    ws.documents.issue(second, "decision")  # another clerk takes it first
    with pytest.raises(ValidationError, match=r"已被其他文书占用.*测纪问〔2026〕2号"):
        ws.documents.issue(first, "decision", expected_number=shown)
    assert ws.documents.issued(first) == []
    assert ws.documents.issue(first, "decision", expected_number="测纪问〔2026〕2号").number == "测纪问〔2026〕2号"


def test_a_signing_organ_other_than_the_letterheads_is_pointed_out(ws):
    case_id = new_case(ws, "gz2009", received=START)
    walk(ws, case_id, start=START, until="decided")
    decided = ws.procedure.view(case_id).last("decide")
    plan = ws.documents.plan(case_id, "decision")
    assert plan.signer == decided.get("organ") and plan.letterhead_signer == "测试市纪委监委"
    assert plan.organ_differs == (decided.get("organ") != "测试市纪委监委")
    ws.procedure.amend(case_id, decided.id, reason="决定机关录错", data={"organ": "中共测试市委"})
    plan = ws.documents.plan(case_id, "decision")
    assert plan.signer == "中共测试市委" and plan.organ_differs and plan.seal_differs
    assert not ws.documents.plan(case_id, "investigation_report").organ_differs  # signed by the team, not an organ
    ws.procedure.amend(case_id, decided.id, reason="决定机关", data={"organ": "测试市纪委监委"})
    plan = ws.documents.plan(case_id, "decision")
    assert not plan.organ_differs and not plan.seal_differs


def test_a_profile_without_receipts_issues_the_decision_alone(ws):
    case_id = new_case(ws, "ccp2016", received=START)
    walk(ws, case_id, start=START, until="decided")
    assert rules.accompanies(load_profile("ccp2016")) == ()
    assert ws.documents.plan(case_id, "decision", with_receipt=True).receipt_number == ""
    ws.documents.issue(case_id, "decision", sealed=False, with_receipt=True)
    assert [d.kind for d in ws.documents.issued(case_id)] == ["decision"]
