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
