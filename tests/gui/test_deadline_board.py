"""The deadline board: overdue first and red, provisional deadlines marked, entering a year makes them exact."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QProgressDialog, QPushButton, QWidget

from tests.unit.procedure_helpers import PAPER
from wenze_desktop.gui.calendar_dialog import CalendarYearDialog, year_template
from wenze_desktop.gui.changes import ChangeHub, Changes
from wenze_desktop.gui.deadline_board import (
    COL_LEFT,
    COL_NUMBER,
    COL_PROVISIONAL,
    FILTER_DUE_WITHIN,
    FILTER_OVERDUE,
    DeadlineBoard,
)
from wenze_desktop.gui.ops import run_op
from wenze_desktop.services.calendar import CalendarService
from wenze_desktop.services.cases import CaseService
from wenze_desktop.services.procedure import ProcedureService

YEAR_2027 = 'year = 2027\nholidays = ["2027-01-01", "2027-02-06..2027-02-12"]\nworkdays = ["2027-02-14"]\n'
SOURCE = "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕X号）"


def new_case(ctx, title: str, name: str, received: date) -> str:
    return CaseService(ctx).create(profile="gz2009", title=title, clue_source="complaint", received_on=received,
                                   respondents=[{"kind": "person", "name": name}])


@pytest.fixture
def cases(ctx) -> dict[str, str]:
    """Today is 2026-11-23: one case overdue since September, one whose report deadline falls in 2027."""
    procedure = ProcedureService(ctx)
    late = new_case(ctx, "关于张三的问责案", "张三", date(2026, 9, 1))
    procedure.perform(late, "preliminary_check", on=date(2026, 9, 2))
    procedure.perform(late, "file_case", on=date(2026, 9, 4), approved_by="书记", paper_ref=PAPER)
    later = new_case(ctx, "关于李四的问责案", "李四", date(2026, 11, 20))
    procedure.perform(later, "preliminary_check", on=date(2026, 12, 18))
    procedure.perform(later, "file_case", on=date(2026, 12, 20), approved_by="书记", paper_ref=PAPER)
    return {"late": late, "later": later}


def make_board(qtbot, ctx, hub=None) -> DeadlineBoard:
    board = DeadlineBoard(ctx, hub or ChangeHub())
    qtbot.addWidget(board)
    board.show()
    qtbot.waitUntil(lambda: not board.loading, timeout=5000)
    return board


def cell(board: DeadlineBoard, row: int, column: int, role=Qt.ItemDataRole.DisplayRole):
    return board.table.model().index(row, column).data(role)


def rows_of(board: DeadlineBoard, case_id: str) -> list[int]:
    return [r for r in range(board.table.model().rowCount())
            if board.table.model().index(r, 0).data(Qt.ItemDataRole.UserRole + 2) == case_id]


def test_the_deadline_board_shows_an_overdue_case_first_and_in_red(qtbot, ctx, cases):
    board = make_board(qtbot, ctx)
    assert board.model.rowCount() == 4
    late_rows = rows_of(board, cases["late"])
    assert late_rows == [0, 1]  # overdue rows lead
    assert cell(board, 0, COL_NUMBER) == "gz2009-2026-0001"
    assert cell(board, 0, COL_LEFT).startswith("已逾期")
    assert cell(board, 0, COL_LEFT, Qt.ItemDataRole.BackgroundRole).color() == QColor("#fdecea")
    assert cell(board, 0, COL_NUMBER, Qt.ItemDataRole.ForegroundRole).color() == QColor("#b00020")
    later = rows_of(board, cases["later"])[0]
    assert cell(board, later, COL_LEFT).startswith("剩")
    assert cell(board, later, COL_LEFT, Qt.ItemDataRole.BackgroundRole) is None
    assert "已逾期 2 项" in board.summary.text()
    board.table.sortByColumn(COL_NUMBER, Qt.SortOrder.DescendingOrder)  # a header click sorts by that column
    assert cell(board, 0, COL_NUMBER) == "gz2009-2026-0002"
    board.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # back to overdue first
    assert rows_of(board, cases["late"]) == [0, 1]

    board.set_filter(FILTER_OVERDUE)
    assert board.table.model().rowCount() == 2
    board.set_filter(FILTER_DUE_WITHIN, 30)
    assert board.table.model().rowCount() == 1  # the notice due 2026-12-23; the report is 2027
    board.set_filter(FILTER_DUE_WITHIN, 7)
    assert board.table.model().rowCount() == 0


def test_provisional_deadline_is_marked_and_offers_to_enter_its_year(qtbot, ctx, cases):
    board = make_board(qtbot, ctx)
    marked = [r for r in range(board.model.rowCount()) if cell(board, r, COL_PROVISIONAL) == "暂定"]
    assert len(marked) == 1 and rows_of(board, cases["later"])[-1] == marked[0]
    assert "2027 年" in cell(board, marked[0], COL_PROVISIONAL, Qt.ItemDataRole.ToolTipRole)
    assert list(board.year_buttons) == [2027]
    button = board.year_buttons[2027]
    assert button.text() == "录入 2027 年节假日安排…" and button.isVisible() and button.isEnabled()


def test_entering_the_year_through_the_dialog_removes_the_provisional_mark(qtbot, ctx, cases):
    hub = ChangeHub()
    board = make_board(qtbot, ctx, hub)
    published: list[Changes] = []
    hub.changed.connect(published.append)
    qtbot.mouseClick(board.year_buttons[2027], Qt.MouseButton.LeftButton)
    dialog = board.calendar_dialog
    assert isinstance(dialog, CalendarYearDialog) and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.entered is not None, timeout=5000)  # the entered years, from the worker
    assert dialog.year_box.value() == 2027 and "year = 2027" in dialog.text.toPlainText()
    dialog.set_text(YEAR_2027, SOURCE)
    with qtbot.waitSignal(dialog.finished, timeout=10000):
        dialog.accept()
    assert dialog.result() == CalendarYearDialog.DialogCode.Accepted
    assert published == [Changes(deadlines=True, calendar=True)]
    qtbot.waitUntil(lambda: not board.loading and not board.year_buttons, timeout=5000)
    assert all(cell(board, r, COL_PROVISIONAL) == "" for r in range(board.model.rowCount()))
    assert not board.provisional_banner.isVisible()
    report = next(d for d in board.model.rows if d.rule_id == "report" and d.case_id == cases["later"])
    assert report.due == date(2027, 2, 1) and not report.provisional
    assert CalendarService(ctx).entered_years()[0]["source"] == SOURCE


def test_double_click_opens_the_case(qtbot, ctx, cases):
    board = make_board(qtbot, ctx)
    later = rows_of(board, cases["later"])[0]
    rect = board.table.visualRect(board.table.model().index(later, COL_NUMBER))
    qtbot.mouseClick(board.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(board.case_activated) as signal:
        qtbot.mouseDClick(board.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert signal.args == [cases["later"]]
    board.table.setCurrentIndex(board.table.model().index(0, 0))
    with qtbot.waitSignal(board.case_activated) as signal:
        qtbot.keyClick(board.table, Qt.Key.Key_Return)
    assert signal.args == [cases["late"]]


@pytest.mark.parametrize(("text", "message"), [
    ("year = 2027\nholidays = [", "不是有效的 TOML"),
    ('year = 2027\nholidays = ["2027-02-30"]', "不是日期"),
    (year_template(2027), "没有任何放假日"),
    ('year = 2028\nholidays = ["2028-01-01"]', "与所选的 2027 年不一致"),
])
def test_invalid_arrangement_shows_an_error_and_changes_nothing(qtbot, ctx, cases, text, message):
    hub = ChangeHub()
    published: list[Changes] = []
    hub.changed.connect(published.append)
    dialog = CalendarYearDialog(ctx, hub, year=2027)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.entered is not None, timeout=5000)
    dialog.set_text(text, SOURCE)
    dialog.accept()
    assert dialog.isVisible() and not dialog.running
    assert dialog.error.isVisible() and message in dialog.error.text()
    assert CalendarService(ctx).entered_years() == [] and published == []
    assert any(d.provisional for d in ProcedureService(ctx).open_deadlines())


def test_source_is_required(qtbot, ctx):
    dialog = CalendarYearDialog(ctx, ChangeHub(), year=2027)
    qtbot.addWidget(dialog)
    dialog.set_text(YEAR_2027, "")
    dialog.accept()
    assert "请填写依据" in dialog.error.text() and CalendarService(ctx).entered_years() == []


def test_dialog_lists_entered_years_and_loads_a_file(qtbot, ctx, tmp_path):
    CalendarService(ctx).import_year(YEAR_2027, source=SOURCE)
    dialog = CalendarYearDialog(ctx, ChangeHub())
    qtbot.addWidget(dialog)
    assert dialog.year_box.value() == 2027  # until the entered years arrive from the worker
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        pass
    items = [dialog.years_list.item(i).text() for i in range(dialog.years_list.count())]
    assert any(t.startswith("2027 年：已录入") and SOURCE in t for t in items)
    assert dialog.year_box.value() == 2028  # the next year nobody has entered
    path = tmp_path / "2029.toml"
    path.write_text('year = 2029\nholidays = ["2029-01-01"]\n', encoding="utf-8")
    assert dialog.load_file(path)
    assert dialog.year_box.value() == 2029 and "2029-01-01" in dialog.text.toPlainText()
    assert not dialog.load_file(tmp_path / "missing.toml") and "无法读取文件" in dialog.error.text()


def test_run_op_reports_progress_and_cancels(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    first_reported, answers, results = threading.Event(), [], []

    def work(report):
        answers.append(report(1, 10, "正在重新计算期限"))
        first_reported.set()
        while report(1, 10, "正在重新计算期限"):
            time.sleep(0.01)
        answers.append(False)
        return "stopped"

    relay = run_op(parent, "正在录入…", work, results.append, progress=True)
    assert first_reported.wait(5)
    dialog = parent.findChild(QProgressDialog)
    qtbot.waitUntil(lambda: dialog.maximum() == 10 and dialog.value() == 1)
    assert dialog.labelText() == "正在重新计算期限（1/10）"
    cancel = dialog.findChild(QPushButton)
    assert cancel.text() == "取消"
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: results == ["stopped"], timeout=5000)
    assert answers == [True, False] and relay.was_cancelled
