"""What the documents panel does with an issued copy: print (重印 included), save as, void.

Printing and saving use the stored bytes exactly as issued (hash-checked by the services, and audited there as a
print or an export), never a fresh rendering, so every copy is the same file. Reading runs on the database worker.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from wenze_desktop.errors import WenzeError
from wenze_desktop.gui.issue_dialog import file_name
from wenze_desktop.gui.messages import show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.gui.pdf_view import load_pdf, match_paper, print_pdf, save_error_reason, write_atomically
from wenze_desktop.services.documents import IssuedInfo


class IssuedCopyActions:
    """Mixed into ``DocumentsPanel``: it provides ``selected``, ``service``, ``hub``, the seams ``exec_dialog``,
    ``choose_save_path`` and ``ask_reason``, and the signals ``printed`` and ``document_voided``."""

    def _live_copy(self) -> IssuedInfo | None:
        _choice, doc = self.selected()
        return doc if doc is not None and doc.voided_at is None else None

    def print_selected(self) -> None:
        """Print the chosen copy (on a document's row: its live copy, i.e. 重印), read on the worker and audited
        there as a print."""
        if (info := self._live_copy()) is not None:
            service = self.service
            run_op(self, f"正在读取 {info.number}…", lambda: service.read(info.id, purpose="print"),
                   lambda pdf: self.print_stored(info, pdf))

    def print_stored(self, info: IssuedInfo, pdf: bytes) -> int:
        """The print dialog on the document's own paper, then the stored file's pages; returns the pages printed."""
        try:
            doc = load_pdf(pdf)
            try:
                pages, first_size = len(doc), doc[0].get_size()
            finally:
                doc.close()
        except WenzeError as error:
            show_error(self, error)
            return 0
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(file_name(info))
        match_paper(printer, *first_size)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(f"打印 {info.number}")
        dialog.setMinMax(1, pages)
        if not self.exec_dialog(dialog):
            return 0
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            count = print_pdf(printer, pdf)
        except OSError as error:
            QMessageBox.warning(self, "打印失败", f"文书 {info.number} 未能打印。\n原因：{error}")
            return 0
        finally:
            QApplication.restoreOverrideCursor()
        self.printed.emit(info.id, count)
        return count

    def save_selected(self) -> None:
        if (info := self._live_copy()) is None or not (chosen := self.choose_save_path(file_name(info))):
            return
        path = Path(chosen)
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        service = self.service

        def failed(error: BaseException) -> None:
            if isinstance(error, OSError):
                QMessageBox.critical(self, "另存失败", f"文书未能保存到：\n{path}\n\n原因：{save_error_reason(error)}"
                                                       "。\n同名的原有文件（如有）未被改动。请换一个位置再试。")
            else:
                show_error(self, error)

        run_op(self, f"正在保存 {info.number}…",
               lambda: write_atomically(path, service.read(info.id, purpose="export")), on_failure=failed)

    def _ask_reason(self, info: IssuedInfo) -> str | None:
        text, ok = QInputDialog.getMultiLineText(
            self, "作废文书", f"作废{info.label} {info.number}。文号保留在登记簿中，不再使用；作废后不能再打印。\n"
                              "请写明作废的理由：")
        return text if ok else None

    def void_selected(self) -> None:
        if (info := self._live_copy()) is None or (reason := self.ask_reason(info)) is None:
            return
        service = self.service
        run_op(self, f"正在作废 {info.number}…", lambda: service.void(info.id, reason),
               lambda _result: self.document_voided.emit(info.id), hub=self.hub)
