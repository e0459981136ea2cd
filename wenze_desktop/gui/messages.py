"""How errors reach the user: a dialog that says what happened and what to do, never a traceback."""

from __future__ import annotations

import logging
import sys
import traceback

from PySide6.QtWidgets import QMessageBox, QWidget

from wenze_desktop.errors import WenzeError

log = logging.getLogger("wenze")


def show_error(parent: QWidget | None, error: BaseException, title: str = "操作未完成") -> None:
    if isinstance(error, WenzeError):
        QMessageBox.warning(parent, title, str(error))
        return
    log.error("unexpected error", exc_info=error)
    QMessageBox.critical(parent, title, "程序内部出错，操作未完成，已保存的数据不受影响。\n"
                                        f"错误类型：{type(error).__name__}\n请重启程序；若反复出现，请联系技术支持。")


def install_excepthook() -> None:
    """Unexpected errors in slots become a dialog instead of a console traceback (or a silent abort)."""

    def hook(exc_type, exc, tb):
        log.error("".join(traceback.format_exception(exc_type, exc, tb)))
        show_error(None, exc)

    sys.excepthook = hook


def ask_save_discard_cancel(parent: QWidget | None, title: str, text: str,
                            detail: str = "") -> QMessageBox.StandardButton:
    """保存 / 放弃 / 取消 for unsaved edits about to be closed; 取消 (Esc) keeps everything as it is.

    Standard buttons, so Qt's translation names them; 放弃 is set here (Qt's Chinese says 丢弃)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Save
                      | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel, parent)
    box.setInformativeText(detail)
    box.button(QMessageBox.StandardButton.Discard).setText("放弃")
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    box.setEscapeButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.standardButton(box.clickedButton())


def confirm_quit(parent: QWidget | None, unsaved: int) -> bool:
    """确认退出？ when ``unsaved`` forms hold edits that quitting would lose; 取消 (the default, Esc) stays."""
    box = QMessageBox(QMessageBox.Icon.Warning, "确认退出？", "确认退出？未保存的内容将丢失。", parent=parent)
    box.setInformativeText(f"有 {unsaved} 份表单尚未保存。如要保留，请点“取消”，解锁后保存。")
    quit_button = box.addButton("退出程序", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setEscapeButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is quit_button
