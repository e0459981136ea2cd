"""The main window: the case desk (registry tab + one tab per open case), the deadline board dock, menus with the
common shortcuts, status bar (user, workspace), remembered layout, idle lock.

Unsaved case forms are never lost without asking: closing a tab, the window or switching user offers 保存 / 放弃 /
取消; 退出程序 on the lock screen asks 确认退出？ (it cannot save: the session is locked). The deadline board gives
way on case tabs (the case's timeline has its deadlines) unless the user pinned it (视图 → 固定期限看板)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
)

from wenze_desktop import APP_TITLE, __version__
from wenze_desktop.gui.account_dialogs import ChangePasswordDialog
from wenze_desktop.gui.calendar_dialog import CalendarYearDialog
from wenze_desktop.gui.case_page import CasePage
from wenze_desktop.gui.changes import ChangeHub
from wenze_desktop.gui.deadline_board import DeadlineBoard
from wenze_desktop.gui.document_dialogs import LetterheadDialog, SealDialog, VerifyDocumentDialog
from wenze_desktop.gui.help_manual import install_help
from wenze_desktop.gui.login import IdleWatcher, LockDialog
from wenze_desktop.gui.messages import ask_save_discard_cancel
from wenze_desktop.gui.office_keys_dialog import OfficeKeysDialog
from wenze_desktop.gui.ops import on_worker, run_op
from wenze_desktop.gui.registry_view import RegistryView
from wenze_desktop.gui.regulation_text import show_citation
from wenze_desktop.gui.settings import GuiSettings
from wenze_desktop.gui.transfer_dialogs import ConflictsDialog
from wenze_desktop.gui.transfer_export import ExportDialog
from wenze_desktop.gui.transfer_import import ImportDialog
from wenze_desktop.rules.profiles import all_profiles
from wenze_desktop.security.permissions import role_names
from wenze_desktop.services.admin import AdminService
from wenze_desktop.services.context import ServiceContext

DESK, LOCKED = 0, 1


class MainWindow(QMainWindow):
    session_locked = Signal()
    session_unlocked = Signal()
    closed = Signal()  # the window closed for good (退出, or 退出程序 on the lock screen)
    switch_user_requested = Signal()  # the window closed so that another user can sign in (文件 → 切换用户)

    def __init__(self, ctx: ServiceContext, settings: GuiSettings | None = None, *,
                 idle_minutes: float | None = None):
        super().__init__()
        self.ctx = ctx
        self.settings = settings or GuiSettings()
        info = on_worker(AdminService(ctx).workspace_info)
        self.setWindowTitle(f"{APP_TITLE} — {info.name}")
        self.setObjectName("mainWindow")

        self.hub = ChangeHub(self)
        self._hidden_while_locked: list = []
        # Seam for tests: (parent, title, text, detail) -> QMessageBox.StandardButton (Save, Discard or Cancel).
        self.ask_unsaved = ask_save_discard_cancel
        self._discard_edits = False  # 退出程序 on the lock screen: the clerk has already agreed to lose them
        self._board_wanted = True  # the user's choice: the deadline board shown (on the registry, or everywhere)
        self._placing_board = False  # the window itself shows or hides the board: not the user's choice
        self.registry = RegistryView(ctx, self.hub, self.settings)
        self.registry.case_activated.connect(self.open_case)
        self.desk = QTabWidget()
        self.desk.setObjectName("caseDesk")
        self.desk.setTabsClosable(True)
        self.desk.setMovable(True)
        self.desk.addTab(self.registry, "案件登记")
        self.desk.tabBar().setTabButton(0, self.desk.tabBar().ButtonPosition.RightSide, None)  # always there
        self.desk.tabCloseRequested.connect(self.close_tab)
        self.desk.currentChanged.connect(lambda _index: self._place_board())
        self.pages = QStackedWidget()
        self.pages.addWidget(self.desk)
        locked = QLabel("会话已锁定")
        locked.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages.addWidget(locked)
        self.setCentralWidget(self.pages)

        self.board = DeadlineBoard(ctx, self.hub)
        self.board.case_activated.connect(self.open_case)
        self.board_dock = QDockWidget("期限看板", self)
        self.board_dock.setObjectName("deadlineDock")  # saveState() finds docks by name
        self.board_dock.setWidget(self.board)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.board_dock)
        self.board_dock.installEventFilter(self)  # the user's show/hide (menu, Ctrl+D, its close button)

        self._build_menus()
        self.help_action = install_help(self)  # 帮助 → 使用手册, F1 (the page for the screen in front)
        self.user_label = QLabel(f"用户：{ctx.user.display_name}（{ctx.user.username}，{role_names(ctx.user.roles)}）")
        self.workspace_label = QLabel(f"工作区：{info.name}　{ctx.workspace.data_dir}")
        self.statusBar().addWidget(self.user_label)
        self.statusBar().addPermanentWidget(self.workspace_label)

        minutes = idle_minutes if idle_minutes is not None else ctx.workspace.keyring.policy.idle_minutes
        self.idle_minutes = minutes
        self.idle = IdleWatcher(minutes, self)
        self.idle.idle_timed_out.connect(self._lock_idle)
        self._switching = False
        self.idle.start()
        self._restore_layout()
        self._board_wanted = not self.board_dock.isHidden()  # as the user left it last time
        self._place_board()

    # -- building ---------------------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut: str | QKeySequence | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("文件(&F)")
        self.lock_action = self._action("锁定(&L)", lambda: self.lock(), "Ctrl+L")
        self.switch_user_action = self._action("切换用户(&U)…", self.switch_user)
        file_menu.addAction(self.lock_action)
        file_menu.addAction(self.switch_user_action)
        file_menu.addSeparator()
        self.export_action = self._action("导出到U盘(&E)…", self.export_cases, "Ctrl+Shift+E")
        self.import_action = self._action("导入数据包(&I)…", self.import_package, "Ctrl+Shift+I")
        file_menu.addAction(self.export_action)
        file_menu.addAction(self.import_action)
        file_menu.addAction(self._action("交换冲突(&C)…", self.show_conflicts))
        file_menu.addSeparator()
        file_menu.addAction(self._action("退出(&X)", self.close, QKeySequence.StandardKey.Quit))
        case_menu = bar.addMenu("案件(&C)")
        self.new_case_action = self._action("新建案件(&N)", self.new_case, QKeySequence.StandardKey.New)
        self.save_action = self._action("保存(&S)", self.save_current, QKeySequence.StandardKey.Save)
        self.search_action = self._action("搜索案件(&F)", self.focus_search, QKeySequence.StandardKey.Find)
        self.open_action = self._action("打开所选案件(&O)", self.open_selected, "Ctrl+O")
        self.close_tab_action = self._action("关闭当前案件(&W)", lambda: self.close_tab(self.desk.currentIndex()),
                                             QKeySequence.StandardKey.Close)
        self.refresh_action = self._action("刷新(&R)", self.registry.reload, QKeySequence.StandardKey.Refresh)
        for action in (self.new_case_action, self.open_action, self.save_action, self.close_tab_action, None,
                       self.search_action, self.refresh_action):
            case_menu.addAction(action) if action else case_menu.addSeparator()
        view_menu = bar.addMenu("视图(&V)")
        board_toggle = self.board_dock.toggleViewAction()
        board_toggle.setText("期限看板(&D)")
        board_toggle.setShortcut(QKeySequence("Ctrl+D"))
        board_toggle.setToolTip("期限看板：在案件登记页显示；打开案件时让位，除非已固定")
        view_menu.addAction(board_toggle)
        self.pin_board_action = QAction("固定期限看板(&P)", self)
        self.pin_board_action.setCheckable(True)
        self.pin_board_action.setChecked(self.settings.board_pinned())
        self.pin_board_action.setToolTip("勾选后，打开案件时期限看板仍然显示（默认让位给案件页）")
        self.pin_board_action.toggled.connect(self._pin_board)
        view_menu.addAction(self.pin_board_action)
        view_menu.addAction(self._action("案件登记(&G)", lambda: self.desk.setCurrentIndex(0), "Ctrl+1"))
        admin_menu = bar.addMenu("管理(&A)")
        admin_menu.addAction(self._action("修改密码(&P)…", self.change_password))
        admin_menu.addAction(self._action("录入节假日安排(&H)…", self.enter_calendar_year))
        admin_menu.addAction(self._action("校验工作区(&V)…", self.verify_workspace))
        admin_menu.addAction(self._action("备份工作区(&B)…", self.backup_workspace))
        admin_menu.addSeparator()
        admin_menu.addAction(self._action("文书设置（红头、代字）(&L)…",
                                          lambda: LetterheadDialog(self.ctx, self).exec()))
        admin_menu.addAction(self._action("印章(&S)…", lambda: SealDialog(self.ctx, self).exec()))
        admin_menu.addAction(self._action("单位密钥（U盘交换）(&K)…",
                                          lambda: OfficeKeysDialog(self.ctx, self, settings=self.settings).exec()))
        admin_menu.addAction(self._action("核验文书(&D)…", lambda: VerifyDocumentDialog(self.ctx, self).exec(),
                                          "Ctrl+Shift+V"))
        help_menu = bar.addMenu("帮助(&H)")
        self.regulation_menu = help_menu.addMenu("规定原文(&R)")  # each regulation's text, article by article
        for profile in all_profiles():
            self.regulation_menu.addAction(f"《{profile.short_title}》…").triggered.connect(
                lambda _=False, pid=profile.id: show_citation(self, pid))
        help_menu.addAction(self._action("关于(&A)", self.about))

    # -- exchange between offices ------------------------------------------------------------------
    def export_cases(self) -> None:
        case_ids = self.registry.selected_case_ids()
        page = self.desk.currentWidget()
        if isinstance(page, CasePage) and page.case_id:  # on an open case's tab: that case
            case_ids = [page.case_id]
        if not case_ids:
            QMessageBox.information(self, "导出到U盘",
                                    "请先在案件登记中选择要导出的案件（可按住 Ctrl 或 Shift 多选）。")
            return
        ExportDialog(self.ctx, case_ids, self, settings=self.settings).exec()

    def import_package(self) -> None:
        ImportDialog(self.ctx, self, settings=self.settings, hub=self.hub).exec()

    def show_conflicts(self) -> None:
        ConflictsDialog(self.ctx, self, settings=self.settings, hub=self.hub).exec()

    # -- the case desk ----------------------------------------------------------------------------
    def case_pages(self) -> list[CasePage]:
        return [self.desk.widget(i) for i in range(1, self.desk.count())]

    def open_case(self, case_id: str) -> CasePage:
        """Bring the case's tab forward, opening it if needed."""
        for page in self.case_pages():
            if page.case_id == case_id:
                self.desk.setCurrentWidget(page)
                return page
        return self._add_page(CasePage(self.ctx, self.hub, case_id))

    def new_case(self) -> CasePage:
        return self._add_page(CasePage(self.ctx, self.hub))

    def _add_page(self, page: CasePage) -> CasePage:
        index = self.desk.addTab(page, page.tab_title())
        page.title_changed.connect(lambda title, p=page: self.desk.setTabText(self.desk.indexOf(p), title))
        self.desk.setCurrentIndex(index)
        return page

    def current_page(self) -> CasePage | None:
        widget = self.desk.currentWidget()
        return widget if isinstance(widget, CasePage) else None

    def save_current(self) -> None:
        page = self.current_page()
        if page is not None:
            page.save()

    def open_selected(self) -> None:
        case_id = self.registry.selected_case_id()
        if case_id:
            self.open_case(case_id)

    def focus_search(self) -> None:
        self.desk.setCurrentIndex(0)
        self.registry.focus_search()

    def close_tab(self, index: int) -> bool:
        """Close a case's tab; with unsaved edits ask 保存 / 放弃 / 取消. True when it closed now; after 保存 it
        closes once the save is stored (a refused save keeps it open, the refusal shown under the form)."""
        page = self.desk.widget(index)
        if not isinstance(page, CasePage):
            return False
        if page.has_unsaved():
            self.desk.setCurrentWidget(page)  # the question is about the form in front of the clerk
            title = page.tab_title()
            answer = self.ask_unsaved(self, "关闭案件", f"“{title}”有尚未保存的修改。",
                                      "保存：保存后关闭；放弃：不保存，直接关闭；取消：继续编辑。")
            if answer == QMessageBox.StandardButton.Save:
                page.save_then(lambda stored: stored and self._remove_page(page))
                return False
            if answer != QMessageBox.StandardButton.Discard:
                return False
        self._remove_page(page)
        return True

    def _remove_page(self, page: CasePage) -> None:
        index = self.desk.indexOf(page)
        if index > 0:
            self.desk.removeTab(index)
            page.deleteLater()

    def unsaved_titles(self) -> list[str]:
        """What would be lost if the window closed now: each case tab whose form holds unsaved edits, and each open
        action form (办理表单) with entries not yet recorded."""
        titles = []
        for page in self.case_pages():
            if page.has_unsaved():
                titles.append(page.tab_title())
            if page.has_unsaved_action():
                titles.append(f"{page.tab_title()}（未登记的办理表单）")
        return titles

    # -- layout memory ----------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry, state = self.settings.window_state("main")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 800)
        if state is not None:
            self.restoreState(state)
        else:  # first start: the registry keeps most of the height
            self.resizeDocks([self.board_dock], [240], Qt.Orientation.Vertical)

    def closeEvent(self, event) -> None:
        if not self._may_leave():
            event.ignore()
            return
        self.registry.save_layout()
        self._placing_board = True  # the layout remembers the user's choice, not the board giving way to a case
        self.board_dock.setVisible(self._board_wanted)
        self._placing_board = False
        self.settings.save_window_state("main", self.saveGeometry(), self.saveState())
        self.idle.stop()
        super().closeEvent(event)
        if event.isAccepted():
            switching, self._switching = self._switching, False
            (self.switch_user_requested if switching else self.closed).emit()

    def _may_leave(self) -> bool:
        """Whether the window may close now. Unsaved case forms: 保存 (close once every one is stored), 放弃 or
        取消 — asked once for all of them."""
        pages = [] if self._discard_edits else [page for page in self.case_pages() if page.has_unsaved()]
        if not pages:
            return True
        verb = "切换用户" if self._switching else "退出"
        names = "、".join(f"“{page.tab_title()}”" for page in pages)
        answer = self.ask_unsaved(self, verb, f"{names}有尚未保存的修改。",
                                  f"保存：保存后{verb}；放弃：不保存，直接{verb}；取消：继续编辑。")
        if answer == QMessageBox.StandardButton.Discard:
            return True
        if answer == QMessageBox.StandardButton.Save:
            self._save_then_close(pages)
        else:
            self._switching = False
        return False

    def _save_then_close(self, pages: list[CasePage]) -> None:
        """Save each page; close the window when all are stored, else stay on the first refused one."""
        answers: dict[int, bool] = {}

        def answered(page: CasePage, stored: bool) -> None:
            answers[id(page)] = stored
            if len(answers) < len(pages):
                return
            refused = [page for page in pages if not answers[id(page)]]
            if refused:
                self._switching = False
                self.desk.setCurrentWidget(refused[0])  # its refusal shows under its form
            else:
                self.close()

        for page in pages:
            page.save_then(lambda stored, page=page: answered(page, stored))

    # -- ending the session -----------------------------------------------------------------------
    def switch_user(self) -> bool:
        """Close this user's window so that another can sign in; False when it stays (取消, or 保存 first: the
        window then closes, and the switch goes on, once the saves are stored).

        Whoever listens to ``switch_user_requested`` (the application's session loop) closes the workspace and shows
        the login.
        """
        if self.is_locked:
            return False
        self._switching = True
        return self.close()

    # -- session lock -----------------------------------------------------------------------------
    @property
    def is_locked(self) -> bool:
        return self.pages.currentIndex() == LOCKED

    def _lock_idle(self) -> None:
        self.lock(idle=True)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.board_dock and event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
            self._board_shown_or_hidden()
        return super().eventFilter(watched, event)

    # -- the deadline board ------------------------------------------------------------------------
    def _on_case_tab(self) -> bool:
        return isinstance(self.desk.currentWidget(), CasePage)

    def _place_board(self) -> None:
        """Shown on the registry as the user left it; on a case tab only when pinned."""
        if self.is_locked:
            return
        show = self._board_wanted and (self.pin_board_action.isChecked() or not self._on_case_tab())
        if self.board_dock.isHidden() == show:
            self._placing_board = True
            self.board_dock.setVisible(show)
            self._placing_board = False

    def _board_shown_or_hidden(self) -> None:
        """The user showed or hid the board (视图 → 期限看板, Ctrl+D, its close button). Showing it is wanted
        everywhere it may show; hiding it on a case tab while it is not pinned is only for now."""
        if self._placing_board or self.is_locked:
            return
        shown = not self.board_dock.isHidden()  # a hide from the window itself closing leaves it not hidden
        if shown or self.pin_board_action.isChecked() or not self._on_case_tab():
            self._board_wanted = shown

    def _pin_board(self, pinned: bool) -> None:
        self.settings.set_board_pinned(pinned)
        if pinned:
            self._board_wanted = True  # pinning a board means wanting to see it
        self._place_board()

    def createPopupMenu(self):
        """The right-click menu over the dock's title bar: the docks, and 固定期限看板."""
        menu = super().createPopupMenu()
        if menu is not None:
            menu.addAction(self.pin_board_action)
        return menu

    def lock(self, *, idle: bool = False) -> None:
        """Hide every case and ask for the password; ``idle``: the idle timer locked it, not the clerk (Ctrl+L)."""
        if self.is_locked:
            return
        self.idle.timer.stop()
        self.pages.setCurrentIndex(LOCKED)
        self.menuBar().setEnabled(False)
        # Nothing of a case stays on screen: the board dock and any open form or dialog are hidden meanwhile.
        self._hidden_while_locked = [w for w in QApplication.topLevelWidgets()
                                     if w is not self and w.isVisible() and not w.isHidden()]
        for widget in self._hidden_while_locked:
            widget.hide()
        self._placing_board = True
        self.board_dock.hide()  # shown again on unlocking where it belongs (_place_board)
        self._placing_board = False
        self.session_locked.emit()
        self.lock_dialog = LockDialog(self.ctx, self, idle_minutes=self.idle_minutes if idle else None,
                                      unsaved=lambda: len(self.unsaved_titles()))
        self.lock_dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.lock_dialog.accepted.connect(self._unlocked)
        self.lock_dialog.rejected.connect(self._quit_from_lock)
        self.lock_dialog.open()

    def _quit_from_lock(self) -> None:
        self._discard_edits = True  # the lock dialog asked (确认退出？) when anything was unsaved
        if not self.close():
            self._discard_edits = False
            self.lock_dialog.open()

    def _unlocked(self) -> None:
        # Roles as they are now, not as they were at login. Every view holds this same context object, so
        # updating the user in place reaches the registry, the board and the open case tabs alike.
        self.ctx.user = self.lock_dialog.ctx.user
        self.pages.setCurrentIndex(DESK)
        self.menuBar().setEnabled(True)
        for widget in self._hidden_while_locked:
            widget.show()
        self._hidden_while_locked = []
        self._place_board()
        self.idle.timer.start()
        self.session_unlocked.emit()

    # -- administration ---------------------------------------------------------------------------
    def change_password(self) -> None:
        ChangePasswordDialog(self.ctx, self).exec()

    def enter_calendar_year(self, year: int | None = None) -> None:
        CalendarYearDialog(self.ctx, self.hub, year, self).exec()

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
