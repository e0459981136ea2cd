"""Documents when they are needed, in the documents panel: the 调查通知书 before its service is recorded, the 送达回证
with it, the confirmation showing the number and seal, 重印 of an issued one, the signing organ pointed out; and
the PDF preview within a 1366×768 screen."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from sqlalchemy import select

from tests.unit.procedure_helpers import new_case, walk
from wenze_desktop.documents.seal_image import demo_seal_png
from wenze_desktop.domain.models import AuditEntry
from wenze_desktop.gui import pdf_view
from wenze_desktop.gui.changes import ChangeHub
from wenze_desktop.gui.documents_panel import DocumentsPanel, IssueDialog
from wenze_desktop.gui.pdf_view import PdfPreviewDialog
from wenze_desktop.services import Workspace

ORGAN = "测试市纪委监委"


@pytest.fixture
def ws(ctx):
    workspace = Workspace(ctx)
    workspace.organ.set_letterhead(organ_code="测纪", signing_organ=ORGAN)
    workspace.organ.register_seal(ORGAN, demo_seal_png(ORGAN))
    return workspace


def next_day(ws: Workspace, case_id: str):
    return ws.procedure.view(case_id).last_date + timedelta(days=1)


def filed_case(ws: Workspace) -> str:
    case_id = new_case(ws, "gz2009")
    walk(ws, case_id, until="filed")
    return case_id


def form_team(ws: Workspace, case_id: str) -> None:
    walk(ws, case_id, start=next_day(ws, case_id), until="investigating")
    staff = ws.procedure.view(case_id).last("assign_investigators").get("staff")
    ws.procedure.perform(case_id, "declare_interest", on=next_day(ws, case_id), staff=staff, interest=False)


def decided_case(ws: Workspace, organ: str = ORGAN) -> str:
    case_id = filed_case(ws)
    walk(ws, case_id, start=next_day(ws, case_id), until="decided")
    decided = ws.procedure.view(case_id).last("decide")
    ws.procedure.amend(case_id, decided.id, reason="决定机关", data={"organ": organ})
    return case_id


def make_panel(qtbot, ws: Workspace, case_id: str) -> DocumentsPanel:
    panel = DocumentsPanel(ws.ctx, ChangeHub())
    qtbot.addWidget(panel)
    panel.resize(700, 400)
    panel.show()
    with qtbot.waitSignal(panel.refreshed, timeout=15000):
        panel.show_case(case_id)
    return panel


def row(panel: DocumentsPanel, kind: str):
    return next(panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())
                if panel.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) == (kind, None))


def shown(dialog: IssueDialog) -> dict:
    """What the confirmation shows (read while it is open: it is deleted once answered)."""
    return {"number": dialog.number_label.text(), "signer": dialog.signer_label.text(),
            "seal": dialog.seal_box.text(), "sealed": dialog.seal_box.isChecked(),
            "seal_image": dialog.seal_image.isVisibleTo(dialog) and not dialog.seal_image.pixmap().isNull(),
            "organ_warning": dialog.organ_warning.text() if dialog.organ_warning.isVisibleTo(dialog) else "",
            "seal_warning": dialog.seal_warning.isVisibleTo(dialog),
            "receipt": dialog.receipt_box.text() if dialog.receipt_box.isVisibleTo(dialog) else "",
            "with_receipt": dialog.with_receipt(), "serves": dialog.plan.serves}


def confirm(qtbot, panel: DocumentsPanel, kind: str, answer=lambda dialog: True) -> dict:
    """Press 签发 on ``kind``; the confirmation is handed to ``answer`` (True: 签发). Returns what it showed."""
    seen: list[dict] = []

    def exec_dialog(dialog) -> bool:
        assert isinstance(dialog, IssueDialog)
        seen.append(shown(dialog))
        return answer(dialog)

    panel.exec_dialog = exec_dialog
    assert panel.select(kind) and panel.issue_button.text() == "签发…" and panel.issue_button.isEnabled()
    qtbot.mouseClick(panel.issue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(seen), timeout=15000)  # after the plan was read on the worker
    return seen[0]


def test_the_notice_is_issued_with_its_receipt_before_the_service_is_recorded(qtbot, ws):
    case_id = filed_case(ws)
    panel = make_panel(qtbot, ws, case_id)
    assert row(panel, "investigation_notice").text(1) == "尚未记录“组成调查组”"
    panel.select("investigation_notice")
    assert not panel.issue_button.isEnabled()

    form_team(ws, case_id)
    with qtbot.waitSignal(panel.refreshed, timeout=15000):
        panel.refresh()
    assert row(panel, "investigation_notice").text(1) == "可制作"
    assert row(panel, "service_receipt").text(1) == "请先签发调查通知书"
    with qtbot.waitSignal(panel.document_issued, timeout=15000) as issued, \
            qtbot.waitSignal(panel.preview_opened, timeout=15000) as opened:
        dialog = confirm(qtbot, panel, "investigation_notice")
    opened.args[0].close()
    assert dialog["number"] == "<b>测纪通〔2026〕1号</b>"
    assert dialog["receipt"] == "同时签发送达回证（文号 测纪送〔2026〕1号）" and dialog["with_receipt"]  # together
    assert issued.args[0].number == "测纪通〔2026〕1号"
    assert ws.procedure.view(case_id).last("serve_notice") is None  # not served yet
    qtbot.waitUntil(lambda: row(panel, "service_receipt").childCount() == 1, timeout=15000)
    assert row(panel, "investigation_notice").text(1).startswith("已签发 测纪通〔2026〕1号")
    assert row(panel, "service_receipt").text(1).startswith("已签发 测纪送〔2026〕1号")


def test_the_receipt_offers_itself_for_the_decision_once_that_is_issued(qtbot, ws):
    case_id = decided_case(ws)
    panel = make_panel(qtbot, ws, case_id)
    assert row(panel, "service_receipt").text(1) == "请先签发调查通知书或问责决定书"
    decision = ws.documents.issue(case_id, "decision")
    with qtbot.waitSignal(panel.refreshed, timeout=15000):
        panel.refresh()
    assert row(panel, "service_receipt").text(1) == f"可制作（随问责决定书 {decision.number}）"
    dialog = confirm(qtbot, panel, "service_receipt", answer=lambda d: False)
    assert dialog["serves"] == f"问责决定书 {decision.number}" and dialog["receipt"] == ""


def test_the_confirmation_shows_the_number_and_the_seal_it_will_use(qtbot, ws):
    case_id = decided_case(ws)
    panel = make_panel(qtbot, ws, case_id)
    with qtbot.waitSignal(panel.document_issued, timeout=15000) as issued, \
            qtbot.waitSignal(panel.preview_opened, timeout=15000) as opened:
        dialog = confirm(qtbot, panel, "decision")
    opened.args[0].close()
    assert dialog["number"] == "<b>测纪问〔2026〕1号</b>" == f"<b>{issued.args[0].number}</b>"
    assert dialog["seal"] == f"加盖印章：{ORGAN}" and dialog["sealed"] and dialog["seal_image"]
    assert dialog["signer"] == ORGAN and dialog["organ_warning"] == "" and not dialog["seal_warning"]
    assert issued.args[0].sealed


def test_a_signing_organ_other_than_the_letterheads_is_pointed_out_not_refused(qtbot, ws):
    case_id = decided_case(ws, organ="中共测试市委")
    panel = make_panel(qtbot, ws, case_id)
    unsealed: list[bool] = []

    def untick_the_seal(dialog: IssueDialog) -> bool:
        dialog.seal_box.setChecked(False)
        unsealed.append(dialog.seal_warning.isVisibleTo(dialog))
        return True

    with qtbot.waitSignal(panel.document_issued, timeout=15000) as issued, \
            qtbot.waitSignal(panel.preview_opened, timeout=15000) as opened:
        dialog = confirm(qtbot, panel, "decision", answer=untick_the_seal)
    opened.args[0].close()
    assert "中共测试市委" in dialog["organ_warning"] and ORGAN in dialog["organ_warning"]
    assert dialog["seal_warning"] and unsealed == [False]  # the seal reads the letterhead's organ; unsealed: none
    assert issued.args[0].number == "测纪问〔2026〕1号" and not issued.args[0].sealed  # a warning: issued anyway


def test_an_issued_document_offers_reprint_printed_from_the_stored_file_and_audited(qtbot, ws, tmp_path):
    case_id = decided_case(ws)
    info = ws.documents.issue(case_id, "decision")
    panel = make_panel(qtbot, ws, case_id)
    panel.select("decision")
    assert panel.issue_button.text() == "重印…" and panel.issue_button.isEnabled()
    assert info.number in panel.issue_button.toolTip()
    out = tmp_path / "reprint.pdf"

    def to_file(dialog) -> bool:
        assert isinstance(dialog, QPrintDialog) and dialog.windowTitle() == f"打印 {info.number}"
        dialog.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        dialog.printer().setOutputFileName(str(out))
        return True

    panel.exec_dialog = to_file
    with qtbot.waitSignal(panel.printed, timeout=15000) as printed:
        qtbot.mouseClick(panel.issue_button, Qt.MouseButton.LeftButton)
    assert printed.args[0] == info.id and printed.args[1] >= 1 and out.stat().st_size > 0
    with ws.ctx.workspace.session() as s:
        prints = s.scalars(select(AuditEntry).where(AuditEntry.action == "document.print")).all()
    assert [json.loads(p.new_values) for p in prints] == [{"number": info.number, "sha256": info.sha256}]
    assert [d.number for d in ws.documents.issued(case_id)] == [info.number]  # no second number


def test_the_preview_fits_a_1366x768_screen_scaled_and_scrollable(qtbot, ws, monkeypatch, gui_settings):
    case_id = filed_case(ws)
    form_team(ws, case_id)
    pdf = ws.documents.preview(case_id, "investigation_notice")  # two pages
    area = QRect(0, 0, 1366, 728)  # 1366×768 less a task bar
    monkeypatch.setattr(pdf_view, "screen_area", lambda widget: area)
    for settings in (None, gui_settings):
        dialog = PdfPreviewDialog(pdf, "预览稿", settings=settings)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        assert dialog.height() + pdf_view.FRAME_ALLOWANCE <= area.height() and dialog.width() <= area.width()
        assert dialog.height() >= area.height() - 2 * pdf_view.SCREEN_MARGIN - pdf_view.FRAME_ALLOWANCE - 1
        page = dialog.page_widgets[0].pixmap().deviceIndependentSize()
        assert page.width() <= dialog.scroll.viewport().width() and 0.5 < dialog.zoom() <= 1.0  # the width fits
        assert dialog.scroll.verticalScrollBar().maximum() > 0  # the rest is scrolled to
        dialog.fit_page_action.trigger()
        page = dialog.page_widgets[0].pixmap().deviceIndependentSize()
        assert page.height() <= dialog.scroll.viewport().height()
        dialog.resize(900, 960)  # as large as it used to open
        dialog.close()  # saves its geometry in the settings
    reopened = PdfPreviewDialog(pdf, "预览稿", settings=gui_settings)  # restored, then cut down to this screen
    qtbot.addWidget(reopened)
    assert reopened.height() + pdf_view.FRAME_ALLOWANCE <= area.height() and reopened.width() <= 900


def test_the_preview_fits_the_real_screen_it_opens_on(qtbot, ws):
    case_id = filed_case(ws)
    form_team(ws, case_id)
    dialog = PdfPreviewDialog(ws.documents.preview(case_id, "investigation_notice"), "预览稿")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.screen().availableGeometry().contains(dialog.frameGeometry())
