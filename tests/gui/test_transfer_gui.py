"""USB case transfer from the GUI: export, import with preview, office keys (with QR code), conflicts."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog

from tests.unit.transfer_helpers import befriend, office, rich_case
from wenze_desktop.errors import ValidationError
from wenze_desktop.gui.changes import ChangeHub
from wenze_desktop.gui.office_keys_dialog import OfficeKeysDialog, qr_modules
from wenze_desktop.gui.transfer_dialogs import ConflictsDialog, differences, is_removable
from wenze_desktop.gui.transfer_export import ExportDialog
from wenze_desktop.gui.transfer_import import NOTHING_IMPORTED, ImportDialog

WAIT = 30000


@pytest.fixture(autouse=True)
def no_modal_boxes(monkeypatch):
    """Every prompt goes through a dialog's seam; a message box popping up would hang the test, so it fails it."""
    def refuse(*args, **_kwargs):
        raise AssertionError(f"unexpected message box: {args[1:]}")

    for name in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(f"PySide6.QtWidgets.QMessageBox.{name}", refuse)


@pytest.fixture
def offices(tmp_path, clock):
    """甲单位 with one rich case and 乙单位, each trusting the other."""
    a, b = office(tmp_path, "甲单位", clock), office(tmp_path, "乙单位", clock)
    befriend(a, b)
    case_id = rich_case(a)
    yield a, b, case_id
    a.close()
    b.close()


@pytest.fixture
def usb(tmp_path) -> Path:
    stick = tmp_path / "usb"
    stick.mkdir()
    return stick


def click(qtbot, button) -> None:
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def case_exists(ws, case_id: str) -> bool:
    try:
        ws.cases.get_case(case_id)
    except ValidationError:
        return False
    return True


def loaded_export(qtbot, ws, case_ids) -> ExportDialog:
    """The dialog once the cases and the trusted offices arrived from the database worker."""
    dialog = ExportDialog(ws, case_ids)
    qtbot.addWidget(dialog)
    assert not dialog.export_button.isEnabled()
    with qtbot.waitSignal(dialog.loaded, timeout=WAIT):
        pass
    return dialog


def keys_dialog(qtbot, ws) -> OfficeKeysDialog:
    dialog = OfficeKeysDialog(ws)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.refreshed, timeout=WAIT):
        pass
    return dialog


def export_dialog(qtbot, ws, case_id, folder: Path, name: str = "交接.wzpkg") -> ExportDialog:
    dialog = loaded_export(qtbot, ws, [case_id])
    dialog.folder.setText(str(folder))
    dialog.file_name.setText(name)
    return dialog


def preview(qtbot, dialog: ImportDialog):
    with qtbot.waitSignal(dialog.previewed, timeout=WAIT) as seen:
        click(qtbot, dialog.preview_button)
    return seen.args[0]


# -- export --------------------------------------------------------------------------------------------------------

def test_export_to_a_trusted_office_writes_a_package_the_office_can_open(qtbot, offices, usb):
    a, b, case_id = offices
    case = a.cases.get_case(case_id)
    dialog = export_dialog(qtbot, a, case_id, usb, name="交接")  # the suffix is added
    assert dialog.cases.item(0).text() == f"{case.number}　{case.title}"
    assert dialog.default_name() == "案件数据包-20261123-1件.wzpkg"
    assert dialog.to_office.isChecked() and dialog.office.count() == 1  # own key is not a recipient
    fingerprint = b.keys.own().fingerprint
    assert dialog.office.currentText() == f"乙单位（指纹 {fingerprint}）" and dialog.office.currentData() == fingerprint
    with qtbot.waitSignal(dialog.exported, timeout=WAIT) as done:
        click(qtbot, dialog.export_button)

    result = done.args[0]
    path = usb / "交接.wzpkg"
    assert result.path == path and path.is_file() and result.recipient == "乙单位"
    assert not dialog.output.isHidden() and f"SHA-256：{result.sha256}" in dialog.output.toPlainText()
    assert str(path) in dialog.output.toPlainText() and dialog.close_button.text() == "关闭"
    assert b.transfer.inspect(path).cases[0].label == "新增"  # it decrypts and verifies at the receiver

    asked = []
    dialog.confirm = lambda text: asked.append(text) or False  # 否 at the overwrite warning: nothing happens
    assert not dialog.export()
    assert asked and "已存在" in asked[0] and path.stat().st_size == result.size


