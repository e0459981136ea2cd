"""The procedure wizard: a gz2009 case walked to its archive through the buttons and forms, refusals shown."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from tests.unit.procedure_helpers import PAPER
from wenze_desktop.gui.changes import ChangeHub, Changes
from wenze_desktop.gui.wizard import CaseWizard
from wenze_desktop.services import walkthrough
from wenze_desktop.services.cases import CaseService
from wenze_desktop.services.procedure import ProcedureService

TODAY = date(2026, 11, 23)  # the FakeClock's day


def new_case(ctx, received: date = date(2026, 11, 2)) -> str:
    return CaseService(ctx).create(
        profile="gz2009", title="关于张三的问责案", clue_source="complaint", received_on=received,
        respondents=[{"kind": "person", "name": "张三", "unit": "某区人民政府", "post": "副区长"}],
        facts="对群众反映强烈的问题能够解决而不及时解决")


@pytest.fixture
def hub() -> ChangeHub:
    return ChangeHub()


@pytest.fixture
def wizard(qtbot, ctx, clock, hub) -> CaseWizard:
    widget = CaseWizard(ctx, hub)
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    return widget


def show(qtbot, wizard: CaseWizard, case_id: str) -> None:
    """Show a case; the wizard reads it on the database worker."""
    with qtbot.waitSignal(wizard.refreshed, timeout=10000):
        wizard.show_case(case_id)


def publish(qtbot, wizard: CaseWizard, changes: Changes) -> None:
    with qtbot.waitSignal(wizard.refreshed, timeout=10000):
        wizard.hub.publish(changes)


def open_form(qtbot, wizard: CaseWizard, action: str):
    button = wizard.action_buttons[action]
    assert button.isEnabled(), wizard.refusal_labels[action].text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = wizard.active_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def submit(qtbot, wizard: CaseWizard, dialog) -> None:
    """Record, then wait for the wizard to show the case as it is now (run_op publishes what changed)."""
    with qtbot.waitSignals([wizard.action_recorded, wizard.refreshed], timeout=10000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert wizard.active_dialog is None


def sign(dialog, who: str = "市委主要领导") -> None:
    """An approval or decision: who decided, and the signed paper's number."""
    for key in ("approved_by", "decided_by", "approver"):
        if key in dialog.fields:
            dialog.fields[key].widget.setText(who)
    dialog.fields["paper_ref"].widget.setText(PAPER)


def check_form(field, *names: str) -> None:
    """Tick forms of accountability in a FormsField by name."""
    for item in field.form_items():
        if item.data(0, Qt.ItemDataRole.UserRole)[1] in names:
            item.setCheckState(0, Qt.CheckState.Checked)


def record(qtbot, wizard: CaseWizard, action: str, fill=None) -> None:
    dialog = open_form(qtbot, wizard, action)
    if fill:
        fill(dialog)
    submit(qtbot, wizard, dialog)


