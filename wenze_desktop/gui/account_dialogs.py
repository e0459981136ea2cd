"""Account dialogs: change one's own password (Argon2id on the database worker)."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QMessageBox, QVBoxLayout

from wenze_desktop.errors import WenzeError, WrongPassword
from wenze_desktop.gui.forms import dialog_buttons, error_label, password_field, show_message
from wenze_desktop.gui.login import WorkingDialog
from wenze_desktop.services.accounts import AccountService
from wenze_desktop.services.context import ServiceContext


class ChangePasswordDialog(WorkingDialog):
    def __init__(self, ctx: ServiceContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.notice: QMessageBox | None = None
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
        layout.addWidget(self.working)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def apply(self) -> None:
        if self.new.text() != self.confirm.text():
            show_message(self.error, "两次输入的新密码不一致。")
            return
        show_message(self.error, "")
        ctx, old, new = self.ctx, self.old.text(), self.new.text()
        self.run_work("正在修改密码…", lambda: AccountService(ctx).change_own_password(old, new), self._changed,
                      self._refused)

    def _refused(self, error: WenzeError) -> None:
        show_message(self.error, str(error))
        if isinstance(error, WrongPassword):
            self.old.clear()
            self.old.setFocus()
        else:
            self.new.setFocus()

    def _changed(self, _result: object) -> None:
        for field in (self.old, self.new, self.confirm):
            field.clear()
        self.notice = QMessageBox(QMessageBox.Icon.Information, "修改密码", "密码已修改。下次登录请使用新密码。",
                                  parent=self)
        self.notice.finished.connect(self.accept)
        self.notice.open()  # window-modal, without a nested event loop inside the worker's answer