def test_passphrase_mismatch_or_too_short_blocks_export(qtbot, offices, usb):
    a, _b, case_id = offices
    dialog = export_dialog(qtbot, a, case_id, usb)
    dialog.show()
    dialog.by_passphrase.setChecked(True)
    assert not dialog.office.isEnabled() and dialog.passphrase.isEnabled()
    dialog.passphrase.setText("correct horse")
    dialog.passphrase_again.setText("correct house")
    click(qtbot, dialog.export_button)
    assert dialog.error.isVisible() and dialog.error.text() == "两次输入的口令不一致，请重新输入。"
    dialog.passphrase.setText("short")
    dialog.passphrase_again.setText("short")
    assert not dialog.export() and dialog.error.text() == "口令至少需要 8 个字符。"
    assert list(usb.iterdir()) == []
    dialog.to_office.setChecked(True)
    dialog.folder.setText(str(usb / "拔出的U盘"))
    assert not dialog.export() and "不存在" in dialog.error.text()


def test_export_without_trusted_offices_offers_only_the_passphrase(qtbot, tmp_path, clock):
    lonely = office(tmp_path, "丙单位", clock)
    try:
        case_id = lonely.cases.create_case("丙-2026-1", "测试案件", "gz2009")
        dialog = loaded_export(qtbot, lonely.ctx, [case_id])  # a window holding only the context may pass it
        assert dialog.by_passphrase.isChecked() and not dialog.to_office.isEnabled()
        assert not dialog.no_office.isHidden()
        # the dialog says what the receiver then needs: this office's key among its trusted ones
        own = lonely.keys.own().fingerprint
        assert not dialog.passphrase_trust.isHidden() and own in dialog.passphrase_trust.text()
        assert "拒绝导入" in dialog.passphrase_trust.text()
    finally:
        lonely.close()


# -- import --------------------------------------------------------------------------------------------------------

def test_import_previews_then_imports(qtbot, offices, usb):
    a, b, case_id = offices
    path = a.transfer.export([case_id], usb / "p.wzpkg", to="乙单位").path
    hub = ChangeHub()
    published = []
    hub.changed.connect(published.append)
    dialog = ImportDialog(b, hub=hub)
    qtbot.addWidget(dialog)
    assert not dialog.preview_button.isEnabled() and not dialog.import_button.isEnabled()
    dialog.path.setText(str(path))
    assert dialog.kind == "x25519" and dialog.passphrase.isHidden()
    shown = preview(qtbot, dialog)
    assert shown.summary() == "新增 1 件" and not case_exists(b, case_id)  # a dry run writes nothing
    number = a.cases.get_case(case_id).number
    assert [dialog.table.item(0, c).text() for c in range(3)] == [number, "关于张三的问责案", "新增"]
    assert "发送单位：甲单位" in dialog.header.text() and a.keys.own().fingerprint in dialog.header.text()
    assert "导出人：admin" in dialog.header.text() and "新增 1 件" in dialog.header.text()
    with qtbot.waitSignal(dialog.imported, timeout=WAIT):
        click(qtbot, dialog.import_button)

    assert b.cases.get_case(case_id).title == "关于张三的问责案"
    assert dialog.status.text().startswith("导入完成：新增 1 件") and not dialog.import_button.isEnabled()
    assert published and case_id in published[0].case_ids and published[0].cases_added


