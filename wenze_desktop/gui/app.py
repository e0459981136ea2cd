"""Start-up: Qt application, CJK font, style sheet; then the session loop: first run or login, the main window,
and login again on 文件 → 切换用户."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import QEventLoop, QLibraryInfo, QLocale, QObject, Qt, QTimer, QTranslator, Signal
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from wenze_desktop import APP_NAME, APP_TITLE
from wenze_desktop.errors import WenzeError
from wenze_desktop.gui.case_parts_widgets import remove_stale_viewer_copies
from wenze_desktop.gui.due_soon import show_due_soon
from wenze_desktop.gui.first_run import FirstRunDialog
from wenze_desktop.gui.fonts import register_cjk_font
from wenze_desktop.gui.login import LoginDialog
from wenze_desktop.gui.main_window import MainWindow
from wenze_desktop.gui.messages import install_excepthook, show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.gui.settings import GuiSettings
from wenze_desktop.paths import default_data_dir, ui_dir
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.storage import recovery
from wenze_desktop.storage.workspace import Workspace, remains_message

QT_TRANSLATION = "qtbase_zh_CN"  # Qt's own words: message box buttons, file/print/colour dialogs, context menus
_qt_translators: list[QTranslator] | None = None


class QtGaps(QTranslator):
    """Qt's own words that ``qtbase_zh_CN.qm`` lacks: their source text changed in Qt 6 and the Chinese file still
    has the old one (the non-native file dialog's "&Look in:", "Files of &type:", the "Folder" type column)."""

    WORDS: ClassVar[dict[tuple[str, str], str]] = {
        ("QFileDialog", "&Look in:"): "查找范围(&L)：",
        ("QFileDialog", "Files of &type:"): "文件类型(&T)：",
        ("QAbstractFileIconProvider", "Folder"): "文件夹",
        ("QAbstractFileIconProvider", "File Folder"): "文件夹",
        ("QAbstractFileIconProvider", "Drive"): "驱动器",
        ("QAbstractFileIconProvider", "File"): "文件",
    }

    def translate(self, context: str, source: str, disambiguation: str | None = None, n: int = -1) -> str | None:
        return self.WORDS.get((context, source))  # None (a null string): not its word, Qt asks the next one

    def isEmpty(self) -> bool:
        return False


def translation_dirs() -> list[Path]:
    """Where ``qtbase_zh_CN.qm`` may be: Qt's own idea first, then where PySide6 wheels and the bundle keep it."""
    dirs = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))]
    import PySide6

    package = Path(PySide6.__file__).resolve().parent
    dirs += [package / "Qt" / "translations", package / "translations"]  # Linux / Windows wheel layouts
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:  # PyInstaller: PySide6/Qt/translations (Linux), PySide6/translations (Windows)
        dirs += [Path(frozen_root) / "PySide6" / "Qt" / "translations", Path(frozen_root) / "PySide6" / "translations"]
    return dirs


def install_chinese(app: QApplication) -> list[QTranslator]:
    """Qt's own texts in Chinese (确定/取消/保存, QFileDialog, QPrintDialog…) and Chinese/China as the default locale
    (calendar popups, weekday names, weeks from Monday). Returns the translators installed — none when the file is
    missing: the program still runs, with Qt's own texts in English."""
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    for folder in translation_dirs():
        translator = QTranslator(app)
        # The (name, directory) overload: the (QLocale, "qt", "_", dir) one returned False here (STACK.md).
        if translator.load(QT_TRANSLATION, str(folder)) and app.installTranslator(translator):
            gaps = QtGaps(app)
            app.installTranslator(gaps)  # installed last, so asked first
            return [translator, gaps]
        translator.deleteLater()
    logging.getLogger("wenze").warning("%s.qm not found: Qt's own dialogs stay in English", QT_TRANSLATION)
    return []


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or [sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_TITLE)
    app.setOrganizationName(APP_NAME)
    global _qt_translators
    if _qt_translators is None:  # once, however often the application is made (tests, screenshot scripts)
        _qt_translators = install_chinese(app)
    register_cjk_font(app)
    style = ui_dir() / "wenze.qss"
    if style.exists():
        app.setStyleSheet(style.read_text("utf-8"))
    return app


