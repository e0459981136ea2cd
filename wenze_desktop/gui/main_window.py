"""The main window shell: menus, status bar (user, workspace), the place of the case desk, idle lock."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from wenze_desktop import APP_TITLE, __version__
from wenze_desktop.gui.account_dialogs import ChangePasswordDialog
from wenze_desktop.gui.login import IdleWatcher, LockDialog
from wenze_desktop.gui.ops import run_op
from wenze_desktop.gui.settings import GuiSettings
from wenze_desktop.security.permissions import role_names
from wenze_desktop.services.admin import AdminService
from wenze_desktop.services.context import ServiceContext

DESK, LOCKED = 0, 1


class MainWindow(QMainWindow):
    session_locked = Signal()
    session_unlocked = Signal()

    def __init__(self, ctx: ServiceContext, settings: GuiSettings | None = None, *,
                 idle_minutes: float | None = None):
        super().__init__()
        self.ctx = ctx
        self.settings = settings or GuiSettings()
        info = AdminService(ctx).workspace_info()
        self.setWindowTitle(f"{APP_TITLE} — {info.name}")
        self.setObjectName("mainWindow")

        self.pages = QStackedWidget()
        self.pages.addWidget(self._case_desk_placeholder())
        locked = QLabel("会话已锁定")
        locked.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages.addWidget(locked)
        self.setCentralWidget(self.pages)

        self._build_menus()
        self.user_label = QLabel(f"用户：{ctx.user.display_name}（{ctx.user.username}，{role_names(ctx.user.roles)}）")
        self.workspace_label = QLabel(f"工作区：{info.name}　{ctx.workspace.data_dir}")
        self.statusBar().addWidget(self.user_label)
        self.statusBar().addPermanentWidget(self.workspace_label)

        minutes = idle_minutes if idle_minutes is not None else ctx.workspace.keyring.policy.idle_minutes
        self.idle = IdleWatcher(minutes, self)
        self.idle.idle_timed_out.connect(self.lock)
        self.idle.start()
        self._restore_layout()

    # -- building ---------------------------------------------------------------------------------
    def _case_desk_placeholder(self) -> QWidget:
        label = QLabel("案件台\n\n案件登记、办理向导和期限看板将在这里显示。")
        label.setObjectName("caseDesk")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return label

    def _action(self, text: str, slot, shortcut: str | QKeySequence | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("文件(&F)")
        self.lock_action = self._action("锁定(&L)", self.lock, "Ctrl+L")
        file_menu.addAction(self.lock_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action("退出(&X)", self.close, QKeySequence.StandardKey.Quit))
        case_menu = bar.addMenu("案件(&C)")
        new_case = self._action("新建案件(&N)", lambda: None, QKeySequence.StandardKey.New)
        new_case.setEnabled(False)
        new_case.setToolTip("案件台将在后续版本提供")
        case_menu.addAction(new_case)
        admin_menu = bar.addMenu("管理(&A)")
        admin_menu.addAction(self._action("修改密码(&P)…", self.change_password))
        admin_menu.addAction(self._action("校验工作区(&V)…", self.verify_workspace))
        admin_menu.addAction(self._action("备份工作区(&B)…", self.backup_workspace))
        help_menu = bar.addMenu("帮助(&H)")
        help_menu.addAction(self._action("关于(&A)", self.about))

    # -- layout memory ----------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry, state = self.settings.window_state("main")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 800)
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event) -> None:
        self.settings.save_window_state("main", self.saveGeometry(), self.saveState())
        self.idle.stop()
        super().closeEvent(event)

    # -- session lock -----------------------------------------------------------------------------
    @property
    def is_locked(self) -> bool:
        return self.pages.currentIndex() == LOCKED

    def lock(self) -> None:
        if self.is_locked:
            return
        self.idle.timer.stop()
        self.pages.setCurrentIndex(LOCKED)
        self.menuBar().setEnabled(False)
        self.session_locked.emit()
        self.lock_dialog = LockDialog(self.ctx, self)
        self.lock_dialog.accepted.connect(self._unlocked)
        self.lock_dialog.rejected.connect(self.close)
        self.lock_dialog.open()

    def _unlocked(self) -> None:
        self.ctx = self.lock_dialog.ctx  # roles as they are now, not as they were at login
        self.pages.setCurrentIndex(DESK)
        self.menuBar().setEnabled(True)
        self.idle.timer.start()
        self.session_unlocked.emit()

    # -- administration ---------------------------------------------------------------------------
    def change_password(self) -> None:
        ChangePasswordDialog(self.ctx, self).exec()

    def verify_workspace(self) -> None:
        def report(result) -> None:
            lines = [f"{'✔' if ok else '✘'} {name}：{detail}" for name, ok, detail in result.checks]
            box = QMessageBox.information if result.ok else QMessageBox.warning
            box(self, "校验工作区", ("全部通过。\n\n" if result.ok else "校验未通过！\n\n") + "\n".join(lines))

        run_op(self, "正在校验数据库完整性和审计链…", AdminService(self.ctx).verify, report)

    def backup_workspace(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "备份工作区", str(Path.home() / "wenze-backup.wzbak"),
                                              "工作区备份 (*.wzbak)")
        if not path:
            return
        run_op(self, "正在写入加密备份…", lambda: AdminService(self.ctx).backup(Path(path)),
               lambda _m: QMessageBox.information(self, "备份工作区", f"备份已写入：\n{path}"))

    def about(self) -> None:
        QMessageBox.about(self, "关于", f"{APP_TITLE}\n版本 {__version__}\n\n离线运行；数据保存在本机加密数据库中。")
