"""At the first sign-in of the day: what of the handler's own cases is overdue or due within three working days.

``show_due_soon(window)`` asks the database worker (``DueSoonService.at_sign_in``) and, when there is anything,
opens a small dialog over the window; 打开案件 (or a double-click) opens the chosen case through
``window.open_case``. The same cases stay at the top of 我的案件 in the registry.
"""

from __future__ import annotations

import logging
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wenze_desktop.gui.forms import days_left_text
from wenze_desktop.gui.ops import run_op
from wenze_desktop.services.due_soon import WORKING_DAYS, DueItem, DueSoon, DueSoonService

OVERDUE_TEXT = QColor("#b00020")
OVERDUE_BACKGROUND = QColor("#fde2e1")
SOON_TEXT = QColor("#a15c00")
CASE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
HEADERS = ("案件编号", "案件名称", "期限", "截止日期", "剩余")
TITLE_COLUMN = 1


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def left_text(item: DueItem) -> str:
    """剩 3 天（1 个工作日） / 今天到期 / 已逾期 2 天: calendar days as everywhere, working days when they differ."""
    text = days_left_text(item.days_left)
    if item.days_left > 0 and item.working_days_left != item.days_left:
        text += f"（{item.working_days_left} 个工作日）"
    return text


class DueSoonDialog(QDialog):
    case_chosen = Signal(str)  # a case id: open it

    def __init__(self, found: DueSoon, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dueSoonDialog")
        self.setWindowTitle("今日提醒：期限将到的案件")
        self.found = found
        overdue = found.overdue
        soon = len(found.items) - overdue
        parts = ([f"<b style='color:{OVERDUE_TEXT.name()}'>{overdue} 项已逾期</b>"] if overdue else []) + \
            ([f"<b>{soon} 项</b>将在 {WORKING_DAYS} 个工作日内（{_day(found.until)}前）到期"] if soon else [])
        self.summary = QLabel(f"您承办的案件中，{'，'.join(parts)}。请及时办理。")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)

        self.table = QTableWidget(len(found.items), len(HEADERS))
        self.table.setObjectName("dueSoonTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        for row, item in enumerate(found.items):
            self._fill(row, item)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for column in range(len(HEADERS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch if column == TITLE_COLUMN
                                        else QHeaderView.ResizeMode.ResizeToContents)
        self.table.doubleClicked.connect(lambda index: self._open(index.row()))
        self.table.activated.connect(lambda index: self._open(index.row()))  # Enter on a row
        self.table.itemSelectionChanged.connect(self._selection_changed)

        note = QLabel("这些案件也排在案件登记“我的案件”的最前面（按剩余天数排序）。")
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")

        self.buttons = QDialogButtonBox()
        self.open_button = self.buttons.addButton("打开案件", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        self.open_button.setToolTip("打开所选案件（也可双击该行）")
        self.open_button.clicked.connect(lambda: self._open(self.table.currentRow()))
        self.close_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        if found.items:
            self.table.selectRow(0)
        self._selection_changed()
        self._size_to_screen()

    def _fill(self, row: int, item: DueItem) -> None:
        due = _day(item.due) + ("（暂定）" if item.provisional else "")
        texts = (item.case_number, item.case_title, item.label, due, left_text(item))
        for column, text in enumerate(texts):
            cell = QTableWidgetItem(text)
            cell.setData(CASE_ID_ROLE, item.case_id)
            if column == TITLE_COLUMN:
                cell.setToolTip(item.case_title)
            if item.provisional and column == 3:
                cell.setToolTip("暂定期限：该年度节假日安排尚未录入，仅按周末推算。")
            if item.overdue:
                cell.setBackground(QBrush(OVERDUE_BACKGROUND))
                if column == 4:
                    cell.setForeground(QBrush(OVERDUE_TEXT))
            elif column == 4:
                cell.setForeground(QBrush(SOON_TEXT))
            self.table.setItem(row, column, cell)

    def _size_to_screen(self) -> None:
        """As wide as the rows want, within the screen (1366×768 included); a long list scrolls inside."""
        screen = (self.parentWidget().screen() if self.parentWidget() else None) or QGuiApplication.primaryScreen()
        available = screen.availableGeometry()
        rows = min(len(self.found.items), 10)
        height = 200 + rows * (self.table.verticalHeader().defaultSectionSize())
        self.resize(min(900, available.width() - 40), min(height, available.height() - 80))

    def _selection_changed(self) -> None:
        self.open_button.setEnabled(self.table.currentRow() >= 0 and bool(self.table.selectedItems()))

    def case_id_at(self, row: int) -> str | None:
        cell = self.table.item(row, 0) if row >= 0 else None
        return cell.data(CASE_ID_ROLE) if cell is not None else None

    def _open(self, row: int) -> None:
        case_id = self.case_id_at(row)
        if case_id:
            self.case_chosen.emit(case_id)
            self.accept()


def show_due_soon(window, today: date | None = None) -> None:
    """After signing in: at the user's first sign-in of the day, list their cases that are overdue or due within
    three working days (nothing is shown when there are none). ``window``: the main window (its ``ctx`` and
    ``open_case``). The list is read on the database worker; the dialog opens without blocking the window."""
    service = DueSoonService(window.ctx)

    def show(found: DueSoon | None) -> None:
        if found is None or not found.items:
            return
        dialog = DueSoonDialog(found, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.case_chosen.connect(window.open_case)
        dialog.open()

    def failed(error: BaseException) -> None:  # a reminder that cannot be read must not stand in the way
        logging.getLogger("wenze").warning("due-soon list not read: %s", error)

    run_op(window, "", lambda: service.at_sign_in(today), show, on_failure=failed, busy_dialog=False)
