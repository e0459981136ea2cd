"""Letterhead and numbering, seals, and verifying a document's PDF from the GUI."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QDialogButtonBox
from sqlalchemy import select

from wenze_desktop.documents.seal_image import demo_seal_png
from wenze_desktop.domain.models import Case
from wenze_desktop.gui.document_dialogs import (
    BAD_STYLE,
    OK_STYLE,
    LetterheadDialog,
    SealDialog,
    VerifyDocumentDialog,
)
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services.demo import build_demo
from wenze_desktop.services.organ import OrganService

TODAY = date(2026, 11, 23)


def as_handler(ctx):
    """The same workspace seen by a user who only handles cases (no configuration, no seals)."""
    return dataclasses.replace(ctx, user=dataclasses.replace(ctx.user, roles=("handler",)))


def ok_button(dialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def letterhead_dialog(qtbot, ctx) -> LetterheadDialog:
    """The dialog once the stored settings arrived from the database worker."""
    dialog = LetterheadDialog(ctx)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.head is not None, timeout=5000)
    return dialog


def seal_dialog(qtbot, ctx) -> SealDialog:
    dialog = SealDialog(ctx)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.loaded and dialog.image.text() != "正在读取…", timeout=5000)
    return dialog


# -- letterhead ----------------------------------------------------------------------------------------------------

def test_letterhead_saves_and_the_sample_number_follows(qtbot, ctx):
    dialog = LetterheadDialog(ctx)
    qtbot.addWidget(dialog)
    assert not ok_button(dialog).isEnabled()  # nothing to save over until the stored settings are shown
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        pass
    assert ok_button(dialog).isEnabled() and dialog.mark.text() == "测试工作区"  # until set: the workspace's name
    assert dialog.sample.text() == "文号示例：问〔2026〕1号（问责决定书）　立〔2026〕1号（立项决定）"
    dialog.organ_code.setText("示纪")
    assert dialog.sample.text().startswith("文号示例：示纪问〔2026〕1号（问责决定书）")
    row = next(r for r in range(dialog.codes.rowCount()) if dialog.codes.item(r, 0).text() == "问责决定书")
    assert dialog.codes.item(row, 0).flags() & Qt.ItemFlag.ItemIsEditable == Qt.ItemFlag.NoItemFlags
    dialog.codes.item(row, 1).setText("责")
    assert "示纪责〔2026〕1号（问责决定书）" in dialog.sample.text()
    dialog.mark.setText("中共示范市纪律检查委员会")
    dialog.signing_organ.setText("示范市纪委")
    dialog.cc.setText("市委组织部")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)

    head = OrganService(ctx).letterhead()
    assert (head.mark, head.signing_organ, head.organ_code, head.cc) == ("中共示范市纪律检查委员会", "示范市纪委",
                                                                         "示纪", "市委组织部")
    assert head.kind_codes == {"decision": "责"}  # only what differs from the defaults is stored
    reopened = letterhead_dialog(qtbot, ctx)
    assert "示纪责〔2026〕1号" in reopened.sample.text()


def test_letterhead_error_stays_in_the_dialog(qtbot, ctx):
    dialog = letterhead_dialog(qtbot, ctx)
    dialog.show()
    dialog.organ_code.setText("示〔纪")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.error.isVisible, timeout=5000)  # the service refuses it, on the worker
    assert dialog.isVisible() and ok_button(dialog).isEnabled()
    assert dialog.error.text() == "未能保存：机关名称和代字中不能含有 { } 〔 〕。"
    assert OrganService(ctx).letterhead().organ_code == ""


def test_letterhead_is_read_only_without_the_configuration_permission(qtbot, ctx):
    dialog = letterhead_dialog(qtbot, as_handler(ctx))
    assert not dialog.can_edit and dialog.mark.isReadOnly() and not ok_button(dialog).isEnabled()
    assert dialog.codes.editTriggers() == dialog.codes.EditTrigger.NoEditTriggers


# -- seals ---------------------------------------------------------------------------------------------------------

def test_seal_registers_shows_the_image_and_retires(qtbot, ctx, tmp_path):
    dialog = seal_dialog(qtbot, ctx)
    assert dialog.table.rowCount() == 0 and dialog.image.text() == "尚未登记印章"
    seal_file = tmp_path / "seal.png"
    seal_file.write_bytes(demo_seal_png("测试机关"))
    dialog.choose_file = lambda: str(seal_file)
    defaults = []
    dialog.ask_name = lambda default: defaults.append(default) or "测试机关（样章）"
    with qtbot.waitSignal(dialog.changed, timeout=5000):
        qtbot.mouseClick(dialog.register_button, Qt.MouseButton.LeftButton)

    assert defaults == ["测试工作区"]  # the letterhead's signer
    qtbot.waitUntil(lambda: not dialog.image.pixmap().isNull(), timeout=5000)  # list, then image, from the worker
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 0).text() == "测试机关（样章）"
    assert dialog.table.item(0, 1).text() == "使用中" and not dialog.image.pixmap().isNull()
    assert [s.active for s in OrganService(ctx).seals()] == [True]

    dialog.confirm = lambda text: "测试机关（样章）" in text
    with qtbot.waitSignal(dialog.refreshed, timeout=5000):
        assert dialog.retire_selected()
    assert dialog.table.item(0, 1).text().startswith("已停用（") and not dialog.retire_button.isEnabled()
    assert not OrganService(ctx).seals()[0].active


def test_seal_refuses_a_file_that_is_not_a_png(qtbot, ctx, tmp_path):
    dialog = seal_dialog(qtbot, ctx)
    dialog.show()
    fake = tmp_path / "seal.png"
    fake.write_bytes(b"GIF89a not a png at all")
    dialog.choose_file = lambda: str(fake)
    dialog.ask_name = lambda default: "测试机关"
    assert dialog.register()  # started; the service refuses it on the worker
    qtbot.waitUntil(dialog.error.isVisible, timeout=5000)
    assert dialog.error.text() == "未能登记：印章图像须为 PNG 格式（带透明背景）。"
    assert OrganService(ctx).seals() == [] and dialog.register_button.isEnabled()
    dialog.ask_name = lambda default: None  # 取消 at the name: nothing happens
    assert not dialog.register()


def test_seal_dialog_is_read_only_without_the_seal_permission(qtbot, ctx):
    OrganService(ctx).register_seal("测试机关（样章）", demo_seal_png("测试机关"))
    dialog = seal_dialog(qtbot, as_handler(ctx))
    dialog.show()
    assert dialog.notice.isVisible() and not dialog.register_button.isEnabled()
    assert not dialog.retire_button.isEnabled() and dialog.table.item(0, 1).text() == "使用中"
    assert dialog.image.text() == "无权查看印章图像"


# -- verifying -----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    ws = build_demo(tmp_path_factory.mktemp("demo") / "ws", today=TODAY, params=FAST_TEST_PARAMS)
    with ws.ctx.workspace.session() as s:
        case_id = s.scalars(select(Case.id).where(Case.regulation_id == "gz2009", Case.step == "decided")).first()
    info = ws.documents.issue(case_id, "decision", sealed=True)
    yield ws, info, ws.documents.read(info.id)
    ws.close()


def verify(qtbot, dialog: VerifyDocumentDialog, action):
    with qtbot.waitSignal(dialog.verified, timeout=10000) as verified:
        action()
    return verified.args[0]


def test_verify_says_genuine_for_the_issued_file(qtbot, demo, tmp_path):
    ws, info, pdf = demo
    path = tmp_path / "收到的决定书.pdf"
    path.write_bytes(pdf)
    dialog = VerifyDocumentDialog(ws.ctx)
    qtbot.addWidget(dialog)
    dialog.choose_file = lambda: str(path)
    result = verify(qtbot, dialog, dialog.choose)
    assert result.ok and dialog.message.text().startswith("真实：") and dialog.message.styleSheet() == OK_STYLE
    details = {key: label.text() for key, label in dialog.details.items()}
    assert details["file"] == "收到的决定书.pdf" and details["number"] == info.number
    assert details["case"] == info.case_number and details["kind"] == "问责决定书"
    assert details["code"] == info.verification_code


def test_verify_rejects_an_altered_copy_and_an_unknown_file(qtbot, demo, tmp_path):
    ws, info, pdf = demo
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(pdf + b"\n% altered\n")
    dialog = VerifyDocumentDialog(ws.ctx)
    qtbot.addWidget(dialog)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(altered))])
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    result = verify(qtbot, dialog, lambda: dialog.dropEvent(drop))
    assert not result.ok and dialog.message.text().startswith("不一致：") and dialog.message.styleSheet() == BAD_STYLE
    assert dialog.details["number"].text() == info.number  # whose code the altered copy carries

    result = verify(qtbot, dialog, lambda: dialog.verify_bytes(b"%PDF-1.7 something else", "other.pdf"))
    assert not result.ok and dialog.message.text().startswith("未找到：") and dialog.details["number"].text() == ""

    dialog.verify_file(tmp_path / "missing.pdf")
    assert dialog.message.text().startswith("无法读取文件") and dialog.result is None
