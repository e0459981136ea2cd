"""The login dialog, the lock screen, and the dialogs whose Argon2id work runs on the database worker."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from wenze_desktop.domain.base import utcnow
from wenze_desktop.errors import WenzeError
from wenze_desktop.gui.forms import dialog_buttons, error_label, password_field, show_message
from wenze_desktop.gui.messages import confirm_quit, show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.services.auth import login, recheck_password
from wenze_desktop.services.context import Clock, ServiceContext


class WorkingIndicator(QWidget):
    """An indeterminate bar with what is being done (正在验证密码…); keeps its place in the layout when hidden."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("workingIndicator")
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # indeterminate: Argon2 reports no progress of its own
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(12)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 1)
        policy = self.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the dialog does not jump when it starts or stops working
        self.setSizePolicy(policy)
        self.hide()

    def start(self, text: str) -> None:
        self.label.setText(text)
        self.show()

    def stop(self) -> None:
        self.hide()


class WorkingDialog(QDialog):
    """A dialog whose slow work (Argon2id: sign-in, unlock, password change, set-up) runs on the database worker.

    Meanwhile it says what it is doing, its inputs and buttons are disabled (a second click cannot start a second
    attempt) and it cannot be closed — so the answer always finds the dialog that asked. The window repaints.

    ``fits_to_contents``: the dialog takes the height its word-wrapped messages need whenever they change (a top-level
    dialog does not do that by itself: a long refusal would be cut to one line), widening when the screen is short.
    """

    fits_to_contents = False
    FIT_MAX_WIDTH = 640  # wider than this a message is hard to read; it wraps onto more lines instead
    SCREEN_MARGIN = 48  # room for the window frame and title bar

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.working = WorkingIndicator(self)  # the subclass places it in its layout
        self.busy = False
        self.work_relay = None
        self._locked_widgets: list[tuple[QWidget, bool]] = []

    def fit_to_contents(self) -> None:
        """Resize so that every message shows whole: the height the layout needs at the current width, widened
        step by step when that would not fit the screen; never larger than the screen's free area."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        screen = (self.screen() or QGuiApplication.primaryScreen()).availableGeometry()
        room_w, room_h = screen.width() - self.SCREEN_MARGIN, screen.height() - self.SCREEN_MARGIN
        width = min(max(self.width(), self.minimumWidth(), layout.minimumSize().width()), room_w)

        def needed(w: int) -> int:
            return layout.totalHeightForWidth(w) if layout.hasHeightForWidth() else layout.totalSizeHint().height()

        while needed(width) > room_h and width < min(self.FIT_MAX_WIDTH, room_w):
            width = min(width + 80, self.FIT_MAX_WIDTH, room_w)
        height = min(max(needed(width), self.minimumHeight()), room_h)
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)
            if self.isVisible():  # grown past the screen's bottom or right edge: moved back onto it
                frame = self.frameGeometry()
                x = max(screen.left(), min(frame.left(), screen.right() - frame.width()))
                y = max(screen.top(), min(frame.top(), screen.bottom() - frame.height()))
                if (x, y) != (frame.left(), frame.top()):
                    self.move(x, y)

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        # A message shown or cleared invalidates the layout, which asks the dialog to lay itself out again.
        if event.type() == QEvent.Type.LayoutRequest and self.fits_to_contents and self.isVisible():
            self.fit_to_contents()
        return handled

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.fits_to_contents:
            self.fit_to_contents()

    def set_busy(self, text: str, widgets: Iterable[QWidget]) -> None:
        """Disable ``widgets`` (remembering which were enabled) and show ``text`` with a moving bar."""
        self.busy = True
        self._locked_widgets = [(widget, widget.isEnabled()) for widget in widgets]
        for widget, _enabled in self._locked_widgets:
            widget.setEnabled(False)
        self.setCursor(Qt.CursorShape.BusyCursor)
        self.working.start(text)

    def clear_busy(self) -> None:
        for widget, enabled in self._locked_widgets:
            widget.setEnabled(enabled)
        self._locked_widgets = []
        self.busy = False
        self.unsetCursor()
        self.working.stop()

    def busy_widgets(self) -> list[QWidget]:
        """What is disabled while working: every input and the dialog's buttons."""
        widgets: list[QWidget] = list(self.findChildren(QLineEdit))
        for box in self.findChildren(QDialogButtonBox):
            widgets.extend(box.buttons())
        return widgets

    def run_work(self, text: str, work: Callable[[], Any], on_success: Callable[[Any], None],
                 on_error: Callable[[WenzeError], None]) -> None:
        """Run ``work`` on the database worker; ``on_error`` gets a refusal in Chinese, anything else is a dialog."""
        if self.busy:
            return
        self.set_busy(text, self.busy_widgets())

        def succeeded(result: Any) -> None:
            self.clear_busy()
            on_success(result)

        def failed(error: BaseException) -> None:
            self.clear_busy()
            if isinstance(error, WenzeError):
                on_error(error)
            else:
                show_error(self, error)

        self.work_relay = run_op(self, text, work, succeeded, on_failure=failed, busy_dialog=False)

    def reject(self) -> None:
        if self.busy:  # Esc or the close button while working: the answer must find this dialog
            return
        super().reject()


