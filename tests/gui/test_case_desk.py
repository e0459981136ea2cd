"""The case desk in the main window: shortcuts, case tabs, the deadline dock, layout memory, no lost edits."""

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.gui.test_case_form import fill_respondent
from tests.unit.procedure_helpers import walk
from wenze_desktop.gui.case_page import CasePage
from wenze_desktop.gui.main_window import MainWindow
from wenze_desktop.services import Workspace


@pytest.fixture
def ws(ctx):
    return Workspace(ctx)


def make_window(qtbot, ctx, settings) -> MainWindow:
    window = MainWindow(ctx, settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: not window.registry.model.loading, timeout=5000)
    return window


def test_ctrl_n_opens_a_new_case_and_ctrl_s_saves_it(qtbot, ctx, gui_settings, ws):
    window = make_window(qtbot, ctx, gui_settings)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    page = window.current_page()
    assert isinstance(page, CasePage) and window.desk.tabText(window.desk.currentIndex()) == "新建案件"
    form = page.form
    form.title.setText("关于对林业局周八问责的案件")
    form.exec_dialog = fill_respondent("周八")
    form.add_respondent()
    qtbot.keyClick(form.title, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.case_id is not None, timeout=5000)
    assert page.wizard is not None and window.desk.tabText(window.desk.currentIndex()) != "新建案件"
    qtbot.waitUntil(lambda: window.registry.model.rowCount() == 1, timeout=5000)
    ws.cases.create(profile="jt2019", title="关于对另一单位问责的案件", clue_source="media",
                    received_on=date(2026, 11, 2), respondents=[{"kind": "person", "name": "钱七"}])
    window.registry.reload()
    qtbot.waitUntil(lambda: window.registry.model.rowCount() == 2, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    window.registry.search.setText("周八")  # the new case's respondent, two characters
    qtbot.waitUntil(lambda: window.registry.model.rowCount() == 1, timeout=5000)
    assert window.registry.model.case_id_at(0) == page.case_id


def test_ctrl_f_focuses_the_search_on_the_registry(qtbot, ctx, gui_settings, ws):
    ws.cases.create(profile="gz2009", title="关于对某局问责的案件", clue_source="complaint",
                    received_on=date(2026, 11, 2), respondents=[{"kind": "person", "name": "吴九"}])
    window = make_window(qtbot, ctx, gui_settings)
    window.new_case()
    assert window.desk.currentIndex() == 1
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.desk.currentIndex() == 0
    assert QApplication.focusWidget() is window.registry.search


def test_opening_a_case_twice_reuses_its_tab_and_the_board_opens_cases(qtbot, ctx, gui_settings, ws):
    late = ws.cases.create(profile="gz2009", title="关于对某局问责的案件", clue_source="complaint",
                           received_on=date(2026, 9, 1), respondents=[{"kind": "person", "name": "郑十"}])
    walk(ws, late, until="filed", start=date(2026, 9, 1))
    window = make_window(qtbot, ctx, gui_settings)
    first = window.open_case(late)
    window.desk.setCurrentIndex(0)
    assert window.open_case(late) is first and window.desk.count() == 2
    assert first.wizard is not None and first.sections.currentWidget() is first.wizard
    window.close_tab(1)
    window.board.case_activated.emit(late)
    assert window.current_page().case_id == late


def test_closing_with_unsaved_edits_asks_and_can_stay(qtbot, ctx, gui_settings):
    window = make_window(qtbot, ctx, gui_settings)
    page = window.new_case()
    page.form.title.setText("尚未保存的案件")
    asked = []
    window.ask_unsaved = lambda *args: asked.append(args) or QMessageBox.StandardButton.Cancel
    window.close()
    assert asked and window.isVisible() and window.desk.count() == 2
    window.ask_unsaved = lambda *_args: QMessageBox.StandardButton.Discard
    window.close()
    assert not window.isVisible()


def test_deadline_dock_and_column_layout_are_remembered(qtbot, ctx, gui_settings):
    window = make_window(qtbot, ctx, gui_settings)
    assert window.board_dock.isVisible()
    window.board_dock.hide()
    window.registry.table.setColumnWidth(2, 211)  # (案件名称, column 1, takes the spare width)
    window.close()
    again = make_window(qtbot, ctx, gui_settings)
    assert not again.board_dock.isVisible()
    assert again.registry.table.columnWidth(2) == 211


def test_locking_hides_case_data_and_unlocking_refreshes_roles_everywhere(qtbot, ctx, gui_settings, ws):
    from tests.conftest import ADMIN_PASSWORD

    late = ws.cases.create(profile="gz2009", title="关于对某局问责的案件", clue_source="complaint",
                           received_on=date(2026, 9, 1), respondents=[{"kind": "person", "name": "冯十一"}])
    walk(ws, late, until="filed", start=date(2026, 9, 1))
    window = make_window(qtbot, ctx, gui_settings)
    page = window.open_case(late)
    window.lock()
    assert window.is_locked and not window.board_dock.isVisible()
    ws.accounts.set_roles(ctx.user.id, ["system_admin", "handler"])  # changed while the session was locked
    window.lock_dialog.password.setText(ADMIN_PASSWORD)
    with qtbot.waitSignal(window.session_unlocked, timeout=3000):
        window.lock_dialog.attempt()
    assert not window.is_locked and not window.board_dock.isVisible()  # on the case's tab the board gives way
    window.desk.setCurrentIndex(0)
    assert window.board_dock.isVisible()
    assert "leader" not in page.wizard.ctx.user.roles and page.wizard.ctx.user is window.ctx.user


def test_quitting_from_the_lock_screen_with_unsaved_edits_stays_locked(qtbot, ctx, gui_settings):
    window = make_window(qtbot, ctx, gui_settings)
    page = window.new_case()
    page.form.title.setText("尚未保存的案件")
    window.ask_unsaved = lambda *_args: QMessageBox.StandardButton.Discard  # (closing at the end of the test)
    window.lock()
    window.lock_dialog.confirm_quit = lambda _parent, _count: False  # keep the edits
    window.lock_dialog.quit_program()  # 退出程序: the clerk is asked and keeps the edits
    assert window.isVisible() and window.is_locked and window.lock_dialog.isVisible()


YEAR_2027 = 'year = 2027\nholidays = ["2027-01-01", "2027-02-06..2027-02-12"]\nworkdays = ["2027-02-14"]\n'


def test_a_year_entered_on_the_desk_reports_its_recomputation_in_counts_and_updates_an_open_case(
        qtbot, ctx, gui_settings, ws):
    from wenze_desktop.gui.calendar_dialog import CalendarYearDialog

    case_id = ws.cases.create(profile="gz2009", title="关于张三的问责案", clue_source="complaint",
                              received_on=date(2026, 11, 2), respondents=[{"kind": "person", "name": "张三"}])
    walk(ws, case_id, until="filed", start=date(2026, 12, 20))  # its report deadline runs into 2027: 暂定
    window = make_window(qtbot, ctx, gui_settings)
    page = window.open_case(case_id)
    qtbot.waitUntil(lambda: not page.form.loading and page.wizard.state is not None, timeout=5000)
    page.form.ask_discard = lambda parent: True  # (closing the window at the end would ask)
    page.form.facts.setPlainText("边录入节假日边修改的事实")  # being edited while the year is entered
    dialog = CalendarYearDialog(ctx, window.hub, 2027, window)
    qtbot.waitUntil(lambda: dialog.entered is not None, timeout=5000)
    dialog.set_text(YEAR_2027, "国办发明电〔2026〕X号")
    with qtbot.waitSignal(dialog.finished, timeout=15000), qtbot.waitSignal(page.form.reread, timeout=15000):
        dialog.accept()
    assert dialog.summary.startswith("已录入 2027 年节假日安排（放假 8 天、调休上班 1 天）。")
    assert "其中 1 件案件的 1 个期限有变化；没有暂定的期限。" in dialog.summary
    assert dialog.summary_box.isVisible() and dialog.summary_box.text() == dialog.summary
    assert case_id not in dialog.summary and "张三" not in dialog.summary  # counts, no case data
    dialog.summary_box.close()
    # The case's version moved with its deadlines; nothing the form shows did, so the edit saves as it is.
    assert page.form.draft.version == ws.cases.details(case_id).version
    with qtbot.waitSignal(page.form.saved, timeout=5000):
        assert page.form.save()
    assert not page.form.conflict_box.isVisible()
    assert ws.cases.details(case_id).facts == "边录入节假日边修改的事实"


def test_a_cancelled_entry_says_the_year_was_not_entered_and_stays_open(qtbot, ctx, monkeypatch):
    from wenze_desktop.errors import Cancelled
    from wenze_desktop.gui.calendar_dialog import CalendarYearDialog
    from wenze_desktop.gui.changes import ChangeHub
    from wenze_desktop.services.calendar import CalendarService

    def cancelled(self, text, source="", progress=None):
        progress(0, 1, "正在重新计算期限")
        raise Cancelled("已取消：2027 年节假日安排未录入，所有案件的期限均未改动。")

    monkeypatch.setattr(CalendarService, "import_year", cancelled)
    dialog = CalendarYearDialog(ctx, ChangeHub(), 2027)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.entered is not None, timeout=5000)
    dialog.set_text(YEAR_2027, "国办发明电〔2026〕X号")
    dialog.accept()
    qtbot.waitUntil(lambda: not dialog.running, timeout=5000)
    assert dialog.isVisible() and dialog.cancelled and dialog.summary == ""
    assert "2027 年节假日安排未录入" in dialog.error.text() and dialog.buttons.isEnabled()
