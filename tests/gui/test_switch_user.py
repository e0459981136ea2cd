"""文件 → 切换用户: the session loop signs another user in without quitting the program."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from shiboken6 import isValid

from tests.conftest import ADMIN, ADMIN_PASSWORD
from wenze_desktop.gui.app import SessionLoop
from wenze_desktop.gui.login import LoginDialog
from wenze_desktop.services.accounts import AccountService

CLERK, CLERK_PASSWORD = "clerk", "Clerk-密码-2026"


@pytest.fixture
def data_dir_two_users(workspace):
    ctx = workspace[0]
    AccountService(ctx).create_user(CLERK, "李办案", ["handler"], CLERK_PASSWORD)
    ctx.workspace.close()
    return ctx.workspace.data_dir


@pytest.fixture
def session(qtbot, data_dir_two_users, gui_settings):
    exits: list[int] = []
    loop = SessionLoop(data_dir_two_users, gui_settings, exit_app=exits.append)
    loop.exits = exits
    yield loop
    if loop.window is not None and isValid(loop.window):
        loop.window.close()
    if loop.dialog is not None and isValid(loop.dialog):
        loop.dialog.done(0)
    loop.shutdown()


def sign_in(qtbot, loop: SessionLoop, username: str, password: str):
    qtbot.waitUntil(lambda: isinstance(loop.dialog, LoginDialog) and loop.dialog.isVisible(), timeout=5000)
    dialog = loop.dialog
    dialog.username.setText(username)
    dialog.password.setText(password)
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: loop.window is not None and loop.window.ctx.user.username == username, timeout=10000)
    window = loop.window
    qtbot.waitUntil(lambda: not window.registry.model.loading, timeout=5000)
    return window


def spy_close(monkeypatch, ctx) -> list[bool]:
    calls: list[bool] = []
    real = ctx.workspace.close
    monkeypatch.setattr(ctx.workspace, "close", lambda: (calls.append(True), real())[1])
    return calls


def test_switching_from_one_user_to_another_in_one_run(qtbot, session, gui_settings, monkeypatch):
    gui_settings.set_last_username(ADMIN)
    session.start()
    assert session.dialog.username.text() == ADMIN  # at start: the last user is filled in
    first = sign_in(qtbot, session, ADMIN, ADMIN_PASSWORD)
    old_ctx = first.ctx
    closed = spy_close(monkeypatch, old_ctx)
    assert "切换用户(&U)…" in [a.text() for a in first.menuBar().actions()[0].menu().actions()]
    first.switch_user_action.trigger()
    qtbot.waitUntil(lambda: bool(closed), timeout=5000)  # the old user's workspace is closed
    qtbot.waitUntil(lambda: isinstance(session.dialog, LoginDialog) and session.dialog.isVisible(), timeout=5000)
    assert session.dialog.username.text() == ""  # another person signs in
    assert session.window is None and session.ctx is None
    qtbot.waitUntil(lambda: not isValid(first), timeout=5000)  # nothing of the old window stays
    second = sign_in(qtbot, session, CLERK, CLERK_PASSWORD)
    assert second.ctx.user.username == CLERK and second.ctx is not old_ctx
    assert second.ctx.workspace is not old_ctx.workspace
    assert "李办案（clerk，承办人）" in second.user_label.text()
    assert gui_settings.last_username() == CLERK and session.exits == []
    second.close()
    assert session.exits == [0]  # closing the new window ends the program as before


def test_switching_is_refused_while_a_case_has_unsaved_edits(qtbot, session, monkeypatch):
    session.start()
    window = sign_in(qtbot, session, ADMIN, ADMIN_PASSWORD)
    closed = spy_close(monkeypatch, window.ctx)
    page = window.new_case()
    page.form.title.setText("尚未保存的案件")
    asked = []
    window.ask_unsaved = lambda *args: asked.append(args) or QMessageBox.StandardButton.Cancel  # keeps the edits
    window.switch_user_action.trigger()
    qtbot.wait(50)
    assert asked and asked[0][1] == "切换用户" and "新建案件" in asked[0][2]
    assert window.isVisible() and session.window is window and window.desk.count() == 2
    assert session.dialog is None and not closed and session.exits == []
    window.ask_unsaved = lambda *_args: QMessageBox.StandardButton.Discard  # now the clerk lets them go
    window.switch_user_action.trigger()
    qtbot.waitUntil(lambda: isinstance(session.dialog, LoginDialog) and bool(closed), timeout=5000)


def test_cancelling_the_login_during_a_switch_ends_the_program(qtbot, session, monkeypatch):
    session.start()
    window = sign_in(qtbot, session, ADMIN, ADMIN_PASSWORD)
    closed = spy_close(monkeypatch, window.ctx)
    window.switch_user_action.trigger()
    qtbot.waitUntil(lambda: isinstance(session.dialog, LoginDialog) and session.dialog.isVisible(), timeout=5000)
    qtbot.keyClick(session.dialog, Qt.Key.Key_Escape)
    assert session.exits == [0] and session.ended
    qtbot.waitUntil(lambda: bool(closed), timeout=5000)


def test_cancelling_the_first_login_ends_the_program(qtbot, session):
    session.start()
    qtbot.waitUntil(lambda: isinstance(session.dialog, LoginDialog) and session.dialog.isVisible(), timeout=5000)
    session.dialog.reject()
    assert session.exits == [0] and session.window is None