class LoginDialog(WorkingDialog):
    fits_to_contents = True

    def __init__(self, data_dir: Path, parent=None, *, username: str = "", clock: Clock = utcnow):
        super().__init__(parent)
        self.data_dir, self._clock = Path(data_dir), clock
        self.ctx: ServiceContext | None = None
        self.setWindowTitle("登录 — 问责案件办理系统")
        self.setMinimumWidth(360)
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
        layout.addWidget(self.working)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        (self.password if username else self.username).setFocus()

    def attempt(self) -> None:
        data_dir, username, password, clock = (self.data_dir, self.username.text().strip(), self.password.text(),
                                               self._clock)
        show_message(self.error, "")
        self.run_work("正在验证密码…", lambda: login(data_dir, username, password, clock=clock),
                      self._signed_in, self._refused)

    def _signed_in(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.accept()

    def _refused(self, error: WenzeError) -> None:
        show_message(self.error, str(error))
        self.password.clear()
        (self.password if self.username.text().strip() else self.username).setFocus()


class LockDialog(WorkingDialog):
    """Shown over a hidden main window: only the signed-in user's password reopens the session.

    Esc and the window's close button do nothing here; only 退出程序 leaves (``quit_requested``, and ``rejected``),
    and it asks first when ``unsaved()`` counts forms holding unsaved edits (they would be lost). The question names
    no case: nothing of a case shows on a locked screen.
    """

    fits_to_contents = True
    quit_requested = Signal()

    def __init__(self, ctx: ServiceContext, parent=None, *, idle_minutes: float | None = None,
                 unsaved: Callable[[], int] = lambda: 0):
        """``idle_minutes``: the idle timer locked the session after that long; None: the user locked it."""
        super().__init__(parent)
        self.ctx, self.unsaved = ctx, unsaved
        self.confirm_quit: Callable[[QWidget, int], bool] = confirm_quit  # a seam for tests
        self.setWindowTitle("会话已锁定")
        self.setMinimumWidth(360)
        self.setModal(True)
        who = f"{ctx.user.display_name}（{ctx.user.username}）"
        self.info = QLabel(f"{lock_reason(idle_minutes)}请输入密码继续。\n用户：{who}")
        self.info.setWordWrap(True)
        self.password = password_field("密码")
        self.error = error_label()
        buttons = dialog_buttons("解锁", "退出程序", self.attempt, self.quit_program)
        self.quit_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.quit_button.setAutoDefault(False)  # Enter in the password field unlocks, never quits
        layout = QVBoxLayout(self)
        for widget in (self.info, self.password, self.working, self.error, buttons):
            layout.addWidget(widget)
        self.password.setFocus()

    def attempt(self) -> None:
        ctx, password = self.ctx, self.password.text()
        show_message(self.error, "")
        self.run_work("正在验证密码…", lambda: recheck_password(ctx, password), self._unlocked, self._refused)

    def _unlocked(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.accept()

    def _refused(self, error: WenzeError) -> None:
        show_message(self.error, str(error))
        self.password.clear()
        self.password.setFocus()

    def reject(self) -> None:
        """Esc or closing the window: stay. Quitting is the 退出程序 button's alone."""

    def quit_program(self) -> None:
        if self.busy:
            return
        count = self.unsaved()
        if count and not self.confirm_quit(self, count):
            self.password.setFocus()
            return
        self.quit_requested.emit()
        self.done(QDialog.DialogCode.Rejected)


def lock_reason(idle_minutes: float | None) -> str:
    """Why the session is locked, in the words of whoever locked it."""
    if idle_minutes is None:
        return "您已锁定会话（文件 → 锁定，Ctrl+L）。"
    over = f"（超过 {idle_minutes:g} 分钟）" if idle_minutes >= 1 else ""
    return f"长时间未操作{over}，会话已自动锁定。"


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
