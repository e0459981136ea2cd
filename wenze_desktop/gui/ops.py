"""Database operations off the GUI thread: one worker (like Anki's CollectionOp), results back on the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget
from shiboken6 import isValid

from wenze_desktop.gui.changes import ChangeHub
from wenze_desktop.gui.messages import show_error
from wenze_desktop.services import changes as change_notes

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wenze-db")
_pending: set[QObject] = set()  # relays whose work has not answered yet

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


def on_worker(work: Callable[[], Any]) -> Any:
    """Run ``work`` on the database worker and wait for its answer — for the rare reads the GUI needs at once
    (the window's title at construction, a row never painted). Everything else goes through ``run_op``."""
    return _executor.submit(work).result()


def run_op(parent: QWidget, label: str, work: Callable[..., Any],
           on_success: Callable[[Any], None] | None = None, *, progress: bool = False,
           on_failure: Callable[[BaseException], None] | None = None, busy_dialog: bool = True,
           hub: ChangeHub | None = None) -> _Relay:
    """Run ``work`` on the database worker with a busy dialog; success or error is handled on the GUI thread.

    ``progress=True``: ``work(report)`` is called with a thread-safe ``report(done, total, message) -> bool`` (the
    core's progress protocol); the dialog shows a determinate bar and a 取消 button, after which ``report`` returns
    False. ``on_failure`` replaces the default error dialog. ``busy_dialog=False`` runs quietly (views refreshing
    themselves). The returned relay's ``finished``/``failed`` signals fire after the callbacks.

    What the services noted as changed (``ctx.changed``) is published to ``hub`` after the callbacks — also after
    a failure, for what was committed before it. This is the one place the GUI publishes changes.
    """
    # The relay has no Qt parent: the worker may still emit on it after the widget that asked is gone (a closed
    # dialog or tab). It is kept alive here until the answer has been delivered, then dropped.
    relay = _Relay()
    _pending.add(relay)
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
        if dialog is not None and isValid(dialog):
            if progress:
                dialog.canceled.disconnect()  # closing a QProgressDialog emits canceled(): not the user's cancel
            dialog.close()
            dialog.deleteLater()

    def progressed(done: int, total: int, message: str) -> None:
        if dialog is None or relay.was_cancelled or not isValid(dialog):
            return
        dialog.setMaximum(max(total, 1))
        dialog.setValue(min(done, max(total, 1)))
        if message:
            dialog.setLabelText(f"{message}（{done}/{total}）")

    def finish(callback: Callable[[], None], changed: change_notes.Changes) -> None:
        close_dialog()
        try:
            if parent is None or isValid(parent):  # the asking widget may have been closed meanwhile
                callback()
        finally:
            _pending.discard(relay)
            relay.deleteLater()
            if hub is not None and isValid(hub):
                hub.publish(changed)

    def done(answer: tuple[Any, change_notes.Changes]) -> None:
        result, changed = answer
        finish(lambda: on_success(result) if on_success else None, changed)

    def failed(answer: tuple[BaseException, change_notes.Changes]) -> None:
        error, changed = answer
        finish(lambda: on_failure(error) if on_failure else show_error(parent, error), changed)

    # Connected before the caller's own slots, so the callbacks have run when those see the signal.
    relay.finished.connect(done)
    relay.failed.connect(failed)
    relay.progressed.connect(progressed)

    def report(done_: int, total: int, message: str = "") -> bool:
        relay.progressed.emit(int(done_), int(total), str(message))
        return not relay.cancel_requested.is_set()

    def task() -> None:
        with change_notes.collect() as collected:
            try:
                result = work(report) if progress else work()
            except BaseException as exc:
                relay.failed.emit((exc, collected.changes))
            else:
                relay.finished.emit((result, collected.changes))

    _executor.submit(task)
    return relay
