"""The main window shell: status bar, idle lock, remembered layout, the CJK font."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from tests.conftest import ADMIN_PASSWORD
from wenze_desktop.gui.fonts import register_cjk_font
from wenze_desktop.gui.main_window import MainWindow


def make_window(qtbot, ctx, settings, **kwargs) -> MainWindow:
    window = MainWindow(ctx, settings, **kwargs)
    qtbot.addWidget(window)
    window.show()
    return window


def test_status_bar_shows_user_and_workspace(qtbot, ctx, gui_settings):
    window = make_window(qtbot, ctx, gui_settings)
    assert "管理员（admin" in window.user_label.text() and "系统管理员" in window.user_label.text()
    assert "测试工作区" in window.workspace_label.text()
    assert str(ctx.workspace.data_dir) in window.workspace_label.text()
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["文件(&F)", "案件(&C)", "视图(&V)", "管理(&A)", "帮助(&H)"]


def test_idle_session_locks_and_asks_for_the_password(qtbot, ctx, gui_settings):
    window = make_window(qtbot, ctx, gui_settings, idle_minutes=0.002)  # ~120 ms
    qtbot.waitUntil(lambda: window.is_locked, timeout=3000)
    assert not window.menuBar().isEnabled()
    lock = window.lock_dialog
    ok = lock.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    assert "长时间未操作" in lock.info.text()
    lock.password.setText("wrong-password")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not lock.busy, timeout=3000)
    assert window.is_locked and "密码错误" in lock.error.text()
    lock.password.setText(ADMIN_PASSWORD)
    with qtbot.waitSignal(window.session_unlocked, timeout=3000):
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert not window.is_locked and window.menuBar().isEnabled()


def test_input_postpones_the_idle_lock(qtbot, ctx, gui_settings):
    window = make_window(qtbot, ctx, gui_settings, idle_minutes=0.01)  # 600 ms
    for _ in range(8):
        qtbot.wait(150)
        qtbot.keyClick(window, Qt.Key.Key_Shift)
    assert not window.is_locked  # 1.2 s of activity, never 600 ms idle
    qtbot.waitUntil(lambda: window.is_locked, timeout=3000)


def test_ctrl_l_locks_at_once_and_says_the_user_locked_it(qtbot, ctx, gui_settings):
    window = make_window(qtbot, ctx, gui_settings)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # the key itself, not the action
    assert window.is_locked and window.lock_dialog.isVisible()
    text = window.lock_dialog.info.text()
    assert text.startswith("您已锁定会话") and "请输入密码继续" in text
    assert "未操作" not in text and "自动" not in text  # the clerk locked it, not the timer
    assert "管理员（admin）" in text


def test_escape_on_the_lock_screen_does_not_quit(qtbot, ctx, gui_settings):
    window = make_window(qtbot, ctx, gui_settings)
    closed = []
    window.closed.connect(lambda: closed.append(True))
    window.lock()
    lock = window.lock_dialog
    qtbot.keyClick(lock, Qt.Key.Key_Escape)
    lock.close()  # the window's close button neither
    qtbot.wait(20)
    assert lock.isVisible() and window.isVisible() and window.is_locked and not closed
    quit_button = lock.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel)
    assert quit_button.text() == "退出程序"
    qtbot.mouseClick(quit_button, Qt.MouseButton.LeftButton)  # only the explicit button quits
    assert closed and not window.isVisible()


def test_unlocking_runs_off_the_gui_thread(qtbot, ctx, gui_settings, monkeypatch):
    import threading

    from wenze_desktop.gui import login as login_module

    threads, release = [], threading.Event()
    real = login_module.recheck_password

    def slow_recheck(*args):
        threads.append(threading.current_thread())
        release.wait(10)
        return real(*args)

    monkeypatch.setattr(login_module, "recheck_password", slow_recheck)
    window = make_window(qtbot, ctx, gui_settings)
    window.lock()
    lock = window.lock_dialog
    ok = lock.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    lock.password.setText(ADMIN_PASSWORD)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(threads), timeout=3000)
    assert threads[0] is not threading.main_thread()
    assert lock.working.isVisible() and lock.working.label.text() == "正在验证密码…"
    assert not ok.isEnabled() and not lock.password.isEnabled()
    assert all(not b.isEnabled() for b in lock.findChild(QDialogButtonBox).buttons())
    with qtbot.waitSignal(window.session_unlocked, timeout=5000):
        release.set()
    assert not window.is_locked and len(threads) == 1


def test_window_layout_is_remembered(qtbot, ctx, gui_settings):
    first = make_window(qtbot, ctx, gui_settings)
    first.resize(640, 470)  # the offscreen screen is 800×600
    first.close()
    second = make_window(qtbot, ctx, gui_settings)
    assert (second.width(), second.height()) == (640, 470)


def test_cjk_font_registered_from_the_shipped_fonts():
    family = register_cjk_font(QApplication.instance())
    assert family and family in QFontDatabase.families()
    assert QFontDatabase.writingSystems(family).count(QFontDatabase.WritingSystem.SimplifiedChinese)


def test_quit_button_on_the_lock_screen_keeps_unsaved_edits_when_asked(qtbot, ctx, gui_settings):
    window = make_window(qtbot, ctx, gui_settings)
    page = window.new_case()
    page.form.title.setText("尚未保存的案件")
    window.ask_unsaved = lambda *_args: QMessageBox.StandardButton.Discard  # (closing at the end of the test)
    window.lock()
    asked = []
    window.lock_dialog.confirm_quit = lambda _parent, count: asked.append(count) or False  # keep the edits
    quit_button = window.lock_dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel)
    qtbot.mouseClick(quit_button, Qt.MouseButton.LeftButton)
    assert asked == [1]
    assert window.isVisible() and window.is_locked and window.lock_dialog.isVisible()
    assert window.lock_dialog.focusWidget() is window.lock_dialog.password  # back to typing the password
