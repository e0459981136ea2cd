"""The main window shell: status bar, idle lock, remembered layout, the CJK font."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QDialogButtonBox

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
    lock.password.setText("wrong-password")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
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


def test_ctrl_l_locks_at_once(qtbot, ctx, gui_settings):
    window = make_window(qtbot, ctx, gui_settings)
    window.lock_action.trigger()
    assert window.is_locked and window.lock_dialog.isVisible()


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
