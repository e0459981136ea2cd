"""The registry page: lazy rows, short Chinese searches (one and two characters), filters, overdue rows standing
out, sorting, the title column taking the spare width."""

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView

from tests.unit.procedure_helpers import walk
from wenze_desktop.gui.changes import ChangeHub, Changes
from wenze_desktop.gui.registry_model import CASE_ID_ROLE, OVERDUE_BACKGROUND, PLACEHOLDER
from wenze_desktop.gui.registry_view import DUE_WITHIN, OVERDUE, RegistryView
from wenze_desktop.services import Workspace


@pytest.fixture
def ws(ctx):
    return Workspace(ctx)


def add_case(ws, name: str, title: str, profile: str = "gz2009", received=date(2026, 11, 2)) -> str:
    return ws.cases.create(profile=profile, title=title, clue_source="complaint", received_on=received,
                           respondents=[{"kind": "person", "name": name}], facts="履职不力")


def make_view(qtbot, ctx, gui_settings) -> RegistryView:
    view = RegistryView(ctx, ChangeHub(), gui_settings)
    qtbot.addWidget(view)
    view.resize(780, 500)
    view.show()
    wait_loaded(qtbot, view)
    return view


def wait_loaded(qtbot, view) -> None:
    qtbot.waitUntil(lambda: not view.model.loading, timeout=5000)


def column_texts(view, column: int) -> list[str]:
    model = view.model
    return [model.data(model.index(row, column)) for row in range(model.rowCount())]


def rows_in(qtbot, view) -> None:
    """Ask for every row and wait until they arrived from the database worker."""
    qtbot.waitUntil(lambda: PLACEHOLDER not in column_texts(view, 0), timeout=5000)


def test_registry_lists_cases_and_finds_one_by_one_or_two_chinese_characters(qtbot, ctx, ws, gui_settings):
    add_case(ws, "欧阳明", "关于对住建局欧阳明问责的案件")
    add_case(ws, "李小红", "关于对教育局李小红问责的案件", profile="jt2019")
    view = make_view(qtbot, ctx, gui_settings)
    assert view.model.rowCount() == 2 and "共 2 件" in view.count_label.text()
    rows_in(qtbot, view)
    assert set(column_texts(view, 3)) == {"欧阳明", "李小红"}
    view.search.setText("小红")  # Chinese by setText (keyClicks with Chinese aborts Qt)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=3000)
    rows_in(qtbot, view)
    assert column_texts(view, 3) == ["李小红"] and "已筛选" in view.count_label.text()
    view.search.setText("欧")  # one character: a surname
    qtbot.waitUntil(lambda: view.model.filter.text == "欧" and not view.model.loading, timeout=3000)
    rows_in(qtbot, view)
    assert column_texts(view, 3) == ["欧阳明"] and "共 1 件" in view.count_label.text()
    view.search.setText("孙")
    qtbot.waitUntil(lambda: view.model.filter.text == "孙" and not view.model.loading, timeout=3000)
    assert view.model.rowCount() == 0 and "共 0 件" in view.count_label.text()


def test_overdue_case_stands_out_and_filters(qtbot, ctx, ws, gui_settings):
    late = add_case(ws, "王建国", "关于对城管局王建国问责的案件", received=date(2026, 9, 1))
    walk(ws, late, until="filed", start=date(2026, 9, 1))
    add_case(ws, "赵铁柱", "关于对水利局赵铁柱问责的案件")
    view = make_view(qtbot, ctx, gui_settings)
    rows_in(qtbot, view)
    rows = {view.model.data(view.model.index(r, 0), CASE_ID_ROLE): r for r in range(2)}
    overdue_row = rows[late]
    background = view.model.data(view.model.index(overdue_row, 1), Qt.ItemDataRole.BackgroundRole)
    assert background is not None and background.color() == OVERDUE_BACKGROUND
    assert "已逾期" in view.model.data(view.model.index(overdue_row, 6))
    other = 1 - overdue_row
    assert view.model.data(view.model.index(other, 1), Qt.ItemDataRole.BackgroundRole) is None
    view.deadline.setCurrentIndex(OVERDUE)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=3000)
    assert view.model.case_id_at(0) == late
    view.deadline.setCurrentIndex(DUE_WITHIN)
    qtbot.waitUntil(lambda: view.model.rowCount() == 0, timeout=3000)


def test_sorting_by_the_deadline_column_and_double_click_opens(qtbot, ctx, ws, gui_settings):
    first = add_case(ws, "甲乙", "关于甲乙的案件", received=date(2026, 6, 1))
    walk(ws, first, until="filed", start=date(2026, 6, 1))
    second = add_case(ws, "丙丁", "关于丙丁的案件", received=date(2026, 10, 9))
    walk(ws, second, until="filed", start=date(2026, 10, 9))
    none = add_case(ws, "戊己", "关于戊己的案件")
    view = make_view(qtbot, ctx, gui_settings)
    view.table.sortByColumn(5, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: [view.model.case_id_at(r) for r in range(3)] == [first, second, none], timeout=3000)
    view.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: [view.model.case_id_at(r) for r in range(3)] == [second, first, none], timeout=3000)
    with qtbot.waitSignal(view.case_activated) as opened:
        view.table.doubleClicked.emit(view.model.index(2, 1))
    assert opened.args == [none]