def test_a_tampered_package_is_refused_and_nothing_is_imported(qtbot, offices, usb):
    a, b, case_id = offices
    path = a.transfer.export([case_id], usb / "p.wzpkg", to="乙单位").path
    dialog = ImportDialog(b)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(path))
    preview(qtbot, dialog)
    data = bytearray(path.read_bytes())
    data[-20] ^= 0x01  # altered after the preview, on the stick
    path.write_bytes(bytes(data))
    click(qtbot, dialog.import_button)
    qtbot.waitUntil(lambda: NOTHING_IMPORTED in dialog.status.text(), timeout=WAIT)
    assert not case_exists(b, case_id) and not dialog.import_button.isEnabled()

    click(qtbot, dialog.preview_button)  # the preview refuses it as well
    qtbot.waitUntil(lambda: NOTHING_IMPORTED in dialog.status.text(), timeout=WAIT)
    assert dialog.preview is None and dialog.table.rowCount() == 0 and not case_exists(b, case_id)


def test_an_error_after_the_import_committed_never_says_nothing_was_imported(qtbot, offices, usb, monkeypatch):
    a, b, case_id = offices
    path = a.transfer.export([case_id], usb / "p.wzpkg", to="乙单位").path

    def broken(_changes):
        raise RuntimeError("界面通知失败")

    monkeypatch.setattr(b.ctx, "changed", broken)  # fails once the import is committed
    dialog = ImportDialog(b)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(path))
    preview(qtbot, dialog)
    with qtbot.waitSignal(dialog.imported, timeout=WAIT):
        click(qtbot, dialog.import_button)
    assert case_exists(b, case_id)
    assert dialog.status.text().startswith("数据包已导入：新增 1 件") and "界面通知失败" in dialog.status.text()
    assert NOTHING_IMPORTED not in dialog.status.text() and dialog.table.item(0, 2).text() == "新增"


def test_a_passphrase_package_asks_for_the_passphrase(qtbot, tmp_path, offices):
    _a, b, _case_id = offices
    fake = tmp_path / "fake.wzpkg"
    fake.write_bytes(b"age-encryption.org/v1\n-> scrypt c2FsdA 18\nxxxx\n--- abc\n")
    dialog = ImportDialog(b)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(fake))
    assert dialog.kind == "scrypt" and not dialog.passphrase.isHidden()
    assert not dialog.run_preview() and "请输入" in dialog.status.text()
    other = tmp_path / "note.wzpkg"
    other.write_bytes(b"not a package")
    dialog.path.setText(str(other))
    assert dialog.kind is None and not dialog.preview_button.isEnabled() and "不是" in dialog.status.text()


# -- office keys ---------------------------------------------------------------------------------------------------

def test_keys_dialog_lists_exports_with_qr_imports_and_removes(qtbot, offices, tmp_path, clock):
    a, b, _case_id = offices
    dialog = keys_dialog(qtbot, a)
    own = a.keys.own()
    assert (dialog.own_name.text(), dialog.own_fingerprint.text()) == ("甲单位", own.fingerprint)
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 0).text() == "乙单位"
    assert dialog.table.item(0, 1).text() == b.keys.own().fingerprint and dialog.table.item(0, 2).text() == "admin"

    dialog.choose_save_path = lambda name: str(tmp_path / "甲单位公钥")
    with qtbot.waitSignal(dialog.exported, timeout=WAIT) as exported:
        assert dialog.export_own()
    saved = exported.args[0]
    assert saved == tmp_path / "甲单位公钥.wzkey"
    assert b.keys.preview(saved.read_text("utf-8")).fingerprint == own.fingerprint
    assert not dialog.qr.pixmap().isNull() and dialog.qr.pixmap().width() >= 200

    third = office(tmp_path, "丙单位", clock)
    try:
        key_file = tmp_path / "丙.wzkey"
        key_file.write_text(third.keys.export_public()[0], "utf-8")
        fingerprint = third.keys.own().fingerprint
    finally:
        third.close()
    asked = []
    dialog.choose_file = lambda: str(key_file)
    dialog.confirm = lambda title, text: asked.append(text) or False  # not compared yet: not trusted
    assert not dialog.import_key() and dialog.table.rowCount() == 1
    assert "丙单位" in asked[0] and fingerprint in asked[0] and "电话" in asked[0]
    dialog.confirm = lambda title, text: True
    with qtbot.waitSignal(dialog.refreshed, timeout=WAIT), qtbot.waitSignal(dialog.changed, timeout=WAIT):
        assert dialog.import_key()
    assert sorted(dialog.table.item(r, 0).text() for r in range(2)) == ["丙单位", "乙单位"]

    dialog.table.selectRow(next(r for r in range(2) if dialog.table.item(r, 0).text() == "乙单位"))
    with qtbot.waitSignal(dialog.refreshed, timeout=WAIT):
        click(qtbot, dialog.remove_button)
    assert [o.office_name for o in a.keys.offices() if not o.own] == ["丙单位"] and dialog.table.rowCount() == 1

    broken = tmp_path / "broken.wzkey"
    broken.write_text("{}", "utf-8")
    assert not dialog.import_file(broken) and dialog.error.text().startswith("未能导入：")