class SessionLoop(QObject):
    """Sign-in, the main window, and sign-in again when the window asks to switch user — in one running program.

    Every step is shown with ``open()`` (no nested event loops). The program ends when the window is closed or a
    sign-in dialog is cancelled (``finished`` then carries the exit code, and the application is told to exit).
    Switching user closes the old user's workspace on the database worker, after any work still queued for it.
    """

    finished = Signal(int)
    window_opened = Signal(object)  # the new MainWindow

    def __init__(self, data_dir: Path, settings: GuiSettings, *, window_options: dict | None = None,
                 exit_app: Callable[[int], None] = QApplication.exit, parent: QObject | None = None):
        super().__init__(parent)
        self.data_dir, self.settings, self._exit_app = Path(data_dir), settings, exit_app
        self.window_options = window_options or {}  # passed to MainWindow (tests: idle_minutes)
        self.dialog: QDialog | None = None
        self.window: MainWindow | None = None
        self.ctx: ServiceContext | None = None
        self.notice: QMessageBox | None = None  # the last message shown by the loop itself
        self.pending_notes: list[str] = []  # what the start settled, shown once someone has signed in
        self.ended = False

    def start(self) -> None:
        """First-run set-up when there is no workspace, otherwise the login dialog (last user filled in)."""
        self._sign_in(self.settings.last_username())

    def _sign_in(self, username: str) -> None:
        # What a killed process left (a half-done restore, scratch) is finished before anything is offered.
        try:
            self.pending_notes += recovery.finish_interrupted(self.data_dir)
        except WenzeError as error:
            self._tell(None, QMessageBox.Icon.Warning, "无法打开工作区", str(error), then=lambda: self._end(1))
            return
        if not Workspace.exists(self.data_dir):
            found = Workspace.remains(self.data_dir)
            if found:  # never a new workspace over what an earlier one left: say what is there instead
                self._tell(None, QMessageBox.Icon.Warning, "不能在此目录新建工作区",
                           remains_message(self.data_dir, found), then=lambda: self._end(1))
                return
            dialog: QDialog = FirstRunDialog(self.data_dir)
        else:
            dialog = LoginDialog(self.data_dir, username=username)
        dialog.finished.connect(dialog.deleteLater)
        dialog.accepted.connect(lambda: self._signed_in(dialog.ctx))
        dialog.rejected.connect(lambda: self._end(0))
        self.dialog = dialog
        dialog.open()

    def _signed_in(self, ctx: ServiceContext | None) -> None:
        self.dialog = None
        if ctx is None:
            self._end(0)
            return
        self.settings.set_last_username(ctx.user.username)
        try:
            window = MainWindow(ctx, self.settings, **self.window_options)
        except Exception as error:  # a window that cannot be built must not leave a program with no window
            show_error(None, error)
            self._close_workspace(ctx)
            self._end(1)
            return
        self.ctx, self.window = ctx, window
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.closed.connect(self._window_closed)
        window.switch_user_requested.connect(self._switch_user)
        window.show()
        self.window_opened.emit(window)
        notes = [*self.pending_notes, *recovery.take_notices(), *ctx.notices]
        self.pending_notes = []
        if notes:  # then, at the day's first sign-in, what is overdue or due soon
            self._tell(window, QMessageBox.Icon.Information, "上次中断的操作已处理", "\n\n".join(notes),
                       lambda: show_due_soon(window))
        else:
            show_due_soon(window)

    def _tell(self, parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str,
              then: Callable[[], None] | None = None) -> None:
        """A message shown with ``open()`` (no nested event loop); ``then`` runs once it is closed."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if then is not None:
            box.finished.connect(lambda _code: then())
        self.notice = box
        box.open()

    def _window_closed(self) -> None:
        self._drop_session()
        self._end(0)

    def _switch_user(self) -> None:
        """The old window is closing (and then deleted): close its workspace, then ask who signs in now."""
        self._drop_session()
        QTimer.singleShot(0, lambda: self._sign_in(""))  # once the old window is off the screen

    def _drop_session(self) -> None:
        self.window = None
        if self.ctx is not None:
            self._close_workspace(self.ctx)
            self.ctx = None

    @staticmethod
    def _close_workspace(ctx: ServiceContext) -> None:
        # On the database worker: after whatever the old window still had queued there, before the next login.
        run_op(None, "", ctx.workspace.close, busy_dialog=False, on_failure=lambda _e: None)

    def _end(self, code: int) -> None:
        if self.ended:
            return
        self.ended = True
        self.finished.emit(code)
        self._exit_app(code)

    def shutdown(self, timeout: float = 60.0) -> None:
        """At exit: close a workspace still open, and wait until the worker has done what was queued for it."""
        self._drop_session()
        answered: list[bool] = []
        run_op(None, "", lambda: None, lambda _r: answered.append(True), busy_dialog=False)
        deadline = time.monotonic() + timeout
        while not answered and time.monotonic() < deadline:
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def main(data_dir: Path | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    app = make_application()
    install_excepthook()
    remove_stale_viewer_copies()
    # The session loop decides when the program ends: between two users no window is open for a moment.
    app.setQuitOnLastWindowClosed(False)
    loop = SessionLoop(Path(data_dir) if data_dir else default_data_dir(), GuiSettings())
    loop.start()
    try:
        return app.exec()
    finally:
        loop.shutdown()


if __name__ == "__main__":  # the windowed executable of the Windows bundle starts here
    sys.exit(main())
