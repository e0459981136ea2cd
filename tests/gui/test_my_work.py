"""My work first: a handler's registry opens on 我的案件 by days left, the search box hands over to the results
(Enter, ↓), and the day's first sign-in lists what is overdue or due soon, with a button that opens the case."""

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QApplication, QWidget

from tests.unit.procedure_helpers import walk
from wenze_desktop.domain.models import CaseDeadline
from wenze_desktop.gui import ops
from wenze_desktop.gui.changes import ChangeHub
from wenze_desktop.gui.due_soon import DueSoonDialog, left_text, show_due_soon
from wenze_desktop.gui.registry_view import RegistryView
from wenze_desktop.services import Workspace
from wenze_desktop.services.context import CurrentUser, ServiceContext
from wenze_desktop.services.due_soon import DueItem, DueSoon


@pytest.fixture
def ws(ctx):
    return Workspace(ctx)


def add_case(ws, name: str, received=date(2026, 11, 2)) -> str:
    return ws.cases.create(profile="gz2009", title=f"关于对{name}问责的案件", clue_source="complaint",
                           received_on=received, respondents=[{"kind": "person", "name": name}], facts="履职不力")


def make_view(qtbot, ctx, gui_settings) -> RegistryView:
    view = RegistryView(ctx, ChangeHub(), gui_settings)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitUntil(lambda: not view.model.loading, timeout=5000)
    return view


def shown_ids(qtbot, view) -> list[str]:
    qtbot.waitUntil(lambda: not view.model.loading, timeout=5000)
    return [view.model.case_id_at(r) for r in range(view.model.rowCount())]


@pytest.fixture
def desk(ws, ctx):
    """Three cases of the signed-in handler (one overdue, one due later, one without a deadline) and one of
    another handler."""
    overdue = add_case(ws, "孙悟空", received=date(2026, 9, 1))
    walk(ws, overdue, until="filed", start=date(2026, 9, 1))
    later = add_case(ws, "沙悟净", received=date(2026, 11, 20))
    walk(ws, later, until="filed", start=date(2026, 11, 20))
    idle = add_case(ws, "唐三藏")
    theirs = add_case(ws, "猪八戒")
    wang = ws.accounts.create_user("wang", "王办案", ["handler"], "Wang-密码-2027x")
    ws.cases.update_case(theirs, handler_id=wang)
    return {"overdue": overdue, "later": later, "idle": idle, "theirs": theirs, "wang": wang}


def test_a_handler_opens_on_own_cases_most_urgent_first_and_can_switch_to_all(qtbot, ctx, desk, gui_settings):
    view = make_view(qtbot, ctx, gui_settings)
    assert view.mine and view.scope.isVisible() and view.scope.currentText() == "我的案件"
    assert not view.handler.isEnabled()
    assert shown_ids(qtbot, view) == [desk["overdue"], desk["later"], desk["idle"]]  # by days left, none last
    assert view.table.horizontalHeader().sortIndicatorSection() == 6  # 剩余天数, ascending
    assert view.table.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    assert "我的案件" in view.count_label.text() and "共 3 件" in view.count_label.text()

    view.scope.setCurrentIndex(1)  # 全部案件
    qtbot.waitUntil(lambda: view.model.rowCount() == 4, timeout=3000)
    assert set(shown_ids(qtbot, view)) == {desk["overdue"], desk["later"], desk["idle"], desk["theirs"]}
    assert view.handler.isEnabled() and "全部案件" in view.count_label.text()
    view.scope.setCurrentIndex(0)  # 我的案件
    qtbot.waitUntil(lambda: view.model.rowCount() == 3, timeout=3000)


def test_others_open_on_all_cases_as_before(qtbot, ctx, desk, gui_settings):
    leader = ServiceContext(ctx.workspace, CurrentUser(desk["wang"], "li", "李领导", ("leader",)), ctx.clock)
    view = make_view(qtbot, leader, gui_settings)
    assert not view.mine and not view.scope.isVisibleTo(view) and view.handler.isEnabled()
    assert view.model.sort_key == "updated" and view.model.descending  # most recently changed first
    assert view.model.rowCount() == 4 and view.count_label.text() == "共 4 件"


def test_a_handler_with_no_case_yet_opens_on_all_cases_and_is_told_why(qtbot, ctx, desk, gui_settings):
    other = ServiceContext(ctx.workspace, CurrentUser("nobody", "zhao", "赵办案", ("handler",)), ctx.clock)
    view = make_view(qtbot, other, gui_settings)
    qtbot.waitUntil(lambda: not view.mine and view.model.rowCount() == 4, timeout=3000)
    assert view.count_label.text() == "共 4 件（全部案件，您名下暂无案件）"
    view.scope.setCurrentIndex(0)  # 我的案件
    qtbot.waitUntil(lambda: view.model.filter.handler_id == "nobody" and not view.model.loading, timeout=3000)
    assert view.model.rowCount() == 0 and "暂无" in view.count_label.text() and "全部案件" in view.count_label.text()


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Down])
def test_enter_or_down_in_the_search_box_moves_to_the_first_result(qtbot, ctx, desk, gui_settings, key):
    view = make_view(qtbot, ctx, gui_settings)
    view.scope.setCurrentIndex(1)  # 全部案件
    qtbot.waitUntil(lambda: view.model.rowCount() == 4, timeout=3000)
    view.focus_search()
    view.search.setText("悟")  # one character; Enter comes before the typing pause has run the search
    assert view._search_timer.isActive()
    qtbot.keyClick(view.search, key)
    qtbot.waitUntil(lambda: view.table.hasFocus() or QApplication.focusWidget() is view.table, timeout=3000)
    assert view.model.rowCount() == 2
    assert view.table.currentIndex().row() == 0
    assert [i.row() for i in view.table.selectionModel().selectedRows()] == [0]
    assert view.selected_case_id() in {desk["overdue"], desk["later"]}

    # a search that finds nothing leaves the focus where the clerk types
    view.focus_search()
    view.search.setText("白骨精")
    qtbot.keyClick(view.search, key)
    qtbot.waitUntil(lambda: view.model.filter.text == "白骨精" and not view.model.loading, timeout=3000)
    assert view.model.rowCount() == 0 and view.search.hasFocus()