def test_keys_dialog_without_key_permission_only_shows(qtbot, offices):
    a, _b, _case_id = offices
    handler = dataclasses.replace(a.ctx, user=dataclasses.replace(a.ctx.user, roles=("handler",)))
    dialog = keys_dialog(qtbot, handler)
    dialog.show()
    assert dialog.notice.isVisible() and dialog.table.rowCount() == 1
    assert not dialog.export_button.isEnabled() and not dialog.import_button.isEnabled()
    assert dialog.export_own()  # the service refuses it (and audits the refusal) on the worker
    qtbot.waitUntil(lambda: dialog.error.text().startswith("未能导出公钥："), timeout=WAIT)


def test_qr_code_has_finder_patterns():
    modules = qr_modules("WZKEY|示例单位|" + "A" * 150)
    n = len(modules)
    assert n >= 21 and (n - 17) % 4 == 0
    for r0, c0 in ((0, 0), (0, n - 7), (n - 7, 0)):
        assert all(modules[r0][c0 + i] and modules[r0 + 6][c0 + i] for i in range(7))
        assert not modules[r0 + 1][c0 + 1] and modules[r0 + 3][c0 + 3]


# -- conflicts -----------------------------------------------------------------------------------------------------

def test_conflict_is_shown_side_by_side_and_kept_local(qtbot, offices, usb, gui_settings):
    a, b, case_id = offices
    b.transfer.apply(a.transfer.export([case_id], usb / "1.wzpkg", to="乙单位").path)
    a.cases.update_case(case_id, title="甲单位改过的标题")
    b.cases.update_case(case_id, title="乙单位改过的标题", facts="乙单位补充的事实")
    path = a.transfer.export([case_id], usb / "2.wzpkg", to="乙单位").path
    importer = ImportDialog(b)
    qtbot.addWidget(importer)
    importer.path.setText(str(path))
    preview(qtbot, importer)
    assert importer.table.item(0, 2).text() == "冲突" and "保留双方版本" in importer.status.text()
    asked = []
    importer.confirm = lambda text: asked.append(text) or True
    with qtbot.waitSignal(importer.imported, timeout=WAIT):
        click(qtbot, importer.import_button)
    assert "冲突的案件不会覆盖本地，将保留双方版本待处理" in asked[0]
    assert b.cases.get_case(case_id).title == "乙单位改过的标题"

    dialog = ConflictsDialog(b, settings=gui_settings)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.diff.rowCount() > 0, timeout=WAIT)  # both read on the database worker
    assert dialog.table.rowCount() == 1
    assert [dialog.table.item(0, c).text() for c in (1, 2)] == ["甲单位改过的标题", "甲单位"]
    rows = {dialog.diff.item(r, 0).text(): (dialog.diff.item(r, 1).text(), dialog.diff.item(r, 2).text())
            for r in range(dialog.diff.rowCount())}
    assert rows["标题"] == ("乙单位改过的标题", "甲单位改过的标题")
    assert rows["事实"][0] == "乙单位补充的事实" and rows["程序记录（条）"][0] == rows["程序记录（条）"][1]
    assert "当前环节" not in rows  # the same on both sides

    dialog.confirm = lambda text: "本地版本" in text
    with qtbot.waitSignal(dialog.resolved, timeout=WAIT):
        click(qtbot, dialog.keep_local_button)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 0, timeout=WAIT)
    assert b.transfer.conflicts() == []
    assert b.cases.get_case(case_id).title == "乙单位改过的标题" and not dialog.keep_local_button.isEnabled()
    dialog.resize(700, 500)
    dialog.accept()
    again = ConflictsDialog(b, settings=gui_settings)  # reopens at the size it was left
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (700, 500)


