"""The documents of one case: what its procedure produces, what can be issued now (else why), the issued copies.

Every database call runs on the database worker: listing the documents, the plan shown before issuing (number,
seal, signing organ), previews, issuing, voiding and reading stored files. What issuing and voiding changed is
published by ``run_op`` (the services note it), never here. A document already issued offers 重印 (its stored
file, printed and audited as a print: ``document_copies``), not a second issue. An issue expects the case's
version the list was read at and the number it showed: if someone else changed the case or took the number
meanwhile, nothing is numbered, the panel says so and lists the case as it is now.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QPushButton, QTreeWidget, QVBoxLayout, QWidget

from wenze_desktop.errors import CaseChanged, WenzeError
from wenze_desktop.gui.case_parts_widgets import button_row
from wenze_desktop.gui.changes import ChangeHub, Changes
from wenze_desktop.gui.document_copies import IssuedCopyActions
from wenze_desktop.gui.document_rows import COLUMNS, KEY, choice_item
from wenze_desktop.gui.issue_dialog import (  # noqa: F401  (re-exported: callers and tests import them here)
    NO_ISSUE,
    NO_SEAL,
    NO_SEAL_REGISTERED,
    PREVIEW_NOTE,
    REFUSED_STYLE,
    IssueDialog,
    file_name,
    issued_note,
    issued_on,
    short_refusal,
    wrapped,
)
from wenze_desktop.gui.messages import show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.gui.pdf_view import PdfPreviewDialog
from wenze_desktop.gui.settings import GuiSettings
from wenze_desktop.procedure.documents import RECEIPT
from wenze_desktop.security.permissions import Permission, permissions_of
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.documents import DocumentChoice, DocumentService, IssuedInfo, IssuePlan

LOADING = "正在读取本案的文书…"


class DocumentsPanel(IssuedCopyActions, QWidget):
    """The documents of one case: ``show_case(case_id)``; refreshes on the hub's changes of that case."""

    document_issued = Signal(object)  # IssuedInfo, after the services registered it
    document_voided = Signal(str)  # document id
    preview_opened = Signal(object)  # PdfPreviewDialog
    printed = Signal(str, int)  # document id, pages printed
    refreshed = Signal()  # the list shows the shown case's documents as they are now

    def __init__(self, ctx: ServiceContext, hub: ChangeHub, parent: QWidget | None = None, *,
                 settings: GuiSettings | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.hub, self.settings = ctx, hub, settings
        self.case_id: str | None = None
        self.choices: dict[str, DocumentChoice] = {}
        self.loading = False
        self._generation = 0  # the newest listing asked for; older answers are dropped
        self._confirming = False  # between 签发 and the confirmation's answer
        # Seams for tests (and hosts with their own prompts), as in pdf_view.
        self.exec_dialog: Callable[[QDialog], bool] = lambda dialog: dialog.exec() == QDialog.DialogCode.Accepted
        self.ask_reason: Callable[[IssuedInfo], str | None] = self._ask_reason
        folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation))
        self.choose_save_path: Callable[[str], str] = lambda name: QFileDialog.getSaveFileName(
            self, "另存为", str(folder / name), "PDF 文件 (*.pdf)")[0]

        self.note = wrapped("请选择一件案件。")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setColumnWidth(0, 180)
        self.tree.setColumnWidth(1, 300)
        self.tree.setUniformRowHeights(True)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.tree.itemDoubleClicked.connect(lambda _item, _column: self.preview())
        self.refusal_label = wrapped(style=REFUSED_STYLE)
        self.refusal_label.hide()
        self.changed_note = wrapped(style=REFUSED_STYLE)  # an issue refused because the case changed meanwhile
        self.changed_note.hide()
        self.preview_button = self._button("预览", self.preview)
        self.issue_button = self._button("签发…", self.issue)
        self.print_button = self._button("打印…", self.print_selected)
        self.save_button = self._button("另存为…", self.save_selected)
        self.void_button = self._button("作废…", self.void_selected)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.refusal_label)
        layout.addWidget(self.changed_note)
        layout.addLayout(button_row([self.preview_button, self.issue_button, self.print_button, self.save_button,
                                     self.void_button], stretch_first=False))
        hub.changed.connect(self._on_changed)
        self._update_buttons()

    def _button(self, text: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(lambda _=False: slot())
        return button

    @property
    def service(self) -> DocumentService:
        return DocumentService(self.ctx)

    # -- showing --------------------------------------------------------------------------------------------------

    def show_case(self, case_id: str | None) -> None:
        if case_id != self.case_id:  # never act on another case's rows while this one's are read
            self.case_id = case_id
            self.changed_note.hide()
            self._fill([], LOADING if case_id else "请选择一件案件。")
        self.refresh()

    def _on_changed(self, changes: Changes) -> None:
        # A calendar year moves deadlines, and with them the case's version the list was read at.
        if self.case_id and (self.case_id in changes.case_ids or changes.calendar
                             or (changes.deadlines and not changes.case_ids)):
            self.refresh()

    def refresh(self) -> None:
        """List the case's documents on the database worker; the newest request wins."""
        self._generation += 1
        generation, case_id = self._generation, self.case_id
        if case_id is None:
            self.loading = False
            self._fill([], "请选择一件案件。")
            self.refreshed.emit()
            return
        self.loading = True
        service = self.service
        run_op(self, "", lambda: service.choices(case_id), lambda choices: self._listed(generation, choices),
               on_failure=lambda error: self._listing_failed(generation, error), busy_dialog=False)

    def _listed(self, generation: int, choices: list[DocumentChoice]) -> None:
        if generation != self._generation:
            return  # an older request (another case, or before a later change) answered late
        self.loading = False
        self._fill(choices, "本案办理程序产生的文书。选中一份后预览、签发，已签发的可打印、另存或作废。"
                   if choices else "本案适用的规定不产生文书。")
        self.refreshed.emit()

    def _listing_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self.loading = False
        self._fill([], f"无法列出文书：{error}" if isinstance(error, WenzeError) else "无法列出文书。")
        if not isinstance(error, WenzeError):
            show_error(self, error, "文书未能列出")
        self.refreshed.emit()

    def _fill(self, choices: list[DocumentChoice], note: str) -> None:
        keep = self.selected_key()
        self.tree.clear()
        self.choices = {}
        self.note.setText(note)
        for choice in choices:
            self.choices[choice.kind] = choice
            self.tree.addTopLevelItem(choice_item(choice))
        self.tree.expandAll()
        if keep is not None:
            self.select(*keep)
        self._update_buttons()

    # -- selection ------------------------------------------------------------------------------------------------

    def selected_key(self) -> tuple[str, str | None] | None:
        items = self.tree.selectedItems()
        return items[0].data(0, KEY) if items else None

    def selected(self) -> tuple[DocumentChoice | None, IssuedInfo | None]:
        """The chosen document and the issued copy the buttons act on (on a document's row: its live copy)."""
        key = self.selected_key()
        choice = self.choices.get(key[0]) if key else None
        if choice is None:
            return None, None
        if key[1] is None:
            return choice, choice.current
        return choice, next((i for i in choice.issued if i.id == key[1]), None)

    def select(self, kind: str, document_id: str | None = None) -> bool:
        for index in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(index)
            for item in [top] + [top.child(c) for c in range(top.childCount())]:
                if item.data(0, KEY) == (kind, document_id):
                    self.tree.setCurrentItem(item)
                    return True
        return False

    def _update_buttons(self) -> None:
        choice, doc = self.selected()
        granted = permissions_of(self.ctx.user.roles)
        refusal = choice.refusal if choice else None
        reprint = choice.current if choice is not None else None
        self.issue_button.setText("重印…" if reprint is not None else "签发…")
        if reprint is not None:  # issued: print the stored file again, never a second number
            self.issue_button.setEnabled(True)
            self.issue_button.setToolTip(f"打印已签发的{reprint.label} {reprint.number}（存档原件，不另编文号，"
                                         "记入审计日志）。如原文书有误，请先作废再重新签发。")
        else:
            self.issue_button.setEnabled(choice is not None and refusal is None
                                         and Permission.DOCUMENT_ISSUE in granted)
            self.issue_button.setToolTip(refusal or ("" if Permission.DOCUMENT_ISSUE in granted else NO_ISSUE)
                                         or "核对文号、印章后编定文号、按选择加盖印章并存档")
        self.preview_button.setEnabled(doc is not None or (choice is not None and refusal is None))
        self.preview_button.setToolTip(refusal if doc is None and refusal else "")
        live = doc is not None and doc.voided_at is None
        self.print_button.setEnabled(live)
        self.save_button.setEnabled(live)
        needed = Permission.DOCUMENT_SEAL if doc is not None and doc.sealed else Permission.DOCUMENT_ISSUE
        self.void_button.setEnabled(live and needed in granted)
        self.void_button.setToolTip("" if not live or needed in granted else
                                    ("您没有“加盖印章”的权限，不能作废已盖章的文书。" if doc.sealed else NO_ISSUE))
        shown = refusal if reprint is None else None  # an issued document's row says nothing is missing
        self.refusal_label.setText(shown or "")
        self.refusal_label.setVisible(bool(shown))

    # -- preview and issue ----------------------------------------------------------------------------------------

    def preview(self) -> None:
        choice, doc = self.selected()
        if doc is not None:
            self.show_issued(doc)
        elif choice is not None and choice.refusal is None and self.case_id:
            case_id, kind, service = self.case_id, choice.kind, self.service
            run_op(self, f"正在生成{choice.label}预览稿…", lambda: service.preview(case_id, kind),
                   lambda pdf: self._open_preview(pdf, f"预览稿：{choice.label}", f"预览稿-{choice.label}.pdf",
                                                  PREVIEW_NOTE))

    def show_issued(self, info: IssuedInfo) -> None:
        service = self.service
        run_op(self, f"正在读取 {info.number}…", lambda: service.read(info.id, purpose="view"),
               lambda pdf: self._open_preview(pdf, f"{info.label} {info.number}", file_name(info), issued_note(info)))

    def _open_preview(self, pdf: bytes, title: str, name: str, note: str) -> None:
        try:
            dialog = PdfPreviewDialog(pdf, title, self, suggested_name=name, note=note, settings=self.settings)
        except WenzeError as error:
            show_error(self, error)
            return
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()  # window-modal without a nested event loop: it may be opened from a worker's answer
        self.preview_opened.emit(dialog)

    def issue(self) -> None:
        """签发: read what the issue will use on the worker, confirm, then issue on the worker. On a document
        already issued, 重印: its stored copy is printed (audited as a print), never issued again."""
        choice, _doc = self.selected()
        if choice is None or self.case_id is None or self._confirming:
            return
        if choice.current is not None:
            self.select(choice.kind)  # the document's row: its live copy
            self.print_selected()
            return
        if choice.refusal is not None:
            return
        self._confirming = True  # a second click before the confirmation opens does nothing
        case_id, kind, service = self.case_id, choice.kind, self.service
        offer = choice.accompanied_by_receipt and RECEIPT in self.choices

        def failed(error: BaseException) -> None:
            self._confirming = False
            show_error(self, error)

        run_op(self, "", lambda: service.plan(case_id, kind, with_receipt=offer),
               lambda plan: self._confirm_issue(case_id, choice, plan, offer), on_failure=failed, busy_dialog=False)

    def _confirm_issue(self, case_id: str, choice: DocumentChoice, plan: IssuePlan, offer: bool) -> None:
        try:
            if case_id != self.case_id:
                return  # the clerk moved to another case meanwhile
            dialog = IssueDialog(choice, plan, self, offer_receipt=offer)
            accepted, sealed, receipt = self.exec_dialog(dialog), dialog.sealed(), dialog.with_receipt()
            dialog.deleteLater()
        finally:
            self._confirming = False
        if not accepted:
            return
        kind, service, version, number = choice.kind, self.service, choice.version, plan.number
        self.changed_note.hide()
        run_op(self, f"正在签发{choice.label}…",
               lambda: service.issue(case_id, kind, sealed=sealed, expected_version=version, expected_number=number,
                                     with_receipt=receipt),
               self._issued, on_failure=self._issue_failed, hub=self.hub)

    def _issue_failed(self, error: BaseException) -> None:
        if isinstance(error, CaseChanged):
            self.changed_note.setText(f"{error}\n文书没有签发，文号未被占用。下面已列出案件的最新情况，请核对后再签发。")
            self.changed_note.show()
            self.refresh()
        else:
            show_error(self, error)
            self.refresh()  # e.g. the number was taken meanwhile: the list as it is now

    def _issued(self, info: IssuedInfo) -> None:
        if info.case_id == self.case_id:  # the clerk may have moved to another case meanwhile
            self.select(info.kind)
        self.document_issued.emit(info)
        self.show_issued(info)
