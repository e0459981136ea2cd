"""The documents panel: what a case can produce and why not, issuing (sealed or not), preview, print, save, void."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from sqlalchemy import select

from wenze_desktop.domain.models import Case
from wenze_desktop.gui import document_copies
from wenze_desktop.gui.changes import ChangeHub, Changes
from wenze_desktop.gui.documents_panel import NO_SEAL, PREVIEW_NOTE, DocumentsPanel, IssueDialog, issued_on
from wenze_desktop.gui.pdf_view import PdfPreviewDialog, load_pdf
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services import Workspace
from wenze_desktop.services.demo import DEMO_CLERK_USERNAME, DEMO_PASSWORD, DEMO_USERNAME, build_demo

TODAY = date(2026, 11, 23)  # the FakeClock's day
NUMBER = "示纪问〔2026〕1号"  # the demo organ's first decision of the year
RECEIPT_REFUSAL = "请先签发调查通知书或问责决定书（送达回证随所送达的文书制作）。"  # a fact: nothing to cite


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("demo") / "ws"
    build_demo(data_dir, today=TODAY, params=FAST_TEST_PARAMS).close()
    return data_dir


@pytest.fixture
def open_demo(demo_source, tmp_path, clock):
    """Sign in to a fresh copy of the demo workspace (each test issues its own numbers)."""
    data_dir = tmp_path / "ws"
    shutil.copytree(demo_source, data_dir)
    opened: list[Workspace] = []

    def sign_in(username: str = DEMO_USERNAME) -> Workspace:
        opened.append(Workspace.open(data_dir, username, DEMO_PASSWORD, clock=clock))
        return opened[-1]

    yield sign_in
    for ws in opened:
        ws.close()


def decided_case(ws: Workspace) -> str:
    """A gz2009 case at 决定: its decision can be issued, its service receipt once that is issued."""
    with ws.ctx.workspace.session() as s:
        return s.scalars(select(Case.id).where(Case.regulation_id == "gz2009", Case.step == "decided")).first()


@pytest.fixture
def hub() -> ChangeHub:
    return ChangeHub()


def make_panel(qtbot, ws: Workspace, hub: ChangeHub, case_id: str) -> DocumentsPanel:
    panel = DocumentsPanel(ws.ctx, hub)
    qtbot.addWidget(panel)
    panel.resize(700, 400)
    panel.show()
    with qtbot.waitSignal(panel.refreshed, timeout=15000):  # the listing is read on the database worker
        panel.show_case(case_id)
    return panel


def wait_refreshed(qtbot, panel: DocumentsPanel, action) -> None:
    with qtbot.waitSignal(panel.refreshed, timeout=15000):
        action()


def row(panel: DocumentsPanel, kind: str):
    return next(panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())
                if panel.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) == (kind, None))


def accept_issue(seen: list, *, seal: bool | None = None, receipt: bool = False):
    """A stand-in for the confirm dialog's exec: records the dialog, optionally sets the checkboxes (the receipt
    issued together is left out unless asked for), presses 签发."""
    def exec_dialog(dialog) -> bool:
        assert isinstance(dialog, IssueDialog)
        seen.append((dialog.seal_box.isEnabled(), dialog.seal_box.isChecked(), dialog.seal_box.toolTip()))
        if seal is not None:
            dialog.seal_box.setChecked(seal)
        dialog.receipt_box.setChecked(receipt)
        return True
    return exec_dialog


def issue_decision(qtbot, panel: DocumentsPanel, seen: list, seal: bool | None = None):
    """Press 签发 on the decision; returns the issued info and the preview opened for the issued file."""
    panel.exec_dialog = accept_issue(seen, seal=seal)
    assert panel.select("decision") and panel.issue_button.isEnabled()
    with qtbot.waitSignal(panel.document_issued, timeout=15000) as issued, \
            qtbot.waitSignal(panel.preview_opened, timeout=15000) as opened:
        qtbot.mouseClick(panel.issue_button, Qt.MouseButton.LeftButton)
    return issued.args[0], opened.args[0]


def test_lists_the_cases_documents_with_the_refusals(qtbot, open_demo, hub):
    ws = open_demo()
    panel = make_panel(qtbot, ws, hub, decided_case(ws))
    labels = [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]
    assert labels == ["立项决定", "调查通知书", "陈述申辩笔录", "调查报告", "问责决定书", "撤项决定", "送达回证",
                      "复核/复查决定", "执行情况报告"]
    decision, receipt = row(panel, "decision"), row(panel, "service_receipt")
    assert decision.text(1) == "可制作" and decision.text(2) == "默认盖章"
    assert row(panel, "defence_record").text(2) == "不盖章"
    assert receipt.text(1) == "请先签发调查通知书或问责决定书" and receipt.toolTip(1) == RECEIPT_REFUSAL

    panel.select("service_receipt")
    assert not panel.issue_button.isEnabled() and panel.issue_button.toolTip() == RECEIPT_REFUSAL
    assert not panel.preview_button.isEnabled() and not panel.print_button.isEnabled()
    assert panel.refusal_label.isVisible() and panel.refusal_label.text() == RECEIPT_REFUSAL
    panel.select("decision")
    assert panel.issue_button.isEnabled() and panel.preview_button.isEnabled()
    assert not panel.refusal_label.isVisible()
    assert not (panel.print_button.isEnabled() or panel.save_button.isEnabled() or panel.void_button.isEnabled())


def test_preview_of_an_unissued_document_is_marked_as_a_draft(qtbot, open_demo, hub):
    ws = open_demo()
    panel = make_panel(qtbot, ws, hub, decided_case(ws))
    panel.select("decision")
    with qtbot.waitSignal(panel.preview_opened, timeout=15000) as opened:
        qtbot.mouseClick(panel.preview_button, Qt.MouseButton.LeftButton)
    dialog = opened.args[0]
    assert isinstance(dialog, PdfPreviewDialog) and dialog.isVisible() and dialog.page_count >= 1
    assert dialog.windowTitle() == "预览稿：问责决定书" and dialog.note_label.text() == PREVIEW_NOTE
    assert ws.documents.issued(panel.case_id) == []  # a preview stores nothing
    dialog.close()


def test_demo_issues_a_sealed_decision_and_the_row_shows_its_number(qtbot, open_demo, hub):
    ws = open_demo()
    case_id = decided_case(ws)
    panel = make_panel(qtbot, ws, hub, case_id)
    other = make_panel(qtbot, ws, hub, case_id)  # e.g. the same case open elsewhere: follows the hub
    seen = []
    info, dialog = issue_decision(qtbot, panel, seen)

    assert seen == [(True, True, "")]  # sealed by default, and demo (a leader) may seal
    assert info.number == NUMBER and info.sealed and issued_on(info) == TODAY.isoformat()
    assert dialog.windowTitle() == f"问责决定书 {NUMBER}" and dialog.pdf == ws.documents.read(info.id)
    note = dialog.note_label.text()
    assert NUMBER in note and "已盖章" in note and f"SHA-256：{info.sha256}" in note
    assert f"核验码：{info.verification_code}" in note and info.fonts[0] in note
    dialog.close()
    for view in (panel, other):  # refreshed from the hub, on the worker
        qtbot.waitUntil(lambda view=view: row(view, "decision").childCount() == 1, timeout=15000)
        decision = row(view, "decision")
        assert decision.text(1) == f"已签发 {NUMBER}（2026-11-23）" and decision.text(2) == "已盖章"
        assert decision.childCount() == 1 and decision.child(0).text(0) == NUMBER
    assert panel.print_button.isEnabled() and panel.save_button.isEnabled() and panel.void_button.isEnabled()

    # Issued: the button offers 重印 (the stored file, printed), never a second number.
    panel.select("decision")
    assert panel.issue_button.text() == "重印…" and panel.issue_button.isEnabled()
    shown = []
    panel.exec_dialog = lambda d: shown.append(d) or False  # the print dialog, cancelled
    panel.issue()
    qtbot.waitUntil(lambda: bool(shown), timeout=15000)  # after the file was read on the worker
    assert isinstance(shown[0], QPrintDialog) and shown[0].windowTitle() == f"打印 {NUMBER}"
    assert len(ws.documents.issued(case_id)) == 1


def test_clerk_cannot_seal_but_can_issue_unsealed(qtbot, open_demo, hub):
    clerk = open_demo(DEMO_CLERK_USERNAME)
    panel = make_panel(qtbot, clerk, hub, decided_case(clerk))
    seen = []
    info, dialog = issue_decision(qtbot, panel, seen, seal=True)  # ticking a disabled box changes nothing
    dialog.close()
    assert seen == [(False, False, NO_SEAL)]
    assert not info.sealed and info.number == NUMBER and info.issued_by == DEMO_CLERK_USERNAME
    qtbot.waitUntil(lambda: row(panel, "decision").text(2) == "未盖章", timeout=15000)
    assert panel.void_button.isEnabled()  # an unsealed document: voided with the issuing permission


def test_clerk_cannot_void_a_sealed_document(qtbot, open_demo, hub):
    demo = open_demo()
    case_id = decided_case(demo)
    demo.documents.issue(case_id, "decision", sealed=True)
    panel = make_panel(qtbot, open_demo(DEMO_CLERK_USERNAME), hub, case_id)
    panel.select("decision")
    assert panel.print_button.isEnabled() and not panel.void_button.isEnabled()
    assert "加盖印章" in panel.void_button.toolTip()


def test_printing_prints_the_stored_file(qtbot, open_demo, hub, tmp_path, monkeypatch):
    ws = open_demo()
    case_id = decided_case(ws)
    info = ws.documents.issue(case_id, "decision", sealed=True)
    panel = make_panel(qtbot, ws, hub, case_id)
    out = tmp_path / "printed.pdf"
    printed_bytes = []

    def to_file(dialog) -> bool:
        assert isinstance(dialog, QPrintDialog) and dialog.windowTitle() == f"打印 {NUMBER}"
        printer = dialog.printer()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        return True

    def spy(printer, pdf):
        printed_bytes.append(pdf)
        return real_print(printer, pdf)

    real_print = document_copies.print_pdf
    monkeypatch.setattr(document_copies, "print_pdf", spy)
    panel.exec_dialog = to_file
    panel.select("decision", info.id)
    with qtbot.waitSignal(panel.printed, timeout=15000) as printed:
        qtbot.mouseClick(panel.print_button, Qt.MouseButton.LeftButton)

    assert hashlib.sha256(printed_bytes[0]).hexdigest() == info.sha256  # the identical file, not a new rendering
    stored, paper = load_pdf(printed_bytes[0]), load_pdf(out.read_bytes())
    try:
        assert printed.args == [info.id, len(stored)] and len(paper) == len(stored)
    finally:
        stored.close()
        paper.close()


def test_save_as_writes_the_stored_file(qtbot, open_demo, hub, tmp_path):
    ws = open_demo()
    case_id = decided_case(ws)
    info = ws.documents.issue(case_id, "decision", sealed=True)
    panel = make_panel(qtbot, ws, hub, case_id)
    names = []
    panel.choose_save_path = lambda name: names.append(name) or str(tmp_path / "决定书")  # no suffix typed
    panel.select("decision")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    target = tmp_path / "决定书.pdf"
    qtbot.waitUntil(target.exists, timeout=15000)
    assert names == [f"{NUMBER}-问责决定书.pdf"]
    assert hashlib.sha256(target.read_bytes()).hexdigest() == info.sha256


def test_void_asks_a_reason_and_marks_the_row(qtbot, open_demo, hub):
    ws = open_demo()
    case_id = decided_case(ws)
    info = ws.documents.issue(case_id, "decision", sealed=True)
    panel = make_panel(qtbot, ws, hub, case_id)
    panel.select("decision")
    asked = []
    panel.ask_reason = lambda doc: asked.append(doc.number) and None  # 取消
    panel.void_selected()
    assert asked == [NUMBER] and ws.documents.issued(case_id)[0].voided_at is None

    panel.ask_reason = lambda doc: "文号编排有误，重新签发"
    with qtbot.waitSignal(panel.document_voided, timeout=15000) as voided, \
            qtbot.waitSignal(panel.refreshed, timeout=15000):  # the hub's change, then the listing again
        qtbot.mouseClick(panel.void_button, Qt.MouseButton.LeftButton)
    assert voided.args == [info.id]
    decision = row(panel, "decision")
    assert decision.text(1) == f"已作废（{NUMBER}），可重新签发"
    assert decision.child(0).text(1) == "已作废（2026-11-23：文号编排有误，重新签发）"
    assert ws.documents.issued(case_id)[0].void_reason == "文号编排有误，重新签发"
    panel.select("decision")  # the row keeps its selection across the refresh
    assert panel.issue_button.isEnabled() and not panel.print_button.isEnabled()
    assert not panel.void_button.isEnabled()
    panel.select("decision", info.id)  # a voided copy can still be looked at, not printed
    assert panel.preview_button.isEnabled() and not panel.save_button.isEnabled()


def test_refreshes_only_for_its_own_case(qtbot, open_demo, hub):
    ws = open_demo()
    case_id = decided_case(ws)
    panel = make_panel(qtbot, ws, hub, case_id)
    ws.documents.issue(case_id, "decision", sealed=True)
    hub.publish(Changes.case("another-case", deadlines=False))
    assert not panel.loading and row(panel, "decision").text(1) == "可制作"
    wait_refreshed(qtbot, panel, lambda: hub.publish(Changes.case(case_id, deadlines=False)))
    assert row(panel, "decision").text(1).startswith(f"已签发 {NUMBER}")
    panel.show_case(None)
    assert panel.tree.topLevelItemCount() == 0 and panel.note.text() == "请选择一件案件。"
    assert not panel.issue_button.isEnabled()
