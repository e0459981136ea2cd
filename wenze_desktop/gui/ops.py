"""Database operations off the GUI thread: one worker (like Anki's CollectionOp), results back on the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from wenze_desktop.gui.messages import show_error

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wenze-db")

Progress = Callable[[int, int, str], bool]


class _Relay(QObject):
    finished = Signal(object)
    failed = Signal(object)
    progressed = Signal(int, int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cancel_requested = threading.Event()

    @property
    def was_cancelled(self) -> bool:
        """Whether the user pressed 取消 (the work saw ``progress`` return False from then on)."""
        return self.cancel_requested.is_set()


def run_op(parent: QWidget, label: str, work: Callable[..., Any],
           on_success: Callable[[Any], None] | None = None, *, progress: bool = False,
           on_failure: Callable[[BaseException], None] | None = None, busy_dialog: bool = True) -> _Relay:
    """Run ``work`` on the database worker with a busy dialog; success or error is handled on the GUI thread.

    ``progress=True``: ``work(report)`` is called with a thread-safe ``report(done, total, message) -> bool`` (the
    core's progress protocol); the dialog shows a determinate bar and a 取消 button, after which ``report`` returns
    False. ``on_failure`` replaces the default error dialog. ``busy_dialog=False`` runs quietly (views refreshing
    themselves). The returned relay's ``finished``/``failed`` signals fire after the callbacks.
    """
    relay = _Relay(parent)
    dialog: QProgressDialog | None = None
    if busy_dialog or progress:
        dialog = QProgressDialog(label, "取消" if progress else None, 0, 0, parent)
        dialog.setWindowTitle("请稍候")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.setAutoReset(False)
        dialog.setAutoClose(False)
        if progress:
            dialog.canceled.connect(relay.cancel_requested.set)
            dialog.canceled.connect(lambda: dialog.setLabelText("正在取消…"))

    def close_dialog() -> None:
        if dialog is not None:
            if progress:
                dialog.canceled.disconnect()  # closing a QProgressDialog emits canceled(): not the user's cancel
            dialog.close()
            dialog.deleteLater()

    def progressed(done: int, total: int, message: str) -> None:
        if dialog is None or relay.was_cancelled:
            return
        dialog.setMaximum(max(total, 1))
        dialog.setValue(min(done, max(total, 1)))
        if message:
            dialog.setLabelText(f"{message}（{done}/{total}）")

    def done(result: Any) -> None:
        close_dialog()
        if on_success:
            on_success(result)
        relay.deleteLater()

    def failed(error: BaseException) -> None:
        close_dialog()
        if on_failure:
            on_failure(error)
        else:
            show_error(parent, error)
        relay.deleteLater()

    # Connected before the caller's own slots, so the callbacks have run when those see the signal.
    relay.finished.connect(done)
    relay.failed.connect(failed)
    relay.progressed.connect(progressed)

    def report(done_: int, total: int, message: str = "") -> bool:
        relay.progressed.emit(int(done_), int(total), str(message))
        return not relay.cancel_requested.is_set()

    def task() -> None:
        try:
            result = work(report) if progress else work()
        except BaseException as exc:
            relay.failed.emit(exc)
        else:
            relay.finished.emit(result)

    _executor.submit(task)
    return relay
