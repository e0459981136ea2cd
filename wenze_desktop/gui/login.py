"""The login dialog, and the lock screen shown after the idle period."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from wenze_desktop.domain.base import utcnow
from wenze_desktop.errors import WenzeError
from wenze_desktop.gui.forms import dialog_buttons, error_label, password_field, show_message
from wenze_desktop.services.auth import login, recheck_password
from wenze_desktop.services.context import Clock, ServiceContext


def _busy(func, *args, **kwargs):
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        return func(*args, **kwargs)
    finally:
        QGuiApplication.restoreOverrideCursor()


class LoginDialog(QDialog):
    def __init__(self, data_dir: Path, parent=None, *, username: str = "", clock: Clock = utcnow):
        super().__init__(parent)
        self.data_dir, self._clock = Path(data_dir), clock
        self.ctx: ServiceContext | None = None
        self.setWindowTitle("登录 — 问责案件办理系统")
        where = QLabel(f"工作区：{self.data_dir}")
        where.setWordWrap(True)
        self.username = QLineEdit(username)
        self.password = password_field()
        self.error = error_label()
        form = QFormLayout()
        form.addRow("用户名：", self.username)
        form.addRow("密码：", self.password)
        buttons = dialog_buttons("登录", "退出", self.attempt, self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(where)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        (self.password if username else self.username).setFocus()

    def attempt(self) -> None:
        try:
            self.ctx = _busy(login, self.data_dir, self.username.text().strip(), self.password.text(),
                             clock=self._clock)
        except WenzeError as err:
            show_message(self.error, str(err))
            self.password.clear()
            self.password.setFocus()
            return
        self.accept()


class LockDialog(QDialog):
    """Shown over a hidden main window: only the signed-in user's password reopens the session."""

    def __init__(self, ctx: ServiceContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("会话已锁定")
        self.setModal(True)
        who = f"{ctx.user.display_name}（{ctx.user.username}）"
        info = QLabel(f"长时间未操作，会话已锁定。\n请输入用户「{who}」的密码继续。")
        info.setWordWrap(True)
        self.password = password_field()
        self.error = error_label()
        buttons = dialog_buttons("解锁", "退出程序", self.attempt, self.reject)
        layout = QVBoxLayout(self)
        for widget in (info, self.password, self.error, buttons):
            layout.addWidget(widget)

    def attempt(self) -> None:
        try:
            self.ctx = _busy(recheck_password, self.ctx, self.password.text())
        except WenzeError as err:
            show_message(self.error, str(err))
            self.password.clear()
            return
        self.accept()


class IdleWatcher(QObject):
    """Emits ``idle_timed_out`` after ``minutes`` without keyboard or mouse input anywhere in the application."""

    idle_timed_out = Signal()
    INPUT_EVENTS: ClassVar = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
                    QEvent.Type.Wheel, QEvent.Type.TouchBegin}

    def __init__(self, minutes: float, parent=None):
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(int(minutes * 60_000))
        self.timer.timeout.connect(self.idle_timed_out)

    def start(self) -> None:
        QGuiApplication.instance().installEventFilter(self)
        self.timer.start()

    def stop(self) -> None:
        QGuiApplication.instance().removeEventFilter(self)
        self.timer.stop()

    def eventFilter(self, watched, event) -> bool:
        if event.type() in self.INPUT_EVENTS and self.timer.isActive():
            self.timer.start()
        return False
