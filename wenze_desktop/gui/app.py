"""Start-up: Qt application, CJK font, style sheet, first run or login, then the main window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QDialog

from wenze_desktop import APP_NAME, APP_TITLE
from wenze_desktop.gui.case_parts_widgets import remove_stale_viewer_copies
from wenze_desktop.gui.first_run import FirstRunDialog
from wenze_desktop.gui.fonts import register_cjk_font
from wenze_desktop.gui.login import LoginDialog
from wenze_desktop.gui.main_window import MainWindow
from wenze_desktop.gui.messages import install_excepthook
from wenze_desktop.gui.settings import GuiSettings
from wenze_desktop.paths import default_data_dir, ui_dir
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.storage.workspace import Workspace


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or [sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_TITLE)
    app.setOrganizationName(APP_NAME)
    register_cjk_font(app)
    style = ui_dir() / "wenze.qss"
    if style.exists():
        app.setStyleSheet(style.read_text("utf-8"))
    return app


def sign_in(data_dir: Path, settings: GuiSettings) -> ServiceContext | None:
    """First-run set-up when there is no workspace, otherwise the login dialog."""
    if not Workspace.exists(data_dir):
        dialog = FirstRunDialog(data_dir)
    else:
        dialog = LoginDialog(data_dir, username=settings.last_username())
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.ctx is None:
        return None
    settings.set_last_username(dialog.ctx.user.username)
    return dialog.ctx


def main(data_dir: Path | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    app = make_application()
    install_excepthook()
    remove_stale_viewer_copies()
    settings = GuiSettings()
    ctx = sign_in(Path(data_dir) if data_dir else default_data_dir(), settings)
    if ctx is None:
        return 0
    window = MainWindow(ctx, settings)
    window.show()
    try:
        return app.exec()
    finally:
        ctx.workspace.close()


if __name__ == "__main__":  # the windowed executable of the Windows bundle starts here
    sys.exit(main())