def test_differences_name_rows_only_one_side_has():
    local = {"case": {"title": "甲", "step": "filed", "regulation_id": "gz2009"},
             "evidence": [{"id": "e1", "title": "照片", "kind": "视听资料"}]}
    incoming = {"case": {"title": "甲", "step": "decided", "regulation_id": "gz2009"},
                "evidence": [{"id": "e1", "title": "照片", "kind": "书证"}, {"id": "e2", "title": "笔录"}]}
    rows = differences(local, incoming)
    assert ("证据「照片」 · 类别", "视听资料", "书证") in rows
    assert ("证据「笔录」", "（无）", "有") in rows and not any("笔录」 ·" in r[0] for r in rows)
    assert next(r for r in rows if r[0] == "当前环节")[1:] != ("filed", "decided")  # the profile's step names
    assert differences(None, incoming)[0][1] == "（无）"


@pytest.mark.parametrize(("root", "is_root", "windows", "expected"), [
    ("/media/clerk/KINGSTON", False, False, True), ("/run/media/clerk/USB", False, False, True),
    ("/mnt/usb", False, False, True), ("/", True, False, False), ("/home", False, False, False),
    ("/media/", False, False, False), ("E:/", False, True, True), ("C:/", False, True, False),
])
def test_removable_drive_guess(root, is_root, windows, expected):
    assert is_removable(root, is_root=is_root, ready=True, windows=windows) is expected
    assert not is_removable(root, is_root=is_root, ready=False, windows=windows)


def test_cancelling_an_export_leaves_no_file(qtbot, offices, usb):
    a, _b, case_id = offices
    dialog = export_dialog(qtbot, a, case_id, usb)
    release = threading.Event()
    real = a.transfer

    class Held:  # the worker waits until the clerk has pressed 取消, so the cancel lands mid-export
        def export(self, *args, **kwargs):
            release.wait(10)
            return real.export(*args, **kwargs)

    dialog.ws.transfer = Held()
    dialog.show()
    click(qtbot, dialog.export_button)
    qtbot.waitUntil(lambda: dialog.findChild(QProgressDialog) is not None, timeout=5000)
    dialog.findChild(QProgressDialog).canceled.emit()  # as its 取消 button does
    release.set()
    qtbot.waitUntil(lambda: dialog.error.text() == "已取消导出，未生成数据包。", timeout=WAIT)
    assert list(usb.iterdir()) == [] and dialog.export_button.isEnabled() and dialog.result is None


def test_record_history_reads_in_chinese_in_the_conflict_view():
    local = {"case": {"title": "甲", "step": "filed", "regulation_id": "gz2009", "withdrawn_records": []},
             "events": [{"id": "e1", "seq": 1, "action": "file_case", "recorded_by_name": "李办案", "revisions": [],
                         "data": {"approved_by": "周书记"}}]}
    incoming = {"case": {"title": "甲", "step": "filed", "regulation_id": "gz2009",
                         "withdrawn_records": [{"action": "decide", "reason": "误登记", "by": "王办案"}]},
                "events": [{"id": "e1", "seq": 1, "action": "file_case", "recorded_by_name": "李办案",
                            "revisions": [{"reason": "批准人录错", "by": "王办案", "data": {"approved_by": "周"}}],
                            "data": {"approved_by": "周书记", "paper_ref": "呈批〔2026〕1号"}}]}
    rows = {label: (mine, theirs) for label, mine, theirs in differences(local, incoming)}
    assert rows["已撤回的记录"] == ("（空）", "共1条：作出问责决定，理由：误登记（王办案）")
    assert rows["程序记录「1. 立项」 · 更正历史"][1] == "共1条：理由：批准人录错（王办案）"
    assert rows["程序记录「1. 立项」 · 呈批表编号"] == ("（无）", "呈批〔2026〕1号")
    assert not any(k in "".join(rows) for k in ("recorded_by_name", "revisions", "withdrawn_records"))
