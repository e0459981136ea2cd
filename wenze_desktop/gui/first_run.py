"""First run: create the encrypted workspace and its first administrator, then show the recovery key once.

A newcomer may instead build the demo workspace (about 30 fictitious cases) and look around first.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from wenze_desktop.domain.base import utcnow
from wenze_desktop.errors import WenzeError
from wenze_desktop.gui.forms import dialog_buttons, error_label, password_field, show_message
from wenze_desktop.gui.login import WorkingDialog
from wenze_desktop.gui.messages import show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.security.kdf import Argon2Params
from wenze_desktop.services import demo
from wenze_desktop.services.auth import create_workspace
from wenze_desktop.services.context import Clock, ServiceContext

DEMO_CREDENTIALS = (f"用户名 <b>{demo.DEMO_USERNAME}</b>，密码 <b>{demo.DEMO_PASSWORD}</b>"
                    f"（承办人账户 {demo.DEMO_CLERK_USERNAME} 使用同一密码）")


class FirstRunDialog(WorkingDialog):
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
        layout.addWidget(self.working)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        layout.addWidget(self._demo_box())

    def _demo_box(self) -> QGroupBox:
        box = QGroupBox("第一次接触本系统？")
        text = QLabel("可以先建立一个演示工作区：约 30 个虚构的示例案件，覆盖七项问责规定和从线索到归档的各个环节"
                      "（含超期、申诉、撤项、归档的案件），便于一次看全。演示数据均为虚构，请勿录入真实案件。<br>"
                      f"演示工作区的登录信息：{DEMO_CREDENTIALS}。")
        text.setWordWrap(True)
        self.demo_button = QPushButton("建立演示工作区（含约 30 个示例案件）")
        self.demo_button.setAutoDefault(False)
        self.demo_button.clicked.connect(self.build_demo)
        layout = QVBoxLayout(box)
        layout.addWidget(text)
        layout.addWidget(self.demo_button)
        return box

    def busy_widgets(self) -> list:
        return [*super().busy_widgets(), self.demo_button]  # neither choice while the other is being made

    def build_demo(self) -> None:
        """Build the demo off the GUI thread (a few seconds) with a progress dialog, then sign in as its admin."""
        if self.busy:
            return
        self.set_busy("正在建立演示工作区…", self.busy_widgets())
        data_dir, params, clock = self.data_dir, self._kdf_params, self._clock

        def work(report):
            return demo.build_demo(data_dir, params=params, clock=clock, progress=report)

        self.demo_relay = run_op(self, "正在建立演示工作区…", work, self._demo_built, progress=True,
                                 on_failure=self._demo_failed)

    def _demo_built(self, ws) -> None:
        self.clear_busy()
        self.demo_button.setEnabled(False)  # built: no second demo while the notice is read
        self.ctx, self.recovery_key = ws.ctx, ws.recovery_key or ""
        self.demo_cancelled = self.demo_relay.was_cancelled
        # Finish from the event loop: the progress dialog and the relay are deleted (deleteLater) before this
        # dialog closes and is itself destroyed.
        QTimer.singleShot(0, self._announce_demo)

    def _announce_demo(self) -> None:
        note = "（已按要求中止，只录入了部分示例案件）" if self.demo_cancelled else ""
        self.demo_notice = QMessageBox(
            QMessageBox.Icon.Information, "演示工作区已建好",
            f"演示工作区已建好{note}，现在以演示管理员身份登录。<br><br>"
            f"以后登录或解除锁定时请使用：{DEMO_CREDENTIALS}。<br><br>"
            "正式办案时，请在另一个数据目录中建立正式工作区（启动时用 --data-dir 指定目录）。", parent=self)
        self.demo_notice.finished.connect(self.accept)
        self.demo_notice.open()  # window-modal, without a nested event loop

    def _demo_failed(self, error: BaseException) -> None:
        self.clear_busy()
        if isinstance(error, WenzeError):
            show_message(self.error, f"未能建立演示工作区：{error}")
        else:
            show_error(self, error)

    def create(self) -> None:
        """Create the workspace on the database worker (Argon2id calibration and key wrapping take seconds)."""
        if self.password.text() != self.confirm.text():
            show_message(self.error, "两次输入的密码不一致。")
            return
        show_message(self.error, "")
        data_dir, params, clock = self.data_dir, self._kdf_params, self._clock
        username, password = self.username.text().strip(), self.password.text()
        names = {"display_name": self.display_name.text().strip(),
                 "workspace_name": self.workspace_name.text().strip(), "organ_name": self.organ_name.text().strip()}

        def work():
            return create_workspace(data_dir, username, password, params=params, clock=clock, **names)

        self.run_work("正在建立加密工作区…", work, self._created,
                      lambda err: show_message(self.error, str(err)))

    def _created(self, answer: tuple[ServiceContext, str]) -> None:
        self.ctx, self.recovery_key = answer
        self.demo_button.setEnabled(False)
        # Shown from the event loop, window-modal without a nested loop; this dialog closes once it is confirmed.
        QTimer.singleShot(0, self._show_recovery_key)

    def _show_recovery_key(self) -> None:
        self.recovery_dialog = RecoveryKeyDialog(self.recovery_key, self)
        self.recovery_dialog.finished.connect(self.accept)
        self.recovery_dialog.open()


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
