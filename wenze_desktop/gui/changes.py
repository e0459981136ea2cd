"""The change hub: every view listens here; ``gui/ops.run_op`` publishes what each operation changed."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from wenze_desktop.services.changes import Changes

__all__ = ["ChangeHub", "Changes"]


class ChangeHub(QObject):
    """The single place operations report to; the registry, the wizard and the deadline board listen."""

    changed = Signal(object)  # Changes

    def publish(self, changes: Changes) -> None:
        if changes:
            self.changed.emit(changes)
