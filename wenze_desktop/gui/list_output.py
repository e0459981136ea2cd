"""Print a list or save it as .xlsx, under the one rule for plaintext leaving the workspace (services/lists.py):
the user is warned, the audit entry comes first (on the database worker), and the output says where it came from.

Used by the registry and the deadline board: ``table_of(view, kind, filter)`` reads what the view shows (its
current filter and sort), ``ListOutput`` adds the two buttons and does the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton, QTableView, QWidget

from wenze_desktop.gui.ops import run_op
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.lists import KINDS, WARNING, ListService, Table


def table_of(view: QTableView, kind: str, filter_text: str = "") -> Table:
    """The rows the view shows, as shown (its proxy's filter and sort), without hidden columns."""
    model = view.model()
    columns = [c for c in range(model.columnCount()) if not view.isColumnHidden(c)]
    titles = tuple(str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in columns)
    rows = tuple(tuple(str(model.index(r, c).data() or "") for c in columns) for r in range(model.rowCount()))
    return Table(kind, titles, rows, filter_text)


class ListOutput:
    """The 打印… and 导出 Excel… buttons of one list."""

    def __init__(self, parent: QWidget, ctx: ServiceContext, table: Callable[[], Table]) -> None:
        self.parent, self.service, self.table = parent, ListService(ctx), table
        self.print_button = QPushButton("打印…")
        self.print_button.setToolTip("打印当前列表（按当前筛选和排序）；打印前记入审计日志")
        self.print_button.clicked.connect(lambda _=False: self.print_list())
        self.export_button = QPushButton("导出 Excel…")
        self.export_button.setToolTip("把当前列表保存为 .xlsx 文件；导出前记入审计日志")
        self.export_button.clicked.connect(lambda _=False: self.export_list())
        # Seams for tests.
        self.confirm: Callable[[str], bool] = self._confirm
        self.choose_path: Callable[[str], str] = self._choose_path
        self.print_dialog: Callable[[QPrinter], bool] = self._print_dialog
        self.tell: Callable[[str], None] = lambda text: QMessageBox.information(self.parent, "已导出", text)
        self.exported: Path | None = None
        self.printed_html = ""

    def _confirm(self, what: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Warning, f"{what}：内容将离开加密工作区", WARNING,
                          QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel, self.parent)
        box.button(QMessageBox.StandardButton.Ok).setText(what)
        return box.exec() == QMessageBox.StandardButton.Ok

    def _choose_path(self, name: str) -> str:
        start = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        chosen, _ = QFileDialog.getSaveFileName(self.parent, "导出为 Excel 文件", str(Path(start) / name),
                                                "Excel 工作簿 (*.xlsx)")
        return chosen

    def _print_dialog(self, printer: QPrinter) -> bool:
        dialog = QPrintDialog(printer, self.parent)
        dialog.setWindowTitle("打印列表")
        return dialog.exec() == QPrintDialog.DialogCode.Accepted

    def export_list(self) -> None:
        table = self.table()
        if not table.rows or not self.confirm("导出"):
            return
        chosen = self.choose_path(f"{KINDS[table.kind]}.xlsx")
        if not chosen:
            return
        service = self.service
        run_op(self.parent, "正在导出…", lambda: service.export_xlsx(table, chosen), self._exported)

    def _exported(self, path: Path) -> None:
        self.exported = path
        self.tell(f"已保存为 {path}。\n\n{WARNING}")

    def print_list(self) -> None:
        table = self.table()
        if not table.rows or not self.confirm("打印"):
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(KINDS[table.kind])
        if not self.print_dialog(printer):
            return
        service = self.service
        run_op(self.parent, "正在记录打印…", lambda: service.printing(table),
               lambda provenance: self._print(printer, table, provenance))

    def _print(self, printer: QPrinter, table: Table, provenance: str) -> None:
        """Only once the printout is in the audit (``provenance`` comes back from that entry's transaction)."""
        self.printed_html = html_of(table, provenance)
        document = QTextDocument()
        document.setHtml(self.printed_html)
        document.print_(printer)


def html_of(table: Table, provenance: str) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in table.rows)
    condition = f"<p>筛选条件：{escape(table.filter)}</p>" if table.filter else ""
    return (f"<h3>{escape(KINDS[table.kind])}</h3>{condition}"
            f"<table border='1' cellspacing='0' cellpadding='3'><tr>{head}</tr>{body}</table>"
            f"<p><i>{escape(provenance)}</i></p>")