def test_walk_a_gz2009_case_to_its_archive(qtbot, wizard, ctx):
    case_id = new_case(ctx)
    show(qtbot, wizard, case_id)
    assert wizard.timeline["clue"].state == "current"
    assert [s for s, row in wizard.timeline.items() if row.state == "done"] == []

    record(qtbot, wizard, "preliminary_check", lambda d: d.fields["summary"].widget.setPlainText("线索具体，可查"))
    # Required input is asked for beside its field, before anything reaches the services.
    dialog = open_form(qtbot, wizard, "file_case")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.fields["approved_by"].error.text() == "此项必填。"
    assert "呈批表" in dialog.fields["paper_ref"].error.text()
    sign(dialog)
    submit(qtbot, wizard, dialog)
    record(qtbot, wizard, "assign_investigators",
           lambda d: d.fields["staff"].widget.setPlainText("调查员甲\n调查员乙"))

    def declare(d):  # the undeclared investigators come ticked; no interest
        assert d.fields["staff"].value() == ["调查员甲", "调查员乙"]
        assert d.fields["interest"].widget.isChecked() is False
    record(qtbot, wizard, "declare_interest", declare)
    record(qtbot, wizard, "serve_notice", lambda d: d.fields["method"].widget.setEditText("直接送达"))
    record(qtbot, wizard, "receive_explanation")
    record(qtbot, wizard, "inform_findings")
    record(qtbot, wizard, "record_defence", lambda d: d.fields["text"].widget.setPlainText("本人陈述和申辩如下……"))

    def report(d):
        d.fields["conclusion"].widget.setPlainText("问责情形属实")
        check_form(d.fields["recommended_forms"], "诫勉谈话")
    record(qtbot, wizard, "submit_report", report)

    def decide(d):
        assert d.fields["forms"].value() == ["诫勉谈话"]  # the report's recommendation, ticked
        assert d.fields["facts"].value().startswith("对群众反映强烈")
        d.fields["meeting"].attendees.setPlainText("书记甲、副书记乙、委员丙")
        d.fields["evidence"].widget.setPlainText("询问笔录、会议记录")
        d.fields["responsibility"].widget.setPlainText("主要领导责任")
        d.fields["basis"].widget.setPlainText("《广州问责暂行办法》第九条、第十四条")
        sign(d)
    record(qtbot, wizard, "decide", decide)
    assert wizard.timeline["decided"].state == "current"
    record(qtbot, wizard, "serve_decision")
    record(qtbot, wizard, "report_execution", lambda d: d.fields["summary"].widget.setPlainText("已执行"))
    record(qtbot, wizard, "archive", lambda d: d.fields["archive_no"].widget.setText("2026-WZ-001"))

    view = ProcedureService(ctx).view(case_id)
    assert view.step == "archived"
    assert view.last("decide").get("meeting")["attendees"] == ["书记甲", "副书记乙", "委员丙"]
    states = {step: row.state for step, row in wizard.timeline.items()}
    assert states["archived"] == "current"
    for step in ("clue", "checked", "filed", "investigating", "notified", "explained", "findings_informed",
                 "defence_heard", "reported", "decided", "served", "executed"):
        assert states[step] == "done", step
    assert states["withdrawn"] == states["appealed"] == "skipped"
    assert f"日期：{TODAY.isoformat()}" in wizard.timeline["filed"].text()
    assert wizard.action_buttons == {} and "案件已终结（归档）" in wizard.actions_note.text()
    assert wizard.history.count() == 13 and "归档" in wizard.history.item(0).text()


def test_a_refused_action_is_disabled_with_the_engines_reason(qtbot, wizard, ctx):
    case_id = new_case(ctx)
    procedure = ProcedureService(ctx)
    procedure.perform(case_id, "preliminary_check", on=TODAY)
    procedure.perform(case_id, "file_case", on=TODAY, approved_by="主要领导", paper_ref=PAPER)
    procedure.perform(case_id, "assign_investigators", on=TODAY, staff=["调查员甲"])
    show(qtbot, wizard, case_id)

    button, line = wizard.action_buttons["serve_notice"], wizard.refusal_labels["serve_notice"]
    assert not button.isEnabled()
    expected = "调查人员「调查员甲」尚未作出利害关系声明，调查不能开展。（本规定对此未作规定，本系统按此处理）"
    assert button.toolTip() == expected and line.text() == expected  # uncited: no words to show
    qtbot.waitUntil(line.isVisible, timeout=2000)  # widgets added to a shown layout appear on the next event loop
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert wizard.active_dialog is None
    assert wizard.action_buttons["declare_interest"].isEnabled()
    assert "declare_interest" not in wizard.refusal_labels


def test_a_refusal_at_recording_time_stays_in_the_form(qtbot, wizard, ctx):
    case_id = new_case(ctx)
    walkthrough.walk(ProcedureService(ctx), case_id, until="reported", start=date(2026, 11, 2))
    show(qtbot, wizard, case_id)
    dialog = open_form(qtbot, wizard, "decide")
    meeting = dialog.fields["meeting"]
    meeting.attendees.setPlainText("书记甲、副书记乙")
    meeting.dissenting.setPlainText("委员丙")  # not among the attendees
    for key, text in (("evidence", "询问笔录"), ("responsibility", "主要领导责任"), ("basis", "第九条")):
        dialog.fields[key].widget.setPlainText(text)
    sign(dialog)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.error.text()), timeout=10000)

    assert dialog.error.text() == "未能登记：持不同意见的「委员丙」不在出席人员之中。"  # a fact: nothing to cite
    assert dialog.isVisible() and dialog.ok_button.isEnabled()
    assert meeting.value()["dissenting"] == ["委员丙"] and dialog.fields["evidence"].value() == "询问笔录"
    assert ProcedureService(ctx).view(case_id).step == "reported"

    # Cancelling asks before typed data is thrown away.
    dialog.confirm_discard = lambda: False
    dialog.reject()
    assert dialog.isVisible()
    meeting.dissenting.setPlainText("")
    submit(qtbot, wizard, dialog)
    assert ProcedureService(ctx).view(case_id).step == "decided"


