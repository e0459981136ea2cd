"""First run: create the encrypted workspace and its first administrator, then show the recovery key once."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from wenze_desktop.domain.base import utcnow
from wenze_desktop.errors import ValidationError, WenzeError
from wenze_desktop.gui.forms import dialog_buttons, error_label, password_field, show_message
from wenze_desktop.security.kdf import Argon2Params
from wenze_desktop.services.auth import create_workspace
from wenze_desktop.services.context import Clock, ServiceContext


class FirstRunDialog(QDialog):
    def __init__(self, data_dir: Path, parent=None, *, kdf_params: Argon2Params | None = None,
                 clock: Clock = utcnow):
        super().__init__(parent)
        self.data_dir, self._kdf_params, self._clock = Path(data_dir), kdf_params, clock
        self.ctx: ServiceContext | None = None
        self.recovery_key = ""
        self.setWindowTitle("新建工作区 — 问责案件办理系统")
        intro = QLabel(f"首次使用：将在 <b>{self.data_dir}</b> 建立加密工作区，并创建第一位管理员账户。")
        intro.setWordWrap(True)
        self.workspace_name = QLineEdit("问责案件工作区")
        self.organ_name = QLineEdit()
        self.organ_name.setPlaceholderText("例如：××市纪委监委")
        self.username = QLineEdit("admin")
        self.display_name = QLineEdit()
        self.password = password_field("至少 8 个字符")
        self.confirm = password_field("再次输入密码")
        self.error = error_label()
        form = QFormLayout()
        form.addRow("工作区名称：", self.workspace_name)
        form.addRow("承办机关：", self.organ_name)
        form.addRow("管理员用户名：", self.username)
        form.addRow("管理员姓名：", self.display_name)
        form.addRow("密码：", self.password)
        form.addRow("确认密码：", self.confirm)
        buttons = dialog_buttons("建立工作区", "取消", self.create, self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def create(self) -> None:
        try:
            if self.password.text() != self.confirm.text():
                raise ValidationError("两次输入的密码不一致。")
            QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                self.ctx, self.recovery_key = create_workspace(
                    self.data_dir, self.username.text().strip(), self.password.text(),
                    display_name=self.display_name.text().strip(), workspace_name=self.workspace_name.text().strip(),
                    organ_name=self.organ_name.text().strip(), params=self._kdf_params, clock=self._clock)
            finally:
                QGuiApplication.restoreOverrideCursor()
        except WenzeError as err:
            show_message(self.error, str(err))
            return
        RecoveryKeyDialog(self.recovery_key, self).exec()
        self.accept()


class RecoveryKeyDialog(QDialog):
    """Shows the recovery key once; the clerk must confirm it has been written down."""

    def __init__(self, recovery_key: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("恢复密钥 — 只显示这一次")
        text = QLabel("这是工作区的恢复密钥。忘记密码时，凭它可以重设密码。\n"
                      "它只显示这一次：请抄写或打印后密封保存，不要存放在本机上。")
        text.setWordWrap(True)
        self.key = QLineEdit(recovery_key)
        self.key.setReadOnly(True)
        self.key.setObjectName("recoveryKey")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSize(14)
        self.key.setFont(mono)
        self.key.setMinimumWidth(self.key.fontMetrics().horizontalAdvance(recovery_key) + 24)
        copy = QPushButton("复制到剪贴板")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(recovery_key))
        self.confirmed = QCheckBox("我已抄写并妥善保存恢复密钥")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("完成")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.confirmed.toggled.connect(self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled)
        self.buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        for widget in (text, self.key, copy, self.confirmed, self.buttons):
            layout.addWidget(widget)

    def reject(self) -> None:  # Esc or the close button: make sure the key is not lost by accident
        if self.confirmed.isChecked() or QMessageBox.question(
                self, "尚未确认", "恢复密钥之后不会再显示。确定已经保存了吗？") == QMessageBox.StandardButton.Yes:
            super().accept()
