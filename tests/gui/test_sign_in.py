"""First-run set-up, login, wrong password, lockout — through the real dialogs, offscreen."""

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

    QTimer.singleShot(0, confirm_recovery_key)
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
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
    assert "至少需要 8" in dialog.error.text()
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
    assert dialog.result() == QDialog.DialogCode.Accepted
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
    assert "锁定" in dialog.error.text()
    dialog.password.setText(ADMIN_PASSWORD)
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert dialog.ctx is None and "锁定" in dialog.error.text()
