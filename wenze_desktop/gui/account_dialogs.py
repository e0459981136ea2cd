"""Account dialogs: change one's own password."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QFormLayout, QMessageBox, QVBoxLayout

from wenze_desktop.errors import ValidationError, WenzeError
from wenze_desktop.gui.forms import dialog_buttons, error_label, password_field, show_message
from wenze_desktop.services.accounts import AccountService
from wenze_desktop.services.context import ServiceContext


class ChangePasswordDialog(QDialog):
    def __init__(self, ctx: ServiceContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("修改密码")
        self.old = password_field()
        self.new = password_field(f"至少 {ctx.workspace.keyring.policy.min_password_length} 个字符")
        self.confirm = password_field()
        self.error = error_label()
        form = QFormLayout()
        form.addRow("原密码：", self.old)
        form.addRow("新密码：", self.new)
        form.addRow("确认新密码：", self.confirm)
        buttons = dialog_buttons("修改", "取消", self.apply, self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def apply(self) -> None:
        try:
            if self.new.text() != self.confirm.text():
                raise ValidationError("两次输入的新密码不一致。")
            AccountService(self.ctx).change_own_password(self.old.text(), self.new.text())
        except WenzeError as err:
            show_message(self.error, str(err))
            return
        QMessageBox.information(self, "修改密码", "密码已修改。下次登录请使用新密码。")
        self.accept()
