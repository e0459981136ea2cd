"""Work on the database worker: the answer reaches the GUI thread, and nobody is called back once gone."""

import threading

from PySide6.QtWidgets import QWidget

from wenze_desktop.gui.ops import _pending, run_op


def test_answer_is_delivered_on_the_gui_thread(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    seen = []
    run_op(parent, "", lambda: threading.current_thread().name, lambda name: seen.append(
        (name, threading.current_thread() is threading.main_thread())), busy_dialog=False)
    qtbot.waitUntil(lambda: bool(seen), timeout=10000)
    assert seen[0][0].startswith("wenze-db") and seen[0][1]


def test_a_closed_asker_is_not_called_back_and_nothing_crashes(qtbot):
    release = threading.Event()
    parent = QWidget()
    called = []
    relay = run_op(parent, "正在处理…", lambda: release.wait(5) and "done", called.append)
    parent.deleteLater()  # the dialog or tab that asked is closed while the work still runs
    qtbot.waitUntil(lambda: _is_gone(parent), timeout=10000)
    finished = []
    relay.finished.connect(lambda _r: finished.append(True))
    release.set()
    qtbot.waitUntil(lambda: bool(finished), timeout=10000)
    assert called == [] and relay not in _pending


def test_errors_reach_the_failure_callback(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    errors = []
    run_op(parent, "", lambda: 1 / 0, on_failure=errors.append, busy_dialog=False)
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert isinstance(errors[0], ZeroDivisionError) and not _pending


def _is_gone(widget) -> bool:
    from shiboken6 import isValid

    return not isValid(widget)
