"""The case form: create and edit a case, validation beside the field, asking before edits are lost, attachments.

Loading and saving run on the database worker: the tests wait for ``loading`` to end and for ``saved`` (or the
hub's ``changed``). Chinese text is entered with setText (QTest.keyClicks with Chinese characters aborts Qt).
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from sqlalchemy import select

from wenze_desktop.domain.models import AuditEntry, Case
from wenze_desktop.errors import ValidationError
from wenze_desktop.gui.case_form import CaseForm
from wenze_desktop.gui.changes import ChangeHub
from wenze_desktop.gui.respondent_dialog import RespondentDialog
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.services.cases import CaseService


@pytest.fixture
def hub() -> ChangeHub:
    return ChangeHub()


def make_form(qtbot, ctx, hub, case_id=None) -> CaseForm:
    form = CaseForm(ctx, hub, case_id)
    form.ask_discard = lambda parent: True  # a real question would block the test run (teardown closes the form)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    qtbot.waitUntil(lambda: not form.loading, timeout=3000)
    return form


def save(qtbot, form: CaseForm) -> None:
    """Save and wait until the database worker has stored it."""
    with qtbot.waitSignal(form.saved, timeout=3000):
        assert form.save()


def fill_respondent(name: str, role: str = "", kind: str = "person"):
    """Stands in for the user in RespondentDialog: types the name, picks kind and role, presses 确定."""

    def run(dialog: QDialog) -> bool:
        if isinstance(dialog, RespondentDialog):
            dialog.kind.setCurrentIndex(dialog.kind.findData(kind))
            dialog.name.setText(name)
            if role:
                dialog.role.setCurrentIndex(dialog.role.findData(role))
        dialog.apply()
        return dialog.result() == QDialog.DialogCode.Accepted

    return run


def choose(combo, data) -> None:
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


def fill_new_case(form: CaseForm, regulation: str = "sh2022") -> None:
    choose(form.regulation, regulation)
    form.title.setText("关于王小明创卫工作不力的问责案")
    choose(form.clue_source, "media")
    form.provider.setText("双河日报")
    form.clue_content.setPlainText("媒体曝光某街道环境卫生长期不达标")
    form.facts.setPlainText("经初步核实，情况属实")
    form.exec_dialog = fill_respondent("王小明", role="分管领导")
    form.add_respondent()


def stored_cases(ctx) -> list:
    with ctx.workspace.session() as s:
        return s.scalars(select(Case.id)).all()


def test_create_with_chinese_respondent_by_ctrl_s(qtbot, ctx, hub):
    form = make_form(qtbot, ctx, hub)
    fill_new_case(form)
    assert form.is_dirty()
    published = []
    hub.changed.connect(published.append)
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow, timeout=3000)  # a window shortcut needs its window active
    form.title.setFocus()
    with qtbot.waitSignal(hub.changed, timeout=3000), qtbot.waitSignal(form.saved, timeout=3000) as saved:
        qtbot.keyClick(form.title, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    case_id = saved.args[0]
    details = CaseService(ctx).details(case_id)
    assert details.title == "关于王小明创卫工作不力的问责案" and details.regulation_id == "sh2022"
    assert (details.clue.source, details.clue.provider) == ("media", "双河日报")
    [person] = details.respondents
    assert (person.name, person.kind, person.role) == ("王小明", "person", "分管领导")
    assert published[-1].case_ids == {case_id} and published[-1].cases_added
    assert not form.is_dirty() and form.case_id == case_id
    assert form.windowTitle() == f"案件 {details.number}" and not form.regulation.isEnabled()


def test_create_by_the_save_button(qtbot, ctx, hub):
    form = make_form(qtbot, ctx, hub)
    fill_new_case(form, "ccp2016")
    form.exec_dialog = fill_respondent("中共某县委组织部", kind="unit")
    form.add_respondent()
    with qtbot.waitSignal(form.saved, timeout=3000):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    [case_id] = stored_cases(ctx)
    names = sorted(r.name for r in CaseService(ctx).details(case_id).respondents)
    assert names == ["中共某县委组织部", "王小明"]


def test_empty_title_is_shown_beside_the_field_and_nothing_saved(qtbot, ctx, hub):
    form = make_form(qtbot, ctx, hub)
    fill_new_case(form)
    form.title.setText("")
    form.tabs.setCurrentIndex(2)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    label = form.errors["title"]
    assert label.isVisible() and label.text() == "请填写案件名称。"
    assert form.tabs.currentIndex() == 0  # the tab holding the field is brought forward
    assert stored_cases(ctx) == [] and form.case_id is None
    form.title.setText("补上名称")
    save(qtbot, form)
    assert not label.isVisible()


def test_cancelling_a_dirty_form_asks_and_no_keeps_everything(qtbot, ctx, hub):
    form = make_form(qtbot, ctx, hub)
    asked = []
    form.ask_discard = lambda parent: asked.append(parent) or False
    assert form.close()  # nothing typed yet: closes without asking
    assert asked == []
    form.show()
    fill_new_case(form)
    assert not form.close()
    assert asked == [form] and form.isVisible()
    assert form.title.text() == "关于王小明创卫工作不力的问责案" and len(form.draft.respondents) == 1
    form.revert()  # 放弃修改, answered No
    assert len(asked) == 2 and form.title.text() == "关于王小明创卫工作不力的问责案"
    assert not form.confirm_discard() and form.is_dirty()
    form.ask_discard = lambda parent: True
    form.revert()
    assert form.title.text() == "" and form.draft.respondents == [] and not form.is_dirty()


def test_editing_an_existing_case_updates_it(qtbot, ctx, hub):
    cases = CaseService(ctx)
    case_id = cases.create("sh2022", "原名称", "complaint", date(2026, 11, 2),
                           respondents=[{"kind": "person", "name": "张三"}, {"kind": "person", "name": "李四"}])
    form = make_form(qtbot, ctx, hub, case_id)
    assert not form.is_dirty() and form.title.text() == "原名称"
    form.title.setText("关于张三的问责案")
    form.facts.setPlainText("补充的事实")
    form.exec_dialog = fill_respondent("张三丰", role="主要领导")
    form.edit_respondent(0)
    form.remove_respondent(1)
    form.exec_dialog = fill_respondent("赵六", role="直接责任人")
    form.add_respondent()
    form.exec_dialog = lambda dialog: (dialog.title.setText("询问笔录"), dialog.apply(), dialog.result())[-1]
    form.add_evidence()
    with qtbot.waitSignal(hub.changed, timeout=3000) as heard:
        assert form.save()
    details = cases.details(case_id)
    assert (details.title, details.facts) == ("关于张三的问责案", "补充的事实")
    assert sorted((r.name, r.role) for r in details.respondents) == [("张三丰", "主要领导"), ("赵六", "直接责任人")]
    assert [e.title for e in details.evidence] == ["询问笔录"]
    assert not heard.args[0].cases_added and heard.args[0].case_ids == {case_id}
    with ctx.workspace.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "case.update")).one()
    assert json.loads(entry.old_values)["title"] == "原名称"
    assert not form.is_dirty()


def test_adding_an_attachment_shows_its_sha256_and_opens_checked(qtbot, ctx, hub, tmp_path, monkeypatch):
    content = "调查笔录：某某街道".encode() * 100
    path = tmp_path / "调查笔录.txt"
    path.write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    form = make_form(qtbot, ctx, hub)
    fill_new_case(form)
    form.choose_file = lambda parent: str(path)
    form.add_attachment()
    assert form.attachments.item(0, 2).text() == digest
    assert form.attachments.item(0, 0).text() == "调查笔录.txt（未保存）"
    save(qtbot, form)
    assert form.attachments.item(0, 0).text() == "调查笔录.txt"
    assert form.attachments.item(0, 2).text() == digest
    [stored] = CaseService(ctx).list_attachments(form.case_id)
    assert stored.sha256 == digest and stored.size == len(content)

    opened = []
    form.open_url = lambda url: opened.append(url.toLocalFile()) or True
    form.open_attachment(0)  # read (and checked) on the database worker
    qtbot.waitUntil(lambda: bool(opened), timeout=3000)
    assert Path(opened[0]).read_bytes() == content

    # A tampered attachment is not handed to the viewer: the hash check refuses it, with a message.
    from sqlalchemy import text

    with ctx.workspace.engine.begin() as conn:
        conn.execute(text("UPDATE attachment SET content = X'00'"))
    warnings = []
    monkeypatch.setattr("wenze_desktop.gui.messages.QMessageBox.warning",
                        lambda parent, title, message: warnings.append(message))
    form.open_attachment(0)
    qtbot.waitUntil(lambda: bool(warnings), timeout=3000)
    assert len(opened) == 1 and "哈希不符" in warnings[0]


@pytest.mark.parametrize(("profile_id", "roles", "responsibilities"), [
    ("sh2022", True, False), ("ccp2016", True, True), ("wf2011", False, False)])
def test_role_combo_only_where_the_profile_names_roles(qtbot, profile_id, roles, responsibilities):
    profile = load_profile(profile_id)
    dialog = RespondentDialog(profile)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.role.isVisible() == roles and dialog.responsibility.isVisible() == responsibilities
    if roles:
        assert [dialog.role.itemText(i) for i in range(1, dialog.role.count())] == list(profile.respondent_roles)


def test_form_table_columns_follow_the_chosen_regulation(qtbot, ctx, hub):
    form = make_form(qtbot, ctx, hub)
    choose(form.regulation, "wf2011")
    assert form.respondents.isColumnHidden(3) and form.respondents.isColumnHidden(4)
    choose(form.regulation, "ccp2016")
    assert not form.respondents.isColumnHidden(3) and not form.respondents.isColumnHidden(4)
    form.title.setText("换规定")
    form.exec_dialog = fill_respondent("王小明", role="直接主管的班子成员")
    form.add_respondent()
    choose(form.regulation, "sh2022")  # the role chosen under ccp2016 is not one sh2022 names
    assert not form.save()
    assert "不是《" in form.errors["respondents"].text() and stored_cases(ctx) == []


def test_unit_fields_replace_person_fields(qtbot):
    dialog = RespondentDialog(load_profile("sh2022"))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.gender.isVisible() and not dialog.principal.isVisible()
    choose(dialog.kind, "unit")
    assert not dialog.gender.isVisible() and dialog.principal.isVisible()
    dialog.apply()
    assert dialog.name_error.text() == "请填写单位全称。" and dialog.result() != QDialog.DialogCode.Accepted


def test_viewer_copies_left_by_a_crash_are_removed_at_start(tmp_path, monkeypatch):
    from wenze_desktop.gui.case_parts_widgets import VIEWER_PREFIX, ViewerFiles, remove_stale_viewer_copies

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    ViewerFiles().write("证据.txt", "明文".encode())  # in use by this run: counted, as a crash would leave it
    leftover = tmp_path / f"{VIEWER_PREFIX}old"
    leftover.mkdir()
    (leftover / "笔录.txt").write_text("明文")
    unrelated = tmp_path / "other"
    unrelated.mkdir()
    assert remove_stale_viewer_copies() >= 1
    assert not leftover.exists() and unrelated.exists()


def test_an_archived_case_opens_read_only_with_the_reason(qtbot, ctx, hub):
    from tests.unit.procedure_helpers import new_case, walk
    from wenze_desktop.services import Workspace

    ws = Workspace(ctx)
    case_id = new_case(ws, "gz2009")
    walk(ws, case_id, until="archived", start=date(2026, 3, 2))
    form = make_form(qtbot, ctx, hub, case_id)
    assert not form.save_button.isEnabled() and not form.revert_button.isEnabled()
    assert "案件已终结（归档）" in form.error.text() and form.error.isVisible()


# -- one transaction, on the database worker -----------------------------------------------------------------------

def audit_actions(ctx) -> list[str]:
    with ctx.workspace.session() as s:
        return s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()


def test_a_new_case_is_stored_off_the_gui_thread_and_the_registry_hears_of_it(qtbot, ctx, hub, gui_settings):
    from wenze_desktop.gui.registry_view import RegistryView

    registry = RegistryView(ctx, hub, gui_settings)
    qtbot.addWidget(registry)
    registry.show()
    qtbot.waitUntil(lambda: not registry.model.loading, timeout=5000)
    assert registry.model.rowCount() == 0
    form = make_form(qtbot, ctx, hub)
    fill_new_case(form)
    with qtbot.waitSignal(hub.changed, timeout=3000) as heard:
        assert form.save()
        # The answer has not come yet: the form is usable, but a second save cannot start.
        assert not form.save_button.isEnabled() and form.save_button.text() == "正在保存…"
        assert form.title.isEnabled() and not form.save()
    [case_id] = stored_cases(ctx)
    assert heard.args[0].case_ids == {case_id} and heard.args[0].cases_added
    assert form.case_id == case_id and form.save_button.isEnabled() and form.save_button.text() == "保存"
    qtbot.waitUntil(lambda: registry.model.rowCount() == 1, timeout=5000)
    assert registry.model.case_id_at(0) == case_id


def test_a_failing_save_stores_nothing_and_keeps_what_was_typed(qtbot, ctx, hub, tmp_path, monkeypatch):
    path = tmp_path / "录像.mp4"
    path.write_bytes(b"0123456789")
    form = make_form(qtbot, ctx, hub)
    fill_new_case(form)
    form.add_attachment(str(path))
    before = audit_actions(ctx)
    seen = []

    def refuse_the_file(service, session, case_id, filename, *args):
        # The case and its respondent are in the (uncommitted) transaction when the file is refused.
        seen.append([r.name for r in session.get(Case, case_id).respondents])
        raise ValidationError(f"附件「{filename}」超过 9 字节，请压缩或拆分后再添加。")

    monkeypatch.setattr(CaseService, "_add_attachment", refuse_the_file)
    assert form.save()
    qtbot.waitUntil(lambda: form.save_button.isEnabled(), timeout=3000)
    assert seen == [["王小明"]]
    assert "未能保存" in form.error.text() and "超过" in form.error.text() and form.error.isVisible()
    assert stored_cases(ctx) == [] and audit_actions(ctx) == before
    assert form.case_id is None and form.is_dirty() and form.regulation.isEnabled()
    assert form.title.text() == "关于王小明创卫工作不力的问责案" and form.provider.text() == "双河日报"
    assert [r.fields["name"] for r in form.draft.respondents] == ["王小明"]
    assert form.attachments.item(0, 0).text() == "录像.mp4（未保存）"
    monkeypatch.undo()
    save(qtbot, form)  # the same form, saved again: all of it this time
    [case_id] = stored_cases(ctx)
    details = CaseService(ctx).details(case_id)
    assert [r.name for r in details.respondents] == ["王小明"] and [a.filename for a in details.attachments] == [
        "录像.mp4"]
    assert not form.is_dirty() and form.error.text() == ""


def test_a_refused_edit_leaves_the_case_and_the_form_as_they_were(qtbot, ctx, hub):
    cases = CaseService(ctx)
    first = cases.create("sh2022", "另一案", "complaint", date(2026, 11, 2))
    case_id = cases.create("sh2022", "原名称", "complaint", date(2026, 11, 2),
                           respondents=[{"kind": "person", "name": "张三"}])
    stored = cases.details(case_id)
    form = make_form(qtbot, ctx, hub, case_id)
    form.title.setText("新名称")
    form.remove_respondent(0)
    form.number.setText(cases.details(first).number)  # already taken: refused, after nothing was kept
    assert form.save()
    qtbot.waitUntil(lambda: form.save_button.isEnabled(), timeout=3000)
    assert "已被使用" in form.error.text()
    assert cases.details(case_id) == stored
    assert form.title.text() == "新名称" and form.draft.respondents == [] and form.is_dirty()


def test_edits_made_while_saving_are_kept_for_the_next_save(qtbot, ctx, hub):
    from wenze_desktop.gui.ops import run_op

    form = make_form(qtbot, ctx, hub)
    fill_new_case(form)
    release = threading.Event()
    run_op(form, "", lambda: release.wait(5), busy_dialog=False)  # the worker is busy: the save waits its turn
    assert form.save()
    form.title.setText("改过的名称")  # typed while the save is under way
    form.exec_dialog = fill_respondent("李四", role="直接责任人")
    form.add_respondent()
    with qtbot.waitSignal(form.saved, timeout=3000):
        release.set()
    [case_id] = stored_cases(ctx)
    assert CaseService(ctx).details(case_id).title == "关于王小明创卫工作不力的问责案"
    assert form.title.text() == "改过的名称" and form.is_dirty() and form.case_id == case_id
    assert form.draft.respondents[0].id is not None and form.draft.respondents[1].id is None
    save(qtbot, form)
    details = CaseService(ctx).details(case_id)
    assert details.title == "改过的名称" and sorted(r.name for r in details.respondents) == ["李四", "王小明"]
    assert not form.is_dirty() and stored_cases(ctx) == [case_id]


def test_an_attachment_removed_in_the_form_is_deleted_on_save(qtbot, ctx, hub, tmp_path):
    cases = CaseService(ctx)
    case_id = cases.create("sh2022", "原名称", "complaint", date(2026, 11, 2))
    attachment_id = cases.add_attachment(case_id, "笔录.txt", b"record")
    cases.add_evidence(case_id, "询问笔录", attachment_id=attachment_id)
    form = make_form(qtbot, ctx, hub, case_id)
    form.remove_attachment(0)
    assert form.evidence.item(0, 5).text() == ""  # the evidence stays, without its file
    save(qtbot, form)
    details = cases.details(case_id)
    assert details.attachments == () and [(e.title, e.attachment_id) for e in details.evidence] == [("询问笔录", None)]
    assert "attachment.delete" in audit_actions(ctx)


def test_the_form_reaches_the_database_only_on_the_worker(qtbot, ctx, hub, tmp_path, monkeypatch):
    from wenze_desktop.storage.workspace import Workspace as Storage

    cases = CaseService(ctx)
    case_id = cases.create("sh2022", "原名称", "complaint", date(2026, 11, 2))
    cases.add_attachment(case_id, "笔录.txt", b"record")
    threads, real_session, real_writing = [], Storage.session, Storage.writing
    # Reads and writes alike (services read in write transactions too): every way into the database.
    monkeypatch.setattr(Storage, "session", lambda self: threads.append(threading.current_thread().name)
                        or real_session(self))
    monkeypatch.setattr(Storage, "writing", lambda self: threads.append(threading.current_thread().name)
                        or real_writing(self))
    form = make_form(qtbot, ctx, hub, case_id)  # loading
    form.title.setText("新名称")
    save(qtbot, form)
    form.title.setText("又改了")
    form.revert()  # reloading
    qtbot.waitUntil(lambda: not form.loading, timeout=3000)
    opened = []
    form.open_url = lambda url: opened.append(url) or True
    form.open_attachment(0)
    qtbot.waitUntil(lambda: bool(opened), timeout=3000)
    assert threads and all(name.startswith("wenze-db") for name in threads), threads
    assert form.title.text() == "新名称"


# -- putting a refused save's changes back on the case as it is now (case_draft.reapply, no Qt) -----------------------

def test_reapply_puts_the_users_changes_on_the_fresh_case_and_keeps_the_other_persons():
    from wenze_desktop.gui.case_draft import AttachmentRow, CaseDraft, EvidenceRow, RespondentRow, reapply

    def stored(**changes) -> CaseDraft:
        draft = CaseDraft(
            regulation_id="sh2022", title="原名称", number="C-1", facts="原事实", clue_id="c",
            clue={"source": "media", "received_on": date(2026, 11, 2), "provider": "原提供人", "content": "原内容"},
            respondents=[RespondentRow({"kind": "person", "name": "王小明"}, id="r1"),
                         RespondentRow({"kind": "person", "name": "张三"}, id="r2")],
            evidence=[EvidenceRow({"title": "笔录"}, attachment_key="a1", id="e1")],
            attachments=[AttachmentRow("笔录.pdf", 3, "sha-a1", id="a1", key="a1")], case_id="k", version=1)
        for key, value in changes.items():
            setattr(draft, key, value)
        return draft

    base = stored()
    mine = stored(title="我改的名称", clue={**base.clue, "content": "我补充的内容"},
                  respondents=[RespondentRow({"kind": "person", "name": "王小明（已更正）"}, id="r1"),
                               RespondentRow({"kind": "person", "name": "新增的李四"})],
                  removed_respondents=["r2"],
                  attachments=[*base.attachments, AttachmentRow.from_bytes("新附件.txt", b"new", "text/plain")])
    zhao = RespondentRow({"kind": "person", "name": "他人新增的赵六"}, id="r3")
    fresh = stored(facts="他人补充的事实", clue={**base.clue, "provider": "他人改的提供人"}, version=4,
                   respondents=[*base.respondents, zhao])
    merged = reapply(base, mine, fresh)
    assert (merged.title, merged.facts, merged.version) == ("我改的名称", "他人补充的事实", 4)
    assert (merged.clue["provider"], merged.clue["content"]) == ("他人改的提供人", "我补充的内容")
    assert [(r.id, r.fields["name"]) for r in merged.respondents] == [
        ("r1", "王小明（已更正）"), ("r3", "他人新增的赵六"), (None, "新增的李四")]
    assert merged.removed_respondents == ["r2"]
    assert [a.filename for a in merged.attachments] == ["笔录.pdf", "新附件.txt"]
    assert merged.attachments[1].content == b"new" and merged.evidence[0].attachment_key == "a1"
    # A part the other person removed meanwhile stays removed, even if the user had edited it.
    gone = stored(respondents=[base.respondents[1]], version=5)
    assert [r.id for r in reapply(base, mine, gone).respondents] == [None]  # r1 gone, r2 removed by the user
