"""Two people, one case, in the GUI: a form saved over someone else's change says so in Chinese, shows the case as it
is now, overwrites nothing and keeps what was typed (to put back, or to carry into the reopened form); the
clerk's own changes elsewhere in the window never make a form stale.

The "second person" signs in separately (another window, another program) and changes the case through the
services while the form is open.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from tests.unit.procedure_helpers import PAPER
from wenze_desktop.domain.models import AuditEntry, IssuedDocument, ProcedureEvent
from wenze_desktop.gui.case_form import CaseForm
from wenze_desktop.gui.changes import ChangeHub, Changes
from wenze_desktop.gui.documents_panel import DocumentsPanel, IssueDialog
from wenze_desktop.gui.wizard import CaseWizard
from wenze_desktop.procedure.actions import label_of
from wenze_desktop.services.accounts import AccountService
from wenze_desktop.services.auth import login
from wenze_desktop.services.cases import CaseService
from wenze_desktop.services.procedure import ProcedureService


@pytest.fixture
def hub() -> ChangeHub:
    return ChangeHub()


@pytest.fixture
def other(ctx, data_dir, clock):
    """李四, signed in on the same workspace elsewhere."""
    AccountService(ctx).create_user("lisi", "李四", ["handler"], "Lisi-密码-2026")
    second = login(data_dir, "lisi", "Lisi-密码-2026", clock=clock)
    yield second
    second.workspace.close()


def new_case(ctx, profile: str = "sh2022") -> str:
    return CaseService(ctx).create(profile, "关于王小明的问责案", "complaint", date(2026, 11, 2),
                                   respondents=[{"kind": "person", "name": "王小明"}], facts="原事实")


def filed_case(ctx) -> str:
    case_id = CaseService(ctx).create("gz2009", "关于张三的问责案", "complaint", date(2026, 11, 2),
                                      respondents=[{"kind": "person", "name": "张三"}], facts="原事实")
    procedure = ProcedureService(ctx)
    procedure.perform(case_id, "preliminary_check", on=date(2026, 11, 2))
    procedure.perform(case_id, "file_case", on=date(2026, 11, 3), approved_by="书记", paper_ref=PAPER)
    return case_id


def make_form(qtbot, ctx, hub, case_id) -> CaseForm:
    form = CaseForm(ctx, hub, case_id)
    form.ask_discard = lambda parent: True
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    qtbot.waitUntil(lambda: not form.loading, timeout=5000)
    return form


def respondent_names(form: CaseForm) -> list[str]:
    return sorted(form.respondents.item(r, 1).text() for r in range(form.respondents.rowCount()))


def audit_count(ctx) -> int:
    with ctx.workspace.session() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry))


# -- the case form ----------------------------------------------------------------------------------------------------

def test_a_save_over_someone_elses_change_is_refused_and_shows_the_case_as_it_is_now(qtbot, ctx, hub, other):
    case_id = new_case(ctx)
    form = make_form(qtbot, ctx, hub, case_id)
    form.title.setText("管理员改的名称")  # the clerk is typing …
    CaseService(other).update_case(case_id, facts="李四补充的事实")  # … while 李四 saves his change
    CaseService(other).add_respondent(case_id, "person", name="赵六")
    written = audit_count(ctx)
    assert form.save()
    qtbot.waitUntil(lambda: form.conflict_box.isVisible() and not form.loading and not form.saving, timeout=5000)

    message = form.conflict.text()
    assert "在您打开案件信息之后已被他人修改" in message and "李四（lisi）" in message
    assert "没有保存" in message and "恢复我的填写" in message
    # The form shows the case as stored now; the stored case is not overwritten.
    assert form.title.text() == "关于王小明的问责案" and form.facts.toPlainText() == "李四补充的事实"
    assert respondent_names(form) == ["王小明", "赵六"] and not form.is_dirty()
    details = CaseService(ctx).details(case_id)
    assert (details.title, details.facts) == ("关于王小明的问责案", "李四补充的事实")
    assert audit_count(ctx) == written

    # What was typed goes back on top of the fresh case, and saves.
    form.restore_unsaved()
    assert not form.conflict_box.isVisible() and form.is_dirty()
    assert form.title.text() == "管理员改的名称" and form.facts.toPlainText() == "李四补充的事实"
    assert respondent_names(form) == ["王小明", "赵六"]
    with qtbot.waitSignal(form.saved, timeout=5000):
        assert form.save()
    details = CaseService(ctx).details(case_id)
    assert (details.title, details.facts) == ("管理员改的名称", "李四补充的事实")
    assert sorted(r.name for r in details.respondents) == ["王小明", "赵六"]


def test_without_restoring_the_fresh_case_stays_and_saves_nothing_of_the_refused_input(qtbot, ctx, hub, other):
    case_id = new_case(ctx)
    form = make_form(qtbot, ctx, hub, case_id)
    form.facts.setPlainText("管理员写的事实")
    CaseService(other).update_case(case_id, facts="李四写的事实")
    form.save()
    qtbot.waitUntil(lambda: form.conflict_box.isVisible() and not form.loading, timeout=5000)
    form.dismiss_unsaved()
    assert not form.restore_button.isVisible() and form.facts.toPlainText() == "李四写的事实"
    assert CaseService(ctx).details(case_id).facts == "李四写的事实"


def test_the_clerks_own_record_in_the_wizard_leaves_the_form_being_edited_valid(qtbot, ctx, hub):
    case_id = new_case(ctx, "gz2009")
    form = make_form(qtbot, ctx, hub, case_id)
    form.title.setText("边办理边修改的名称")
    before = form.draft.version
    ProcedureService(ctx).perform(case_id, "preliminary_check", on=date(2026, 11, 2))  # as the wizard beside it
    with qtbot.waitSignal(form.reread, timeout=5000):
        hub.publish(Changes.case(case_id))
    assert form.draft.version > before and form.title.text() == "边办理边修改的名称"  # nothing it shows moved
    with qtbot.waitSignal(form.saved, timeout=5000):
        form.save()
    assert not form.conflict_box.isVisible()
    assert CaseService(ctx).details(case_id).title == "边办理边修改的名称"


def test_an_untouched_form_shows_a_change_made_elsewhere_in_the_window(qtbot, ctx, hub):
    case_id = new_case(ctx)
    form = make_form(qtbot, ctx, hub, case_id)
    CaseService(ctx).update_case(case_id, title="在别处改的名称")
    with qtbot.waitSignal(form.reread, timeout=5000):
        hub.publish(Changes.case(case_id))
    assert form.title.text() == "在别处改的名称" and not form.is_dirty()


def test_an_edited_form_keeps_its_version_when_the_change_concerns_what_it_shows(qtbot, ctx, hub):
    case_id = new_case(ctx)
    form = make_form(qtbot, ctx, hub, case_id)
    form.facts.setPlainText("我的事实")
    before = form.draft.version
    CaseService(ctx).update_case(case_id, title="别处改的名称")
    with qtbot.waitSignal(form.reread, timeout=5000):
        hub.publish(Changes.case(case_id))
    assert form.draft.version == before and form.facts.toPlainText() == "我的事实"  # the save will say so


# -- the wizard's forms -----------------------------------------------------------------------------------------------

@pytest.fixture
def wizard(qtbot, ctx, hub) -> CaseWizard:
    widget = CaseWizard(ctx, hub)
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    return widget


def show(qtbot, wizard: CaseWizard, case_id: str) -> None:
    with qtbot.waitSignal(wizard.refreshed, timeout=10000):
        wizard.show_case(case_id)


def events(ctx, case_id: str) -> list[str]:
    with ctx.workspace.session() as s:
        return list(s.scalars(select(ProcedureEvent.action).where(ProcedureEvent.case_id == case_id)
                              .order_by(ProcedureEvent.seq)))


def test_an_action_form_refused_by_a_change_reopens_on_the_fresh_case_with_the_typing(qtbot, ctx, wizard, other):
    case_id = filed_case(ctx)
    show(qtbot, wizard, case_id)
    qtbot.mouseClick(wizard.action_buttons["assign_investigators"], Qt.MouseButton.LeftButton)
    dialog = wizard.active_dialog
    dialog.fields["staff"].widget.setPlainText("调查员甲\n调查员乙")
    CaseService(other).add_respondent(case_id, "person", name="李某")  # meanwhile
    with qtbot.waitSignal(wizard.refreshed, timeout=10000):  # the wizard reads the case again by itself
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.reload_button.isVisible() and not dialog.ok_button.isEnabled()
    text = dialog.error.text()
    assert text.startswith("未能登记") and f"在您打开「{label_of('assign_investigators')}」登记表之后" in text
    assert "李四（lisi）" in text and "修改了被问责对象" in text and "载入最新内容" in text
    assert dialog.fields["staff"].value() == ["调查员甲", "调查员乙"]
    assert events(ctx, case_id) == ["preliminary_check", "file_case"]  # nothing recorded
    assert {r.name for r in wizard.view.respondents} == {"张三", "李某"}  # the fresh case, behind the form

    with qtbot.waitSignal(wizard.dialog_opened, timeout=10000) as opened:
        qtbot.mouseClick(dialog.reload_button, Qt.MouseButton.LeftButton)
    fresh = opened.args[0]
    assert fresh is not dialog and not dialog.isVisible() and fresh.isVisible()
    assert fresh.fields["staff"].value() == ["调查员甲", "调查员乙"]
    assert fresh.context.version == CaseService(ctx).details(case_id).version
    assert "已载入案件的最新内容" in fresh.error.text()
    with qtbot.waitSignals([wizard.action_recorded, wizard.refreshed], timeout=10000):
        qtbot.mouseClick(fresh.ok_button, Qt.MouseButton.LeftButton)
    assert events(ctx, case_id) == ["preliminary_check", "file_case", "assign_investigators"]


def test_an_action_someone_else_recorded_meanwhile_is_not_reopened(qtbot, ctx, wizard, other):
    case_id = CaseService(ctx).create("gz2009", "关于张三的问责案", "complaint", date(2026, 11, 2),
                                      respondents=[{"kind": "person", "name": "张三"}])
    show(qtbot, wizard, case_id)
    qtbot.mouseClick(wizard.action_buttons["preliminary_check"], Qt.MouseButton.LeftButton)
    dialog = wizard.active_dialog
    dialog.fields["summary"].widget.setPlainText("我写的初核意见")
    ProcedureService(other).perform(case_id, "preliminary_check", on=date(2026, 11, 2))
    with qtbot.waitSignal(wizard.refreshed, timeout=10000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert re.search(f"李四（lisi）于 .+ 登记了「{label_of('preliminary_check')}」", dialog.error.text())
    with qtbot.waitSignal(wizard.refreshed, timeout=10000):
        qtbot.mouseClick(dialog.reload_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and wizard.active_dialog is dialog  # not reopened: the step has moved on
    assert "现在不能登记" in dialog.error.text() and "没有登记" in dialog.error.text()
    assert dialog.fields["summary"].value() == "我写的初核意见"  # still there to copy
    assert events(ctx, case_id) == ["preliminary_check"]
    asked = []
    dialog.confirm_discard = lambda: asked.append(True) or True  # (the question would block the test run)
    dialog.reject()  # 取消 still works, after asking: what was typed would be lost
    assert asked and not dialog.isVisible()


# -- issuing a document -----------------------------------------------------------------------------------------------

def test_an_issue_over_a_change_numbers_nothing_and_lists_the_case_afresh(qtbot, ctx, hub, other):
    case_id = filed_case(ctx)
    panel = DocumentsPanel(ctx, hub)
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(panel.refreshed, timeout=10000):
        panel.show_case(case_id)
    panel.exec_dialog = lambda dialog: isinstance(dialog, IssueDialog)
    assert panel.select("filing_decision") and panel.issue_button.isEnabled()
    CaseService(other).update_case(case_id, facts="李四补充的事实")
    with qtbot.waitSignal(panel.refreshed, timeout=10000):
        qtbot.mouseClick(panel.issue_button, Qt.MouseButton.LeftButton)
    note = panel.changed_note.text()
    assert panel.changed_note.isVisible() and "李四（lisi）" in note and "文书没有签发" in note
    with ctx.workspace.session() as s:
        assert s.scalar(select(func.count()).select_from(IssuedDocument)) == 0
    # The list is the fresh one now: issuing from it works.
    assert panel.select("filing_decision")
    with qtbot.waitSignal(panel.document_issued, timeout=15000) as issued:
        qtbot.mouseClick(panel.issue_button, Qt.MouseButton.LeftButton)
    assert issued.args[0].number and not panel.changed_note.isVisible()


def test_a_correction_refused_by_a_change_reopens_with_the_users_edit_on_the_fresh_record(qtbot, ctx, wizard, other):
    case_id = filed_case(ctx)
    show(qtbot, wizard, case_id)
    wizard.history.setCurrentRow(0)  # the latest record: 立案
    dialog = wizard.correct_record()
    dialog.fields["approved_by"].widget.setText("副书记")
    dialog.reason_field.widget.setPlainText("批准人录错")
    event_id = dialog.context.correcting.id
    ProcedureService(other).amend(case_id, event_id, reason="呈批表编号录错", data={"paper_ref": "呈批〔2026〕9号"})
    with qtbot.waitSignal(wizard.refreshed, timeout=10000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text().startswith("未能更正") and "更正了办理记录" in dialog.error.text()
    with qtbot.waitSignal(wizard.dialog_opened, timeout=10000) as opened:
        qtbot.mouseClick(dialog.reload_button, Qt.MouseButton.LeftButton)
    fresh = opened.args[0]
    assert fresh.fields["approved_by"].value() == "副书记"  # the user's correction …
    assert fresh.fields["paper_ref"].value() == "呈批〔2026〕9号"  # … on the record as 李四 corrected it
    assert fresh.reason_field.value() == "批准人录错"
    with qtbot.waitSignal(wizard.refreshed, timeout=10000):
        qtbot.mouseClick(fresh.ok_button, Qt.MouseButton.LeftButton)
    record = ProcedureService(ctx).history(case_id)[-1]
    assert (record.get("approved_by"), record.get("paper_ref")) == ("副书记", "呈批〔2026〕9号")
    assert [r["reason"] for r in record.revisions] == ["呈批表编号录错", "批准人录错"]
