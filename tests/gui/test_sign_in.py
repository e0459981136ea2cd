"""First-run set-up, login, wrong password, lockout — through the real dialogs, offscreen."""

import threading

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox

from tests.conftest import ADMIN, ADMIN_PASSWORD
from wenze_desktop.gui.first_run import FirstRunDialog, RecoveryKeyDialog
from wenze_desktop.gui.login import LoginDialog
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.storage.workspace import Workspace


def ok_button(dialog) -> object:
    return dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)


def test_first_run_creates_workspace_and_shows_recovery_key_once(qtbot, data_dir, clock):
    dialog = FirstRunDialog(data_dir, kdf_params=FAST_TEST_PARAMS, clock=clock)
    qtbot.addWidget(dialog)
    dialog.organ_name.setText("广州市纪委监委")
    dialog.display_name.setText("王管理")
    dialog.password.setText(ADMIN_PASSWORD)
    dialog.confirm.setText(ADMIN_PASSWORD)
    seen = {}

    def confirm_recovery_key():
        shown = QApplication.activeModalWidget()
        assert isinstance(shown, RecoveryKeyDialog)
        seen["key"] = shown.key.text()
        seen["enabled_before"] = ok_button(shown).isEnabled()
        shown.confirmed.setChecked(True)
        qtbot.mouseClick(ok_button(shown), Qt.MouseButton.LeftButton)

    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), RecoveryKeyDialog), timeout=10000)
    confirm_recovery_key()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert Workspace.exists(data_dir)
    assert seen["enabled_before"] is False  # cannot be dismissed without confirming
    assert seen["key"] == dialog.recovery_key and len(seen["key"]) == 39
    assert dialog.ctx.user.display_name == "王管理"
    dialog.ctx.workspace.close()


def test_first_run_mismatch_and_short_password_explained(qtbot, data_dir):
    dialog = FirstRunDialog(data_dir, kdf_params=FAST_TEST_PARAMS)
    qtbot.addWidget(dialog)
    dialog.password.setText(ADMIN_PASSWORD)
    dialog.confirm.setText(ADMIN_PASSWORD + "x")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert "不一致" in dialog.error.text() and not dialog.error.isHidden()
    dialog.password.setText("short")
    dialog.confirm.setText("short")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "至少需要 8" in dialog.error.text(), timeout=5000)
    assert ok_button(dialog).isEnabled() and dialog.demo_button.isEnabled()
    assert not Workspace.exists(data_dir)


def closed(workspace):
    workspace[0].workspace.close()
    return workspace[0].workspace.data_dir


def test_login_succeeds(qtbot, workspace, clock):
    dialog = LoginDialog(closed(workspace), username=ADMIN, clock=clock)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.password.setText(ADMIN_PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=5000)
    assert dialog.ctx.user.username == ADMIN
    dialog.ctx.workspace.close()


def test_wrong_password_is_refused_in_chinese(qtbot, workspace, clock):
    data_dir = closed(workspace)
    before = Workspace.db_path_of(data_dir).read_bytes()
    dialog = LoginDialog(data_dir, username=ADMIN, clock=clock)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.password.setText("wrong-password")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=5000)
    assert dialog.isVisible() and dialog.ctx is None
    assert "密码错误" in dialog.error.text() and "还可尝试 4 次" in dialog.error.text()
    assert dialog.password.text() == ""
    assert Workspace.db_path_of(data_dir).read_bytes() == before


def test_five_failures_lock_the_account(qtbot, workspace, clock):
    dialog = LoginDialog(closed(workspace), username=ADMIN, clock=clock)
    qtbot.addWidget(dialog)
    dialog.show()
    for _ in range(5):
        dialog.password.setText("wrong-password")
        qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.busy, timeout=5000)
    assert "锁定" in dialog.error.text()
    dialog.password.setText(ADMIN_PASSWORD)
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=5000)
    assert dialog.ctx is None and "锁定" in dialog.error.text()


# -- Argon2 work on the database worker -------------------------------------------------------------------------


class Gate:
    """Stands in for a service call: records the thread it ran on, and holds until the test releases it."""

    def __init__(self, then):
        self.then, self.threads, self.release = then, [], threading.Event()

    def __call__(self, *args, **kwargs):
        self.threads.append(threading.current_thread())
        assert self.release.wait(10), "the test never released the worker"
        return self.then(*args, **kwargs)


