"""The Qt binding itself: PySide6 6.12.0 on Python 3.11 drops a reference to None on every void Qt call, so a
long session dies with "none_dealloc". pyproject.toml excludes it; this keeps a bad build from coming back."""

import sys

from PySide6.QtWidgets import QLabel


def test_void_qt_calls_do_not_leak_references_to_none(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("问责")
        label.setVisible(False)
    assert sys.getrefcount(None) >= before - 100  # a leaking binding loses 4,000 here