def test_changes_refresh_rows_and_new_cases_appear(qtbot, ctx, ws, gui_settings):
    case_id = add_case(ws, "钱学森", "关于钱学森的案件")
    hub = ChangeHub()
    view = RegistryView(ctx, hub, gui_settings)
    qtbot.addWidget(view)
    wait_loaded(qtbot, view)
    rows_in(qtbot, view)
    assert column_texts(view, 1) == ["关于钱学森的案件"]
    ws.cases.update_case(case_id, title="关于钱学森同志的案件")
    with qtbot.waitSignal(view.model.rows_arrived, timeout=3000):
        hub.publish(Changes.case(case_id, deadlines=False))
        assert column_texts(view, 1) == ["关于钱学森的案件"]  # the row stays shown until the new one is in
    assert column_texts(view, 1) == ["关于钱学森同志的案件"]
    add_case(ws, "邓稼先", "关于邓稼先的案件")
    hub.publish(Changes(cases_added=True))
    qtbot.waitUntil(lambda: view.model.rowCount() == 2, timeout=3000)


def test_the_title_takes_the_spare_width_and_the_column_order_is_remembered(qtbot, ctx, ws, gui_settings):
    add_case(ws, "孙悟空", "关于孙悟空的案件")
    view = make_view(qtbot, ctx, gui_settings)
    rows_in(qtbot, view)
    header = view.table.horizontalHeader()
    assert header.sectionResizeMode(1) == QHeaderView.ResizeMode.Stretch and not header.stretchLastSection()
    number = view.table.fontMetrics().horizontalAdvance(column_texts(view, 0)[0])
    view.resize(1300, 500)  # room for everything: the other columns as wide as their contents
    qtbot.waitUntil(lambda: view.table.columnWidth(0) >= number, timeout=3000)
    number_width, days_width, title_width = (view.table.columnWidth(c) for c in (0, 6, 1))
    assert days_width < 120  # sized to its contents, not to the 90 px of old nor stretched

    def used() -> int:
        return sum(view.table.columnWidth(c) for c in range(8))

    view.resize(1700, 500)  # a wider window: only the title grows
    qtbot.waitUntil(lambda: view.table.columnWidth(1) > title_width + 300, timeout=3000)
    assert (view.table.columnWidth(0), view.table.columnWidth(6)) == (number_width, days_width)
    assert abs(used() - view.table.viewport().width()) <= 2  # no empty band at the right, no scroll bar

    view.resize(760, 500)  # a narrow one: the other columns give way, the title keeps its share …
    qtbot.waitUntil(lambda: view.table.columnWidth(0) < number_width, timeout=3000)
    assert view.table.columnWidth(1) >= 0.3 * view.table.viewport().width() - 2 or all(  # … or they are as
        view.table.columnWidth(c) == header.sectionSizeHint(c) for c in range(8) if c != 1)  # narrow as can be
    assert view.model.data(view.model.index(0, 1), Qt.ItemDataRole.ToolTipRole) == "关于孙悟空的案件"  # cut: tooltip
    view.resize(1300, 500)  # and back
    qtbot.waitUntil(lambda: view.table.columnWidth(0) == number_width, timeout=3000)

    view.table.setColumnWidth(2, 333)  # the clerk's own width stands
    view.resize(1400, 500)
    qtbot.wait(50)
    assert view.table.columnWidth(2) == 333

    header.moveSection(3, 0)
    view.resize(1300, 500)
    view.save_layout()
    again = make_view(qtbot, ctx, gui_settings)
    again.resize(1300, 500)
    assert again.table.horizontalHeader().visualIndex(3) == 0
    assert again.table.horizontalHeader().sectionResizeMode(1) == QHeaderView.ResizeMode.Stretch
    assert again.table.columnWidth(2) == 333 and again.table.columnWidth(0) == number_width  # widths kept


def test_a_narrow_window_does_not_narrow_the_widths_saved(qtbot, ctx, ws, gui_settings):
    add_case(ws, "孙悟空", "关于孙悟空的案件")
    view = make_view(qtbot, ctx, gui_settings)
    view.resize(1300, 500)
    rows_in(qtbot, view)
    number = view.table.fontMetrics().horizontalAdvance(column_texts(view, 0)[0])
    qtbot.waitUntil(lambda: view.table.columnWidth(0) >= number, timeout=3000)
    wide = view.table.columnWidth(0)
    view.resize(700, 500)
    qtbot.waitUntil(lambda: view.table.columnWidth(0) < wide, timeout=3000)
    view.save_layout()
    assert view.table.columnWidth(0) < wide  # still fitted to the narrow window after saving
    again = make_view(qtbot, ctx, gui_settings)
    again.resize(1300, 500)
    qtbot.waitUntil(lambda: again.table.columnWidth(0) == wide, timeout=3000)