def test_enter_after_the_results_are_in_moves_at_once(qtbot, ctx, desk, gui_settings):
    view = make_view(qtbot, ctx, gui_settings)
    view.focus_search()
    view.search.setText("沙悟净")
    qtbot.waitUntil(lambda: view.model.filter.text == "沙悟净" and not view.model.loading, timeout=3000)
    qtbot.keyClick(view.search, Qt.Key.Key_Down)
    assert view.table.hasFocus() and view.selected_case_id() == desk["later"]
    with qtbot.waitSignal(view.case_activated, timeout=3000) as opened:  # and Enter there opens it
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert opened.args == [desk["later"]]


# -- the day's first sign-in ----------------------------------------------------------------------------------------

def item(case_id: str, label: str, due: date, today: date, working: int, provisional: bool = False) -> DueItem:
    return DueItem(case_id, f"gz2009-2026-{case_id}", f"关于{case_id}的问责案件", label, due, (due - today).days,
                   working, provisional)


def test_the_due_soon_dialog_lists_and_opens_a_case(qtbot):
    today = date(2026, 12, 3)
    found = DueSoon(today, date(2026, 12, 9), (
        item("A", "初步核实期限", date(2026, 12, 1), today, -2),
        item("B", "调查期限", date(2026, 12, 9), today, 3, provisional=True)))
    dialog = DueSoonDialog(found)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "1 项已逾期" in dialog.summary.text() and "3 个工作日内" in dialog.summary.text()
    assert "2026年12月9日" in dialog.summary.text()
    texts = [[dialog.table.item(r, c).text() for c in range(5)] for r in range(2)]
    assert texts[0][2:] == ["初步核实期限", "2026年12月1日", "已逾期 2 天"]
    assert texts[1][2:] == ["调查期限", "2026年12月9日（暂定）", "剩 6 天（3 个工作日）"]
    assert dialog.width() <= 1366 and dialog.height() <= 768
    dialog.table.selectRow(1)
    with qtbot.waitSignal(dialog.case_chosen) as chosen:
        dialog.open_button.click()
    assert chosen.args == ["B"] and dialog.result() == DueSoonDialog.DialogCode.Accepted


def test_left_text_names_working_days_only_when_they_differ():
    today = date(2026, 12, 3)
    assert left_text(item("A", "x", today, today, 0)) == "今天到期"
    assert left_text(item("A", "x", date(2026, 12, 4), today, 1)) == "剩 1 天"
    assert left_text(item("A", "x", date(2026, 12, 8), today, 2)) == "剩 5 天（2 个工作日）"


class FakeWindow(QWidget):
    """What show_due_soon needs of the main window: its context and open_case."""

    opened = Signal(str)

    def __init__(self, ctx):
        super().__init__()
        self.ctx = ctx

    def open_case(self, case_id: str) -> None:
        self.opened.emit(case_id)


def test_show_due_soon_at_the_first_sign_in_opens_the_chosen_case(qtbot, ctx, ws):
    case_id = add_case(ws, "孙悟空")
    today = ctx.clock().astimezone().date()
    with ctx.workspace.session() as s, s.begin():
        s.add(CaseDeadline(case_id=case_id, rule_id="r", label="调查期限", step="filed", action="investigate",
                           trigger_on=today - timedelta(days=30), due=today - timedelta(days=1), provisional=False,
                           unknown_years=[], met_on=None, article="第十条", extended=0, is_open=True,
                           updated_at=ctx.clock()))
    window = FakeWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    show_due_soon(window)
    qtbot.waitUntil(lambda: window.findChild(DueSoonDialog) is not None, timeout=5000)
    dialog = window.findChild(DueSoonDialog)
    assert dialog.isVisible() and dialog.table.rowCount() == 1 and "已逾期 1 天" in dialog.table.item(0, 4).text()
    with qtbot.waitSignal(window.opened) as opened:
        dialog.table.doubleClicked.emit(dialog.table.model().index(0, 1))
    assert opened.args == [case_id]


def test_nothing_is_shown_when_nothing_is_due(qtbot, ctx, ws):
    add_case(ws, "唐三藏")
    window = FakeWindow(ctx)
    qtbot.addWidget(window)
    show_due_soon(window)
    ops.on_worker(lambda: None)  # the worker has answered show_due_soon's question …
    qtbot.wait(100)  # … and the answer has reached the GUI thread
    assert window.findChild(DueSoonDialog) is None
