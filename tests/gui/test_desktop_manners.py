"""Desktop manners (issue 17): Qt's own texts in Chinese, the lock screen, a login dialog that fits its message,
保存 / 放弃 / 取消 before unsaved edits are closed, and the deadline board giving way on case tabs unless pinned."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QLabel, QMessageBox, QWidget

from wenze_desktop.errors import WenzeError
from wenze_desktop.gui import app as app_module
from wenze_desktop.gui.case_page import CasePage
from wenze_desktop.gui.login import LoginDialog
from wenze_desktop.gui.main_window import MainWindow
from wenze_desktop.gui.messages import ask_save_discard_cancel, confirm_quit
from wenze_desktop.services import Workspace

Save, Discard, Cancel = (QMessageBox.StandardButton.Save, QMessageBox.StandardButton.Discard,
                         QMessageBox.StandardButton.Cancel)


@pytest.fixture
def chinese_qt():
    """Qt's translation and the Chinese locale, as make_application installs them; removed afterwards so that the
    other tests of the run see the application as they found it."""
    app = QApplication.instance()
    before = QLocale()
    translators = app_module.install_chinese(app)
    assert translators, "qtbase_zh_CN.qm not found"
    yield translators
    for translator in translators:
        app.removeTranslator(translator)
    QLocale.setDefault(before)


@pytest.fixture
def ws(ctx):
    return Workspace(ctx)


def make_window(qtbot, ctx, settings) -> MainWindow:
    window = MainWindow(ctx, settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: not window.registry.model.loading, timeout=5000)
    return window


def answer_next_box(choose) -> list[QMessageBox]:
    """Answers the next message box once it is up (it runs its own event loop): ``choose(box)`` clicks a button."""
    seen: list[QMessageBox] = []

    def poll() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.isVisible():
            seen.append(box)
            choose(box)
        else:
            QTimer.singleShot(10, poll)

    QTimer.singleShot(0, poll)
    return seen


def open_edited_case(qtbot, window: MainWindow, ws, facts: str = "补充的事实") -> CasePage:
    case_id = ws.cases.create(profile="gz2009", title="关于对某局问责的案件", clue_source="complaint",
                              received_on=date(2026, 11, 2), respondents=[{"kind": "person", "name": "孙一"}])
    page = window.open_case(case_id)
    qtbot.waitUntil(lambda: not page.form.loading, timeout=5000)
    page.form.facts.setPlainText(facts)
    assert page.has_unsaved()
    return page


# -- Chinese everywhere ----------------------------------------------------------------------------------------------

def test_message_box_standard_buttons_speak_chinese(qtbot, chinese_qt):
    box = QMessageBox(QMessageBox.Icon.Question, "标题", "内容", QMessageBox.StandardButton.Ok
                      | QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Yes
                      | QMessageBox.StandardButton.No | Save | Discard)
    qtbot.addWidget(box)
    texts = {box.standardButton(b): b.text() for b in box.buttons()}
    assert texts[QMessageBox.StandardButton.Ok] == "确定" and texts[Cancel] == "取消"
    assert texts[QMessageBox.StandardButton.Yes].startswith("是")
    assert texts[QMessageBox.StandardButton.No].startswith("否")
    assert texts[Save] == "保存"
    assert QLocale().language() == QLocale.Language.Chinese and QLocale().firstDayOfWeek().name == "Monday"
    assert QLocale().dayName(1) == "星期一"


def test_make_application_installs_the_translation_once(monkeypatch):
    calls = []
    monkeypatch.setattr(app_module, "_qt_translators", None)
    monkeypatch.setattr(app_module, "install_chinese", lambda app: calls.append(app) or [object()])
    monkeypatch.setattr(app_module, "register_cjk_font", lambda app: None)
    monkeypatch.setattr(app_module, "ui_dir", lambda: Path("/nonexistent"))  # no style sheet over the test run
    app = app_module.make_application()
    app_module.make_application()
    assert calls == [app]


def test_qt_file_dialog_speaks_chinese_including_what_qts_own_file_lacks(qtbot, chinese_qt):
    dialog = QFileDialog(None, "备份工作区")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)  # Qt's own dialog (the native one is the system's)
    qtbot.addWidget(dialog)
    labels = [label.text() for label in dialog.findChildren(QLabel)]
    assert labels == ["查找范围(&L)：", "文件名称(&N)：", "文件类型(&T)："]
    assert [b.text() for b in dialog.findChild(QDialogButtonBox).buttons()] == ["打开(&O)", "取消"]
    assert QApplication.translate("QAbstractFileIconProvider", "Folder", "All other platforms") == "文件夹"
    assert QApplication.translate("无此上下文", "Hello") == "Hello"  # what neither knows stays as it is


def test_the_translation_is_found_where_pyside6_keeps_it():
    found = [d for d in app_module.translation_dirs() if (d / f"{app_module.QT_TRANSLATION}.qm").is_file()]
    assert found


def test_unsaved_question_offers_save_discard_cancel_in_chinese(qtbot, chinese_qt):
    parent = QWidget()
    qtbot.addWidget(parent)
    seen = answer_next_box(lambda box: box.button(Cancel).click())
    assert ask_save_discard_cancel(parent, "关闭案件", "“案件”有尚未保存的修改。") == Cancel
    texts = [b.text() for b in seen[0].buttons()]
    assert sorted(texts) == sorted(["保存", "放弃", "取消"])
    seen = answer_next_box(lambda box: box.button(Discard).click())
    assert ask_save_discard_cancel(parent, "关闭案件", "…") == Discard


def test_quit_question_names_quit_and_cancel_and_defaults_to_staying(qtbot, chinese_qt):
    parent = QWidget()
    qtbot.addWidget(parent)
    seen = answer_next_box(lambda box: box.reject())  # Esc
    assert confirm_quit(parent, 2) is False
    box = seen[0]
    assert box.windowTitle() == "确认退出？" and "未保存的内容将丢失" in box.text()
    assert "有 2 份表单" in box.informativeText()
    assert sorted(b.text() for b in box.buttons()) == ["取消", "退出程序"]
    assert box.defaultButton() is box.button(Cancel)
    answer_next_box(lambda box: next(b for b in box.buttons() if b.text() == "退出程序").click())
    assert confirm_quit(parent, 1) is True


# -- the lock screen ---------------------------------------------------------------------------------------------------

def test_quitting_from_the_lock_screen_asks_only_when_something_is_unsaved(qtbot, ctx, gui_settings):
    window = make_window(qtbot, ctx, gui_settings)
    window.new_case()  # opened, nothing typed
    closed = []
    window.closed.connect(lambda: closed.append(True))
    window.lock()
    asked = []
    window.lock_dialog.confirm_quit = lambda _parent, count: asked.append(count) or True
    window.lock_dialog.quit_button.click()
    assert asked == [] and closed and not window.isVisible()


def test_quitting_from_the_lock_screen_with_unsaved_edits_asks_once_and_quits(qtbot, ctx, gui_settings, ws):
    window = make_window(qtbot, ctx, gui_settings)
    page = open_edited_case(qtbot, window, ws)
    assert window.unsaved_titles() == [page.tab_title()]
    questions = []
    window.ask_unsaved = lambda *args: questions.append(args) or Cancel  # must not be asked again
    closed = []
    window.closed.connect(lambda: closed.append(True))
    window.lock()
    asked = []
    window.lock_dialog.confirm_quit = lambda _parent, count: asked.append(count) or True
    window.lock_dialog.quit_button.click()
    assert asked == [1] and questions == [] and closed and not window.isVisible()
    assert ws.cases.details(page.case_id).facts != "补充的事实"  # quit means lost, as the question said


def test_idle_lock_blames_the_timer_with_its_minutes(qtbot, ctx, gui_settings):
    window = make_window(qtbot, ctx, gui_settings)
    window.idle_minutes = 15
    window._lock_idle()
    text = window.lock_dialog.info.text()
    assert "长时间未操作（超过 15 分钟），会话已自动锁定" in text and "您已锁定" not in text


# -- the login dialog fits its message -----------------------------------------------------------------------------

def label_shows_whole(label) -> bool:
    return label.isVisible() and label.height() >= label.heightForWidth(label.width())


def test_login_dialog_grows_to_show_a_long_refusal_whole(qtbot, tmp_path):
    dialog = LoginDialog(tmp_path / "ws", username="admin")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    small = dialog.height()
    message = "密码错误。连续输错 5 次后账户将锁定 15 分钟；如忘记密码，请联系系统管理员用恢复密钥重置。" * 3
    dialog._refused(WenzeError(message))
    qtbot.waitUntil(lambda: label_shows_whole(dialog.error), timeout=2000)
    assert dialog.height() > small and dialog.error.text() == message
    screen = dialog.screen().availableGeometry()
    assert dialog.width() <= screen.width() and dialog.height() <= screen.height()
    dialog.attempt = lambda: None
    from wenze_desktop.gui.forms import show_message

    show_message(dialog.error, "")  # the message cleared: the dialog shrinks back
    qtbot.waitUntil(lambda: dialog.height() == small, timeout=2000)


def test_login_dialog_stays_within_the_screen_for_a_very_long_message(qtbot, tmp_path):
    dialog = LoginDialog(tmp_path / "ws", username="admin")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog._refused(WenzeError("工作区无法打开：" + "数据库文件损坏或密钥不符。" * 150))
    screen = dialog.screen().availableGeometry()
    qtbot.waitUntil(lambda: dialog.width() > 360, timeout=2000)  # widened before it runs out of height
    assert dialog.width() <= screen.width() and dialog.height() <= screen.height()


# -- 保存 / 放弃 / 取消 ----------------------------------------------------------------------------------------------

def test_closing_a_tab_with_unsaved_edits_cancel_keeps_it(qtbot, ctx, gui_settings, ws):
    window = make_window(qtbot, ctx, gui_settings)
    page = open_edited_case(qtbot, window, ws)
    asked = []
    window.ask_unsaved = lambda *args: asked.append(args) or Cancel
    assert not window.close_tab(window.desk.indexOf(page))
    assert asked[0][1] == "关闭案件" and page.tab_title() in asked[0][2]
    assert window.desk.indexOf(page) > 0 and page.form.facts.toPlainText() == "补充的事实"
    window.ask_unsaved = lambda *_args: Discard
    assert window.close_tab(window.desk.indexOf(page))
    assert window.desk.count() == 1 and ws.cases.details(page.case_id).facts != "补充的事实"


def test_closing_a_tab_with_unsaved_edits_save_stores_them_then_closes(qtbot, ctx, gui_settings, ws):
    window = make_window(qtbot, ctx, gui_settings)
    page = open_edited_case(qtbot, window, ws)
    case_id = page.case_id
    window.ask_unsaved = lambda *_args: Save
    window.close_tab(window.desk.indexOf(page))
    qtbot.waitUntil(lambda: window.desk.count() == 1, timeout=5000)
    assert ws.cases.details(case_id).facts == "补充的事实"


def test_a_refused_save_keeps_the_tab_open(qtbot, ctx, gui_settings, ws):
    window = make_window(qtbot, ctx, gui_settings)
    page = open_edited_case(qtbot, window, ws)

    def refuse(_data):
        raise WenzeError("工作区正忙，本次操作未做任何改动。")

    page.form.cases.save_case = refuse
    window.ask_unsaved = lambda *_args: Save
    window.close_tab(window.desk.indexOf(page))
    qtbot.waitUntil(lambda: "工作区正忙" in page.form.error.text(), timeout=5000)
    qtbot.wait(100)  # the barrier behind the save has answered too
    assert window.desk.indexOf(page) > 0 and page.has_unsaved()
    # A later save of the same form is an ordinary save: it does not close the tab the earlier 保存 meant to close.
    del page.form.cases.save_case
    with qtbot.waitSignal(page.form.saved, timeout=5000):
        page.save()
    qtbot.wait(100)
    assert window.desk.indexOf(page) > 0
    window.ask_unsaved = lambda *_args: Discard


def test_a_save_refused_by_a_field_keeps_the_tab_open(qtbot, ctx, gui_settings, ws):
    window = make_window(qtbot, ctx, gui_settings)
    page = open_edited_case(qtbot, window, ws)
    page.form.title.setText("")  # 案件名称 is required
    window.ask_unsaved = lambda *_args: Save
    window.close_tab(window.desk.indexOf(page))
    assert window.desk.indexOf(page) > 0 and "请填写案件名称" in page.form.errors["title"].text()
    window.ask_unsaved = lambda *_args: Discard


def test_closing_the_window_asks_once_for_all_unsaved_tabs_and_save_closes_it(qtbot, ctx, gui_settings, ws):
    window = make_window(qtbot, ctx, gui_settings)
    first = open_edited_case(qtbot, window, ws, "第一件的事实")
    second = open_edited_case(qtbot, window, ws, "第二件的事实")
    window.new_case()  # nothing typed: not asked about
    asked = []
    window.ask_unsaved = lambda *args: asked.append(args) or Save
    closed = []
    window.closed.connect(lambda: closed.append(True))
    assert not window.close()  # saving first
    assert len(asked) == 1 and asked[0][1] == "退出"
    assert first.tab_title() in asked[0][2] and second.tab_title() in asked[0][2] and "新建案件" not in asked[0][2]
    qtbot.waitUntil(lambda: bool(closed), timeout=5000)
    assert not window.isVisible() and len(asked) == 1
    assert ws.cases.details(first.case_id).facts == "第一件的事实"
    assert ws.cases.details(second.case_id).facts == "第二件的事实"


def test_closing_the_window_stays_on_the_tab_whose_save_was_refused(qtbot, ctx, gui_settings, ws):
    window = make_window(qtbot, ctx, gui_settings)
    first = open_edited_case(qtbot, window, ws, "第一件的事实")
    second = open_edited_case(qtbot, window, ws, "第二件的事实")
    first.form.title.setText("")  # refused under its field
    window.ask_unsaved = lambda *_args: Save
    closed = []
    window.closed.connect(lambda: closed.append(True))
    window.close()
    qtbot.waitUntil(lambda: not second.has_unsaved(), timeout=5000)
    qtbot.wait(100)
    assert window.isVisible() and not closed and window.current_page() is first
    window.ask_unsaved = lambda *_args: Discard


# -- the deadline board gives way on case tabs ------------------------------------------------------------------------

def test_board_gives_way_on_case_tabs_and_comes_back_on_the_registry(qtbot, ctx, gui_settings):
    window = make_window(qtbot, ctx, gui_settings)
    assert window.board_dock.isVisible()
    window.new_case()
    assert not window.board_dock.isVisible()
    window.desk.setCurrentIndex(0)
    assert window.board_dock.isVisible()
    assert "固定期限看板(&P)" in [a.text() for a in window.menuBar().actions()[2].menu().actions()]


def test_pinned_board_stays_on_case_tabs_and_the_pin_is_remembered(qtbot, ctx, gui_settings):
    window = make_window(qtbot, ctx, gui_settings)
    window.new_case()
    window.pin_board_action.trigger()
    assert window.board_dock.isVisible() and gui_settings.board_pinned()
    window.desk.setCurrentIndex(0)
    window.desk.setCurrentIndex(1)
    assert window.board_dock.isVisible()
    window.close()
    again = make_window(qtbot, ctx, gui_settings)
    assert again.pin_board_action.isChecked()
    again.new_case()
    assert again.board_dock.isVisible()
    again.pin_board_action.trigger()  # unpinned: it gives way again
    assert not again.board_dock.isVisible() and not gui_settings.board_pinned()


def test_showing_the_board_on_a_case_tab_is_for_now_and_the_users_choice_is_remembered(qtbot, ctx, gui_settings):
    window = make_window(qtbot, ctx, gui_settings)
    toggle = window.board_dock.toggleViewAction()
    window.new_case()
    toggle.trigger()  # Ctrl+D on the case tab: a look at the board
    assert window.board_dock.isVisible()
    window.desk.setCurrentIndex(0)
    window.desk.setCurrentIndex(1)
    assert not window.board_dock.isVisible()  # gives way again on the next visit
    window.close()  # closed on a case tab, board given way: the next start still shows it on the registry
    again = make_window(qtbot, ctx, gui_settings)
    assert again.board_dock.isVisible()
    toggle = again.board_dock.toggleViewAction()
    toggle.trigger()  # hidden by the user on the registry: hidden there from now on
    again.new_case()
    again.desk.setCurrentIndex(0)
    assert not again.board_dock.isVisible()
    toggle.trigger()
    assert again.board_dock.isVisible()


def test_lock_hides_the_board_and_unlock_puts_it_where_it_belongs(qtbot, ctx, gui_settings):
    from tests.conftest import ADMIN_PASSWORD

    window = make_window(qtbot, ctx, gui_settings)
    window.lock()
    assert not window.board_dock.isVisible()
    window.lock_dialog.password.setText(ADMIN_PASSWORD)
    with qtbot.waitSignal(window.session_unlocked, timeout=5000):
        window.lock_dialog.attempt()
    assert window.board_dock.isVisible()  # on the registry


def test_a_login_dialog_grown_near_the_screens_bottom_moves_back_onto_it(qtbot, tmp_path):
    dialog = LoginDialog(tmp_path / "ws", username="admin")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    screen = dialog.screen().availableGeometry()
    dialog.move(dialog.x(), screen.bottom() - dialog.frameGeometry().height())  # at the bottom edge
    dialog._refused(WenzeError("密码错误。" + "如忘记密码，请联系系统管理员用恢复密钥重置。" * 8))
    qtbot.waitUntil(lambda: label_shows_whole(dialog.error), timeout=2000)
    assert screen.contains(dialog.frameGeometry())
