"""Database operations off the GUI thread: one worker (like Anki's CollectionOp), results back on the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from wenze_desktop.gui.messages import show_error

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wenze-db")


class _Relay(QObject):
    finished = Signal(object)
    failed = Signal(object)


def run_op(parent: QWidget, label: str, work: Callable[[], Any],
           on_success: Callable[[Any], None] | None = None) -> _Relay:
    """Run ``work`` on the database worker with a busy dialog; success or error is handled on the GUI thread."""
    progress = QProgressDialog(label, None, 0, 0, parent)
    progress.setWindowTitle("请稍候")
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(300)
    relay = _Relay(parent)

    def done(result: Any) -> None:
        progress.close()
        if on_success:
            on_success(result)
        relay.deleteLater()

    def failed(error: BaseException) -> None:
        progress.close()
        show_error(parent, error)
        relay.deleteLater()

    relay.finished.connect(done)
    relay.failed.connect(failed)

    def task() -> None:
        try:
            result = work()
        except BaseException as exc:
            relay.failed.emit(exc)
        else:
            relay.finished.emit(result)

    _executor.submit(task)
    return relay
