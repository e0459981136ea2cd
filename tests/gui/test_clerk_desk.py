"""The clerk's desk: a handler-only account takes a gz2009 case from 线索 to 送达 through the wizard's own forms,
naming who approved and which meeting decided; then corrects a record and withdraws the latest one."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from tests.gui.test_wizard import check_form, new_case, record, show, sign
from tests.unit.procedure_helpers import PAPER
from wenze_desktop.gui.changes import ChangeHub
from wenze_desktop.gui.wizard import CaseWizard
from wenze_desktop.services.accounts import AccountService
from wenze_desktop.services.auth import login
from wenze_desktop.services.procedure import ProcedureService


@pytest.fixture
def clerk(ctx):
    AccountService(ctx).create_user("clerk", "李办案", ["handler"], "Clerk-密码-2026")
    clerk = login(ctx.workspace.data_dir, "clerk", "Clerk-密码-2026", clock=ctx.clock)
    yield clerk
    clerk.workspace.close()


@pytest.fixture
def desk(qtbot, clerk) -> CaseWizard:
    widget = CaseWizard(clerk, ChangeHub())
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    return widget


def test_a_handler_alone_takes_a_case_from_clue_to_service(qtbot, desk, clerk):
    case_id = new_case(clerk)
    show(qtbot, desk, case_id)
    record(qtbot, desk, "preliminary_check", lambda d: d.fields["summary"].widget.setPlainText("线索具体，可查"))
    assert desk.action_buttons["file_case"].isEnabled()  # the handler records the leader's approval
    record(qtbot, desk, "file_case", lambda d: sign(d, "周书记"))
    record(qtbot, desk, "assign_investigators", lambda d: d.fields["staff"].widget.setPlainText("调查员甲、调查员乙"))
    record(qtbot, desk, "declare_interest")
    record(qtbot, desk, "serve_notice", lambda d: d.fields["method"].widget.setEditText("直接送达"))
    record(qtbot, desk, "receive_explanation")
    record(qtbot, desk, "inform_findings")
    record(qtbot, desk, "record_defence", lambda d: d.fields["text"].widget.setPlainText("本人对事实无异议。"))

    def report(d):
        d.fields["conclusion"].widget.setPlainText("问责情形属实")
        check_form(d.fields["recommended_forms"], "诫勉谈话")
    record(qtbot, desk, "submit_report", report)

    def decide(d):
        meeting = d.fields["meeting"]
        meeting.body.setText("市委常委会议")
        meeting.attendees.setPlainText("周书记、林副书记、王常委")
        for key, text in (("evidence", "询问笔录"), ("responsibility", "主要领导责任"), ("basis", "第九条")):
            d.fields[key].widget.setPlainText(text)
        sign(d, "市委常委会")
    record(qtbot, desk, "decide", decide)
    record(qtbot, desk, "serve_decision")

    view = ProcedureService(clerk).view(case_id)
    assert view.step == "served"
    filed, decided = view.last("file_case"), view.last("decide")
    assert filed.get("approved_by") == "周书记" and filed.get("paper_ref") == PAPER  # who decided, the paper
    assert all(e.recorded_by == "李办案" for e in view.events)  # who recorded it, kept apart
    assert decided.get("meeting")["body"] == "市委常委会议"
    rows = [desk.history.item(i).text() for i in range(desk.history.count())]
    decision_row = next(r for r in rows if "作出问责决定" in r)
    assert "集体讨论会议：" in decision_row
    assert "市委常委会议，出席：周书记、林副书记、王常委，持反对意见：无" in decision_row
    assert "录入人：李办案" in decision_row and "决定机关：" in decision_row
    assert "批准人：周书记；" in next(r for r in rows if "　立项　" in r)
    for row in rows:
        assert not any(word in row for word in ("approved_by", "attendees", "[", "{", "'", "。；", "None"))


def test_a_record_is_corrected_and_the_latest_withdrawn_from_the_history(qtbot, desk, clerk):
    case_id = new_case(clerk)
    procedure = ProcedureService(clerk)
    procedure.perform(case_id, "preliminary_check", on=date(2026, 11, 20))
    procedure.perform(case_id, "file_case", on=date(2026, 11, 20), approved_by="周书记", paper_ref=PAPER)
    show(qtbot, desk, case_id)
    assert not desk.correct_button.isEnabled()  # nothing selected yet
    desk.history.setCurrentRow(0)  # the newest first: 立项
    assert desk.correct_button.isEnabled() and desk.withdraw_button.isEnabled()

    qtbot.mouseClick(desk.correct_button, Qt.MouseButton.LeftButton)
    dialog = desk.active_dialog
    assert dialog.fields["approved_by"].value() == "周书记"  # opens with the record's values
    dialog.fields["approved_by"].widget.setText("周建国")
    dialog.on_field.set_value(date(2026, 11, 21))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.reason_field.error.text() == "此项必填。"  # a reason first
    dialog.reason_field.widget.setPlainText("批准人姓名录错")
    with qtbot.waitSignal(desk.refreshed, timeout=10000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    filed = procedure.view(case_id).last("file_case")
    assert (filed.on, filed.get("approved_by")) == (date(2026, 11, 21), "周建国")
    assert filed.revisions[0]["data"]["approved_by"] == "周书记"
    assert "〔已更正1次〕" in desk.history.item(0).text() and "批准人姓名录错" in desk.history.item(0).toolTip()

    desk.history.setCurrentRow(1)  # an older record: correctable, not withdrawable
    assert desk.correct_button.isEnabled() and not desk.withdraw_button.isEnabled()
    desk.history.setCurrentRow(0)
    qtbot.mouseClick(desk.withdraw_button, Qt.MouseButton.LeftButton)
    withdraw = desk.active_withdraw_dialog
    qtbot.mouseClick(withdraw.buttons.button(withdraw.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert withdraw.isVisible()  # no reason, nothing done
    withdraw.reason.widget.setPlainText("立项尚未报批，误登记")
    with qtbot.waitSignal(desk.refreshed, timeout=10000):
        qtbot.mouseClick(withdraw.buttons.button(withdraw.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert procedure.view(case_id).step == "checked"
    assert "〔已撤回〕" in desk.history.item(desk.history.count() - 1).text()
    assert desk.action_buttons["file_case"].isEnabled()


def test_a_leader_records_decisions_but_not_the_handling_and_sees_why_first(qtbot, ctx):
    case_id = new_case(ctx)
    procedure = ProcedureService(ctx)
    procedure.perform(case_id, "preliminary_check", on=date(2026, 11, 20))
    procedure.perform(case_id, "file_case", on=date(2026, 11, 20), approved_by="周书记", paper_ref=PAPER)
    AccountService(ctx).create_user("boss", "领导", ["leader"], "Boss-密码-2026")
    boss = login(ctx.workspace.data_dir, "boss", "Boss-密码-2026", clock=ctx.clock)
    try:
        widget = CaseWizard(boss, ChangeHub())
        qtbot.addWidget(widget)
        widget.show()
        show(qtbot, widget, case_id)
        assert widget.action_buttons["withdraw"].isEnabled()  # a decision: a leader may record it
        assigning = widget.action_buttons["assign_investigators"]
        assert not assigning.isEnabled()  # greyed before any form opens, with the reason in Chinese
        assert "没有“办理案件”的权限" in widget.refusal_labels["assign_investigators"].text()
        qtbot.mouseClick(assigning, Qt.MouseButton.LeftButton)
        assert widget.active_dialog is None
        widget.history.setCurrentRow(0)
        assert not widget.correct_button.isEnabled() and "办理案件" in widget.correct_button.toolTip()
    finally:
        boss.workspace.close()


def test_correcting_an_extensions_unit_replaces_the_amount(qtbot, desk, clerk):
    from wenze_desktop.services import walkthrough

    case_id = new_case(clerk)
    procedure = ProcedureService(clerk)
    walkthrough.walk(procedure, case_id, until="notified", start=date(2026, 11, 2))
    procedure.perform(case_id, "extend_deadline", on=date(2026, 11, 20), deadline="report", working_days=10,
                      approver="周书记", reason="案情复杂", paper_ref=PAPER)
    show(qtbot, desk, case_id)
    desk.history.setCurrentRow(0)
    dialog = desk.correct_record()
    assert dialog.fields["extension"].value() == {"working_days": 10}
    dialog.fields["extension"].set_value({"days": 20})
    dialog.reason_field.widget.setPlainText("批准的是20日")
    with qtbot.waitSignal(desk.refreshed, timeout=10000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    extension = procedure.view(case_id).last("extend_deadline")
    assert extension.get("days") == 20 and extension.get("working_days") is None
    assert "延长：20日" in desk.history.item(0).text()