def test_deadlines_show_days_left_or_overdue_and_follow_the_hub(qtbot, wizard, ctx, hub):
    procedure = ProcedureService(ctx)
    late = new_case(ctx, received=date(2026, 9, 1))
    procedure.perform(late, "preliminary_check", on=date(2026, 10, 9))
    procedure.perform(late, "file_case", on=date(2026, 10, 9), approved_by="主要领导", paper_ref=PAPER)
    show(qtbot, wizard, late)
    notice = next(d for d in procedure.deadlines(late) if d.rule_id == "notice")
    text = wizard.timeline["notified"].text()
    assert f"已逾期 {(TODAY - notice.due).days} 天" in text and "第二十一条第一款" in text
    assert ("（暂按周末推算）" in text) == notice.provisional
    assert "第二十三条第一款" in wizard.timeline["reported"].text()

    fresh = new_case(ctx)
    procedure.perform(fresh, "preliminary_check", on=TODAY)
    show(qtbot, wizard, fresh)
    assert "notified" in wizard.timeline and "期限" not in wizard.timeline["notified"].text()
    procedure.perform(fresh, "file_case", on=TODAY, approved_by="主要领导", paper_ref=PAPER)
    with qtbot.assertNotEmitted(wizard.refreshed, wait=200):
        hub.publish(Changes.case(late))  # another case: nothing to redraw
    assert "期限" not in wizard.timeline["notified"].text()
    publish(qtbot, wizard, Changes.case(fresh))
    notice = next(d for d in procedure.deadlines(fresh) if d.rule_id == "notice")
    assert f"剩 {(notice.due - TODAY).days} 天" in wizard.timeline["notified"].text()
    assert wizard.timeline["filed"].state == "current" and wizard.timeline["filed"].text().count("日期：") == 1


def test_recusal_extension_and_appeal_forms_record_what_the_services_take(qtbot, wizard, ctx):
    procedure = ProcedureService(ctx)
    case_id = new_case(ctx)
    procedure.perform(case_id, "preliminary_check", on=TODAY)
    procedure.perform(case_id, "file_case", on=TODAY, approved_by="主要领导", paper_ref=PAPER)
    procedure.perform(case_id, "assign_investigators", on=TODAY, staff=["调查员甲", "调查员乙"])
    show(qtbot, wizard, case_id)

    def interested(d):
        d.fields["staff"].set_value(["调查员甲"])
        d.fields["interest"].widget.setChecked(True)
    record(qtbot, wizard, "declare_interest", interested)
    assert "声明与被调查人有利害关系" in wizard.refusal_labels["serve_notice"].text()

    def recuse(d):
        assert d.fields["staff"].value() == ["调查员甲"] and d.fields["granted"].value() is True
        d.fields["replacement"].widget.setPlainText("调查员丙")
        sign(d)
    record(qtbot, wizard, "decide_recusal", recuse)
    record(qtbot, wizard, "declare_interest", lambda d: d.fields["staff"].set_value(["调查员乙", "调查员丙"]))

    def extend(d):
        d.fields["deadline"].set_value("report")
        d.fields["extension"].amount.setValue(10)
        sign(d, "市纪委主要领导")
        d.fields["reason"].widget.setPlainText("案情复杂")
    record(qtbot, wizard, "extend_deadline", extend)
    extension = procedure.view(case_id).last("extend_deadline")
    assert (extension.get("deadline"), extension.get("working_days")) == ("report", 10)
    assert "已延长1次" in wizard.timeline["reported"].text()

    walkthrough.walk(procedure, case_id, until="served", start=TODAY)
    publish(qtbot, wizard, Changes.case(case_id))
    last = procedure.view(case_id).last_date
    dialog = open_form(qtbot, wizard, "lodge_appeal")
    dialog.fields["review_kind"].set_value("复查")
    dialog.fields["reason"].widget.setPlainText("认定事实有误")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # dated today, before the last record
    qtbot.waitUntil(lambda: bool(dialog.error.text()), timeout=10000)
    assert f"早于本案上一项记录的日期 {last.isoformat()}" in dialog.error.text()
    dialog.on_field.set_value(last)
    submit(qtbot, wizard, dialog)

    def change(d):
        d.on_field.set_value(last)
        d.fields["outcome"].set_value("modify")
        d.fields["reason"].widget.setPlainText("原决定适用方式过重")  # the review decision states its reasons
        check_form(d.fields["forms"], "通报批评")
        sign(d)
    record(qtbot, wizard, "decide_appeal", change)
    decided = procedure.view(case_id).last("decide_appeal")
    assert decided.get("outcome") == "modify" and decided.get("forms") == ["通报批评"]
    assert wizard.timeline["appeal_decided"].state == "current"