def test_login_runs_off_the_gui_thread_while_the_dialog_waits(qtbot, workspace, clock, monkeypatch):
    from wenze_desktop.gui import login as login_module

    gate = Gate(login_module.login)
    monkeypatch.setattr(login_module, "login", gate)
    dialog = LoginDialog(closed(workspace), username=ADMIN, clock=clock)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.password.setText(ADMIN_PASSWORD)
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(gate.threads), timeout=3000)
    assert gate.threads[0] is not threading.main_thread() and gate.threads[0].name.startswith("wenze-db")
    # Meanwhile the GUI thread goes on: timers fire, the dialog says what it does, nothing can be clicked twice.
    ticks = []
    QTimer.singleShot(10, lambda: ticks.append(threading.current_thread()))
    qtbot.waitUntil(lambda: bool(ticks), timeout=2000)
    assert ticks == [threading.main_thread()]
    assert dialog.busy and dialog.working.isVisible() and dialog.working.label.text() == "正在验证密码…"
    assert not ok_button(dialog).isEnabled() and not dialog.password.isEnabled()
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    dialog.attempt()  # even called directly: no second attempt
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # nor can the dialog be closed under the worker's answer
    assert dialog.isVisible()
    gate.release.set()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=5000)
    assert len(gate.threads) == 1 and dialog.ctx.user.username == ADMIN
    assert not dialog.working.isVisible()
    dialog.ctx.workspace.close()


def test_login_refusal_from_the_worker_shows_in_the_dialog(qtbot, workspace, clock, monkeypatch):
    from wenze_desktop.gui import login as login_module

    gate = Gate(login_module.login)
    gate.release.set()
    monkeypatch.setattr(login_module, "login", gate)
    dialog = LoginDialog(closed(workspace), username=ADMIN, clock=clock)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.password.setText("wrong-password")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=5000)
    assert gate.threads[0] is not threading.main_thread()
    assert "密码错误" in dialog.error.text() and dialog.error.isVisibleTo(dialog)
    assert dialog.password.text() == "" and dialog.password.isEnabled() and ok_button(dialog).isEnabled()
    assert dialog.isVisible() and dialog.ctx is None and not dialog.working.isVisible()


def test_workspace_creation_runs_off_the_gui_thread(qtbot, data_dir, clock, monkeypatch):
    from wenze_desktop.gui import first_run

    gate = Gate(first_run.create_workspace)
    monkeypatch.setattr(first_run, "create_workspace", gate)
    dialog = FirstRunDialog(data_dir, kdf_params=FAST_TEST_PARAMS, clock=clock)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.password.setText(ADMIN_PASSWORD)
    dialog.confirm.setText(ADMIN_PASSWORD)
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(gate.threads), timeout=3000)
    assert gate.threads[0] is not threading.main_thread()
    assert dialog.working.isVisible() and "正在建立加密工作区" in dialog.working.label.text()
    assert not ok_button(dialog).isEnabled() and not dialog.demo_button.isEnabled()
    gate.release.set()
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), RecoveryKeyDialog), timeout=10000)
    shown = QApplication.activeModalWidget()
    shown.confirmed.setChecked(True)
    qtbot.mouseClick(ok_button(shown), Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted and Workspace.exists(data_dir)
    assert len(gate.threads) == 1
    dialog.ctx.workspace.close()


def test_password_change_runs_off_the_gui_thread(qtbot, ctx, monkeypatch):
    from wenze_desktop.gui.account_dialogs import ChangePasswordDialog
    from wenze_desktop.services.accounts import AccountService

    gate = Gate(AccountService.change_own_password)
    monkeypatch.setattr(AccountService, "change_own_password", lambda self, *args: gate(self, *args))
    dialog = ChangePasswordDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.old.setText("wrong-password")
    dialog.new.setText("Neues-密码-2027")
    dialog.confirm.setText("Neues-密码-2027")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(gate.threads), timeout=3000)
    assert gate.threads[0] is not threading.main_thread()
    assert dialog.working.label.text() == "正在修改密码…" and not ok_button(dialog).isEnabled()
    gate.release.set()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=5000)
    assert "原密码错误" in dialog.error.text() and dialog.old.text() == "" and dialog.isVisible()
    dialog.old.setText(ADMIN_PASSWORD)
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.notice is not None, timeout=5000)
    assert "密码已修改" in dialog.notice.text()
    dialog.notice.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert all(t is not threading.main_thread() for t in gate.threads) and len(gate.threads) == 2
